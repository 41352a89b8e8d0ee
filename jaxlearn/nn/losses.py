"""The network's losses on its last layer (`jaxlearn.losses` on z^L), targets, and loss by name.

    cross_entropy  L_CE = −(1/M) Σ_m y_m · ln softmax(z^L_m)   (softmax output)
    quadratic      L_Q = (1/M) Σ_m ‖σ^L(z^L_m) − y_m‖²         (any output activation)
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import losses
from jaxlearn._validation import as_float_array, check_finite, check_option, check_scalar
from jaxlearn.nn.activations import ACTIVATIONS, OUTPUTS, apply_output
from jaxlearn.nn.mlp import logits

LOSSES = ("cross_entropy", "quadratic")


def one_hot(labels, num_classes: int, dtype=jnp.float32):
    """Labels (M,) in 0 … K−1 → one-hot rows Y (M, K)."""
    num_classes = check_scalar(num_classes, "num_classes", minimum=1, integer=True)
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
    """The loss of last-layer pre-activations z (M, K) against targets Y (M, K): the softmax
    cross-entropy of z (`jaxlearn.losses`, through log-softmax: never overflows), or L_Q of σ^L(z)."""
    if loss == "cross_entropy":
        return losses.softmax_cross_entropy(z, Y)
    return losses.quadratic(apply_output(z, output), Y)


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
