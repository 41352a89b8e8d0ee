"""Fitting logistic and softmax regression: the objectives of `jaxlearn.logistic.model`
minimised by the solvers of `jaxlearn.optim` (Newton, L-BFGS, gradient descent, and FISTA for
an L1 or elastic-net penalty).

Every method stops on the same criterion, ‖∇L‖_∞ ≤ tol at the returned θ (with an L1 part:
the proximal gradient map's ‖G‖_∞, `jaxlearn.optim.proximal`), and reports it in a
`FitResult` (θ, iterations, that norm, converged).
"""

import warnings
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import losses
from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import (
    NO_THETA,
    check_every_class_present,
    check_fit_matrix,
    check_labels,
    check_matrix,
    check_option,
    check_sample_weight,
    check_scalar,
)
from jaxlearn.buckets import pad_problem
from jaxlearn.logistic.model import BINARY, SOFTMAX, binary_hessian, check_binary_problem, check_multiclass_problem
from jaxlearn.optim import FitResult, default_tol, finish, gradient_descent_to_tol, lbfgs, newton
from jaxlearn.optim.gradient_descent import largest_gram_eigenvalue
from jaxlearn.optim.proximal import diagonal_curvature, proximal_gradient

FIT_METHODS = ("newton", "lbfgs", "gd", "fista")


def check_fit_options(method: str, tol: float, max_iter: int) -> int:
    """Validate the solver options; returns max_iter as an int."""
    check_option(method, "method", FIT_METHODS)
    check_scalar(tol, "tol", minimum=0)
    return check_scalar(max_iter, "max_iter", minimum=1, integer=True)


def check_l1_ratio(l1_ratio, method: str | None, smooth_default: str) -> tuple[float, str]:
    """ρ in [0, 1] and the method: FISTA when ρ > 0 (the 1-norm is not differentiable, so Newton,
    L-BFGS and gradient descent do not apply), else `smooth_default`."""
    l1_ratio = check_scalar(l1_ratio, "l1_ratio", minimum=0, maximum=1)
    if method is None:
        return l1_ratio, "fista" if l1_ratio > 0 else smooth_default
    if l1_ratio > 0 and method != "fista":
        raise ValueError(f"l1_ratio = {l1_ratio:g} > 0 adds an L1 penalty, which method={method!r} cannot minimise "
                         "(the 1-norm has no gradient at 0); use method='fista' (or leave method unset)")
    return l1_ratio, method


def _check_start_theta(theta0, shape, dtype):
    """A warm start θ₀ of θ's shape, or zeros."""
    if theta0 is None:
        return jnp.zeros(shape, dtype)
    theta0 = np.asarray(theta0, dtype)
    if theta0.shape != tuple(shape):
        raise ValueError(f"theta0 must have θ's shape {tuple(shape)}, got {theta0.shape}")
    if not np.all(np.isfinite(theta0)):
        raise ValueError("theta0 holds NaN or inf; start from finite parameters")
    return jnp.asarray(theta0)


def _fista(objective, theta0, data, lam, l1_ratio, d, factor, tol, max_iter):
    """FISTA on objective with the L2 part λ(1 − ρ) inside `data` and the L1 part λρ d outside, in
    the metric D_i = Σ_m s_m x_mi² / factor + λ(1 − ρ) d_i: each coordinate's curvature bound
    (the sample weights s of `data` hold the 1/M), so that the features' scales do not matter."""
    X, weights = np.asarray(data[0]), np.asarray(data[-1])
    metric = diagonal_curvature(X, weights, factor)
    metric = metric if np.ndim(d) == 1 else metric[:, None] * np.ones_like(d)
    metric = metric + float(lam) * (1 - l1_ratio) * np.asarray(d)
    metric = np.maximum(metric, 1e-12 * max(float(metric.max()), 1e-300))     # an all-zero column
    l1_weights = np.asarray(lam * l1_ratio, X.dtype) * np.asarray(d)
    return proximal_gradient(objective, theta0, data, l1_weights, metric.astype(X.dtype), tol, max_iter)


def largest_curvature(X, lam, factor: float) -> float:
    """An upper bound of the loss's Lipschitz constant: λ_max(XᵀX/M)/factor + λ (factor 4 for the
    sigmoid, σ' ≤ ¼; 2 for the softmax, whose Hessian is at most ½ XᵀX/M)."""
    return largest_gram_eigenvalue(X) / factor + float(lam)


def newton_solve(X, y, lam, d, tol, max_iter, weights=None, theta0=None):
    """θ of binary logistic regression by Newton's method: (θ, iterations, ‖∇L‖_∞). Jittable,
    vmappable. weights: None (1/M) or sample weights (M,) (0 on padding rows); theta0: the start
    (zeros)."""
    theta0 = jnp.zeros(X.shape[1], X.dtype) if theta0 is None else theta0
    return newton(BINARY.value, BINARY.grad, binary_hessian, theta0, (X, None, y, lam, d, weights), tol, max_iter)


def softmax_lbfgs_solve(X, Xt, Y, lam, d, tol, max_iter, weights=None, Theta0=None):
    """Θ of softmax regression by L-BFGS: (Θ, iterations, ‖∇L‖_∞). Jittable, vmappable; weights
    and the start as `newton_solve`'s."""
    Theta0 = jnp.zeros((X.shape[1], Y.shape[1]), X.dtype) if Theta0 is None else Theta0
    return lbfgs(SOFTMAX.value, Theta0, (X, Xt, Y, lam, d, weights), tol, max_iter)


def _check_sample_weight(sample_weight, n_samples: int, method: str, dtype) -> np.ndarray:
    """The weights s (M,) ≥ 0, finite, not all 0 (ones when None)."""
    if sample_weight is None:
        return np.ones(n_samples, dtype)
    if method == "gd":
        raise ValueError("sample_weight needs method='newton', 'lbfgs' or 'fista' (the lecture's 'gd' takes the "
                         "plain mean)")
    return check_sample_weight(sample_weight, n_samples).astype(dtype)


def _padded(scale: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([scale, np.zeros(size - scale.shape[0], scale.dtype)])


def padded_parameters(d, start, n_padded: int):
    """The penalty mask d and the start θ₀ ((N,) or (N, K)) with rows for the padded features
    (`jaxlearn.buckets.pad_problem`): penalised, starting at 0, so that they stay 0."""
    def rows(a, fill):
        a = np.asarray(a)
        extra = np.full((n_padded - a.shape[0], *a.shape[1:]), fill, a.dtype)
        return np.concatenate([a, extra])
    return rows(d, 1), rows(start, 0)


def unpadded(theta, n_features: int) -> jax.Array:
    """θ without the padded features' rows (always 0), cut on the host: an eager slice would
    compile a program for every (bucket, N) pair."""
    return jax.device_put(np.asarray(theta)[:n_features])


def _warn_if_separable(lam, separated: Callable[[], bool]) -> None:
    """Warn when λ = 0 and separated() (a full pass over X on the host: only then computed)."""
    if float(lam) == 0 and separated():
        warnings.warn("the training data is linearly separable and lam = 0: the loss has no finite "
                      "minimiser (‖θ‖ grows until the gradient falls below tol), so θ depends on tol; "
                      "use lam > 0", ConvergenceWarning, stacklevel=3)


def _gradient_descent(objective, theta0, data, factor, eta, tol, max_iter):
    """The lecture's gradient descent with the hand gradient; η defaults to 1/L (`largest_curvature`)."""
    X, lam = data[0], data[3]
    eta = 1.0 / largest_curvature(X, lam, factor) if eta is None else check_scalar(eta, "eta", minimum=0,
                                                                                    strict=True)
    return gradient_descent_to_tol(objective.value, objective.grad, theta0, data, eta=eta, tol=tol,
                                   max_iter=max_iter)


def fit(X: ArrayLike, y: ArrayLike, lam: float = 0.0, *, l1_ratio: float = 0.0, method: str | None = None,
        penalize_bias: bool = True, tol: float | None = None, max_iter: int = 100, eta: float | None = None,
        sample_weight: ArrayLike | None = None, theta0: ArrayLike | None = None) -> FitResult:
    """Binary logistic regression: θ minimising `binary_cross_entropy`, with an elastic-net
    penalty λ[(1 − ρ)/2 ‖d ∘ θ‖² + ρ ‖d ∘ θ‖₁] (ρ = l1_ratio; ρ = 0 is the lecture's L2).

    Methods: "newton" (the default for ρ = 0; H = (1/M) Xᵀ diag(σ(1 − σ)) X + λI, a few
    iterations), "lbfgs" (optax), "gd" (the lecture's gradient descent with the hand gradient,
    eq. 34; eta defaults to 4 / (λ_max(XᵀX/M) + 4λ), safe since σ' ≤ ¼) and "fista" (the
    default and the only method for ρ > 0: `jaxlearn.optim.proximal_gradient`, which soft-thresholds
    after each gradient step, so coefficients reach exactly 0).

    Args:
        X: (M, N) with a column of ones for a bias; y: (M,) in {0, 1}; lam: λ ≥ 0.
        l1_ratio: ρ in [0, 1]: 1 is the L1 penalty λ‖d ∘ θ‖₁, in between the elastic net.
        method: None (by ρ, as above), "newton", "lbfgs", "gd" or "fista".
        tol: stop when ‖∇L‖_∞ ≤ tol (every method; FISTA: the proximal gradient map's norm);
            default 1e-6 for float64 and 1e-4 for float32 data.
        max_iter: iteration limit; stopping before tol warns (`ConvergenceWarning`).
        sample_weight: (M,) weights s_m ≥ 0: the loss becomes (1/M) Σ_m s_m ℓ_m (+ the penalty);
            scikit-learn's class_weight is s_m = weight of m's class. Not with "gd".
        theta0: (N,) the start (a warm start, e.g. the previous λ's θ on a path); default zeros.

    Returns:
        A `FitResult` with θ (N,).
    """
    _, X, y, lam_arr = check_binary_problem(NO_THETA, X, y, lam)
    check_fit_matrix(X)
    tol = default_tol(tol, X.dtype)
    l1_ratio, method = check_l1_ratio(l1_ratio, method, "newton")
    max_iter = check_fit_options(method, tol, max_iter)
    if len(np.unique(np.asarray(y))) < 2:
        raise ValueError("y holds a single class; logistic regression needs both 0 and 1")
    d = losses.penalty_mask(X.shape[1], X.dtype, penalize_bias)
    scale = _check_sample_weight(sample_weight, X.shape[0], method, X.dtype)
    start = _check_start_theta(theta0, (X.shape[1],), X.dtype)
    if method == "gd":
        theta, n_iter, grad_norm = _gradient_descent(BINARY, start, (X, None, y, lam_arr, d), 4.0, eta, tol, max_iter)
    else:   # newton, lbfgs and fista on the bucket-padded problem, the padded samples weighted 0
        X_padded, y_padded, weights = pad_problem(X, y)
        weights = weights * _padded(scale, weights.shape[0])
        d, start = padded_parameters(d, start, X_padded.shape[1])
        if method == "fista":
            data = (X_padded, None, y_padded, lam_arr * (1 - l1_ratio), d, weights)
            theta, n_iter, grad_norm = _fista(BINARY.value, start, data, lam, l1_ratio, d, 4.0, tol, max_iter)
        elif method == "lbfgs":
            theta, n_iter, grad_norm = lbfgs(BINARY.value, start, (X_padded, None, y_padded, lam_arr, d, weights),
                                             tol, max_iter)
        else:
            theta, n_iter, grad_norm = newton_solve(X_padded, y_padded, lam_arr, d, tol, max_iter, weights, start)
        theta = unpadded(theta, X.shape[1])
    _warn_if_separable(lam, lambda: bool(np.all((np.asarray(X) @ np.asarray(theta) > 0) == (np.asarray(y) > 0.5))))
    return finish(theta, n_iter, grad_norm, tol, max_iter, f"logistic regression ({method})")


def fit_softmax(X: ArrayLike, labels: ArrayLike, lam: float = 0.0, *, l1_ratio: float = 0.0,
                n_classes: int | None = None, method: str | None = None, penalize_bias: bool = True,
                tol: float | None = None, max_iter: int = 500, eta: float | None = None,
                sample_weight: ArrayLike | None = None, theta0: ArrayLike | None = None) -> FitResult:
    """Softmax regression: Θ (N, K) minimising `softmax_cross_entropy`, with the elastic-net
    penalty of `fit` (element-wise on Θ).

    Args:
        X: (M, N); labels: (M,) integers 0 … K−1 (at least two classes present).
        lam: λ ≥ 0; l1_ratio: ρ in [0, 1] as in `fit`; n_classes: K (default max label + 1).
        method: None (by ρ: "lbfgs" for ρ = 0, else "fista"), "lbfgs" (optax), "gd" (gradient
            descent with the hand gradient; eta defaults to 2 / (λ_max(XᵀX/M) + 2λ)) or "fista".
        tol, max_iter, sample_weight: as in `fit` (sample_weight not with "gd").
        theta0: (N, K) the start; default zeros.

    Returns:
        A `FitResult` with Θ (N, K).
    """
    X = check_matrix(X)
    check_fit_matrix(X)
    tol = default_tol(tol, X.dtype)
    l1_ratio, method = check_l1_ratio(l1_ratio, method, "lbfgs")
    max_iter = check_fit_options(method, tol, max_iter)
    if method == "newton":
        raise ValueError("method='newton' is for binary logistic regression; use 'lbfgs', 'gd' or 'fista'")
    labels, K = check_labels(labels, X.shape[0], "labels", n_classes=n_classes)
    if n_classes is None:
        check_every_class_present(labels, K, "labels")
    if len(np.unique(labels)) < 2:
        raise ValueError("labels hold fewer than two classes")
    Y = np.eye(K, dtype=X.dtype)[labels]     # one-hot rows, on the host (no program per shape)
    _, X, Y, lam_arr = check_multiclass_problem(NO_THETA, X, Y, lam)
    d = losses.penalty_mask((X.shape[1], K), X.dtype, penalize_bias)
    scale = _check_sample_weight(sample_weight, X.shape[0], method, X.dtype)
    start = _check_start_theta(theta0, (X.shape[1], K), X.dtype)
    if method == "gd":
        Theta, n_iter, grad_norm = _gradient_descent(SOFTMAX, start, (X, X.T, Y, lam_arr, d), 2.0, eta, tol, max_iter)
    else:   # L-BFGS or FISTA on the bucket-padded problem, the padded samples weighted 0
        X_padded, Y_padded, weights = pad_problem(X, Y)
        weights = weights * _padded(scale, weights.shape[0])
        d, start = padded_parameters(d, start, X_padded.shape[1])
        Xt = np.ascontiguousarray(X_padded.T)   # a contiguous (N, M) copy for the fast gradient (objectives)
        if method == "fista":
            data = (X_padded, Xt, Y_padded, lam_arr * (1 - l1_ratio), d, weights)
            Theta, n_iter, grad_norm = _fista(SOFTMAX.value, start, data, lam, l1_ratio, d, 2.0, tol, max_iter)
        else:
            Theta, n_iter, grad_norm = softmax_lbfgs_solve(X_padded, Xt, Y_padded, lam_arr, d, tol, max_iter,
                                                           weights, start)
        Theta = unpadded(Theta, X.shape[1])
    _warn_if_separable(lam, lambda: bool(np.all(np.argmax(np.asarray(X) @ np.asarray(Theta), axis=1) == labels)))
    return finish(Theta, n_iter, grad_norm, tol, max_iter, f"softmax regression ({method})")
