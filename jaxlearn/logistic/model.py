"""Logistic (binary) and softmax (multinomial) regression (lecture eqs. 26–34).

    h_θ(x) = σ(θᵀx),  σ(z) = 1 / (1 + e^{−z})                               (eq. 26)
    σ'(z) = σ(z)(1 − σ(z))                                                   (eq. 27)
    L(θ) = −(1/M) Σ [y ln h + (1 − y) ln(1 − h)] + λ/2 ‖θ‖²                 (eqs. 32–33)
         = (1/M) Σ [softplus(z) − y z] + λ/2 ‖θ‖²,  z = Xθ   (the stable form used here)
    ∇L(θ) = (1/M) Xᵀ(σ(Xθ) − y) + λθ                                         (eq. 34)

Softmax regression with K classes, Θ (N, K) and one-hot Y (M, K):

    L(Θ) = −(1/M) Σ_m y_m · ln softmax(Θᵀx_m) + λ/2 ‖Θ‖²_F,   ∇L = (1/M) Xᵀ(softmax(XΘ) − Y) + λΘ

As in the regression part there is no separate bias: put a column of ones in X (and
penalize_bias=False leaves its coefficient, row 0 of θ or Θ, out of the penalty).
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import losses
from jaxlearn._validation import NO_THETA, as_float_array, check_finite, check_linear_model, check_matrix, check_scalar
from jaxlearn.objectives import linear_objective

# L(θ) = ℓ(Xθ) + λ/2‖d∘θ‖² for the two losses, with their hand gradients (eq. 34): what the
# public losses below compute and what the solvers of `jaxlearn.logistic.fitting` minimise.
BINARY = linear_objective(losses.sigmoid_binary_cross_entropy, losses.sigmoid_binary_cross_entropy_grad)
SOFTMAX = linear_objective(losses.softmax_cross_entropy, losses.softmax_cross_entropy_grad)



def sigmoid(z: ArrayLike) -> jax.Array:
    """σ(z) = 1 / (1 + e^{−z}) (eq. 26), computed without overflow for any z.

    Example:
        >>> import jax.numpy as jnp
        >>> sigmoid(jnp.array([-1000.0, 0.0, 1000.0])).tolist()      # finite at any size
        [0.0, 0.5, 1.0]
    """
    return jax.nn.sigmoid(z)


def sigmoid_derivative(z: ArrayLike) -> jax.Array:
    """σ'(z) = σ(z)(1 − σ(z)) (eq. 27)."""
    s = jax.nn.sigmoid(z)
    return s * (1 - s)


def check_binary_problem(theta, X, y, lam):
    theta, X, y, lam = check_linear_model(theta, X, y, lam)
    if not isinstance(y, jax.core.Tracer):
        labels = np.unique(np.asarray(y))
        if not np.isin(labels, [0, 1]).all():
            raise ValueError(f"y must hold the labels 0 and 1 for binary logistic regression, found "
                             f"{labels[:5].tolist()}; map two classes to 0/1 first (e.g. y == positive)")
    return theta, X, y, lam


def _on_checked(function, check, theta, X, y, lam, penalize_bias):
    """function(θ, X, None, y, λ, d) of an objective, on inputs passed through `check`; d from penalize_bias."""
    theta, X, y, lam = check(theta, X, y, lam)
    return function(theta, X, None, y, lam, losses.penalty_mask(theta.shape, X.dtype, penalize_bias))


def binary_cross_entropy(theta: ArrayLike, X: ArrayLike, y: ArrayLike, lam: float = 0.0, *,
                         penalize_bias: bool = True) -> jax.Array:
    """L(θ) = −(1/M) Σ [y ln σ(z) + (1 − y) ln(1 − σ(z))] + λ/2 ‖θ‖², z = Xθ (eqs. 32–33).

    Computed as (1/M) Σ [softplus(z) − y z] (`jaxlearn.losses.sigmoid_binary_cross_entropy`):
    finite for logits of any size.

    Args:
        theta: (N,); X: (M, N); y: (M,) labels in {0, 1}; lam: λ ≥ 0.
        penalize_bias: False leaves θ₀ (column 0 of X, the ones) out of the penalty.
    """
    return _on_checked(BINARY.formula, check_binary_problem, theta, X, y, lam, penalize_bias)


def binary_cross_entropy_grad(theta: ArrayLike, X: ArrayLike, y: ArrayLike, lam: float = 0.0, *,
                              penalize_bias: bool = True) -> jax.Array:
    """∇L(θ) = (1/M) Xᵀ(σ(Xθ) − y) + λθ (eq. 34), by hand. Shapes as `binary_cross_entropy`."""
    return _on_checked(BINARY.grad, check_binary_problem, theta, X, y, lam, penalize_bias)


def binary_hessian(theta, X, Xt, y, lam, d, weights=None):
    """H = (1/M) Xᵀ diag(σ'(Xθ)) X + λD (N, N), σ' = σ(1 − σ) (eq. 27); with sample weights
    w, Xᵀ diag(w σ') X.

    Positive definite for λ > 0 or X of full column rank, in exact arithmetic; eps · max diag(H)
    on the diagonal (relative, so that it counts in float32 too) keeps the Cholesky solve
    defined when σ' underflows on well-separated samples.
    """
    curvature = losses.sigmoid_binary_cross_entropy_curvature(X @ theta, weights)
    H = (X * curvature[:, None]).T @ X
    jitter = jnp.finfo(H.dtype).eps * jnp.max(jnp.diagonal(H))
    return H + jnp.diag(lam * d + jitter)


def _check_predict(theta, X, ndim=1):
    X = check_matrix(X)
    theta = as_float_array(theta, "theta").astype(X.dtype)
    if theta.ndim != ndim:
        shape = "1-D (N,)" if ndim == 1 else "2-D (N, K)"
        raise ValueError(f"theta must be {shape}, got shape {theta.shape}")
    if theta.shape[0] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the model was fitted on "
                         f"{theta.shape[0] if theta.ndim else 'a scalar theta'}")
    check_finite(theta, "theta", "the model cannot predict (did its fit diverge?)")
    return theta, X


def predict_proba(theta: ArrayLike, X: ArrayLike) -> jax.Array:
    """h_θ(x) = σ(θᵀx) for each row: P(y = 1 | x). (M, N) → (M,)."""
    theta, X = _check_predict(theta, X)
    return sigmoid(X @ theta)


def predict(theta: ArrayLike, X: ArrayLike) -> jax.Array:
    """Class 1 iff θᵀx ≥ 0 (h ≥ 0.5), else 0. (M, N) → (M,) int."""
    theta, X = _check_predict(theta, X)
    return (X @ theta >= 0).astype(jnp.int32)


def decision_boundary_x2(theta: ArrayLike, x1: ArrayLike) -> jax.Array:
    """On the boundary θ₀ + θ₁x₁ + θ₂x₂ = 0: x₂ = −(θ₀ + θ₁x₁) / θ₂ (for plots of 2-D data)."""
    theta = jnp.asarray(theta)
    if theta.shape != (3,):
        raise ValueError(f"theta must be [θ₀, θ₁, θ₂] for a 2-D boundary, got shape {theta.shape}")
    return -(theta[0] + theta[1] * jnp.asarray(x1)) / theta[2]


# --- softmax (multinomial) regression ----------------------------------------------------------

def check_multiclass_problem(Theta, X, Y, lam):
    X = check_matrix(X)
    Y = as_float_array(Y, "Y").astype(X.dtype)
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must be one-hot (M, K) = ({X.shape[0]}, K), got shape {Y.shape} "
                         "(jaxlearn.nn.one_hot turns labels into one-hot rows)")
    if Theta is not NO_THETA:
        Theta = as_float_array(Theta, "Theta").astype(X.dtype)
        if Theta.shape != (X.shape[1], Y.shape[1]):
            raise ValueError(f"Theta must be (N, K) = ({X.shape[1]}, {Y.shape[1]}), got {Theta.shape}")
    check_scalar(lam, "lam", minimum=0)
    return Theta, X, Y, jnp.asarray(lam).astype(X.dtype)


def softmax_cross_entropy(Theta: ArrayLike, X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
                          penalize_bias: bool = True) -> jax.Array:
    """L(Θ) = −(1/M) Σ_m y_m · ln softmax(Θᵀx_m) + λ/2 ‖Θ‖²_F, through log-softmax.

    Args:
        Theta: (N, K); X: (M, N); Y: (M, K) one-hot; lam: λ ≥ 0.
    """
    return _on_checked(SOFTMAX.formula, check_multiclass_problem, Theta, X, Y, lam, penalize_bias)


def softmax_cross_entropy_grad(Theta: ArrayLike, X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
                               penalize_bias: bool = True) -> jax.Array:
    """∇L(Θ) = (1/M) Xᵀ(softmax(XΘ) − Y) + λΘ, by hand. Returns (N, K)."""
    return _on_checked(SOFTMAX.grad, check_multiclass_problem, Theta, X, Y, lam, penalize_bias)


def predict_softmax_proba(Theta: ArrayLike, X: ArrayLike) -> jax.Array:
    """softmax(XΘ): class probabilities (M, K)."""
    Theta, X = _check_predict(Theta, X, ndim=2)
    return jax.nn.softmax(X @ Theta, axis=1)


def predict_softmax(Theta: ArrayLike, X: ArrayLike) -> jax.Array:
    """argmax_k (XΘ)_k: predicted classes (M,)."""
    Theta, X = _check_predict(Theta, X, ndim=2)
    return jnp.argmax(X @ Theta, axis=1)
