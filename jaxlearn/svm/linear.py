"""The soft-margin linear SVM in the primal: the hinge loss (eq. 36), minimised by L-BFGS.

    J(w, b) = ½‖w‖² + C · (1/M) Σ_m max(0, 1 − y_m (wᵀx_m + b)),   y ∈ {−1, +1}        (eq. 36)

J is not differentiable at the kink, so the solver minimises the hinge smoothed within μ of it
(`jaxlearn.losses.smoothed_hinge`, within μ/2 of the hinge), for μ shrinking stage by stage,
each stage warm-started from the last: the result approaches the minimiser of J itself. In the
form of `jaxlearn.objectives`, J/C = ℓ(X₁θ) + λ/2‖d∘θ‖² with X₁ = [1, X], θ = (b, w), λ = 1/C and
d = (0, 1, …, 1): the same objective as logistic regression, with another loss.
"""

import warnings
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import losses
from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import (
    as_float_array,
    check_fit_matrix,
    check_matrix,
    check_option,
    check_sample_weight,
    check_scalar,
    check_vector,
)
from jaxlearn.buckets import pad_problem
from jaxlearn.objectives import linear_objective
from jaxlearn.optim import FitResult, default_tol, lbfgs
from jaxlearn.optim.proximal import diagonal_curvature, proximal_gradient

PRIMAL = linear_objective(losses.smoothed_hinge, losses.smoothed_hinge_grad)
# K one-vs-rest problems at once: θ (K, N + 1), y (K, M), the faster layout for them (jaxlearn.objectives)
PRIMAL_MANY = linear_objective(losses.smoothed_hinge, losses.smoothed_hinge_grad, layout="columns")
# scikit-learn's default loss, max(0, 1 − y f)²: smooth, one L-BFGS run (or FISTA for the L1 penalty)
SQUARED = linear_objective(losses.squared_hinge, losses.squared_hinge_grad)
SQUARED_MANY = linear_objective(losses.squared_hinge, losses.squared_hinge_grad, layout="columns")
LOSSES = ("hinge", "squared_hinge")
PENALTIES = ("l2", "l1")
# μ of the stages, each a tenth of the last: down to 1e-3 in float32, whose rounding stalls L-BFGS
# on sharper kinks (the objective is then within C·μ/2 of the hinge's; 0.03 % above the float64
# optimum on digits), 1e-6 in float64.
SMOOTHING = {"float32": (1.0, 0.1, 1e-2, 1e-3), "float64": (1.0, 0.1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)}


class LinearSVM(NamedTuple):
    """The parameters of a linear SVM: f(x) = wᵀx + b. w: (N,) (or (K, N) for K one-vs-rest
    problems); b: scalar (or (K,))."""

    w: jax.Array
    b: jax.Array


def check_pm1(y, n_samples: int, name: str = "y") -> None:
    """y must hold both labels −1 and +1 (checked when concrete)."""
    if isinstance(y, jax.core.Tracer):
        return
    labels = np.unique(np.asarray(y))
    if not np.isin(labels, [-1, 1]).all():
        raise ValueError(f"{name} must hold the labels −1 and +1, found {labels[:5].tolist()}")
    if len(labels) < 2 and n_samples > 0:
        raise ValueError(f"{name} holds a single class ({labels.tolist()}); an SVM needs both −1 and +1")


def _check_hinge_args(w, b, X, y):
    """w (N,), b scalar, X (M, N), y (M,) ±1, real; shapes only under jit (values when concrete)."""
    X = check_matrix(X)                      # NaN/inf checked when concrete, skipped under jit
    y = check_vector(y, X.shape[0], like=X)
    w = check_vector(w, None, "w", like=X)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w has length {w.shape[0]} but X has {X.shape[1]} features")
    b = as_float_array(b, "b").astype(X.dtype)
    if b.ndim != 0:
        raise ValueError(f"b must be a scalar, got shape {b.shape}")
    check_pm1(y, X.shape[0])
    return w, b, X, y


def hinge_objective(w: ArrayLike, b: ArrayLike, X: ArrayLike, y: ArrayLike, C: float) -> jax.Array:
    """J(w, b) = ½‖w‖² + C · (1/M) Σ max(0, 1 − y (Xw + b)) (eq. 36). w: (N,); X: (M, N); y: (M,) ±1."""
    w, b, X, y = _check_hinge_args(w, b, X, y)
    return 0.5 * w @ w + C * losses.hinge(X @ w + b, y)


def hinge_subgradient(w: ArrayLike, b: ArrayLike, X: ArrayLike, y: ArrayLike, C: float) -> tuple[jax.Array, jax.Array]:
    """A subgradient of eq. 36, by hand: (w − (C/M) Σ_{m: y f(x_m) < 1} y_m x_m, −(C/M) Σ_{…} y_m).

    Equals the gradient wherever no sample sits exactly on the margin (y f(x) = 1).
    """
    w, b, X, y = _check_hinge_args(w, b, X, y)
    dz = C * losses.hinge_grad(X @ w + b, y)       # ∂J/∂z, z = Xw + b
    return w + dz @ X, jnp.sum(dz)


@partial(jax.jit, static_argnames=("max_iter",))
def solve_primal(X1, X1t, Y, lam, d, mus, tol, max_iter, weights=None):
    """θ = (b, w) minimising ℓ_μ(X₁θ, Y) + λ/2‖d∘θ‖² for each μ of `mus` in turn, warm-started,
    each stage to ‖∇L‖_∞ ≤ tol. weights: None (the mean over the M samples) or sample weights
    (M,), 0 on rows that only pad to a bucket.

    Y: (M,) ±1 (θ (N + 1,)), or (K, M) for K one-vs-rest problems solved as one (θ (K, N + 1),
    d likewise): the problems are independent, and one L-BFGS run on all of them takes far fewer
    iterations than K runs, each about as cheap. Returns (θ, iterations per stage, ‖∇L‖_∞ at the
    end of each stage).
    """
    objective = PRIMAL if Y.ndim == 1 else PRIMAL_MANY

    def stage(theta, mu):
        theta, n_iter, grad_norm = lbfgs(objective.value, theta, (X1, X1t, Y, lam, d, mu, weights), tol, max_iter)
        return theta, (n_iter, grad_norm)

    theta0 = jnp.zeros(Y.shape[:-1] + (X1.shape[1],), X1.dtype)
    theta, (n_iter, grad_norm) = jax.lax.scan(stage, theta0, mus)
    return theta, n_iter, grad_norm


def _solve_squared(X1, Y, lam, d, tol, max_iter, weights, penalty):
    """θ minimising the squared hinge ℓ(X₁θ, Y) + λ/2‖d∘θ‖² by L-BFGS, or + λ‖d∘θ‖₁ by FISTA in the
    metric of each coordinate's curvature bound 2 Σ_m w_m x_mi² (`jaxlearn.optim.proximal`).
    Returns (θ, [iterations], [‖∇L‖_∞ or the proximal gradient map's norm])."""
    objective = SQUARED if Y.ndim == 1 else SQUARED_MANY
    X1t = np.ascontiguousarray(X1.T)
    theta0 = jnp.zeros(Y.shape[:-1] + (X1.shape[1],), X1.dtype)
    if penalty == "l2":
        theta, n_iter, grad_norm = lbfgs(objective.value, theta0, (X1, X1t, Y, lam, d, weights), tol, max_iter)
    else:
        metric = np.maximum(diagonal_curvature(X1, weights, 0.5), 1e-12) * np.ones_like(d)   # ℓ'' ≤ 2/M
        theta, n_iter, grad_norm = proximal_gradient(objective.value, theta0, (X1, X1t, Y, np.zeros_like(lam), d,
                                                                               weights),
                                                     lam * d, metric.astype(X1.dtype), tol, max_iter)
    return theta, np.asarray(n_iter)[None], np.asarray(grad_norm)[None]


def fit_linear_svm(X: ArrayLike, y: ArrayLike, C: float = 1.0, *, loss: str = "hinge", penalty: str = "l2",
                   fit_intercept: bool = True, intercept_scaling: float | None = None,
                   sample_weight: ArrayLike | None = None, tol: float | None = None,
                   max_iter: int = 2000) -> FitResult:
    """Soft-margin linear SVM in the primal: (w, b) minimising eq. 36, or liblinear's variants.

    The hinge (loss="hinge", the lecture's) is smoothed within μ of its kink and μ shrinks stage
    by stage (`SMOOTHING`: to 1e-6 in float64, 1e-3 in float32), each stage solved by L-BFGS,
    warm-started; large C approaches the hard margin. The squared hinge (loss="squared_hinge",
    scikit-learn's default: ½‖w‖² + C (1/M) Σ max(0, 1 − y f)²) is smooth: one L-BFGS run, or with
    penalty="l1" (‖w‖₁ for ½‖w‖²: sparse weights) FISTA.

    Args:
        X: (M, N); y: (M,) labels −1/+1, or (M, K) for K one-vs-rest problems at once; C > 0.
        loss: "hinge" or "squared_hinge"; penalty: "l2", or "l1" (with "squared_hinge").
        fit_intercept: fit b (False: b = 0).
        intercept_scaling: None (the lecture's unpenalised b), or liblinear's s > 0: x becomes
            [s, x], the weight of s is penalised like w, and b = s · that weight.
        sample_weight: (M,) weights s_m ≥ 0 on each sample's loss (scikit-learn's class_weight).
        tol: each stage stops when ‖∇(J/C)‖_∞ ≤ tol (default 1e-6 in float64, 1e-4 in float32;
            float32 stages often end sooner, where the loss is flat at its precision, and the
            sharp float64 stages need thousands of iterations for 1e-6 on larger data).
        max_iter: L-BFGS (FISTA) iterations per stage.

    Returns:
        A `FitResult` whose theta is a `LinearSVM` (w, b) (w (K, N) and b (K,) for 2-D y);
        n_iter counts the iterations of all stages; grad_norm is ‖∇L‖_∞ of the last stage's
        smoothed L = J/C; converged is False when a stage ran out of iterations (which warns).
        A stage also ends, short of tol, where L is flat at working precision.
    """
    X = check_matrix(X)
    check_fit_matrix(X)
    y = np.asarray(as_float_array(y, "y"), X.dtype)
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be (M,) = ({X.shape[0]},) or (M, K), got shape {y.shape}")
    for k in range(y.shape[1] if y.ndim == 2 else 1):
        check_pm1(y[:, k] if y.ndim == 2 else y, X.shape[0], f"y[:, {k}]" if y.ndim == 2 else "y")
    check_scalar(C, "C", minimum=0, strict=True)
    check_option(loss, "loss", LOSSES)
    check_option(penalty, "penalty", PENALTIES)
    if penalty == "l1" and loss == "hinge":
        raise ValueError("penalty='l1' needs loss='squared_hinge' (as liblinear: the L1-penalised hinge has no "
                         "solver there)")
    if intercept_scaling is not None:
        check_scalar(intercept_scaling, "intercept_scaling", minimum=0, strict=True)
    tol = default_tol(tol, X.dtype)
    check_scalar(tol, "tol", minimum=0, strict=True)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    # The samples on the host, [s, X] padded with zero rows to the bucket of M and zero columns to
    # the bucket of N (jaxlearn.buckets); the padded rows weigh 0 in the loss: one compiled program
    # per bucket, C, tol traced.
    dtype = X.dtype
    scale = 1.0 if intercept_scaling is None else float(intercept_scaling)
    design = np.column_stack([np.full(X.shape[0], scale, dtype), np.asarray(X)]) if fit_intercept else np.asarray(X)
    X1, targets, weights = pad_problem(design, y)     # padded features too: their weights stay 0
    if sample_weight is not None:
        weights = weights * np.concatenate([check_sample_weight(sample_weight, X.shape[0]),
                                            np.zeros(weights.shape[0] - X.shape[0])]).astype(dtype)
    targets = targets if y.ndim == 1 else np.ascontiguousarray(targets.T)      # (K, M): one problem a row
    # θ₀ = b is penalised only as liblinear's synthetic feature
    d = losses.penalty_mask((X1.shape[1],), dtype, penalize_bias=intercept_scaling is not None or not fit_intercept)
    d = d if y.ndim == 1 else np.broadcast_to(d, (y.shape[1], X1.shape[1]))
    mus = np.asarray(SMOOTHING[np.dtype(dtype).name])
    if loss == "hinge":
        theta, n_iter, grad_norm = solve_primal(X1, np.ascontiguousarray(X1.T), targets, np.asarray(1 / C, dtype), d,
                                                mus.astype(dtype), np.asarray(tol, dtype), max_iter, weights)
        stages = mus
    else:
        theta, n_iter, grad_norm = _solve_squared(X1, targets, np.asarray(1 / C, dtype), d, np.asarray(tol, dtype),
                                                  max_iter, weights, penalty)
        stages = np.zeros(1)
    n_iter, grad_norm = np.asarray(n_iter), np.asarray(grad_norm)
    # A stage ends at ‖∇L‖_∞ ≤ tol or where L is flat at working precision (the sharper the
    # smoothing, the sooner: a kink of width μ); only running out of iterations leaves it unsolved.
    out_of_iterations = (n_iter >= max_iter) & (grad_norm > tol)
    if out_of_iterations.any():
        where = f" at smoothing μ = {stages[out_of_iterations].tolist()}" if loss == "hinge" else ""
        warnings.warn(f"the linear SVM: {'FISTA' if penalty == 'l1' else 'L-BFGS'} reached max_iter={max_iter}{where} "
                      f"with ‖∇L‖_∞ = {grad_norm[out_of_iterations].max():.2g} > tol = {tol:g}; raise max_iter, or "
                      "scale the features", ConvergenceWarning, stacklevel=2)
    theta = np.asarray(theta)[..., :design.shape[1]]     # sliced on the host: no program per shape
    w, b = (theta[..., 1:], scale * theta[..., 0]) if fit_intercept else (theta, np.zeros(theta.shape[:-1], dtype))
    return FitResult(LinearSVM(jax.device_put(w), jax.device_put(b)), int(n_iter.sum()), float(grad_norm[-1]),
                     not out_of_iterations.any())
