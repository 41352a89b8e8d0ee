"""The network base class (`jaxlearn.nn.network`): what every kind of network shares, and the
checks of its parameters and state."""

import dataclasses

import jax
import jax.numpy as jnp

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


