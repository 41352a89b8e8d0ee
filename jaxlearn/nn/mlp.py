"""Multilayer perceptrons as pure functions of a list of (W^l, b^l) (lecture eqs. 47–52).

    z^l = W^l a^{l−1} + b^l,   a^l = σ^l(z^l),   a^0 = x,   l = 1 … L

W^l has shape (n_l, n_{l−1}) and b^l shape (n_l,); a batch X (M, n_0) goes through as
A @ W.T + b, one sample a row (layout "rows"), or as the lecture writes it, W A + b with the
samples as columns of A (layout "columns"). Both give the same z^l; which one runs faster is
up to the compiler (see `logits`). The hidden activation σ and the output activation are
chosen by name and stay outside the parameter pytree, so jax.jit / jax.grad work directly.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._validation import check_key, check_matrix, check_option, check_scalar
from jaxlearn.nn.activations import ACTIVATIONS, OUTPUTS, apply_output
from jaxlearn.nn.dropout import check_rate, scaled_mask

LAYOUTS = ("rows", "columns")


INITS = ("he", "glorot_uniform")


def init_mlp(key: jax.Array, sizes, *, activation: str = "relu", dtype=jnp.float32, init: str = "he") -> list:
    """Random initial parameters [(W^1, b^1), …, (W^L, b^L)] for layer sizes [n_0, …, n_L].

    init="he" (default): W^l ~ N(0, 2 / n_{l−1}) (He) for ReLU hidden layers,
    N(0, 2 / (n_{l−1} + n_l)) (Glorot) for the other activations and for the output layer;
    b^l = 0. init="glorot_uniform": scikit-learn's MLP, W^l and b^l ~ U(−r, r) with
    r = √(f / (n_{l−1} + n_l)), f = 2 for the sigmoid and 6 otherwise.

    Args:
        key: a `jax.random` key (same key, same parameters).
        sizes: [n_0, n_1, …, n_L], at least an input and an output size, each ≥ 1.
        activation: the hidden activation the initialisation is scaled for.
        dtype: floating dtype of the parameters.
    """
    check_key(key)
    sizes = _check_sizes(sizes)
    check_option(activation, "activation", tuple(ACTIVATIONS))
    check_option(init, "init", INITS)
    try:
        dtype = jnp.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a floating dtype such as jnp.float32, got {dtype!r}") from None
    if not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"dtype must be a floating dtype such as jnp.float32 (weights are real numbers), got {dtype}")
    if init == "glorot_uniform":
        return _init_glorot_uniform(key, tuple(sizes), activation, dtype)
    return _init_mlp(key, tuple(sizes), activation, dtype)


@partial(jax.jit, static_argnums=(1, 2, 3))
def _init_glorot_uniform(key, sizes: tuple, activation: str, dtype):
    """scikit-learn's MLP initialisation: W and b uniform in ±√(f / (n_in + n_out)), f = 2 for the
    sigmoid, 6 otherwise; one uniform draw cut into the layers (as `_init_mlp`)."""
    shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    u = jax.random.uniform(key, (sum(o * (i + 1) for o, i in shapes),), dtype, -1.0, 1.0)
    factor = 2.0 if activation == "sigmoid" else 6.0
    params, start = [], 0
    for n_out, n_in in shapes:
        bound = jnp.sqrt(factor / (n_in + n_out)).astype(dtype)
        block = bound * u[start:start + n_out * (n_in + 1)].reshape(n_out, n_in + 1)
        params.append((block[:, :n_in], block[:, n_in]))
        start += n_out * (n_in + 1)
    return params


@partial(jax.jit, static_argnums=(1, 2, 3))
def _init_mlp(key, sizes: tuple, activation: str, dtype):
    """init_mlp's draws as one program: one standard normal vector ξ of Σ_l n_l n_{l−1} entries,
    cut into the layers in order and scaled, W^l = σ_l ξ_l. One draw, not one per layer: each
    draw is a threefry hash and an inverse error function that XLA compiles anew (three
    layers' draws took 0.46 s to compile here, one 0.13 s)."""
    shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    xi = jax.random.normal(key, (sum(o * i for o, i in shapes),), dtype)
    params, start = [], 0
    for layer, (n_out, n_in) in enumerate(shapes, start=1):
        hidden = layer < len(shapes)
        variance = 2.0 / n_in if (hidden and activation == "relu") else 2.0 / (n_in + n_out)
        W = jnp.sqrt(variance).astype(dtype) * xi[start:start + n_out * n_in].reshape(n_out, n_in)
        params.append((W, jnp.zeros(n_out, dtype)))
        start += n_out * n_in
    return params


def _check_sizes(sizes):
    if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of layer sizes [n_0, …, n_L], got {type(sizes).__name__} {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
    for i, n in enumerate(sizes):
        check_scalar(n, f"sizes[{i}]", minimum=1, integer=True)
    return [int(n) for n in sizes]


def check_params(params, n_features: int | None = None):
    """Raise unless params is a list of (W (n_l, n_{l−1}), b (n_l,)) with matching sizes."""
    if not isinstance(params, (list, tuple)) or not params:
        raise TypeError("params must be a non-empty list of (W, b) pairs")
    previous = n_features
    for layer, pair in enumerate(params, start=1):
        if len(pair) != 2:
            raise TypeError(f"layer {layer}: expected a (W, b) pair, got {len(pair)} items")
        W, b = pair
        if jnp.ndim(W) != 2 or jnp.ndim(b) != 1 or jnp.shape(b)[0] != jnp.shape(W)[0]:
            raise ValueError(f"layer {layer}: W must be (n_l, n_l−1) and b (n_l,), got W {jnp.shape(W)}, "
                             f"b {jnp.shape(b)}")
        if previous is not None and jnp.shape(W)[1] != previous:
            what = "X has" if layer == 1 else f"layer {layer - 1} outputs"
            raise ValueError(f"layer {layer}: W expects {jnp.shape(W)[1]} inputs but {what} {previous}")
        previous = jnp.shape(W)[0]


def logits(params, X: ArrayLike, *, activation: str = "relu", layout: str = "rows", key=None,
           dropout=0.0) -> jax.Array:
    """z^L, the last layer's pre-activation, for a batch X (M, n_0) → (M, n_L).

    layout: how the batch runs through the layers; the result is the same either way.
        "rows": A^l (M, n_l) = σ(A^{l−1} @ W^lᵀ + b^l), one sample a row.
        "columns": A^l (n_l, M) = σ(W^l A^{l−1} + b^l), one sample a column (eq. 47 as
        written). XLA:CPU then never transposes W^1 (only the batch), which makes many
        models trained side by side under vmap (`jaxlearn.sweeps.train_many`) about 15 %
        faster; for one deeper model "rows" is as fast or faster.
    key, dropout: training with inverted dropout of rate p on the hidden layers l < L:
        a^l = σ(z^l) ∘ m^l/(1 − p) with m^l ~ Bernoulli(1 − p) drawn from fold_in(key, l)
        (`dropout_masks`). Without a key (inference) no unit is dropped; dropout may be traced.

    X is cast to the parameters' dtype (the model's precision).
    """
    check_option(activation, "activation", tuple(ACTIVATIONS))
    check_option(layout, "layout", LAYOUTS)
    X = check_matrix(X)
    check_params(params, X.shape[1])
    X = X.astype(params[0][0].dtype)
    sigma = ACTIVATIONS[activation]
    masks = dropout_masks(key, dropout, params, X.shape[0])
    if layout == "columns":
        A = X.T
        for i, (W, b) in enumerate(params[:-1]):
            A = sigma(W @ A + b[:, None])      # eqs. 47–52, the samples as columns
            A = A if masks is None else A * masks[i].T
        W, b = params[-1]
        return (W @ A + b[:, None]).T
    return forward_trace(params, X, sigma, masks)[0][-1]          # the same, one sample a row


def forward_trace(params, X, sigma, masks=None) -> tuple:
    """The forward pass one sample a row, keeping what backpropagation needs (eqs. 47–52):
    ([z^1, …, z^L], [σ(z^1), …, σ(z^{L−1})], [a^0 = X, a^1, …, a^{L−1}]), a^l = σ(z^l) ∘ s^l with
    the scaled dropout masks s^l (`dropout_masks`) when given. `logits` returns z^L of it, and
    `jaxlearn.nn.backprop` runs the backward pass on it: one forward pass for both."""
    pre_activations, unmasked, activations = [], [], [X]
    for i, (W, b) in enumerate(params):
        z = activations[-1] @ W.T + b[None, :]
        pre_activations.append(z)
        if i < len(params) - 1:
            a = sigma(z)
            unmasked.append(a)
            activations.append(a if masks is None else a * masks[i])
    return pre_activations, unmasked, activations


def dropout_masks(key, rate, params, n_samples: int):
    """The scaled masks m^l/(1 − p), (M, n_l), of the hidden layers l = 1 … L−1, m^l drawn from
    fold_in(key, l) (`jaxlearn.nn.dropout.scaled_mask`): the same for `logits` and
    `jaxlearn.nn.backprop`. None without a key, or for a rate that is the number 0."""
    if key is None:
        return None
    if not isinstance(rate, jax.Array):     # a number, checked here; an array (a sweep's traced rate) by its caller
        if check_rate(rate, "dropout") == 0:
            return None
    dtype = params[0][0].dtype
    return [scaled_mask(jax.random.fold_in(key, layer), (n_samples, W.shape[0]), rate, dtype)
            for layer, (W, _) in enumerate(params[:-1], start=1)]


def forward(params, X: ArrayLike, *, activation: str = "relu", output: str = "softmax") -> jax.Array:
    """a^L for a batch X (M, n_0) → (M, n_L)."""
    check_option(output, "output", OUTPUTS)
    return apply_output(logits(params, X, activation=activation), output)


def predict(params, X: ArrayLike, *, activation: str = "relu") -> jax.Array:
    """Predicted class per sample: argmax_k z^L_k (the same as argmax of a^L). (M, n_0) → (M,)."""
    return jnp.argmax(logits(params, X, activation=activation), axis=-1)


def count_parameters(params) -> int:
    return int(sum(np.prod(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(params)))
