"""Logistic and softmax regression for a whole grid of λ, all λ in one vmapped solver loop.
scikit-learn's C is λ = 1/(C·M) here."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import losses
from jaxlearn._validation import (
    NO_THETA,
    check_every_class_present,
    check_grid,
    check_labels,
    check_lapack_dtype,
    check_matrix,
    check_scalar,
    check_validation_data,
)
from jaxlearn.buckets import pad_problem
from jaxlearn.logistic.fitting import newton_solve, padded_parameters, softmax_lbfgs_solve
from jaxlearn.logistic.model import check_binary_problem
from jaxlearn.optim import default_tol
from jaxlearn.sweeps.path import RegularizationPath, validation_pair, warn_unconverged


@partial(jax.jit, static_argnames="max_iter")
def _newton_path(X, y, lams, d, tol, max_iter, weights):
    return jax.vmap(lambda lam: newton_solve(X, y, lam, d, tol, max_iter, weights))(lams)


@partial(jax.jit, static_argnames="max_iter")
def _lbfgs_path(X, Xt, Y, lams, d, tol, max_iter, weights):
    return jax.vmap(lambda lam: softmax_lbfgs_solve(X, Xt, Y, lam, d, tol, max_iter, weights))(lams)


def newton_path(X, y, lams, d, tol, max_iter):
    """θ (L, N), iterations (L,) and ‖∇L‖_∞ (L,) of binary logistic regression for every λ, on
    the bucket-padded problem (`jaxlearn.buckets.pad_problem`: one program for many shapes)."""
    X_padded, y_padded, weights = pad_problem(X, y)
    d, _ = padded_parameters(d, np.zeros(X.shape[1], X.dtype), X_padded.shape[1])
    thetas, n_iters, grad_norms = _newton_path(X_padded, y_padded, np.asarray(lams, X.dtype), d,
                                               np.asarray(tol, X.dtype), max_iter, weights)
    return np.asarray(thetas)[:, :X.shape[1]], np.asarray(n_iters), np.asarray(grad_norms)


def lbfgs_path(X, Y, lams, d, tol, max_iter):
    """Θ (L, N, K), iterations and ‖∇L‖_∞ of softmax regression (one-hot Y (M, K)) for every λ,
    on the bucket-padded problem, as `newton_path`."""
    X_padded, Y_padded, weights = pad_problem(X, Y)
    d, _ = padded_parameters(d, np.zeros(d.shape, X.dtype), X_padded.shape[1])
    thetas, n_iters, grad_norms = _lbfgs_path(X_padded, np.ascontiguousarray(X_padded.T), Y_padded,
                                              np.asarray(lams, X.dtype), d, np.asarray(tol, X.dtype), max_iter,
                                              weights)
    return np.asarray(thetas)[:, :X.shape[1]], np.asarray(n_iters), np.asarray(grad_norms)


def logistic_path(X: ArrayLike, y: ArrayLike, lams: ArrayLike, X_val: ArrayLike | None = None,
                  y_val: ArrayLike | None = None, *, penalize_bias: bool = True, tol=None,
                  max_iter: int = 100) -> RegularizationPath:
    """Binary logistic regression for every λ of a grid: Newton's method, all λ in one vmapped loop.

    θ(λ) minimises −(1/M) Σ [y ln σ(xᵀθ) + (1 − y) ln(1 − σ(xᵀθ))] + λ/2‖θ‖² (eqs. 32–34).
    For scikit-learn's C, use λ = 1/(C·M).

    Args:
        X: (M, N) with a column of ones for a bias; y: (M,) in {0, 1}.
        lams: (L,) values λ > 0 (λ = 0 has no finite minimiser on separable data).
        X_val, y_val: optional validation data (both or neither, y_val in {0, 1}); the score
            is the accuracy (`RegularizationPath.best()` picks the λ).
        penalize_bias: include θ₀ (column 0) in the penalty.
        tol, max_iter: Newton stops when ‖∇L‖_∞ ≤ tol (default 1e-6 in float64, 1e-4 in
            float32); a λ that reaches max_iter first is named in a `ConvergenceWarning`.

    Returns:
        `RegularizationPath` with thetas (L, N) and validation accuracy (L,) or None.
    """
    _, X, y, _ = check_binary_problem(NO_THETA, X, y, 0.0)
    check_lapack_dtype(X, needs="the fits need")
    if len(np.unique(np.asarray(y))) < 2:
        raise ValueError("y holds a single class; logistic regression needs both 0 and 1")
    lams = check_grid(lams, "lams", strictly_positive=True)
    tol = default_tol(tol, X.dtype)
    check_scalar(tol, "tol", minimum=0)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    X_val, y_val = validation_pair(X_val, y_val, X.shape[1], X.dtype)
    if y_val is not None:
        check_binary_problem(NO_THETA, X_val, y_val, 0.0)
    d = losses.penalty_mask(X.shape[1], X.dtype, penalize_bias)
    thetas, n_iters, grad_norms = newton_path(np.asarray(X), np.asarray(y), lams, d, tol, max_iter)
    thetas = jax.device_put(thetas)
    warn_unconverged("logistic_path: Newton", lams, n_iters, grad_norms, tol, max_iter, X.dtype)
    validation = None if X_val is None else jnp.mean(((X_val @ thetas.T) >= 0) == (y_val[:, None] > 0.5), axis=0)
    return RegularizationPath(lams, thetas, validation, "accuracy")


def softmax_path(X: ArrayLike, labels: ArrayLike, lams: ArrayLike, X_val: ArrayLike | None = None,
                 y_val: ArrayLike | None = None, *, n_classes: int | None = None,
                 penalize_bias: bool = True, tol=None, max_iter: int = 500) -> RegularizationPath:
    """Softmax regression for every λ of a grid: L-BFGS, all λ in one vmapped loop.

    Θ(λ) (N, K) minimises −(1/M) Σ_m y_mᵀ ln softmax(Θᵀx_m) + λ/2‖Θ‖², as
    `jaxlearn.logistic.fit_softmax`. For scikit-learn's C, use λ = 1/(C·M).

    Args:
        X: (M, N) with a column of ones for a bias; labels: (M,) integers 0 … K−1, every class present
            unless n_classes is given.
        lams: (L,) values λ > 0.
        X_val, y_val: optional validation data (both or neither); the score is the accuracy.
        n_classes: K (default max label + 1); penalize_bias: include row 0 of Θ in the penalty.
        tol, max_iter: as `fit_softmax`; a λ that reaches max_iter first is named in a
            `ConvergenceWarning`.

    Returns:
        `RegularizationPath` with thetas (L, N, K) and validation accuracy (L,) or None.
    """
    X = check_matrix(X)
    labels, K = check_labels(labels, X.shape[0], "labels", n_classes=n_classes)
    if n_classes is None:
        check_every_class_present(labels, K, "labels")
    if len(np.unique(labels)) < 2:
        raise ValueError("labels hold fewer than two classes")
    lams = check_grid(lams, "lams", strictly_positive=True)
    tol = default_tol(tol, X.dtype)
    check_scalar(tol, "tol", minimum=0)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    X_val, y_val = check_validation_data(X_val, y_val, X.shape[1], K, X.dtype)
    Y = np.eye(K, dtype=X.dtype)[np.asarray(labels)]      # one-hot rows, on the host (no program per shape)
    d = losses.penalty_mask((X.shape[1], K), X.dtype, penalize_bias)
    thetas, n_iters, grad_norms = lbfgs_path(np.asarray(X), Y, lams, d, tol, max_iter)
    thetas = jax.device_put(thetas)
    warn_unconverged("softmax_path: L-BFGS", lams, n_iters, grad_norms, tol, max_iter, X.dtype)
    validation = None
    if X_val is not None:
        predicted = jnp.argmax(jnp.einsum("mn,lnk->lmk", X_val, thetas), axis=2)
        validation = jnp.mean(predicted == y_val[None, :].astype(predicted.dtype), axis=1)
    return RegularizationPath(lams, thetas, validation, "accuracy")
