"""Ridge regression for a whole grid of λ from one SVD, scored on validation data or by exact
leave-one-out cross-validation (no refits). scikit-learn's Ridge α is λ = α/M here."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import NO_THETA, check_bool, check_grid, check_lapack_dtype, check_linear_model
from jaxlearn.sweeps.path import RegularizationPath, validation_pair


@partial(jax.jit, static_argnames="penalize_bias")
def _ridge_svd_path(X, y, lams, penalize_bias):
    """θ(λ) for every λ and its leave-one-out residuals (L, M), from one thin SVD.

    An unpenalised θ₀ is handled by partialling column 0 out of the other columns and y
    (Frisch–Waugh): the ridge problem on the rest is then unconstrained in θ₀'s direction.
    Leave-one-out residuals need no refits: e_i = r_i / (1 − h_ii), with h_ii the diagonal of
    the hat matrix x̂₀x̂₀ᵀ + U diag(f) Uᵀ, f the ridge filter factors.
    """
    M = X.shape[0]
    if penalize_bias:
        X_rest, y_rest, leverage = X, y, jnp.zeros(M, X.dtype)
    else:
        x0 = X[:, 0] / jnp.linalg.norm(X[:, 0])
        X_rest = X[:, 1:] - jnp.outer(x0, x0 @ X[:, 1:])
        y_rest = y - x0 * (x0 @ y)
        leverage = x0**2
    U, s, Vt = jnp.linalg.svd(X_rest, full_matrices=False)
    Uy, U2 = U.T @ y_rest, U**2

    def one(lam):
        denominator = s**2 + lam * M
        w = Vt.T @ (s / denominator * Uy)           # V diag(s / (s² + λM)) Uᵀy  (eq. 22 via the SVD)
        f = s**2 / denominator                      # filter factors
        residual = y_rest - U @ (f * Uy)
        loo = residual / (1 - leverage - U2 @ f)      # e_m = y_m − ŷ_{−m}
        if penalize_bias:
            return w, loo
        theta0 = X[:, 0] @ (y - X[:, 1:] @ w) / (X[:, 0] @ X[:, 0])
        return jnp.concatenate([theta0[None], w]), loo

    thetas, loo = jax.vmap(one)(lams.astype(X.dtype))
    return thetas, loo, s


def _ridge(X, y, lams, penalize_bias):
    """Checked inputs and the SVD path; refuses λ = 0 when that θ is not unique."""
    _, X, y, _ = check_linear_model(NO_THETA, X, y, 0.0)
    check_lapack_dtype(X)
    lams = check_grid(lams, "lams")
    if not check_bool(penalize_bias, "penalize_bias") and X.shape[1] < 2:
        raise ValueError("penalize_bias=False needs X with a bias column 0 and at least one more column")
    if not penalize_bias and not bool(jnp.any(X[:, 0] != 0)):
        raise ValueError("penalize_bias=False treats column 0 of X as the bias column, but X[:, 0] is all zero; "
                         "make it a column of ones (jaxlearn.vandermonde and polynomial_features do), or use "
                         "penalize_bias=True")
    thetas, loo, s = _ridge_svd_path(X, y, jnp.asarray(lams), penalize_bias)
    s, n_penalized = np.asarray(s), X.shape[1] - (0 if penalize_bias else 1)
    rank = int(np.sum(s > s[0] * np.finfo(s.dtype).eps * max(X.shape))) if s[0] > 0 else 0
    if np.any(lams == 0) and rank < n_penalized:
        raise SingularMatrixError(
            f"lams holds λ = 0, but the {n_penalized} penalised columns of X have numerical rank {rank}, so "
            f"θ(0) is not unique (and would be garbage); use λ > 0 only, or solve(X, y, method='svd') "
            f"for the minimum-norm solution")
    return X, lams, thetas, loo


def ridge_path(X: ArrayLike, y: ArrayLike, lams: ArrayLike, X_val: ArrayLike | None = None,
               y_val: ArrayLike | None = None, *, penalize_bias: bool = True) -> RegularizationPath:
    """Ridge solutions θ(λ) for every λ of a grid, from one SVD, vmapped over λ.

    θ(λ) minimises (1/2M)‖Xθ − y‖² + λ/2‖θ‖², as `solve(X, y, lam, penalize_bias=...)`.

    Args:
        X: (M, N) design matrix; y: (M,).
        lams: (L,) values λ ≥ 0; λ = 0 needs the penalised columns of full column rank.
        X_val, y_val: optional validation data (both or neither); the score is the mean
            squared error (`RegularizationPath.best()` picks the λ).
        penalize_bias: False leaves θ₀ (column 0, the column of ones) out of the penalty.

    Returns:
        `RegularizationPath` with thetas (L, N) and validation MSE (L,) or None.

    Raises:
        SingularMatrixError: λ = 0 is on the grid but its θ is not unique.
    """
    X, lams, thetas, _ = _ridge(X, y, lams, penalize_bias)
    X_val, y_val = validation_pair(X_val, y_val, X.shape[1], X.dtype)
    validation = None if X_val is None else jnp.mean((X_val @ thetas.T - y_val[:, None]) ** 2, axis=0)
    return RegularizationPath(lams, thetas, validation, "mse")


def ridge_loo_path(X: ArrayLike, y: ArrayLike, lams: ArrayLike, *, penalize_bias: bool = True) -> RegularizationPath:
    """`ridge_path` scored by leave-one-out cross-validation, exactly and without refits.

    For every λ: the mean over m of (y_m − ŷ_{−m})², where ŷ_{−m} is the prediction for
    sample m of the model fitted without it, (1/M) Σ (r_m / (1 − h_mm))² with the hat
    matrix H = X (XᵀX + λM I)⁻¹ Xᵀ (θ₀ unpenalised: its column's projection added).
    This is scikit-learn's RidgeCV default (α = λM). Arguments as `ridge_path`.

    Returns:
        `RegularizationPath` with thetas (L, N) fitted on all of X and the leave-one-out MSE (L,).
    """
    _, lams, thetas, residuals = _ridge(X, y, lams, penalize_bias)
    mse = np.mean(np.asarray(residuals) ** 2, axis=1)         # on the host: no program per shape
    return RegularizationPath(lams, thetas, jax.device_put(mse), "mse")


def ridge_loo_residuals(X: ArrayLike, y: ArrayLike, lams: ArrayLike, *, penalize_bias: bool = True):
    """The leave-one-out residuals e_m = y_m − ŷ_{−m} (L, M) of every λ, and θ(λ) (L, N) fitted on
    all of X, as `ridge_loo_path` computes them (from one SVD, no refits): for any score of the
    leave-one-out predictions y − e (scikit-learn's RidgeCV scoring, cv_results_)."""
    _, _, thetas, residuals = _ridge(X, y, lams, penalize_bias)
    return residuals, thetas
