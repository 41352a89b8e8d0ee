"""Many models at once: hyperparameter sweeps as one vmapped, jitted computation.

    ridge_path      θ(λ) for a grid of λ from one QR and one small SVD (filter factors, vmapped)
    logistic_path   binary logistic regression for a grid of λ: Newton's method, vmapped
    train_many      MLPs over learning rates and/or seeds (`jaxlearn.mlp_sweep`)
    gradient descent over a grid of η: `jaxlearn.gradient_descent(..., eta=array)`

scikit-learn's C is λ = 1/(C·M) here, its Ridge α is λ = α/M. Each returns one model per
setting and, given validation data, each model's validation score.
"""

import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._errors import ConvergenceWarning, SingularMatrixError
from jaxlearn._validation import check_linear_model, check_matrix, check_scalar, check_vector
from jaxlearn.logistic import _check_binary, _default_tol, _newton
from jaxlearn.lstsq import _r_and_qty
from jaxlearn.mlp_sweep import Sweep, train_many

__all__ = ["Path", "ridge_path", "logistic_path", "Sweep", "train_many"]


class Path(NamedTuple):
    """One coefficient vector per setting (L, N), and the validation score of each (L,) or None."""

    lams: np.ndarray
    thetas: jax.Array
    validation: Any
    score: str            # what `validation` holds: "mse" (lower is better) or "accuracy"

    def best(self) -> int:
        """The index of the setting with the best validation score."""
        if self.validation is None:
            raise ValueError("this path was computed without validation data (give X_val and y_val)")
        scores = np.asarray(self.validation, float)
        return int(np.argmin(scores) if self.score == "mse" else np.argmax(scores))


def _check_grid(values, name: str, *, strictly_positive: bool = False) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    relation = "> 0" if strictly_positive else "≥ 0"
    if (values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values))
            or np.any(values <= 0 if strictly_positive else values < 0)):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite values {relation}, got {values}")
    return values


def _validation_pair(X_val, y_val, n_features: int, dtype):
    """(X_val (M_v, N), y_val (M_v,)) in the training dtype, or (None, None)."""
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    if X_val is None:
        return None, None
    X_val = check_matrix(X_val, "X_val").astype(dtype)
    if X_val.shape[1] != n_features:
        raise ValueError(f"X_val has {X_val.shape[1]} features but X has {n_features}")
    y_val = check_vector(y_val, None, "y_val", like=X_val)
    if y_val.shape[0] != X_val.shape[0]:
        raise ValueError(f"y_val has length {y_val.shape[0]} but X_val has {X_val.shape[0]} rows")
    return X_val, y_val


@jax.jit
def _ridge_thetas(X, y, lams):
    R, c = _r_and_qty(X, y, jnp.zeros((), X.dtype), jnp.ones(X.shape[1], X.dtype), False)
    U, s, Vt = jnp.linalg.svd(R, full_matrices=False)
    Uc = U.T @ c

    def theta(lam):  # θ(λ) = V diag(s / (s² + λM)) Uᵀ Qᵀy  (eq. 22 through the SVD)
        return Vt.T @ (s / (s**2 + lam * X.shape[0]) * Uc)

    return jax.vmap(theta)(lams.astype(X.dtype)), s


def ridge_path(X, y, lams, X_val=None, y_val=None) -> Path:
    """Ridge solutions θ(λ) for every λ of a grid, from one QR and one small SVD.

    θ(λ) minimises (1/2M)‖Xθ − y‖² + λ/2‖θ‖² (every coefficient penalised, as `solve(X, y, lam)`).

    Args:
        X: (M, N) design matrix with M ≥ N; y: (M,).
        lams: (L,) values λ ≥ 0; λ = 0 needs X of full column rank.
        X_val, y_val: optional validation data (both or neither); the score is the mean
            squared error (`Path.best()` picks the λ).

    Returns:
        `Path` with thetas (L, N) and validation MSE (L,) or None.

    Raises:
        SingularMatrixError: λ = 0 is on the grid but X is rank-deficient.
    """
    _, X, y, _ = check_linear_model(None, X, y, 0.0)
    if X.shape[0] < X.shape[1]:
        raise ValueError(f"ridge_path needs M ≥ N, got X of shape {X.shape}")
    lams = _check_grid(lams, "lams")
    X_val, y_val = _validation_pair(X_val, y_val, X.shape[1], X.dtype)
    thetas, s = _ridge_thetas(X, y, jnp.asarray(lams))
    s = np.asarray(s)
    rank = int(np.sum(s > s[0] * np.finfo(s.dtype).eps * max(X.shape)))
    if np.any(lams == 0) and rank < X.shape[1]:
        raise SingularMatrixError(
            f"lams holds λ = 0, but X has numerical rank {rank} < {X.shape[1]} columns, so θ(0) is not "
            f"unique (and would be garbage); use λ > 0 only, or solve(X, y, method='svd') for the "
            f"minimum-norm solution")
    validation = None if X_val is None else jnp.mean((X_val @ thetas.T - y_val[:, None]) ** 2, axis=0)
    return Path(lams, thetas, validation, "mse")


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
    _, X, y, _ = _check_binary(None, X, y, 0.0)
    if len(np.unique(np.asarray(y))) < 2:
        raise ValueError("y holds a single class; logistic regression needs both 0 and 1")
    lams = _check_grid(lams, "lams", strictly_positive=True)
    tol = _default_tol(tol, X.dtype)
    check_scalar(tol, "tol", minimum=0)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    X_val, y_val = _validation_pair(X_val, y_val, X.shape[1], X.dtype)
    if y_val is not None:
        _check_binary(None, X_val, y_val, 0.0)
    d = jnp.ones(X.shape[1], X.dtype) if penalize_bias else jnp.ones(X.shape[1], X.dtype).at[0].set(0)
    theta0 = jnp.zeros(X.shape[1], X.dtype)
    solve_all = jax.jit(jax.vmap(lambda lam: _newton(theta0, (X, y, lam, d), tol, max_iter)))
    thetas, _, grad_norms = solve_all(jnp.asarray(lams, X.dtype))
    stalled = ~(np.asarray(grad_norms) <= tol)
    if stalled.any():
        warnings.warn(f"logistic_path: Newton stopped after {max_iter} iterations before ‖∇L‖_∞ ≤ {tol:g} "
                      f"for λ = {lams[stalled].tolist()}; raise max_iter or scale the features",
                      ConvergenceWarning, stacklevel=2)
    validation = None if X_val is None else jnp.mean(((X_val @ thetas.T) >= 0) == (y_val[:, None] > 0.5), axis=0)
    return Path(lams, thetas, validation, "accuracy")
