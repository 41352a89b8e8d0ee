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

The base class and its checks are in `_base.py`, the two kinds in `_mlp.py` and `_cnn.py`;
all are imported from here (`jaxlearn.nn.network.MLP`, as from `jaxlearn.nn.MLP`).
"""

from jaxlearn.nn.network._base import Network, layer_mismatch
from jaxlearn.nn.network._cnn import CNN
from jaxlearn.nn.network._mlp import MLP

__all__ = ["Network", "MLP", "CNN", "layer_mismatch"]
