"""Fitting a Gaussian process's hyperparameters: θ that maximises the log marginal likelihood
log p(y | X, θ) (`jaxlearn.gp_likelihood`), by the library's L-BFGS driven by the hand-written
gradient (Rasmussen & Williams eq. 5.9), from several starts at once (vmapped). Imported from
`jaxlearn.gaussian_process`, where the rest of the GP lives.
"""

from functools import cache, partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import check_scalar
from jaxlearn.gp_kernels import GPKernel
from jaxlearn.gp_likelihood import JITTER, _check, _lml, _lml_and_grad
from jaxlearn.optim.lbfgs import lbfgs

__all__ = ["fit_hyperparameters", "GPFit"]


@partial(jax.jit, static_argnames=("n_restarts", "free"))
def _starts(key, theta0, free, n_restarts, low, high):
    """theta0 and n_restarts starts drawn uniformly in [low, high] for the free hyperparameters."""
    draws = jax.random.uniform(key, (n_restarts, theta0.shape[0]), theta0.dtype)
    extra = jnp.where(jnp.asarray(free)[None, :], low + draws * (high - low), theta0[None, :])
    return jnp.concatenate([theta0[None], extra.astype(theta0.dtype)])


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
