"""Multilayer perceptrons as pure functions of a list of (W^l, b^l) (lecture eqs. 47–52).

    z^l = W^l a^{l−1} + b^l,   a^l = σ^l(z^l),   a^0 = x,   l = 1 … L

W^l has shape (n_l, n_{l−1}) and b^l shape (n_l,); a batch X (M, n_0) goes through as
A @ W.T + b, one sample a row (layout "rows"), or as the lecture writes it, W A + b with the
samples as columns of A (layout "columns"). Both give the same z^l; which one runs faster is
up to the compiler (see `logits`). The hidden activation σ and the output activation are
chosen by name and stay outside the parameter pytree, so jax.jit / jax.grad work directly.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._validation import as_float_array, check_finite, check_key, check_matrix, check_option, check_scalar

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,   # σ(z) = 1 / (1 + e^{−z})
    "tanh": jnp.tanh,
    "identity": lambda z: z,
}
OUTPUTS = (*ACTIVATIONS, "softmax")
LOSSES = ("cross_entropy", "quadratic")
LAYOUTS = ("rows", "columns")


def activation_derivative(name: str, z, a):
    """σ'(z), written with the already computed a = σ(z) where the lecture does."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        return a * (1 - a)                 # σ' = σ(1 − σ)  (eq. 27)
    if name == "tanh":
        return 1 - a**2
    if name == "identity":
        return jnp.ones_like(z)
    raise ValueError(f"no element-wise derivative for activation {name!r}")


def init_mlp(key, sizes, *, activation: str = "relu", dtype=jnp.float32):
    """Random initial parameters [(W^1, b^1), …, (W^L, b^L)] for layer sizes [n_0, …, n_L].

    W^l ~ N(0, 2 / n_{l−1}) (He) for ReLU hidden layers, N(0, 2 / (n_{l−1} + n_l)) (Glorot)
    for the other activations and for the output layer; b^l = 0.

    Args:
        key: a `jax.random` key (same key, same parameters).
        sizes: [n_0, n_1, …, n_L], at least an input and an output size, each ≥ 1.
        activation: the hidden activation the initialisation is scaled for.
        dtype: floating dtype of the parameters.
    """
    check_key(key)
    sizes = _check_sizes(sizes)
    check_option(activation, "activation", tuple(ACTIVATIONS))
    params = []
    keys = jax.random.split(key, len(sizes) - 1)
    for layer, (k, n_in, n_out) in enumerate(zip(keys, sizes[:-1], sizes[1:]), start=1):
        hidden = layer < len(sizes) - 1
        variance = 2.0 / n_in if (hidden and activation == "relu") else 2.0 / (n_in + n_out)
        W = jnp.sqrt(variance).astype(dtype) * jax.random.normal(k, (n_out, n_in), dtype)
        params.append((W, jnp.zeros(n_out, dtype)))
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


def logits(params, X, *, activation: str = "relu", layout: str = "rows"):
    """z^L, the last layer's pre-activation, for a batch X (M, n_0) → (M, n_L).

    layout: how the batch runs through the layers; the result is the same either way.
        "rows": A^l (M, n_l) = σ(A^{l−1} @ W^lᵀ + b^l), one sample a row.
        "columns": A^l (n_l, M) = σ(W^l A^{l−1} + b^l), one sample a column (eq. 47 as
        written). XLA:CPU then never transposes W^1 (only the batch), which makes many
        models trained side by side under vmap (`jaxlearn.sweeps.train_many`) about 15 %
        faster; for one deeper model "rows" is as fast or faster.

    X is cast to the parameters' dtype (the model's precision).
    """
    check_option(activation, "activation", tuple(ACTIVATIONS))
    check_option(layout, "layout", LAYOUTS)
    X = check_matrix(X)
    check_params(params, X.shape[1])
    X = X.astype(params[0][0].dtype)
    sigma = ACTIVATIONS[activation]
    if layout == "columns":
        A = X.T
        for W, b in params[:-1]:
            A = sigma(W @ A + b[:, None])      # eqs. 47–52, the samples as columns
        W, b = params[-1]
        return (W @ A + b[:, None]).T
    A = X
    for W, b in params[:-1]:
        A = sigma(A @ W.T + b[None, :])        # the same, one sample a row
    W, b = params[-1]
    return A @ W.T + b[None, :]


def apply_output(z, output: str):
    """a^L = σ^L(z^L) for an output activation name (softmax over the last axis)."""
    check_option(output, "output", OUTPUTS)
    return jax.nn.softmax(z, axis=-1) if output == "softmax" else ACTIVATIONS[output](z)


def forward(params, X, *, activation: str = "relu", output: str = "softmax"):
    """a^L for a batch X (M, n_0) → (M, n_L)."""
    check_option(output, "output", OUTPUTS)
    return apply_output(logits(params, X, activation=activation), output)


def one_hot(labels, num_classes: int, dtype=jnp.float32):
    """Labels (M,) in 0 … K−1 → one-hot rows Y (M, K)."""
    if not isinstance(labels, jax.core.Tracer):
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integers 0 … {num_classes - 1}, got "
                            f"{labels.dtype if labels.dtype != object else type(labels.item()).__name__}")
    labels = jnp.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"labels must be integers 0 … {num_classes - 1}, got dtype {labels.dtype}")
    if not isinstance(labels, jax.core.Tracer) and labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            raise ValueError(f"labels must lie in 0 … {num_classes - 1}, found {low if low < 0 else high}")
    return jax.nn.one_hot(labels, num_classes, dtype=dtype)


def cross_entropy(probabilities, Y):
    """L_CE = −(1/M) Σ_m y_m · ln a_m for given output probabilities a (M, K) and one-hot Y (M, K)."""
    return -jnp.mean(jnp.sum(Y * jnp.log(probabilities), axis=-1))


def loss_from_logits(z, Y, loss: str, output: str):
    """The loss of last-layer pre-activations z (M, K) against targets Y (M, K)."""
    if loss == "cross_entropy":   # −(1/M) Σ y · ln softmax(z), via log-softmax: never overflows
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z, axis=-1), axis=-1))
    return jnp.mean(jnp.sum((apply_output(z, output) - Y) ** 2, axis=-1))


def check_targets(Y, n_samples: int, n_outputs: int, name: str = "Y"):
    """Y must be (M, n_L): one-hot rows, not integer labels (which would broadcast silently)."""
    Y = as_float_array(Y, name)
    shape = tuple(Y.shape)
    if shape == (n_samples, n_outputs):
        check_finite(Y, name, "targets must be finite")
        return Y
    hint = (f"; for integer class labels y use jaxlearn.nn.one_hot(y, {n_outputs})" if len(shape) == 1 else "")
    raise ValueError(f"{name} must be one-hot targets of shape (M, n_L) = ({n_samples}, {n_outputs}), got shape "
                     f"{shape}{hint}")


def cross_entropy_loss(params, X, Y, *, activation: str = "relu"):
    """L_CE = −(1/M) Σ_m y_m · ln softmax(z^L_m), through log-softmax so that it never overflows.

    X: (M, n_0); Y: (M, n_L) one-hot (or any rows of class probabilities).
    """
    z = logits(params, X, activation=activation)
    return loss_from_logits(z, check_targets(Y, *z.shape), "cross_entropy", "softmax")


def quadratic_loss(params, X, Y, *, activation: str = "relu", output: str = "sigmoid"):
    """L_Q = (1/M) Σ_m ‖a^L_m − y_m‖² with a^L = σ^L(z^L). X: (M, n_0); Y: (M, n_L)."""
    check_option(output, "output", OUTPUTS)
    z = logits(params, X, activation=activation)
    return loss_from_logits(z, check_targets(Y, *z.shape), "quadratic", output)


def make_loss(loss: str = "cross_entropy", *, activation: str = "relu", output: str | None = None):
    """loss_fn(params, X, Y) for a loss name, with the activations closed over (not traced)."""
    check_option(loss, "loss", LOSSES)
    check_option(activation, "activation", tuple(ACTIVATIONS))
    output = default_output(loss) if output is None else output
    check_option(output, "output", OUTPUTS)
    if loss == "cross_entropy":
        if output != "softmax":
            raise ValueError(f"the cross-entropy loss needs output='softmax', got {output!r}")
        return lambda params, X, Y: cross_entropy_loss(params, X, Y, activation=activation)
    return lambda params, X, Y: quadratic_loss(params, X, Y, activation=activation, output=output)


def default_output(loss: str) -> str:
    """softmax for the cross-entropy, sigmoid (the lecture's element-wise choice) for L_Q."""
    return "softmax" if loss == "cross_entropy" else "sigmoid"


def predict(params, X, *, activation: str = "relu"):
    """Predicted class per sample: argmax_k z^L_k (the same as argmax of a^L). (M, n_0) → (M,)."""
    return jnp.argmax(logits(params, X, activation=activation), axis=-1)


def count_parameters(params) -> int:
    return int(sum(np.prod(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(params)))
