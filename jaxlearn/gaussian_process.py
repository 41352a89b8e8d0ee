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
log p with the library's L-BFGS (`jaxlearn.optim.lbfgs`) from several starts at once (vmapped);
it lives in `jaxlearn.gp_hyperparameters`, the log marginal likelihood in
`jaxlearn.gp_likelihood`; both are imported from here.
"""

from functools import partial

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxlearn._validation import check_matrix
from jaxlearn.gp_hyperparameters import GPFit, fit_hyperparameters
from jaxlearn.gp_kernels import GPKernel
from jaxlearn.gp_likelihood import (
    JITTER,
    _check,
    _factor,
    _finite_or_raise,
    _solve,
    log_marginal_likelihood,
    log_marginal_likelihood_grad,
)

__all__ = ["log_marginal_likelihood", "log_marginal_likelihood_grad", "posterior", "posterior_gradient",
           "fit_hyperparameters", "sample_prior", "sample_posterior", "GPFit"]


@partial(jax.jit, static_argnames=("kernel",))
def _factor_and_weights(kernel, theta, X, y, jitter):
    """(L, α): K_θ + jitter·I = L Lᵀ and α = (K_θ + jitter·I)⁻¹ y, in one compiled program per
    kernel and shape (op by op, the kernel's arithmetic compiled a program per operation)."""
    L = _factor(kernel, theta, X, jitter)
    return L, _solve(L, y)


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
