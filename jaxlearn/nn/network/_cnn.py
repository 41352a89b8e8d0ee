"""A convolutional network as a network object (`jaxlearn.nn.network`)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn.nn import cnn
from jaxlearn.nn.activations import ACTIVATIONS
from jaxlearn.nn.augment import augment as augment_images
from jaxlearn.nn.augment import translated
from jaxlearn.nn.batchnorm import batch_norm
from jaxlearn.nn.conv import conv2d, dirac
from jaxlearn.nn.network._base import Network


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
