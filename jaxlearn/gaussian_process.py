"""Gaussian-process regression (Rasmussen & Williams, ch. 2 and 5): kernel ridge regression with
error bars, and hyperparameters fitted by the log marginal likelihood.

A GP prior f ~ GP(0, k_θ) with the covariance function k_θ of `jaxlearn.gp_kernels` (noise is a
`White` term in it) and training data (X (M, N), y (M,)). With K = K_θ(X, X) + εI (ε a small
jitter, scikit-learn's `alpha`), L its Cholesky factor and α = K⁻¹y (Algorithm 2.1):

    mean     f̄(x*) = k*ᵀ α                              (the kernel ridge prediction)
    variance V(x*) = k(x*, x*) − vᵀv,  v = L⁻¹ k*
    log p(y | X, θ) = −½ yᵀα − Σ_i log L_ii − (M/2) log 2π
    ∂ log p / ∂θ_j = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j)          (eq. 5.9, ∂K/∂θ_j by hand in gp_kernels)

θ holds the logarithms of the hyperparameters (`gp_kernels`). `fit_hyperparameters` maximises
log p with the library's L-BFGS (`jaxlearn.optim.lbfgs`) from several starts at once (vmapped).
"""

from functools import cache, partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import check_matrix, check_scalar, check_vector, is_concrete
from jaxlearn.gp_kernels import GPKernel
from jaxlearn.optim.lbfgs import lbfgs

__all__ = ["log_marginal_likelihood", "log_marginal_likelihood_grad", "posterior", "posterior_gradient",
           "fit_hyperparameters", "sample_prior", "sample_posterior", "GPFit"]

JITTER = 1e-10      # scikit-learn's default alpha


def _check(kernel, theta, X, y=None):
    if not isinstance(kernel, GPKernel):
        raise TypeError(f"kernel must be a jaxlearn.gp_kernels kernel (Constant() * RBF() + White(), …), got "
                        f"{type(kernel).__name__}")
    X = check_matrix(X, "X")
    theta = check_vector(theta, kernel.n_params, "theta", like=X)
    if theta.shape != (kernel.n_params,):
        raise ValueError(f"theta must hold the kernel's {kernel.n_params} log-hyperparameters {kernel.names()}")
    if y is None:
        return theta, X
    return theta, X, check_vector(y, X.shape[0], "y", like=X)


def _factor(kernel, theta, X, jitter):
    K = kernel.value(theta, X) + jitter * jnp.eye(X.shape[0], dtype=X.dtype)
    return jnp.linalg.cholesky(K)


def _solve(L, b):
    """K⁻¹ b from K's Cholesky factor L (b (M,) or (M, P))."""
    return jax.scipy.linalg.cho_solve((L, True), b)


@partial(jax.jit, static_argnames=("kernel",))
def _factor_and_weights(kernel, theta, X, y, jitter):
    """(L, α): K_θ + jitter·I = L Lᵀ and α = (K_θ + jitter·I)⁻¹ y, in one compiled program per
    kernel and shape (op by op, the kernel's arithmetic compiled a program per operation)."""
    L = _factor(kernel, theta, X, jitter)
    return L, _solve(L, y)


@partial(jax.jit, static_argnames=("n_restarts", "free"))
def _starts(key, theta0, free, n_restarts, low, high):
    """theta0 and n_restarts starts drawn uniformly in [low, high] for the free hyperparameters."""
    draws = jax.random.uniform(key, (n_restarts, theta0.shape[0]), theta0.dtype)
    extra = jnp.where(jnp.asarray(free)[None, :], low + draws * (high - low), theta0[None, :])
    return jnp.concatenate([theta0[None], extra.astype(theta0.dtype)])


def _lml_and_grad(kernel, theta, X, y, jitter):
    """(log p, ∂ log p/∂θ) from one Cholesky factorisation of K = K_θ + jitter·I."""
    L = _factor(kernel, theta, X, jitter)
    alpha = _solve(L, y)
    value = -0.5 * y @ alpha - jnp.sum(jnp.log(jnp.diag(L))) - 0.5 * X.shape[0] * jnp.log(2 * jnp.pi)
    inner = jnp.outer(alpha, alpha) - _solve(L, jnp.eye(X.shape[0], dtype=X.dtype))     # ααᵀ − K⁻¹
    # eq. 5.9: ½ tr(A ∂K_j) = ½ Σ_mn A_mn (∂K_j)_nm, both symmetric
    return value, 0.5 * jnp.einsum("mn,jmn->j", inner, kernel.gradient(theta, X))


@partial(jax.jit, static_argnames=("kernel",))
def _lml(kernel, theta, X, y, jitter):
    L = _factor(kernel, theta, X, jitter)
    alpha = _solve(L, y)
    return -0.5 * y @ alpha - jnp.sum(jnp.log(jnp.diag(L))) - 0.5 * X.shape[0] * jnp.log(2 * jnp.pi)


@partial(jax.jit, static_argnames=("kernel",))
def _lml_grad(kernel, theta, X, y, jitter):
    return _lml_and_grad(kernel, theta, X, y, jitter)[1]


def _finite_or_raise(value, what, jitter):
    if is_concrete(value) and not bool(jnp.all(jnp.isfinite(value))):
        raise SingularMatrixError(
            f"{what}: K_θ(X, X) + {jitter:g}·I is not positive definite at working precision, so the Cholesky "
            "factorisation failed. Add a White() noise term to the kernel, raise the jitter, or remove repeated "
            "samples.")
    return value


def log_marginal_likelihood(kernel: GPKernel, theta: ArrayLike, X: ArrayLike, y: ArrayLike, *,
                            jitter: float = JITTER) -> jax.Array:
    """log p(y | X, θ) = −½ yᵀK⁻¹y − ½ log det K − (M/2) log 2π, K = K_θ(X, X) + jitter·I.
    kernel: a `jaxlearn.gp_kernels` kernel; theta (n_params,): its log-hyperparameters; X (M, N); y (M,)."""
    theta, X, y = _check(kernel, theta, X, y)
    return _finite_or_raise(_lml(kernel, theta, X, y, jnp.asarray(jitter, X.dtype)), "log_marginal_likelihood",
                            jitter)


def log_marginal_likelihood_grad(kernel: GPKernel, theta: ArrayLike, X: ArrayLike, y: ArrayLike, *,
                                 jitter: float = JITTER) -> jax.Array:
    """∂ log p(y | X, θ)/∂θ (n_params,) by eq. 5.9 of Rasmussen & Williams,
    ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j), with each ∂K/∂θ_j written by hand (`kernel.gradient`)."""
    theta, X, y = _check(kernel, theta, X, y)
    return _finite_or_raise(_lml_grad(kernel, theta, X, y, jnp.asarray(jitter, X.dtype)),
                            "log_marginal_likelihood_grad", jitter)


@partial(jax.jit, static_argnames=("kernel", "full_covariance", "include_noise"))
def _posterior(kernel, theta, X, y, X_new, jitter, full_covariance, include_noise):
    L = _factor(kernel, theta, X, jitter)
    K_star = kernel.value(theta, X_new, X)                      # k* for each new row (M*, M)
    mean = K_star @ _solve(L, y)
    v = jax.scipy.linalg.solve_triangular(L, K_star.T, lower=True)        # L⁻¹ k* (M, M*)
    if full_covariance:         # K_θ(X_new) with its noise on the diagonal (X2 None), or without
        prior = kernel.value(theta, X_new) if include_noise else kernel.value(theta, X_new, X_new)
        return mean, prior - v.T @ v
    prior = kernel.diag(theta, X_new) if include_noise else jax.vmap(lambda x: kernel.pair(theta, x, x))(X_new)
    return mean, jnp.maximum(prior - jnp.sum(v**2, axis=0), 0)


def posterior(kernel: GPKernel, theta: ArrayLike, X: ArrayLike, y: ArrayLike, X_new: ArrayLike, *,
              full_covariance: bool = False, include_noise: bool = True, jitter: float = JITTER):
    """(mean (M*,), variance (M*,)) of f(x*) | X, y at the rows of X_new (M*, N); with
    full_covariance, the covariance (M*, M*) instead of its diagonal. By default both include the
    kernel's White noise at x* (the spread of a new observation y*), as scikit-learn's std and cov
    do; include_noise=False gives those of the function f(x*) itself. The variance is clamped at 0
    against rounding."""
    theta, X, y = _check(kernel, theta, X, y)
    X_new = check_matrix(X_new, "X_new").astype(X.dtype)
    if X_new.shape[1] != X.shape[1]:
        raise ValueError(f"X_new has {X_new.shape[1]} features but X has {X.shape[1]}")
    mean, variance = _posterior(kernel, theta, X, y, X_new, jnp.asarray(jitter, X.dtype), bool(full_covariance),
                                bool(include_noise))
    return _finite_or_raise(mean, "posterior", jitter), variance


@partial(jax.jit, static_argnames=("kernel",))
def _posterior_gradient(kernel, theta, X, y, X_new, jitter):
    L = _factor(kernel, theta, X, jitter)
    alpha = _solve(L, y)

    def k_star(x):                                              # k(x, x_m) for each training row (M,)
        return jax.vmap(lambda x_m: kernel.pair(theta, x, x_m))(X)

    dk = jax.vmap(jax.jacfwd(k_star))(X_new)                    # ∂k*/∂x* (M*, M, N)
    mean = jnp.einsum("smn,m->sn", dk, alpha)
    # Cov[∂f/∂x*] = ∂²k(x, x')/∂x∂x' at x = x' = x*, minus (∂k*)ᵀ K⁻¹ (∂k*)
    second = jax.jacfwd(jax.grad(kernel.pair, argnums=1), argnums=2)
    prior = jax.vmap(lambda x: second(theta, x, x))(X_new)     # (M*, N, N)
    v = jax.vmap(lambda d: jax.scipy.linalg.solve_triangular(L, d, lower=True))(dk)      # L⁻¹ ∂k* (M*, M, N)
    variance = jnp.diagonal(prior, axis1=1, axis2=2) - jnp.sum(v**2, axis=1)
    return mean, jnp.maximum(variance, 0)


def posterior_gradient(kernel: GPKernel, theta: ArrayLike, X: ArrayLike, y: ArrayLike, X_new: ArrayLike, *,
                       jitter: float = JITTER):
    """(∂f̄/∂x* (M*, N), Var[∂f/∂x*] (M*, N)): the gradient of the posterior mean with respect to
    each input row of X_new, and the posterior variance of that gradient, coordinate by coordinate:

        ∂f̄/∂x* = (∂k*/∂x*)ᵀ α
        Var    = diag(∂²k(x, x')/∂x ∂x'ᵀ |_{x = x' = x*}) − diag((∂k*)ᵀ K⁻¹ (∂k*))

    (a GP's derivative is a GP; the kernel's derivatives come from jax.jacfwd / jacrev of its value,
    which for the RBF gives ∂²k/∂x∂x' = σ_f²/ℓ² I at x = x'). The noise term has no gradient."""
    theta, X, y = _check(kernel, theta, X, y)
    X_new = check_matrix(X_new, "X_new").astype(X.dtype)
    if X_new.shape[1] != X.shape[1]:
        raise ValueError(f"X_new has {X_new.shape[1]} features but X has {X.shape[1]}")
    mean, variance = _posterior_gradient(kernel, theta, X, y, X_new, jnp.asarray(jitter, X.dtype))
    return _finite_or_raise(mean, "posterior_gradient", jitter), variance


class GPFit(NamedTuple):
    """`fit_hyperparameters`' result: the best θ, its log marginal likelihood, and every start's."""

    theta: np.ndarray                   # (n_params,) log-hyperparameters of the best start
    log_marginal_likelihood: float
    starts: np.ndarray                  # (n_starts, n_params) where each run began
    thetas: np.ndarray                  # (n_starts, n_params) where each ended
    values: np.ndarray                  # (n_starts,) log p at each end (−inf where it failed)
    iterations: np.ndarray              # (n_starts,)


@cache
def _negative_lml(kernel, free: tuple):
    """−log p as a function of (θ_free, X, y, jitter, θ), the hyperparameters marked free replaced
    in θ: one object per (kernel, free) (L-BFGS's static objective)."""
    index = np.flatnonzero(free)

    def objective(theta_free, X, y, jitter, theta):
        # the hand gradient (eq. 5.9) drives the optimiser: custom_vjp wires it to jax.grad
        return -_lml_with_hand_gradient(kernel, theta.at[index].set(theta_free), X, y, jitter)
    return objective


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _lml_with_hand_gradient(kernel, theta, X, y, jitter):
    return _lml(kernel, theta, X, y, jitter)


def _lml_forward(kernel, theta, X, y, jitter):
    # the gradient from the same factorisation as the value: L-BFGS asks for both at every point
    value, grad = _lml_and_grad(kernel, theta, X, y, jitter)
    return value, (grad, X, y, jitter)


def _lml_backward(kernel, saved, g):
    grad, X, y, jitter = saved
    return g * grad, jnp.zeros_like(X), jnp.zeros_like(y), jnp.zeros_like(jitter)


_lml_with_hand_gradient.defvjp(_lml_forward, _lml_backward)


@partial(jax.jit, static_argnames=("kernel", "free", "max_iter"))
def _fit_starts(kernel, free, starts, X, y, jitter, tol, max_iter, low, high):
    index = np.flatnonzero(free)

    def one(theta0):
        theta, iterations, _ = lbfgs(_negative_lml(kernel, free), theta0[index], (X, y, jitter, theta0), tol,
                                     max_iter)
        # an end beyond the bounds (a direction in which log p is flat, such as a vanishing noise
        # level) is taken back to them, where scikit-learn's L-BFGS-B stops
        theta = theta0.at[index].set(jnp.clip(theta, low[index], high[index]))
        return theta, iterations, _lml(kernel, theta, X, y, jitter)
    return jax.vmap(one)(starts)


def _log_bounds(bounds, n_params: int) -> np.ndarray:
    bounds = np.asarray(bounds, dtype=float)
    if bounds.shape == (2,):
        bounds = np.tile(bounds, (n_params, 1))
    if bounds.shape != (n_params, 2) or not np.all(np.isfinite(bounds)) or not np.all(bounds[:, 0] < bounds[:, 1]):
        raise ValueError(f"bounds must be (low, high) with low < high, or one such pair per hyperparameter "
                         f"({n_params}), in log space; got {bounds.tolist()!r}")
    return bounds


def fit_hyperparameters(kernel: GPKernel, theta0: ArrayLike, X: ArrayLike, y: ArrayLike, *, n_restarts: int = 0,
                        bounds=(-11.5, 11.5), free=None, key=None, tol: float = 1e-5, max_iter: int = 200,
                        jitter: float = JITTER) -> GPFit:
    """θ that maximises log p(y | X, θ), by L-BFGS with the hand-derived gradient (eq. 5.9),
    from theta0 and n_restarts further starts drawn uniformly in log space within bounds, all run
    at once in one vmapped program; the best end (largest finite log p) wins.

    bounds: (low, high) for every log-hyperparameter, or one pair each ((n_params, 2));
    scikit-learn's default (1e-5, 1e5) is log ±11.5. They bound where restarts begin; the runs
    themselves are unconstrained, and an end beyond them is clipped back to them. free: which
    hyperparameters to fit ((n_params,) bools, default all); the others keep theta0's values
    (scikit-learn's bounds="fixed")."""
    theta0, X, y = _check(kernel, theta0, X, y)
    n_restarts = int(check_scalar(n_restarts, "n_restarts", minimum=0, integer=True))
    free = (True,) * kernel.n_params if free is None else tuple(bool(f) for f in free)
    if len(free) != kernel.n_params:
        raise ValueError(f"free must hold one bool per hyperparameter {kernel.names()}, got {len(free)}")
    bounds = _log_bounds(bounds, kernel.n_params)
    key = jax.random.key(0) if key is None else key
    starts = _starts(key, theta0.astype(X.dtype), free, n_restarts, np.asarray(bounds[None, :, 0], X.dtype),
                     np.asarray(bounds[None, :, 1], X.dtype))
    if not any(free):           # nothing to fit: θ as given
        value = float(_lml(kernel, theta0, X, y, jnp.asarray(jitter, X.dtype)))
        return GPFit(np.asarray(theta0), value, np.asarray(starts), np.asarray(starts), np.full(len(starts), value),
                     np.zeros(len(starts), int))
    thetas, iterations, values = (np.asarray(a) for a in _fit_starts(
        kernel, free, starts, X, y, jnp.asarray(jitter, X.dtype), jnp.asarray(tol, X.dtype), int(max_iter),
        jnp.asarray(bounds[:, 0], X.dtype), jnp.asarray(bounds[:, 1], X.dtype)))
    values = np.where(np.isfinite(values), values, -np.inf)
    if not np.isfinite(values).any():
        raise SingularMatrixError("fit_hyperparameters: every start ended where K_θ + jitter·I is not positive "
                                  "definite; add a White() noise term or raise the jitter")
    best = int(np.argmax(values))
    return GPFit(thetas[best], float(values[best]), np.asarray(starts), thetas, values, iterations)


def sample_prior(kernel: GPKernel, theta: ArrayLike, X: ArrayLike, key, n_samples: int = 1, *,
                 jitter: float = 1e-8) -> jax.Array:
    """n_samples draws of f(X) ~ N(0, K_θ(X, X)) (n_samples, M): L z with z ~ N(0, I)."""
    theta, X = _check(kernel, theta, X)
    L = _factor(kernel, theta, X, jitter)
    return (L @ jax.random.normal(key, (X.shape[0], int(n_samples)), X.dtype)).T


def sample_posterior(kernel: GPKernel, theta: ArrayLike, X: ArrayLike, y: ArrayLike, X_new: ArrayLike, key,
                     n_samples: int = 1, *, include_noise: bool = True, jitter: float = 1e-8) -> jax.Array:
    """n_samples draws from the posterior at X_new (n_samples, M*): of new observations y* (with
    the kernel's White noise, as scikit-learn's sample_y), or of f(X_new) itself with include_noise=False."""
    mean, covariance = posterior(kernel, theta, X, y, X_new, full_covariance=True, include_noise=include_noise,
                                 jitter=jitter)
    L = jnp.linalg.cholesky(covariance + jitter * jnp.eye(covariance.shape[0], dtype=covariance.dtype))
    return (mean[:, None] + L @ jax.random.normal(key, (covariance.shape[0], int(n_samples)), mean.dtype)).T
