"""The Gaussian process's log marginal likelihood and its hand-written gradient (Rasmussen &
Williams Algorithm 2.1 and eq. 5.9), with K = K_θ(X, X) + εI = L Lᵀ and α = K⁻¹y:

    log p(y | X, θ) = −½ yᵀα − Σ_i log L_ii − (M/2) log 2π
    ∂ log p / ∂θ_j = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j)          (∂K/∂θ_j by hand in gp_kernels)

The pieces the posterior (`jaxlearn.gaussian_process`) and the hyperparameter fit
(`jaxlearn.gp_hyperparameters`) share; both names are imported from `jaxlearn.gaussian_process`.
"""

from functools import partial

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import check_matrix, check_vector, is_concrete
from jaxlearn.gp_kernels import GPKernel

__all__ = ["log_marginal_likelihood", "log_marginal_likelihood_grad"]

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
