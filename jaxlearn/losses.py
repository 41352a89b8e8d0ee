"""Every loss of the lecture on predictions z (z = Xθ for a linear model, z^L for a network),
each with its hand-derived gradient ∂ℓ/∂z beside it, as optax writes its losses.

All losses are means over the M samples (the first axis), as the lecture writes them, and sums
over any other axis (classes, outputs); the gradients carry the 1/M. Given sample weights w
(M,), the mean becomes the weighted sum Σ_m w_m ℓ_m: w = 1/M on M samples and 0 on rows that
only pad the data to a shape bucket (`jaxlearn.buckets`) is the same mean without them. The element-wise losses
also take the samples along another axis (sample_axis=-1: z (K, M), one problem a row, the
layout `jaxlearn.objectives` uses for many problems at once). The models and solvers
call these functions, so the gradient tests (hand = `jax.grad` = finite differences) test
exactly the code that trains.

    squared_error                 ℓ = 1/(2M) Σ (z − y)²                        (eq. 7)
    sigmoid_binary_cross_entropy  ℓ = (1/M) Σ [softplus(z) − y z]               (eqs. 32–33)
    softmax_cross_entropy         ℓ = −(1/M) Σ_m y_m · ln softmax(z_m)
    hinge                         ℓ = (1/M) Σ max(0, 1 − y z)                    (eq. 36)
    squared_hinge                 ℓ = (1/M) Σ max(0, 1 − y z)²                   (the L2-SVM)
    smoothed_hinge                the hinge, quadratic within μ of its kink
    quadratic                     L_Q = (1/M) Σ_m ‖a_m − y_m‖² on outputs a      (the lecture's L_Q)
    l2_penalty                    λ/2 ‖d ∘ θ‖², d = 0 on an unpenalised bias
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._validation import check_bool

__all__ = ["squared_error", "squared_error_grad", "sigmoid_binary_cross_entropy",
           "sigmoid_binary_cross_entropy_grad", "sigmoid_binary_cross_entropy_curvature",
           "softmax_cross_entropy", "softmax_cross_entropy_grad", "hinge", "hinge_grad", "squared_hinge",
           "squared_hinge_grad", "smoothed_hinge", "smoothed_hinge_grad", "quadratic", "quadratic_grad",
           "penalty_mask", "l2_penalty", "l2_penalty_grad"]


def _weighted(values, sample_axis: int, weights):
    """values (one entry per sample along sample_axis) summed with weights 1/M, or w (M,)."""
    if weights is None:
        return values / jnp.shape(values)[sample_axis]
    shape = [1] * jnp.ndim(values)
    shape[sample_axis] = -1
    return values * jnp.reshape(weights, shape)


def squared_error(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """ℓ(z) = 1/(2M) Σ_m (z_m − y_m)² (eq. 7 with z = Xθ). z, y: (M,), or (M, K) for K targets;
    weights: None (1/M) or (M,) sample weights w, ℓ = ½ Σ_m w_m (z_m − y_m)²."""
    return 0.5 * jnp.sum(_weighted((z - y) ** 2, sample_axis, weights))


def squared_error_grad(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """∂ℓ/∂z = (z − y)/M (w_m (z_m − y_m) with weights). (M,) → (M,)."""
    return _weighted(z - y, sample_axis, weights)


def sigmoid_binary_cross_entropy(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """ℓ(z) = −(1/M) Σ [y ln σ(z) + (1 − y) ln(1 − σ(z))] = (1/M) Σ [softplus(z) − y z] (eqs. 32–33).

    The second form is finite for logits of any size. z: (M,) logits; y: (M,) labels in {0, 1}.
    """
    return jnp.sum(_weighted(jax.nn.softplus(z) - y * z, sample_axis, weights))


def sigmoid_binary_cross_entropy_grad(z: ArrayLike, y: ArrayLike, weights=None, *,
                                      sample_axis: int = 0) -> jax.Array:
    """∂ℓ/∂z = (σ(z) − y)/M (the residual of eq. 34). (M,) → (M,)."""
    return _weighted(jax.nn.sigmoid(z) - y, sample_axis, weights)


def sigmoid_binary_cross_entropy_curvature(z: ArrayLike, weights=None) -> jax.Array:
    """∂²ℓ/∂z_m² = σ'(z_m)/M = σ(1 − σ)/M (eq. 27): the diagonal of the Hessian in z. (M,) → (M,)."""
    s = jax.nn.sigmoid(z)
    return _weighted(s * (1 - s), 0, weights)


def softmax_cross_entropy(z: ArrayLike, Y: ArrayLike, weights=None) -> jax.Array:
    """ℓ(z) = −(1/M) Σ_m y_m · ln softmax(z_m), through log-softmax (never overflows).

    z: (M, K) logits; Y: (M, K) one-hot rows (or rows of class probabilities).
    """
    return -jnp.sum(_weighted(jnp.sum(Y * jax.nn.log_softmax(z, axis=-1), axis=-1), 0, weights))


def softmax_cross_entropy_grad(z: ArrayLike, Y: ArrayLike, weights=None) -> jax.Array:
    """∂ℓ/∂z = (softmax(z) − Y)/M. (M, K) → (M, K)."""
    return _weighted(jax.nn.softmax(z, axis=-1) - Y, 0, weights)


def hinge(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """ℓ(z) = (1/M) Σ max(0, 1 − y z) (eq. 36's data term). z: (M,) scores; y: (M,) labels ±1
    (or (M, K) for K one-vs-rest problems, summed over them)."""
    return jnp.sum(_weighted(jnp.maximum(0, 1 - y * z), sample_axis, weights))


def hinge_grad(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """A subgradient: ∂ℓ/∂z_m = −y_m/M where y_m z_m < 1, else 0 (the gradient away from the kink)."""
    return _weighted(jnp.where(y * z < 1, -y, 0), sample_axis, weights)


def squared_hinge(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """ℓ(z) = (1/M) Σ max(0, 1 − y z)² (scikit-learn's LinearSVC default, the L2-SVM): differentiable,
    so L-BFGS and FISTA minimise it directly. z, y: (M,) or (M, K) as `hinge`."""
    return jnp.sum(_weighted(jnp.maximum(0, 1 - y * z) ** 2, sample_axis, weights))


def squared_hinge_grad(z: ArrayLike, y: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """∂ℓ/∂z = −2 y max(0, 1 − y z)/M. (M,) → (M,)."""
    return _weighted(-2 * y * jnp.maximum(0, 1 - y * z), sample_axis, weights)


def smoothed_hinge(z: ArrayLike, y: ArrayLike, mu: ArrayLike, weights=None, *, sample_axis: int = 0) -> jax.Array:
    """The hinge with its kink rounded off (Huber): (1/M) Σ h_μ(1 − y z), where

        h_μ(u) = 0 for u ≤ 0,  u²/(2μ) for 0 < u < μ,  u − μ/2 for u ≥ μ.

    Differentiable, within μ/2 of the hinge; μ → 0 gives the hinge back. z, y: (M,) or (M, K)
    (K one-vs-rest problems, summed over them); μ > 0.
    """
    u = 1 - y * z
    return jnp.sum(_weighted(jnp.where(u <= 0, 0.0, jnp.where(u >= mu, u - mu / 2, u**2 / (2 * mu))), sample_axis,
                             weights))


def smoothed_hinge_grad(z: ArrayLike, y: ArrayLike, mu: ArrayLike, weights=None, *,
                        sample_axis: int = 0) -> jax.Array:
    """∂ℓ/∂z = −y h'_μ(1 − y z)/M with h'_μ(u) = clip(u/μ, 0, 1). (M,) → (M,)."""
    return _weighted(-y * jnp.clip((1 - y * z) / mu, 0, 1), sample_axis, weights)


def quadratic(a: ArrayLike, Y: ArrayLike) -> jax.Array:
    """The lecture's L_Q = (1/M) Σ_m ‖a_m − y_m‖² on outputs a = σ^L(z^L) (no ½). a, Y: (M, K)."""
    return jnp.mean(jnp.sum((a - Y) ** 2, axis=-1))


def quadratic_grad(a: ArrayLike, Y: ArrayLike) -> jax.Array:
    """∂L_Q/∂a = 2 (a − Y)/M. (M, K) → (M, K)."""
    return 2 * (a - Y) / jnp.shape(a)[0]


def penalty_mask(shape, dtype, penalize_bias: bool) -> jax.Array:
    """d with D = diag(d): ones, except row 0 (the bias θ₀, column 0 of X) when penalize_bias is False."""
    d = np.ones(shape, dtype)       # NumPy: a constant, no eager program to compile per shape
    if not check_bool(penalize_bias, "penalize_bias"):
        d[0] = 0
    return d


def l2_penalty(theta: ArrayLike, lam: ArrayLike, d: ArrayLike) -> jax.Array:
    """λ/2 ‖d ∘ θ‖² (eqs. 18 and 33): ridge on the coefficients that d marks. θ, d: (N,) or (N, K)."""
    return 0.5 * lam * jnp.sum((theta * d) ** 2)


def l2_penalty_grad(theta: ArrayLike, lam: ArrayLike, d: ArrayLike) -> jax.Array:
    """λ d ∘ θ (d ∈ {0, 1}, so d² = d). Shape of θ."""
    return lam * theta * d
