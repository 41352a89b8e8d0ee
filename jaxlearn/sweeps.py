"""Many models at once: hyperparameter sweeps as one vmapped, jitted computation.

    ridge_path      θ(λ) for a grid of λ from one SVD (the filter factors, vmapped over λ)
    ridge_loo_path  the same, scored by exact leave-one-out cross-validation (no refits)
    logistic_path   binary logistic regression for a grid of λ: Newton's method, vmapped
    softmax_path    softmax regression for a grid of λ: L-BFGS, vmapped
    train_many      MLPs over learning rates and/or seeds (`jaxlearn.mlp_sweep`)
    gradient descent over a grid of η: `jaxlearn.gradient_descent(..., eta=array)`

scikit-learn's C is λ = 1/(C·M) here, its Ridge α is λ = α/M. Each returns one model per
setting and, given validation data, each model's validation score.
"""

import warnings
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._errors import ConvergenceWarning, SingularMatrixError
from jaxlearn._validation import (
    NO_THETA,
    check_bool,
    check_grid,
    check_labels,
    check_lapack_dtype,
    check_linear_model,
    check_matrix,
    check_scalar,
    check_validation_X,
    check_vector,
)
from jaxlearn.logistic import (
    _check_binary,
    _default_tol,
    _lbfgs,
    _mask,
    _newton,
    _softmax_objective,
    _unconverged_advice,
)
from jaxlearn.mlp_sweep import Sweep, train_many
from jaxlearn.train import check_validation_data

__all__ = ["Path", "ridge_path", "ridge_loo_path", "logistic_path", "softmax_path", "Sweep", "train_many"]


class Path(NamedTuple):
    """One coefficient vector per setting (L, N), and the validation score of each (L,) or None."""

    lams: np.ndarray
    thetas: jax.Array
    validation: Any
    score: str            # what `validation` holds: "mse" (lower is better) or "accuracy"

    def best(self) -> int:
        """The index of the setting with the best validation score (NaN scores never win)."""
        if self.validation is None:
            raise ValueError("this path was computed without validation data (give X_val and y_val)")
        scores = np.asarray(self.validation, float)
        if np.isnan(scores).all():
            raise ValueError("no setting has a finite validation score")
        return int(np.nanargmin(scores) if self.score == "mse" else np.nanargmax(scores))


def _validation_pair(X_val, y_val, n_features: int, dtype):
    """(X_val (M_v, N), y_val (M_v,)) in the training dtype, or (None, None)."""
    X_val = check_validation_X(X_val, y_val, n_features, dtype)
    if X_val is None:
        return None, None
    y_val = check_vector(y_val, None, "y_val", like=X_val)
    if y_val.shape[0] != X_val.shape[0]:
        raise ValueError(f"y_val has length {y_val.shape[0]} but X_val has {X_val.shape[0]} rows")
    return X_val, y_val


@partial(jax.jit, static_argnames="penalize_bias")
def _ridge_svd_path(X, y, lams, penalize_bias):
    """θ(λ) for every λ and its leave-one-out mean squared error, from one thin SVD.

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
        loo = jnp.mean((residual / (1 - leverage - U2 @ f)) ** 2)
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


def ridge_path(X, y, lams, X_val=None, y_val=None, *, penalize_bias: bool = True) -> Path:
    """Ridge solutions θ(λ) for every λ of a grid, from one SVD, vmapped over λ.

    θ(λ) minimises (1/2M)‖Xθ − y‖² + λ/2‖θ‖², as `solve(X, y, lam, penalize_bias=...)`.

    Args:
        X: (M, N) design matrix; y: (M,).
        lams: (L,) values λ ≥ 0; λ = 0 needs the penalised columns of full column rank.
        X_val, y_val: optional validation data (both or neither); the score is the mean
            squared error (`Path.best()` picks the λ).
        penalize_bias: False leaves θ₀ (column 0, the column of ones) out of the penalty.

    Returns:
        `Path` with thetas (L, N) and validation MSE (L,) or None.

    Raises:
        SingularMatrixError: λ = 0 is on the grid but its θ is not unique.
    """
    X, lams, thetas, _ = _ridge(X, y, lams, penalize_bias)
    X_val, y_val = _validation_pair(X_val, y_val, X.shape[1], X.dtype)
    validation = None if X_val is None else jnp.mean((X_val @ thetas.T - y_val[:, None]) ** 2, axis=0)
    return Path(lams, thetas, validation, "mse")


def ridge_loo_path(X, y, lams, *, penalize_bias: bool = True) -> Path:
    """`ridge_path` scored by leave-one-out cross-validation, exactly and without refits.

    For every λ: the mean over m of (y_m − ŷ_{−m})², where ŷ_{−m} is the prediction for
    sample m of the model fitted without it, (1/M) Σ (r_m / (1 − h_mm))² with the hat
    matrix H = X (XᵀX + λM I)⁻¹ Xᵀ (θ₀ unpenalised: its column's projection added).
    This is scikit-learn's RidgeCV default (α = λM). Arguments as `ridge_path`.

    Returns:
        `Path` with thetas (L, N) fitted on all of X and the leave-one-out MSE (L,).
    """
    _, lams, thetas, loo = _ridge(X, y, lams, penalize_bias)
    return Path(lams, thetas, loo, "mse")


@partial(jax.jit, static_argnames="max_iter")
def _newton_path(X, y, lams, d, tol, max_iter):
    theta0 = jnp.zeros(X.shape[1], X.dtype)
    return jax.vmap(lambda lam: _newton(theta0, (X, y, lam, d), tol, max_iter))(lams)


@partial(jax.jit, static_argnames="max_iter")
def _lbfgs_path(X, Xt, Y, lams, d, tol, max_iter):
    Theta0 = jnp.zeros((X.shape[1], Y.shape[1]), X.dtype)
    return jax.vmap(lambda lam: _lbfgs(_softmax_objective, Theta0, (X, Xt, Y, lam, d), tol, max_iter))(lams)


def logistic_path(X, y, lams, X_val=None, y_val=None, *, penalize_bias: bool = True, tol=None,
                  max_iter: int = 100) -> Path:
    """Binary logistic regression for every λ of a grid: Newton's method, all λ in one vmapped loop.

    θ(λ) minimises −(1/M) Σ [y ln σ(xᵀθ) + (1 − y) ln(1 − σ(xᵀθ))] + λ/2‖θ‖² (eqs. 32–34).
    For scikit-learn's C, use λ = 1/(C·M).

    Args:
        X: (M, N) with a column of ones for a bias; y: (M,) in {0, 1}.
        lams: (L,) values λ > 0 (λ = 0 has no finite minimiser on separable data).
        X_val, y_val: optional validation data (both or neither, y_val in {0, 1}); the score
            is the accuracy (`Path.best()` picks the λ).
        penalize_bias: include θ₀ (column 0) in the penalty.
        tol, max_iter: Newton stops when ‖∇L‖_∞ ≤ tol (default 1e-6 in float64, 1e-4 in
            float32); a λ that reaches max_iter first is named in a `ConvergenceWarning`.

    Returns:
        `Path` with thetas (L, N) and validation accuracy (L,) or None.
    """
    _, X, y, _ = _check_binary(NO_THETA, X, y, 0.0)
    check_lapack_dtype(X, needs="the fits need")
    if len(np.unique(np.asarray(y))) < 2:
        raise ValueError("y holds a single class; logistic regression needs both 0 and 1")
    lams = check_grid(lams, "lams", strictly_positive=True)
    tol = _default_tol(tol, X.dtype)
    check_scalar(tol, "tol", minimum=0)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    X_val, y_val = _validation_pair(X_val, y_val, X.shape[1], X.dtype)
    if y_val is not None:
        _check_binary(NO_THETA, X_val, y_val, 0.0)
    d = _mask(X.shape[1], X.dtype, penalize_bias)
    thetas, n_iters, grad_norms = _newton_path(X, y, jnp.asarray(lams, X.dtype), d, tol, max_iter)
    _warn_unconverged("logistic_path: Newton", lams, n_iters, grad_norms, tol, max_iter, X.dtype)
    validation = None if X_val is None else jnp.mean(((X_val @ thetas.T) >= 0) == (y_val[:, None] > 0.5), axis=0)
    return Path(lams, thetas, validation, "accuracy")


def softmax_path(X, labels, lams, X_val=None, y_val=None, *, n_classes: int | None = None,
                 penalize_bias: bool = True, tol=None, max_iter: int = 500) -> Path:
    """Softmax regression for every λ of a grid: L-BFGS, all λ in one vmapped loop.

    Θ(λ) (N, K) minimises −(1/M) Σ_m y_mᵀ ln softmax(Θᵀx_m) + λ/2‖Θ‖², as
    `jaxlearn.logistic.fit_softmax`. For scikit-learn's C, use λ = 1/(C·M).

    Args:
        X: (M, N) with a column of ones for a bias; labels: (M,) integers 0 … K−1.
        lams: (L,) values λ > 0.
        X_val, y_val: optional validation data (both or neither); the score is the accuracy.
        n_classes: K (default max label + 1); penalize_bias: include row 0 of Θ in the penalty.
        tol, max_iter: as `fit_softmax`; a λ that reaches max_iter first is named in a
            `ConvergenceWarning`.

    Returns:
        `Path` with thetas (L, N, K) and validation accuracy (L,) or None.
    """
    X = check_matrix(X)
    labels, K = check_labels(labels, X.shape[0], "labels", n_classes=n_classes)
    if len(np.unique(labels)) < 2:
        raise ValueError("labels hold fewer than two classes")
    lams = check_grid(lams, "lams", strictly_positive=True)
    tol = _default_tol(tol, X.dtype)
    check_scalar(tol, "tol", minimum=0)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    X_val, y_val = check_validation_data(X_val, y_val, X.shape[1], K, X.dtype)
    Y, d = jax.nn.one_hot(labels, K, dtype=X.dtype), _mask((X.shape[1], K), X.dtype, penalize_bias)
    thetas, n_iters, grad_norms = _lbfgs_path(X, X.T, Y, jnp.asarray(lams, X.dtype), d, tol, max_iter)
    _warn_unconverged("softmax_path: L-BFGS", lams, n_iters, grad_norms, tol, max_iter, X.dtype)
    validation = None
    if X_val is not None:
        predicted = jnp.argmax(jnp.einsum("mn,lnk->lmk", X_val, thetas), axis=2)
        validation = jnp.mean(predicted == y_val[None, :].astype(predicted.dtype), axis=1)
    return Path(lams, thetas, validation, "accuracy")


def _warn_unconverged(what: str, lams, n_iters, grad_norms, tol, max_iter, dtype) -> None:
    n_iters, unconverged = np.asarray(n_iters), ~(np.asarray(grad_norms) <= tol)
    for hit_limit in (True, False):
        which = unconverged & ((n_iters >= max_iter) == hit_limit)
        if which.any():
            warnings.warn(f"{what} stopped {f'after {max_iter} iterations ' if hit_limit else ''}before "
                          f"‖∇L‖_∞ ≤ {tol:g} for λ = {lams[which].tolist()}; "
                          f"{_unconverged_advice(max_iter if hit_limit else 0, max_iter, dtype)}",
                          ConvergenceWarning, stacklevel=3)
