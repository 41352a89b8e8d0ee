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

import warnings
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import (
    NO_THETA,
    as_float_array,
    check_bool,
    check_finite,
    check_fit_matrix,
    check_linear_model,
    check_matrix,
    check_option,
    check_scalar,
)
from jaxlearn.optimize import gradient_descent

FIT_METHODS = ("newton", "lbfgs", "gd")


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{−z}) (eq. 26), computed without overflow for any z."""
    return jax.nn.sigmoid(z)


def sigmoid_derivative(z):
    """σ'(z) = σ(z)(1 − σ(z)) (eq. 27)."""
    s = jax.nn.sigmoid(z)
    return s * (1 - s)


def _mask(shape, dtype, penalize_bias):
    check_bool(penalize_bias, "penalize_bias")
    d = jnp.ones(shape, dtype)
    return d if penalize_bias else d.at[0].set(0)


def _check_binary(theta, X, y, lam):
    theta, X, y, lam = check_linear_model(theta, X, y, lam)
    if not isinstance(y, jax.core.Tracer):
        labels = np.unique(np.asarray(y))
        if not np.isin(labels, [0, 1]).all():
            raise ValueError(f"y must hold the labels 0 and 1 for binary logistic regression, found "
                             f"{labels[:5].tolist()}; map two classes to 0/1 first (e.g. y == positive)")
    return theta, X, y, lam


def binary_cross_entropy(theta, X, y, lam=0.0, *, penalize_bias: bool = True):
    """L(θ) = −(1/M) Σ [y ln σ(z) + (1 − y) ln(1 − σ(z))] + λ/2 ‖θ‖², z = Xθ (eqs. 32–33).

    Computed as (1/M) Σ [softplus(z) − y z]: finite for logits of any size.

    Args:
        theta: (N,); X: (M, N); y: (M,) labels in {0, 1}; lam: λ ≥ 0.
    """
    theta, X, y, lam = _check_binary(theta, X, y, lam)
    z = X @ theta
    penalty = jnp.sum((theta * _mask(theta.shape, theta.dtype, penalize_bias)) ** 2)
    return jnp.mean(jax.nn.softplus(z) - y * z) + 0.5 * lam * penalty


def binary_cross_entropy_grad(theta, X, y, lam=0.0, *, penalize_bias: bool = True):
    """∇L(θ) = (1/M) Xᵀ(σ(Xθ) − y) + λθ (eq. 34), by hand. Shapes as `binary_cross_entropy`."""
    theta, X, y, lam = _check_binary(theta, X, y, lam)
    return (sigmoid(X @ theta) - y) @ X / X.shape[0] + lam * theta * _mask(theta.shape, theta.dtype,
                                                                            penalize_bias)


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


def predict_proba(theta, X):
    """h_θ(x) = σ(θᵀx) for each row: P(y = 1 | x). (M, N) → (M,)."""
    theta, X = _check_predict(theta, X)
    return sigmoid(X @ theta)


def predict(theta, X):
    """Class 1 iff θᵀx ≥ 0 (h ≥ 0.5), else 0. (M, N) → (M,) int."""
    theta, X = _check_predict(theta, X)
    return (X @ theta >= 0).astype(jnp.int32)


def decision_boundary_x2(theta, x1):
    """On the boundary θ₀ + θ₁x₁ + θ₂x₂ = 0: x₂ = −(θ₀ + θ₁x₁) / θ₂ (for plots of 2-D data)."""
    theta = jnp.asarray(theta)
    if theta.shape != (3,):
        raise ValueError(f"theta must be [θ₀, θ₁, θ₂] for a 2-D boundary, got shape {theta.shape}")
    return -(theta[0] + theta[1] * jnp.asarray(x1)) / theta[2]


# --- softmax (multinomial) regression ----------------------------------------------------------

def _check_multiclass(Theta, X, Y, lam):
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


def softmax_cross_entropy(Theta, X, Y, lam=0.0, *, penalize_bias: bool = True):
    """L(Θ) = −(1/M) Σ_m y_m · ln softmax(Θᵀx_m) + λ/2 ‖Θ‖²_F, through log-softmax.

    Args:
        Theta: (N, K); X: (M, N); Y: (M, K) one-hot; lam: λ ≥ 0.
    """
    Theta, X, Y, lam = _check_multiclass(Theta, X, Y, lam)
    log_p = jax.nn.log_softmax(X @ Theta, axis=1)
    penalty = jnp.sum((Theta * _mask(Theta.shape, Theta.dtype, penalize_bias)) ** 2)
    return -jnp.mean(jnp.sum(Y * log_p, axis=1)) + 0.5 * lam * penalty


def softmax_cross_entropy_grad(Theta, X, Y, lam=0.0, *, penalize_bias: bool = True):
    """∇L(Θ) = (1/M) Xᵀ(softmax(XΘ) − Y) + λΘ, by hand. Returns (N, K)."""
    Theta, X, Y, lam = _check_multiclass(Theta, X, Y, lam)
    residual = jax.nn.softmax(X @ Theta, axis=1) - Y
    return X.T @ residual / X.shape[0] + lam * Theta * _mask(Theta.shape, Theta.dtype, penalize_bias)


def predict_softmax_proba(Theta, X):
    """softmax(XΘ): class probabilities (M, K)."""
    Theta, X = _check_predict(Theta, X, ndim=2)
    return jax.nn.softmax(X @ Theta, axis=1)


def predict_softmax(Theta, X):
    """argmax_k (XΘ)_k: predicted classes (M,)."""
    Theta, X = _check_predict(Theta, X, ndim=2)
    return jnp.argmax(X @ Theta, axis=1)


# --- fitting -----------------------------------------------------------------------------------

class FitResult(NamedTuple):
    """θ (N,) or Θ (N, K), the iterations taken, the final gradient norm and convergence."""

    theta: jax.Array
    n_iter: int
    grad_norm: float
    converged: bool


# The losses and derivatives the solvers minimise: module-level functions of (θ, *data), so
# that the jitted solvers take the data as arguments (no recompilation per call, no giant
# constants baked into the program).

def _binary_objective(theta, X, y, lam, d):
    z = X @ theta
    return jnp.mean(jax.nn.softplus(z) - y * z) + 0.5 * lam * jnp.sum((theta * d) ** 2)


def _binary_gradient(theta, X, y, lam, d):
    return (sigmoid(X @ theta) - y) @ X / X.shape[0] + lam * theta * d


def _binary_hessian(theta, X, y, lam, d):
    """H = (1/M) Xᵀ diag(σ(1 − σ)) X + λD (a tiny ridge keeps it invertible)."""
    s = sigmoid_derivative(X @ theta)
    return (X * s[:, None]).T @ X / X.shape[0] + jnp.diag(lam * d + 1e-12)


@jax.custom_vjp
def _scores(Theta, X, Xt):
    """XΘ whose gradient uses Xt = Xᵀ stored contiguously: Xt @ G is twice as fast on XLA:CPU
    as X.T @ G, which re-reads X across its rows."""
    return X @ Theta


def _scores_fwd(Theta, X, Xt):
    return X @ Theta, (X, Xt)


def _scores_bwd(residuals, G):
    X, Xt = residuals
    return Xt @ G, jnp.zeros_like(X), jnp.zeros_like(Xt)


_scores.defvjp(_scores_fwd, _scores_bwd)


def _softmax_objective(Theta, X, Xt, Y, lam, d):
    log_p = jax.nn.log_softmax(_scores(Theta, X, Xt), axis=1)
    return -jnp.mean(jnp.sum(Y * log_p, axis=1)) + 0.5 * lam * jnp.sum((Theta * d) ** 2)


def _softmax_gradient(Theta, X, Xt, Y, lam, d):
    return Xt @ (jax.nn.softmax(X @ Theta, axis=1) - Y) / X.shape[0] + lam * Theta * d


@partial(jax.jit, static_argnames=("objective", "max_iter"))
def _lbfgs(objective, theta0, data, tol, max_iter):
    """Minimise objective(θ, *data) with optax's L-BFGS until ‖∇L‖_∞ ≤ tol at the current θ."""
    def loss_fn(theta):
        return objective(theta, *data)

    # Backtracking (Armijo) accepts L-BFGS's unit step almost always: one evaluation of the
    # loss and gradient per iteration, where the default zoom line search spends more.
    # store_grad transposes with a Python 1.0 seed, which optax 0.2 cannot do for float32
    # parameters while jax_enable_x64 is on: then the gradient is recomputed instead.
    store_grad = theta0.dtype == jnp.result_type(float)
    solver = optax.lbfgs(linesearch=optax.scale_by_backtracking_linesearch(
        max_backtracking_steps=30, store_grad=store_grad))
    if store_grad:
        value_and_grad = optax.value_and_grad_from_state(loss_fn)
    else:
        def value_and_grad(theta, state):
            return jax.value_and_grad(loss_fn)(theta)

    def step(carry):
        theta, state, _, _ = carry
        value, grad = value_and_grad(theta, state=state)
        grad_norm = jnp.max(jnp.abs(grad))                  # ∇L at the current θ
        with jax.numpy_dtype_promotion("standard"):  # optax is not strict-promotion clean
            updates, new_state = solver.update(grad, state, theta, value=value, grad=grad, value_fn=loss_fn)
        # No decrease along the line search: the loss is flat at working precision (float32
        # can stall so just above tol); stop there rather than spin until max_iter.
        stalled = (grad_norm > tol) & ~(optax.tree.get(new_state, "value") < value)
        done = (grad_norm <= tol) | stalled                 # keep θ whose gradient met tol
        keep = lambda old, new: jnp.where(done, old, new)  # noqa: E731
        return (keep(theta, optax.apply_updates(theta, updates)),
                jax.tree_util.tree_map(keep, state, new_state), grad_norm, stalled)

    def keep_going(carry):
        _, state, grad_norm, stalled = carry
        return (optax.tree.get(state, "count") < max_iter) & (grad_norm > tol) & ~stalled

    with jax.numpy_dtype_promotion("standard"):
        state = solver.init(theta0)
    start = (theta0, state, jnp.array(jnp.inf, theta0.dtype), jnp.array(False))
    theta, state, grad_norm, _ = jax.lax.while_loop(keep_going, step, start)
    grad_norm = jnp.max(jnp.abs(jax.grad(loss_fn)(theta)))
    return theta, optax.tree.get(state, "count"), grad_norm


@partial(jax.jit, static_argnames=("max_iter",))
def _newton(theta0, data, tol, max_iter):
    """Newton's method on the binary loss: θ ← θ − t H⁻¹∇L, t halved until L decreases."""
    def step(carry):
        theta, k, _ = carry
        g = _binary_gradient(theta, *data)
        direction = jax.scipy.linalg.solve(_binary_hessian(theta, *data), g, assume_a="pos")
        loss0 = _binary_objective(theta, *data)

        def worse(t):
            return (_binary_objective(theta - t * direction, *data) > loss0) & (t > 1e-10)

        t = jax.lax.while_loop(worse, lambda t: t / 2, jnp.array(1.0, theta.dtype))
        return theta - t * direction, k + 1, jnp.max(jnp.abs(g))

    def keep_going(carry):
        _, k, grad_norm = carry
        return (k < max_iter) & (grad_norm > tol)

    theta, k, _ = jax.lax.while_loop(keep_going, step, (theta0, 0, jnp.array(jnp.inf, theta0.dtype)))
    return theta, k, jnp.max(jnp.abs(_binary_gradient(theta, *data)))


def _check_fit_options(method, tol, max_iter):
    check_option(method, "method", FIT_METHODS)
    check_scalar(tol, "tol", minimum=0)
    return check_scalar(max_iter, "max_iter", minimum=1, integer=True)


def _unconverged_advice(n_iter: int, max_iter: int, dtype) -> str:
    """What to do when ‖∇L‖_∞ > tol after n_iter iterations: more iterations, or more precision."""
    if n_iter < max_iter:   # L-BFGS stopped early: its line search found no decrease
        more_precision = "float64 data with jax_enable_x64, " if jnp.dtype(dtype) != jnp.float64 else ""
        return (f"the loss is flat at {jnp.dtype(dtype).name} precision there; use a larger tol, "
                f"{more_precision}or scale the features")
    return ("raise max_iter, add regularisation (lam > 0; separable data has no finite unregularised "
            "optimum) or scale the features")


def _finish(theta, n_iter, grad_norm, tol, max_iter, what) -> FitResult:
    converged = float(grad_norm) <= tol
    if not converged:
        warnings.warn(f"{what} stopped after {int(n_iter)} iterations with ‖∇L‖_∞ = {float(grad_norm):.2g} "
                      f"> tol = {tol:g}; {_unconverged_advice(int(n_iter), max_iter, theta.dtype)}",
                      ConvergenceWarning, stacklevel=3)
    return FitResult(theta, int(n_iter), float(grad_norm), converged)


def _fit_gd(objective, gradient, theta0, data, curvature_factor, eta, tol, max_iter) -> FitResult:
    """The lecture's gradient descent with the hand gradient; η defaults to
    curvature_factor / (λ_max(XᵀX/M) + curvature_factor·λ), i.e. 1/L for the loss's L."""
    X, lam = data[0], data[-2]
    if eta is None:
        eta = curvature_factor / (float(jnp.linalg.eigvalsh(X.T @ X / X.shape[0]).max())
                                  + curvature_factor * float(lam))
    result = gradient_descent(objective, theta0, *data, eta=eta, tol=tol, max_iter=max_iter, grad=gradient)
    grad_norm = float(jnp.max(jnp.abs(gradient(result.theta, *data))))
    return FitResult(result.theta, int(result.n_iter), grad_norm, bool(result.converged))


def _warn_if_separable(lam, separated: bool) -> None:
    if float(lam) == 0 and separated:
        warnings.warn("the training data is linearly separable and lam = 0: the loss has no finite "
                      "minimiser (‖θ‖ grows until the gradient falls below tol), so θ depends on tol; "
                      "use lam > 0", ConvergenceWarning, stacklevel=3)


def _default_tol(tol, dtype) -> float:
    """‖∇L‖_∞ tolerance: 1e-6 in float64; 1e-4 in float32, whose rounding leaves gradients ≈ 1e-5."""
    return (1e-6 if dtype == jnp.float64 else 1e-4) if tol is None else tol


def fit(X, y, lam=0.0, *, method: str = "newton", penalize_bias: bool = True, tol: float | None = None,
        max_iter: int = 100, eta: float | None = None) -> FitResult:
    """Binary logistic regression: θ minimising `binary_cross_entropy`.

    Methods: "newton" (default; H = (1/M) Xᵀ diag(σ(1 − σ)) X + λI, a few iterations),
    "lbfgs" (optax) and "gd" (the lecture's gradient descent with the hand gradient, eq. 34;
    eta defaults to 4 / λ_max(XᵀX/M), safe since σ' ≤ ¼).

    Args:
        X: (M, N) with a column of ones for a bias; y: (M,) in {0, 1}; lam: λ ≥ 0.
        tol: stop when ‖∇L‖_∞ ≤ tol (for "gd", when |L_old − L_new| ≤ tol); default 1e-6 for
            float64 and 1e-4 for float32 data.
        max_iter: iteration limit; reaching it warns (`ConvergenceWarning`).

    Returns:
        A `FitResult` with θ (N,).
    """
    _, X, y, lam_arr = _check_binary(NO_THETA, X, y, lam)
    check_fit_matrix(X)
    tol = _default_tol(tol, X.dtype)
    max_iter = _check_fit_options(method, tol, max_iter)
    if len(np.unique(np.asarray(y))) < 2:
        raise ValueError("y holds a single class; logistic regression needs both 0 and 1")
    data = (X, y, lam_arr, _mask(X.shape[1], X.dtype, penalize_bias))
    theta0 = jnp.zeros(X.shape[1], X.dtype)
    if method == "gd":  # L ≤ λ_max(XᵀX/M)/4 + λ since σ' ≤ ¼
        return _fit_gd(_binary_objective, _binary_gradient, theta0, data, 4.0, eta, tol, max_iter)
    if method == "lbfgs":
        theta, n_iter, grad_norm = _lbfgs(_binary_objective, theta0, data, tol, max_iter)
    else:
        theta, n_iter, grad_norm = _newton(theta0, data, tol, max_iter)
    _warn_if_separable(lam, bool(jnp.all((X @ theta > 0) == (y > 0.5))))
    return _finish(theta, n_iter, grad_norm, tol, max_iter, f"logistic regression ({method})")


def fit_softmax(X, labels, lam=0.0, *, n_classes: int | None = None, method: str = "lbfgs",
                penalize_bias: bool = True, tol: float | None = None, max_iter: int = 500,
                eta: float | None = None) -> FitResult:
    """Softmax regression: Θ (N, K) minimising `softmax_cross_entropy`.

    Args:
        X: (M, N); labels: (M,) integers 0 … K−1 (at least two classes present).
        lam: λ ≥ 0; n_classes: K (default max label + 1).
        method: "lbfgs" (default, optax) or "gd" (gradient descent with the hand gradient).
        tol, max_iter, eta: as in `fit`.

    Returns:
        A `FitResult` with Θ (N, K).
    """
    X = check_matrix(X)
    check_fit_matrix(X)
    tol = _default_tol(tol, X.dtype)
    max_iter = _check_fit_options(method, tol, max_iter)
    if method == "newton":
        raise ValueError("method='newton' is for binary logistic regression; use 'lbfgs' or 'gd'")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({X.shape[0]},), got {labels.dtype} {labels.shape}")
    if len(np.unique(labels)) < 2:
        raise ValueError("labels hold fewer than two classes")
    if n_classes is not None:
        n_classes = check_scalar(n_classes, "n_classes", minimum=2, integer=True)
    K = int(labels.max()) + 1 if n_classes is None else n_classes
    if labels.min() < 0 or labels.max() >= K:
        raise ValueError(f"labels must lie in 0 … {K - 1}, found {labels.min() if labels.min() < 0 else labels.max()}")
    Y = jax.nn.one_hot(labels, K, dtype=X.dtype)
    _, X, Y, lam_arr = _check_multiclass(NO_THETA, X, Y, lam)
    Xt = X.T  # computed eagerly: a contiguous (N, M) copy for the fast gradient (see _scores)
    data = (X, Xt, Y, lam_arr, _mask((X.shape[1], K), X.dtype, penalize_bias))
    Theta0 = jnp.zeros((X.shape[1], K), X.dtype)
    if method == "gd":  # the softmax Hessian is at most ½ XᵀX/M (+ λ)
        return _fit_gd(_softmax_objective, _softmax_gradient, Theta0, data, 2.0, eta, tol, max_iter)
    Theta, n_iter, grad_norm = _lbfgs(_softmax_objective, Theta0, data, tol, max_iter)
    _warn_if_separable(lam, bool(jnp.all(jnp.argmax(X @ Theta, axis=1) == jnp.asarray(labels))))
    return _finish(Theta, n_iter, grad_norm, tol, max_iter, "softmax regression (lbfgs)")
