"""A network as one small immutable object: its initialisation, forward pass, hand-written
backward pass and state, so that the layers above it (the epoch loop, evaluation, checkpoints,
figures, sweeps, gradient checks) never ask which kind of network they hold.

    net.init(key, n_features, n_classes) → params [(W^1, b^1), …, (W^L, b^L)], W^l (n_l, n_{l−1}, …)
    net.init_state(X)                    → its state: the batch normalisation's running statistics
                                           [(μ_run, σ²_run), …] (and a whitening layer's kernels,
                                           from X), or () for a network without
    net.apply(params, state, X, training=…, key=…) → (z^L (M, K), new state)
    net.logits(params, state, X)         → z^L of inference (test-time flips included, if any)
    net.hand_gradient(params, state, X, Y, key=…) → ∂L/∂params by the lecture's backpropagation
    net.augment(key, X)                  → a training batch, transformed (the data step)

X is always flat rows (M, n_0), one sample a row, as the trainer holds its data; a CNN sees each
row as an image of its image_shape. Y (M, K) are the (possibly smoothed) one-hot targets.

A network is a frozen dataclass: hashable and compared by value, so it is the static argument
of `jax.jit` and the key of compiled-program caches (two configs that differ only in their
learning rate share one evaluation program). `jaxlearn.training.model.network` chooses it once
from a `TrainConfig`; a new kind of network is a new subclass (docs/guide/training.md, "Adding
a network").
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn.nn import cnn, mlp
from jaxlearn.nn.activations import ACTIVATIONS
from jaxlearn.nn.augment import augment as augment_images
from jaxlearn.nn.augment import translated
from jaxlearn.nn.backprop import backprop
from jaxlearn.nn.batchnorm import batch_norm
from jaxlearn.nn.conv import conv2d, dirac
from jaxlearn.nn.losses import loss_from_logits


def layer_mismatch(given, expected, *, given_name: str, expected_name: str) -> str | None:
    """Where the layers `given` [(W, b), …] differ from `expected` (arrays or shape structs) in
    number, shape or dtype, in words (the first difference); None when they fit."""
    if len(given) != len(expected):
        return f"{given_name} has {len(given)} layers, {expected_name} {len(expected)}"
    for layer, ((W, b), (W0, b0)) in enumerate(zip(given, expected), start=1):
        if jnp.shape(W) != tuple(W0.shape) or jnp.shape(b) != tuple(b0.shape):
            return (f"layer {layer} has W {jnp.shape(W)}, b {jnp.shape(b)} in {given_name} but {expected_name} "
                    f"needs W {tuple(W0.shape)}, b {tuple(b0.shape)}")
        if jnp.result_type(W) != W0.dtype or jnp.result_type(b) != b0.dtype:
            return f"layer {layer} is {jnp.result_type(W)} in {given_name}, {expected_name} uses {W0.dtype}"
    return None


@dataclasses.dataclass(frozen=True)
class Network:
    """What every network shares: its loss on the logits, its dtype and the checks of its
    parameters and state. Subclasses define init, init_state, apply, hand_gradient, describe."""

    loss: str = "cross_entropy"
    output: str = "softmax"             # the output activation a^L = output(z^L)
    dtype: str = "float32"

    # rows per evaluated block (`jaxlearn.training.evaluate`)
    eval_block = 10_000
    # training rows its initial state is computed from (`init_state`'s X; 0: none)
    state_sample = 0
    # one jitted step per batch, dispatched from Python, instead of a scan over the epoch's batches
    # (`jaxlearn.training.step.make_run_batches`)
    step_by_step = False

    # fields that only change training (initialisation, dropout, augmentation, …), not inference
    training_only = ()

    def for_inference(self) -> "Network":
        """The same network with its training-only fields at their defaults: the key of the
        compiled evaluation programs, so that runs that differ only in how they train share them."""
        defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name in self.training_only}
        return dataclasses.replace(self, **defaults)

    def logits(self, params, state, X):
        """z^L (M, K) of flat input rows X (M, n_0), for inference."""
        return self.apply(params, state, X)[0]

    def loss_value(self, z, Y):
        """The mean loss of logits z (M, K) against targets Y (M, K)."""
        return loss_from_logits(z, Y, self.loss, self.output)

    def augment(self, key, X, *, rows=None, epoch=None):
        """A training batch of flat rows as the network trains on it (the data step): unchanged by
        default. rows: the batch's indices in the training set; epoch: the epoch (traced)."""
        return X

    @property
    def needs_key(self) -> bool:
        """Does a training step draw random numbers (augmentation, dropout)?"""
        return False

    def for_stacked_models(self) -> "Network":
        """The same network, as it runs fastest when many models train side by side under vmap
        (`jaxlearn.sweeps.train_many`); the same results."""
        return self

    def first_convolution(self, params, state, X):
        """(kernels (C_out, C_in, 3, 3), activations (M, C_out, H, W)) of the first layer for the
        run's figures, when it is a convolution; None otherwise."""
        return None

    def batch_statistics(self, params, state, X, key=None):
        """Each batch normalisation's (mean, variance) over the batch X in training mode, in the
        structure of the state (() for a network without batch normalisation)."""
        return state

    def batch_norm_shifts(self, params):
        """A pytree of bools shaped as params: True at the shifts β of batch normalisations (the
        leaves `TrainConfig.bn_bias_lr` scales), False elsewhere."""
        return jax.tree_util.tree_map(lambda _: False, params)

    @property
    def running_statistics(self) -> tuple:
        """Which entries of the state training updates, one bool per entry.

        True marks a batch normalisation's running statistics, False a frozen entry (a whitening
        layer's kernels)."""
        return ()

    def check_params(self, params, n_features: int) -> None:
        """params must be this network's for inputs of n_features values, in its dtype."""
        if not isinstance(params, list | tuple) or not params or not all(
                isinstance(layer, list | tuple) and len(layer) == 2 for layer in params):
            raise TypeError(f"params must be a non-empty list of (W, b) pairs, one per layer, as {self.describe()}'s "
                            f"init returns; got {type(params).__name__}")
        expected = jax.eval_shape(lambda: self.init(jax.random.key(0), n_features, jnp.shape(params[-1][0])[0]))
        wrong = layer_mismatch(params, expected, given_name="the parameter list", expected_name=self.describe())
        if wrong:
            raise ValueError(f"these parameters do not fit {self.describe()} on {n_features} inputs: {wrong}")

    def check_state(self, state) -> None:
        """state must be this network's (`init_state`): its batch normalisation's running statistics, or ()."""
        expected = [tuple(s.shape) for s in jax.tree_util.tree_leaves(jax.eval_shape(self.init_state))]
        shapes = [tuple(jnp.shape(v)) for v in jax.tree_util.tree_leaves(state)]
        if shapes != expected:
            n = sum(self.running_statistics)
            frozen = len(self.running_statistics) - n
            need = (f"its {n} batch normalisation layer(s) need a state of {n} (running mean, running variance) "
                    + ("pairs and its whitening layer's (E, λ)" if frozen else "pairs")
                    + ": pass the TrainState that fit returned" if expected else
                    "it has no batch normalisation, so its state is ()")
            raise ValueError(f"the state does not fit {self.describe()}: {need}; got {len(shapes)} array(s)")


@dataclasses.dataclass(frozen=True)
class MLP(Network):
    """The lecture's multilayer perceptron (`jaxlearn.nn.mlp`): z^l = W^l a^{l−1} + b^l, a^l = σ(z^l).

    hidden: the hidden layer sizes (n_1, …, n_{L−1}); activation: σ by name; init: "he" or
    "glorot_uniform" (`init_mlp`); dropout: inverted dropout of rate p on the hidden layers while
    training; layout: "rows" or "columns" (`jaxlearn.nn.logits`, the same result).
    """

    hidden: tuple = ()
    activation: str = "relu"
    weight_init: str = "he"
    dropout: float = 0.0
    layout: str = "rows"

    training_only = ("weight_init", "dropout")

    def describe(self) -> str:
        return f"the MLP with hidden layers {self.hidden}" if self.hidden else "the MLP without hidden layers"

    def init(self, key, n_features: int, n_classes: int):
        return mlp.init_mlp(key, [n_features, *self.hidden, n_classes], activation=self.activation,
                            dtype=jnp.dtype(self.dtype), init=self.weight_init)

    def init_state(self, X=None):
        return ()

    @property
    def needs_key(self) -> bool:
        return self.dropout > 0

    def for_stacked_models(self) -> "MLP":
        # samples as columns: the stacked W¹ is never transposed (`jaxlearn.nn.logits`)
        return dataclasses.replace(self, layout="columns")

    def apply(self, params, state, X, *, training: bool = False, key=None, dropout=None):
        """(z^L, state); training with a key draws dropout masks of rate `dropout` (default the
        network's; a sweep passes each model's, traced)."""
        rate = self.dropout if dropout is None else dropout
        key = key if training else None
        return mlp.logits(params, X, activation=self.activation, layout=self.layout, key=key, dropout=rate), state

    def hand_gradient(self, params, state, X, Y, *, key=None, dropout=None):
        """Eqs. (1)–(4) of `jaxlearn.nn.backprop`, with the dropout masks of `apply`."""
        return backprop(params, X, Y, activation=self.activation, loss=self.loss, output=self.output, key=key,
                        dropout=self.dropout if dropout is None else dropout)


@dataclasses.dataclass(frozen=True)
class CNN(Network):
    """A convolutional network from an architecture string (`jaxlearn.nn.cnn`), on flat rows seen
    as images of image_shape (channels, H, W).

    augment: random transformations of each training batch (`jaxlearn.nn.augment`); test_flip,
    test_shift: test-time augmentation (`logits`); bn_momentum: the batch normalisations' momentum
    m (`jaxlearn.nn.batchnorm`; PyTorch's is 1 − m); conv_init: "he" or "dirac" (`init`).
    """

    architecture: str = "c16bn-c16bn-p-c32bn-c32bn-p-d128-drop0.5"
    image_shape: tuple = (1, 28, 28)
    activation: str = "relu"
    augmentations: tuple = ()
    test_flip: bool = False
    test_shift: bool = False            # test-time views shifted by one pixel (`logits`)
    bn_momentum: float = 0.9            # m of the running statistics μ_run ← m μ_run + (1 − m) μ
    conv_init: str = "he"               # or "dirac": 3×3 convolutions start as the identity (`init`)

    training_only = ("augmentations", "bn_momentum", "conv_init")

    # A CNN keeps every layer's activations for the whole block: the Fashion-MNIST CNN
    # c32bn-c32bn-p-c64bn-c64bn-p-d256 with test-time flips peaked at 15.8 GB on 10 000 test
    # images in one block, and at 2.1 GB (and twice as fast, 10.6 s against 21.0 s) in blocks of 1 000.
    eval_block = 1_000
    # XLA:CPU runs convolutions about 5× slower inside a loop (588 against 112 ms a step of the
    # default CNN here); same results
    step_by_step = True

    def describe(self) -> str:
        return f"the CNN {self.architecture!r} on {self.image_shape} images"

    def _images(self, X):
        return X.reshape(X.shape[0], *self.image_shape)

    def check_rows(self, n_features: int) -> None:
        channels, height, width = self.image_shape
        if n_features != channels * height * width:
            raise ValueError(f"the CNN sees each input row as an image of shape {self.image_shape} "
                             f"({channels * height * width} values), but the rows have {n_features}; set image_shape")

    def init(self, key, n_features: int, n_classes: int):
        """He initialisation (`jaxlearn.nn.init_cnn`); with conv_init="dirac", the first
        n = min(C_out, C_in) kernels of each 3×3 convolution then become the identity, W[i, i] = δ
        at the centre and 0 elsewhere (airbench's dirac init): the layer starts by passing its
        input's channels through, and the others keep their He draws."""
        self.check_rows(n_features)
        params = cnn.init_cnn(key, self.architecture, self.image_shape, n_classes, dtype=jnp.dtype(self.dtype))
        if self.conv_init == "dirac":
            params = [(dirac(W), b) if W.ndim == 4 and W.shape[2:] == (3, 3) else (W, b) for W, b in params]
        return params

    def init_state(self, X=None):
        """The batch normalisations' running statistics (0, 1) and, for a whitening layer w, its
        (E, λ) from the patches of the images in X (flat rows; placeholders without X)."""
        return cnn.init_batch_stats(self.architecture, dtype=jnp.dtype(self.dtype), channels=self.image_shape[0],
                                    images=None if X is None else self._images(X))

    @property
    def running_statistics(self) -> tuple:
        return tuple(kind == "batchnorm" for kind in cnn.state_kinds(self.architecture))

    @property
    def state_sample(self) -> int:
        # airbench fits its whitening to 5 000 training images
        return 5_000 if cnn.parse_architecture(self.architecture)[0][0] == "whiten" else 0

    @property
    def needs_key(self) -> bool:
        layers = cnn.parse_architecture(self.architecture)
        return bool(self.augmentations) or any(kind == "dropout" for kind, _ in layers)

    def augment(self, key, X, *, rows=None, epoch=None):
        if not self.augmentations:
            return X
        return augment_images(key, self._images(X), self.augmentations, rows=rows, epoch=epoch).reshape(X.shape)

    def apply(self, params, state, X, *, training: bool = False, key=None, dropout=None):
        """(z^L, state): training normalises by the batch's statistics and updates the running
        ones (momentum bn_momentum), and draws dropout masks from key; inference uses the
        running statistics."""
        return cnn.cnn_apply(params, self._images(X), self.architecture, batch_stats=state, training=training,
                             key=key, activation=self.activation, bn_momentum=self.bn_momentum)

    def logits(self, params, state, X):
        """z^L of inference, with test-time augmentation: test_flip averages the logits of each
        image and its mirror; test_shift takes 0.5 z(x) + 0.25 z(x shifted by (−1, −1)) + 0.25
        z(x shifted by (+1, +1)) (zeros shifted in; airbench's multi-crop weights), each view
        flip-averaged when test_flip is on too."""
        images = self._images(X)
        if not self.test_shift:
            return self._flip_averaged(params, state, images)
        shifted = [translated(images, d) for d in (-1, 1)]
        return (0.5 * self._flip_averaged(params, state, images)
                + 0.25 * self._flip_averaged(params, state, shifted[0])
                + 0.25 * self._flip_averaged(params, state, shifted[1]))

    def _flip_averaged(self, params, state, images):
        z = cnn.cnn_logits(params, images, self.architecture, batch_stats=state, activation=self.activation)
        if self.test_flip:      # test-time augmentation: the mean of the logits of x and of its mirror
            mirrored = cnn.cnn_logits(params, jnp.flip(images, axis=-1), self.architecture, batch_stats=state,
                                      activation=self.activation)
            z = (z + mirrored) / 2
        return z

    def batch_statistics(self, params, state, X, key=None):
        # with momentum 0 the updated running statistics are the batch's own: 0·old + 1·batch
        return dataclasses.replace(self, bn_momentum=0.0).apply(params, state, X, training=True, key=key)[1]

    def batch_norm_shifts(self, params):
        # a batch normalisation's pair (γ, β) is the one whose "weight" γ is a vector
        return [(False, jnp.ndim(W) == 1) for W, _ in params]

    def hand_gradient(self, params, state, X, Y, *, key=None, dropout=None):
        """The CNN's backward pass by hand, layer by layer (`jaxlearn.nn.cnn.cnn_backprop`)."""
        return cnn.cnn_backprop(params, self._images(X), Y, self.architecture, batch_stats=state, key=key,
                                activation=self.activation)

    def first_convolution(self, params, state, X):
        layers = cnn.parse_architecture(self.architecture)
        if layers[0][0] != "conv":
            return None
        W, b = (np.asarray(a) for a in jax.device_get(params[0]))
        maps = conv2d(W, b if b.shape[0] else np.zeros(W.shape[0], W.dtype), self._images(X))   # (0,): no bias
        if layers[1:2] == (("batchnorm", W.shape[0]),):
            gamma, beta = jax.device_get(params[1])
            maps, _ = batch_norm(gamma, beta, maps, jax.device_get(state[0]), training=False)
        return W, ACTIVATIONS[self.activation](maps)
