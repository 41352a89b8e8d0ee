"""Kernel ridge regression: the lecture's ridge regression (eqs. 18–22, 46) with the kernel trick
(eqs. 44–45), and its exact leave-one-out error.

Ridge regression in a feature space φ(x) minimises (1/M) Σ_m (θᵀφ(x_m) − y_m)² + λ‖θ‖². Its
minimiser is a combination of the training samples, θ = Σ_m α_m φ(x_m), so only inner products
k(x, x') = φ(x)ᵀφ(x') are needed:

    α = (K + λ M I)⁻¹ y            K (M, M) the Gram matrix of the training rows, y (M,) or (M, K)
    f(x*) = Σ_m α_m k(x*, x_m) = k(x*)ᵀ α

(the factor M because the lecture's loss is a mean; scikit-learn's `KernelRidge(alpha=a)` solves
(K + a I)⁻¹ y, so a = λM).

Leave-one-out. With H = K (K + λMI)⁻¹ the "hat" matrix, the residual of sample i predicted by the
model fitted without it is e_i = (y_i − f(x_i)) / (1 − H_ii) = α_i / [(K + λMI)⁻¹]_ii, exactly,
with no refit (the ridge case of the Sherman–Morrison identity). One eigendecomposition K = QΛQᵀ
gives (K + λMI)⁻¹ = Q diag(1/(Λ + λM)) Qᵀ for every λ of a grid at O(M²) each:

    α(λ) = Q (Qᵀy / (Λ + λM)),   [(K + λMI)⁻¹]_ii = Σ_j Q_ij² / (Λ_j + λM).

Every kernel of `jaxlearn.kernels` works; the grid over γ (`loo_grid`) needs a kernel with a γ
(rbf, polynomial, sigmoid, laplacian).
"""

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import as_float_array, check_finite, check_matrix, check_scalar
from jaxlearn.kernels import Kernel, _from_inner_products, _inner_products, check_kernel, gram_unchecked, laplacian_rows

__all__ = ["fit", "predict", "predict_gradient", "loo_residuals", "loo_grid", "LooGrid"]


def _check_targets(y, n_rows: int, dtype, what: str = "X"):
    """y as a finite (M,) or (M, K) array of X's dtype, one target (row) per sample."""
    y = as_float_array(y, "y")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be (M,) or (M, K) (one target or one row of targets per sample), got shape {y.shape}")
    if y.shape[0] != n_rows:
        raise ValueError(f"y has {y.shape[0]} rows but {what} has {n_rows}: one target (row) per sample")
    check_finite(y, "y")
    return jnp.asarray(y, dtype)


def _check_data(X, y):
    X = check_matrix(X, "X")
    return X, _check_targets(y, X.shape[0], X.dtype)


def _check_lams(lam, name="lam"):
    lams = np.atleast_1d(np.asarray(lam, dtype=float))
    if lams.ndim != 1 or lams.size == 0 or not np.all(np.isfinite(lams)) or np.any(lams < 0):
        raise ValueError(f"{name} must be finite and ≥ 0 (a number or a 1-d list), got {lam!r}")
    return lams


@jax.jit
def _cholesky_solve(K, y, lam):
    M = K.shape[0]
    factor = jax.scipy.linalg.cho_factor(K + (lam * M) * jnp.eye(M, dtype=K.dtype), lower=True)
    return jax.scipy.linalg.cho_solve(factor, y)


def fit(X: ArrayLike, y: ArrayLike, lam: float, kernel: Kernel) -> jax.Array:
    """α (M,) (or (M, K) for targets y (M, K)) of kernel ridge regression on X (M, N):
    α = (K + λ M I)⁻¹ y by a Cholesky factorisation of the symmetric positive-definite K + λMI.

    lam: λ ≥ 0 (traced: a new λ compiles nothing). kernel: a `jaxlearn.kernels.Kernel`.
    Raises SingularMatrixError when K + λMI is not positive definite at working precision
    (λ = 0 with repeated samples, or a kernel that is not positive semi-definite, as sigmoid).
    """
    kernel = check_kernel(kernel)
    X, y = _check_data(X, y)
    lam = float(check_scalar(lam, "lam", minimum=0))
    alpha = _cholesky_solve(gram_unchecked(kernel, X, X), y, np.asarray(lam, X.dtype))
    if not bool(jnp.all(jnp.isfinite(alpha))):
        raise SingularMatrixError(
            f"K + λMI is not positive definite at working precision ({X.dtype}, λ = {lam:g}, kernel "
            f"{kernel.name!r}): the Cholesky factorisation failed, so α would be garbage. Increase lam (λM is added "
            "to K's diagonal), remove repeated samples, or use a positive semi-definite kernel (rbf, laplacian, "
            "linear, polynomial with coef0 ≥ 0).")
    return alpha


def predict(X_train: ArrayLike, alpha: ArrayLike, X: ArrayLike, kernel: Kernel) -> jax.Array:
    """f(X) = K(X, X_train) α: (M*,) or (M*, K) for X (M*, N), from `fit`'s α and its X_train (M, N)."""
    kernel = check_kernel(kernel)
    X_train = check_matrix(X_train, "X_train")
    X = check_matrix(X, "X").astype(X_train.dtype)
    if X.shape[1] != X_train.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the model was fitted on {X_train.shape[1]}")
    return gram_unchecked(kernel, X, X_train) @ jnp.asarray(alpha, X_train.dtype)


@partial(jax.jit, static_argnames=("name", "degree"))
def _gradient(name, degree, gamma, coef0, X_train, alpha, X):
    """∂f/∂x* for each row x* of X: Σ_m α_m ∂k(x*, x_m)/∂x*, in closed form."""
    dot = X @ X_train.T                                               # (M*, M)
    if name == "linear":                                              # k = x*ᵀx_m
        return jnp.broadcast_to(alpha @ X_train, X.shape)
    if name == "polynomial":                                          # ∂k = d γ (γ x*ᵀx_m + c)^{d−1} x_m
        weights = degree * gamma * (gamma * dot + coef0) ** (degree - 1) * alpha[None, :]
        return weights @ X_train
    if name == "sigmoid":                                             # ∂k = γ (1 − tanh²) x_m
        weights = gamma * (1 - jnp.tanh(gamma * dot + coef0) ** 2) * alpha[None, :]
        return weights @ X_train
    # rbf: ∂k = −2γ k (x* − x_m), so Σ_m α_m ∂k = −2γ (x* Σ_m α_m k_m − Σ_m α_m k_m x_m)
    K = _from_inner_products("rbf", 1, gamma, coef0, dot, jnp.sum(X**2, 1), jnp.sum(X_train**2, 1))
    weights = K * alpha[None, :]
    return -2 * gamma * (X * weights.sum(axis=1, keepdims=True) - weights @ X_train)


def predict_gradient(X_train: ArrayLike, alpha: ArrayLike, X: ArrayLike, kernel: Kernel) -> jax.Array:
    """The gradient of the prediction with respect to the input, ∂f(x*)/∂x* (M*, N) for each
    row of X (M*, N), in closed form (equal to `jax.grad` of `predict`):

        linear      Σ_m α_m x_m
        polynomial  Σ_m α_m d γ (γ x*ᵀx_m + c)^{d−1} x_m
        sigmoid     Σ_m α_m γ (1 − tanh²(γ x*ᵀx_m + c)) x_m
        rbf         −2γ Σ_m α_m k(x*, x_m) (x* − x_m)

    alpha must be (M,) (one output). The Laplacian kernel is not differentiable where x* has a
    coordinate equal to a training sample's, and is refused.
    """
    kernel = check_kernel(kernel)
    if kernel.name == "laplacian":
        raise ValueError("predict_gradient: the laplacian kernel exp(−γ‖x − x'‖₁) has no gradient where a "
                         "coordinate of x equals one of x'; use kernel='rbf'")
    X_train = check_matrix(X_train, "X_train")
    X = check_matrix(X, "X").astype(X_train.dtype)
    alpha = jnp.asarray(alpha, X_train.dtype)
    if alpha.shape != (X_train.shape[0],):
        raise ValueError(f"alpha must be (M,) = ({X_train.shape[0]},), one output, got {alpha.shape}")
    if X.shape[1] != X_train.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the model was fitted on {X_train.shape[1]}")
    dtype = X_train.dtype
    return _gradient(kernel.name, kernel.degree, np.asarray(kernel.gamma, dtype), np.asarray(kernel.coef0, dtype),
                     X_train, alpha, X)


@jax.jit
def _loo_from_eigen(eigenvalues, Q, y, lams):
    """(α (n_λ, M, …), LOO residuals (n_λ, M, …)) for each λ, from K = Q diag(eigenvalues) Qᵀ."""
    M = Q.shape[0]
    projected = Q.T @ y                                               # Qᵀy (M,) or (M, K)

    def one(lam):
        inverse = 1 / (eigenvalues + lam * M)                         # 1/(Λ + λM)
        alpha = Q @ (inverse.reshape(-1, *([1] * (y.ndim - 1))) * projected)
        diagonal = (Q**2) @ inverse                                   # [(K + λMI)⁻¹]_ii
        return alpha, alpha / diagonal.reshape(-1, *([1] * (y.ndim - 1)))

    return jax.lax.map(one, lams)


def loo_residuals(K: ArrayLike, y: ArrayLike, lams: ArrayLike) -> jax.Array:
    """The exact leave-one-out residuals e_i(λ) = α_i / [(K + λMI)⁻¹]_ii (n_λ, M) (or (n_λ, M, K))
    for each λ of lams, from one eigendecomposition of the Gram matrix K (M, M).

    e_i = y_i − f₋ᵢ(x_i), where f₋ᵢ is the model fitted to the other M − 1 samples with the same
    ridge term λM on the diagonal (so `fit` on them with λ' = λM/(M − 1)); equal to those refits.
    The eigenvalues are used as they are: for a kernel that is not positive semi-definite, or
    λ = 0, a λM + Λ_j near zero makes the residuals blow up, as the refits would.
    """
    K = check_matrix(K, "K")
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be a square Gram matrix (M, M), got {K.shape}")
    y = _check_targets(y, K.shape[0], K.dtype, "K")
    lams = jnp.asarray(_check_lams(lams, "lams"), K.dtype)
    eigenvalues, Q = jnp.linalg.eigh(K)
    return _loo_from_eigen(eigenvalues, Q, y, lams)[1]


class LooGrid(NamedTuple):
    """`loo_grid`'s result: the mean squared leave-one-out error of every (γ, λ) pair, and the best."""

    mse: np.ndarray          # (n_γ, n_λ): (1/M) Σ_i e_i² (summed over the outputs of y (M, K))
    gammas: np.ndarray       # (n_γ,)
    lams: np.ndarray         # (n_λ,)
    best_gamma: float
    best_lam: float
    best_mse: float


@partial(jax.jit, static_argnames=("name", "degree"))
def _grid_errors(name, degree, coef0, X, y, gammas, lams):
    """(n_γ, n_λ) mean squared LOO errors: per γ one Gram matrix and one eigendecomposition, every
    λ from it. γ is traced: lax.map runs the γs one after another in one program, so one M × M Gram
    matrix and its eigenvectors are alive at a time."""
    dot, sq = _inner_products(X, X)[:2]

    def per_gamma(gamma):
        if name == "laplacian":
            K = laplacian_rows(gamma, X, X, max(1, min(X.shape[0], (64 << 20) // max(X.size * X.itemsize, 1))))
        else:
            K = _from_inner_products(name, degree, gamma, coef0, dot, sq, sq)
        eigenvalues, Q = jnp.linalg.eigh(K)
        residuals = _loo_from_eigen(eigenvalues, Q, y, lams)[1]
        return jnp.sum(residuals.reshape(lams.shape[0], X.shape[0], -1) ** 2, axis=(1, 2)) / X.shape[0]

    return jax.lax.map(per_gamma, gammas)


def loo_grid(X: ArrayLike, y: ArrayLike, lams: ArrayLike, gammas: ArrayLike, kernel: Kernel) -> LooGrid:
    """Exact leave-one-out errors of kernel ridge regression on a λ × γ grid, in one compiled
    program, and the pair with the smallest.

    X (M, N), y (M,) or (M, K); lams: λ ≥ 0 values; gammas: γ > 0 values, replacing the kernel's γ
    (its name, degree and coef0 stay). Cost: one Gram matrix and one O(M³) eigendecomposition per
    γ, then O(M²) per λ. Ties go to the first pair (smaller index).
    """
    kernel = check_kernel(kernel)
    if kernel.name == "linear":
        raise ValueError("loo_grid: the linear kernel has no γ; use loo_residuals(gram(kernel, X), y, lams)")
    X, y = _check_data(X, y)
    lams = _check_lams(lams, "lams")
    gammas = np.atleast_1d(np.asarray(gammas, dtype=float))
    if gammas.ndim != 1 or gammas.size == 0 or not np.all(np.isfinite(gammas)) or np.any(gammas <= 0):
        raise ValueError(f"gammas must be finite and > 0 (a number or a 1-d list), got {gammas!r}")
    dtype = X.dtype
    mse = np.asarray(_grid_errors(kernel.name, kernel.degree, np.asarray(kernel.coef0, dtype), X, y,
                                  jnp.asarray(gammas, dtype), jnp.asarray(lams, dtype)))
    finite = np.where(np.isfinite(mse), mse, np.inf)
    best_g, best_l = np.unravel_index(np.argmin(finite), mse.shape)
    return LooGrid(mse, gammas, lams, float(gammas[best_g]), float(lams[best_l]), float(mse[best_g, best_l]))
