"""Gradient descent as the lecture states it, jitted, with divergence detection.

    θ_new = θ_old − η ∇L(θ_old),   stop when |L_old − L_new| ≤ tol or after max_iter.

The whole loop runs under `lax.while_loop` (one compiled program, no per-step
Python dispatch). A vector of step sizes η, or batched loss arguments (for
instance a grid of λ), runs as one `vmap`ped computation.
"""

import numbers
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import ConvergenceWarning, DivergenceError
from jaxlearn._validation import as_float_array, check_finite, check_option, check_scalar
from jaxlearn.optim.lbfgs import max_abs

DIVERGENCE_POLICIES = ("raise", "warn")


class GDResult(NamedTuple):
    """What `gradient_descent` returns (batched runs carry a leading axis on every field).

    Attributes:
        theta: the final parameters (pytree like theta0); after a divergence,
            the last parameters whose loss was finite.
        loss_history: (max_iter + 1,) losses L(θ⁽⁰⁾), L(θ⁽¹⁾), …; entries after
            the stop are NaN (not run). A single run's history is trimmed to
            its n_iter + 1 entries.
        n_iter: number of steps taken.
        converged: |L_old − L_new| ≤ tol was reached.
        diverged: the loss became non-finite or grew past max_loss_growth × max(|L₀|, 1).
        eta: the step size(s) used.
    """

    theta: Any
    loss_history: jax.Array
    n_iter: jax.Array
    converged: jax.Array
    diverged: jax.Array
    eta: jax.Array


class _LoopState(NamedTuple):
    theta: Any
    loss: jax.Array
    k: jax.Array
    history: jax.Array
    converged: jax.Array
    diverged: jax.Array


def _run(loss_fn, grad_fn, max_iter, theta0, eta, tol, growth, args, grad_tol=-1.0):
    """The jittable loop for one η and one set of loss arguments; grad_tol ≥ 0 also stops it
    (converged, θ kept) once ‖∇L(θ)‖_∞ ≤ grad_tol."""
    loss0 = loss_fn(theta0, *args)
    if jnp.ndim(loss0) != 0:
        raise ValueError(f"loss must return a scalar, got shape {jnp.shape(loss0)}")
    dtype = loss0.dtype
    eta, tol, grad_tol = jnp.asarray(eta, dtype), jnp.asarray(tol, dtype), jnp.asarray(grad_tol, dtype)
    limit = jnp.abs(loss0) + growth * jnp.maximum(jnp.abs(loss0), 1)
    history = jnp.full((max_iter + 1,), jnp.nan, dtype).at[0].set(loss0)

    def keep_going(s: _LoopState):
        return (s.k < max_iter) & ~s.converged & ~s.diverged

    def step(s: _LoopState):
        grad = grad_fn(s.theta, *args)
        small = max_abs(grad) <= grad_tol                    # θ already meets the gradient tolerance
        theta = jax.tree_util.tree_map(lambda t, g: t - eta.astype(t.dtype) * g.astype(t.dtype), s.theta, grad)
        loss = loss_fn(theta, *args)
        diverged = ~small & (~jnp.isfinite(loss) | (loss > limit))
        keep_old = diverged | small  # after a divergence: the last finite parameters, so no work is lost
        return _LoopState(
            theta=jax.tree_util.tree_map(lambda new, old: jnp.where(keep_old, old, new), theta, s.theta),
            loss=jnp.where(keep_old, s.loss, loss),
            k=s.k + jnp.where(small, 0, 1),
            history=s.history.at[s.k + 1].set(jnp.where(small, jnp.nan, loss)),
            converged=small | (~diverged & (jnp.abs(s.loss - loss) <= tol)),
            diverged=diverged,
        )

    start = _LoopState(theta0, loss0, jnp.array(0), history, jnp.array(False), ~jnp.isfinite(loss0))
    end = jax.lax.while_loop(keep_going, step, start)
    return GDResult(end.theta, end.history, end.k, end.converged, end.diverged, eta)


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _run_batched(loss_fn, grad_fn, max_iter, eta_axis, in_axes, theta0, eta, tol, growth, args, grad_tol=-1.0):
    def one(eta, *args):
        return _run(loss_fn, grad_fn, max_iter, theta0, eta, tol, growth, args, grad_tol)

    if eta_axis is None and all(a is None for a in in_axes):
        return one(eta, *args)
    return jax.vmap(one, in_axes=(eta_axis, *in_axes))(eta, *args)


def _check_start(theta0):
    """theta0: an array, or a pytree of arrays, of finite real numbers; a flat list of numbers
    ([0.0, 0.0]) is the vector it spells. Returns theta0 (the list as an array)."""
    if isinstance(theta0, list | tuple) and theta0 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in theta0):
        theta0 = np.asarray(theta0, dtype=float)
    leaves = jax.tree_util.tree_leaves(theta0)
    if not leaves:
        raise TypeError(f"theta0 must be an array (or a pytree of arrays) of starting parameters, got "
                        f"{type(theta0).__name__} {theta0!r}")
    for leaf in leaves:
        if np.issubdtype(np.asarray(leaf).dtype, np.integer):
            raise TypeError(f"theta0 holds integers ({np.asarray(leaf).dtype}); gradient descent moves parameters "
                            "by real steps: start from floats, e.g. np.zeros(n) or theta0.astype(float)")
        check_finite(as_float_array(leaf, "theta0"), "theta0", "start from finite parameters")
    return theta0


def _check_loss_at_start(loss, theta0, args) -> None:
    """loss(θ₀, *args) must run: its own complaint (θ of the wrong length, say) is passed on
    naming theta0, the argument the user gave."""
    try:
        loss(theta0, *args)
    except (TypeError, ValueError) as err:
        shapes = ", ".join(str(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(theta0))
        raise type(err)(f"gradient_descent: loss(theta0, *args) fails at the start theta0 (shape {shapes}): "
                        f"{err}") from None


def _check_grad_output(grad, theta0, args) -> None:
    """grad(θ₀, *args) must have θ's structure and shapes (else the update θ − η g fails deep in JAX)."""
    g = grad(theta0, *args)
    expected, got = jax.tree_util.tree_structure(theta0), jax.tree_util.tree_structure(g)
    if expected != got:
        raise ValueError(f"grad(theta, *args) must return a pytree shaped like theta0 ({expected}), got {got}")
    for i, (t, gi) in enumerate(zip(jax.tree_util.tree_leaves(theta0), jax.tree_util.tree_leaves(g))):
        if np.shape(t) != np.shape(gi):
            where = "" if expected.num_leaves == 1 else f" (leaf {i})"
            raise ValueError(f"grad(theta, *args) returned shape {np.shape(gi)}{where} for theta of shape "
                             f"{np.shape(t)}: the gradient must have the parameters' shape")


def gradient_descent(loss: Callable, theta0, *args, eta: float | ArrayLike, tol: float = 1e-10, max_iter: int = 1000,
                     grad: Callable | None = None, in_axes=None, max_loss_growth: float = 1e6,
                     on_divergence: str = "raise") -> GDResult:
    """Minimise loss(θ, *args) by gradient descent: θ_new = θ_old − η ∇L(θ_old).

    Stops when |L_old − L_new| ≤ tol (converged), after max_iter steps (a
    `ConvergenceWarning`), or when the loss becomes NaN/inf or exceeds
    |L₀| + max_loss_growth · max(|L₀|, 1) (diverged).

    Args:
        loss: scalar function loss(theta, *args); theta may be any pytree.
        theta0: starting parameters (array or pytree).
        *args: data passed to loss and grad, e.g. X (M, N) and y (M,).
        eta: step size η > 0, or a 1-D array of step sizes to run side by side
            in one vmapped computation.
        tol: stopping tolerance on |L_old − L_new| (≥ 0).
        max_iter: maximum number of steps (≥ 1).
        grad: gradient function grad(theta, *args) with theta's structure;
            default `jax.grad(loss)`. Pass a hand-derived gradient such as
            `jaxlearn.linear.least_squares_grad` to use the lecture's formula.
        in_axes: like `jax.vmap`'s, one entry per arg: which args carry a batch
            axis (e.g. a grid of λ). Batched args and a vector η pair up elementwise.
        max_loss_growth: divergence threshold (see above).
        on_divergence: "raise" (a `DivergenceError` carrying the result so
            far) or "warn" (a RuntimeWarning; the result reports which runs diverged).

    Returns:
        A `GDResult`; for batched runs every field has a leading batch axis.
    """
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {type(loss).__name__}")
    theta0 = _check_start(theta0)
    if grad is not None and not callable(grad):
        raise TypeError(f"grad must be callable or None, got {type(grad).__name__}")
    check_scalar(tol, "tol", minimum=0)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    check_scalar(max_loss_growth, "max_loss_growth", minimum=0, strict=True)
    check_option(on_divergence, "on_divergence", DIVERGENCE_POLICIES)
    if isinstance(eta, str | bytes | bool) or np.asarray(eta).dtype.kind not in "iuf":
        raise TypeError(f"eta (the step size η) must be a number or a 1-D array of numbers, got "
                        f"{type(eta).__name__} {eta!r}")
    eta_values = np.asarray(eta, dtype=float)
    if eta_values.ndim > 1 or eta_values.size == 0:
        raise ValueError(f"eta must be a scalar or a non-empty 1-D array, got shape {eta_values.shape}")
    if not np.all(np.isfinite(eta_values)) or np.any(eta_values <= 0):
        raise ValueError(f"eta (the step size η) must be finite and > 0, got {eta}")
    if in_axes is None:
        in_axes = (None,) * len(args)
    in_axes = tuple(in_axes)
    if len(in_axes) != len(args):
        raise ValueError(f"in_axes has {len(in_axes)} entries but {len(args)} args were given")

    eta_axis = 0 if eta_values.ndim == 1 else None
    grad_fn = grad if grad is not None else jax.grad(loss)
    if all(axis is None for axis in in_axes):     # unbatched data: one call at θ₀ tells
        _check_loss_at_start(loss, theta0, args)
        if grad is not None:
            _check_grad_output(grad, theta0, args)
    result = _run_batched(loss, grad_fn, max_iter, eta_axis, in_axes, theta0,
                          jnp.asarray(eta), tol, max_loss_growth, args)
    batched = result.n_iter.ndim > 0
    if not batched:
        result = result._replace(loss_history=result.loss_history[: int(result.n_iter) + 1])
    _report(result, on_divergence, max_iter, batched)
    return result


def _runs(mask, batched: bool) -> str:
    return f" for runs {np.flatnonzero(mask).tolist()}" if batched else ""


def _report(result: GDResult, on_divergence: str, max_iter: int, batched: bool) -> None:
    """Divergence as on_divergence says, and a `ConvergenceWarning` for runs that hit max_iter."""
    _report_divergence(result, on_divergence, batched)
    stalled = np.atleast_1d(~np.asarray(result.converged)) & ~np.atleast_1d(np.asarray(result.diverged))
    if stalled.any():
        warnings.warn(
            f"gradient descent stopped at max_iter={max_iter}{_runs(stalled, batched)} before |L_old − L_new| "
            "≤ tol; raise max_iter or eta, or scale the features", ConvergenceWarning, stacklevel=3)


def _report_divergence(result: GDResult, on_divergence: str, batched: bool) -> None:
    """Raise a `DivergenceError` (on_divergence="raise") or warn when any run diverged."""
    diverged = np.atleast_1d(np.asarray(result.diverged))
    etas = np.broadcast_to(np.asarray(result.eta), diverged.shape)
    n_iter = np.atleast_1d(np.asarray(result.n_iter))

    def values(array, mask):  # a list for batched runs, the number itself for a single run
        return array[mask].tolist() if batched else array[mask].item()

    if diverged.any():
        message = (
            f"gradient descent diverged{_runs(diverged, batched)} with eta={values(etas, diverged)} at "
            f"iteration {values(n_iter, diverged)}: the loss became NaN/inf or grew without bound. "
            "Use a smaller eta (for least squares, eta < 2 / λ_max(XᵀX/M)), scale the features "
            "(jaxlearn.features.standardize), or use a direct solver.")
        if on_divergence == "raise":
            raise DivergenceError(message, result)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def gradient_descent_to_tol(value: Callable, grad: Callable, theta0, data: tuple, *, eta: float, tol: float,
                            max_iter: int):
    """The lecture's gradient descent, stopped on the gradient: ‖∇L(θ)‖_∞ ≤ tol (the criterion of
    the other solvers, so that `converged` means the same for every method).

    Returns (θ, steps taken, ‖∇L(θ)‖_∞). Raises `DivergenceError` (its .result the last finite
    θ's `GDResult`) when the loss becomes NaN/inf or grows without bound.
    """
    # |L_old − L_new| ≤ −1 never holds: the loss test is off (the loss stops changing at working
    # precision long before the gradient does; GD's steps still shrink the gradient there)
    result = _run_batched(value, grad, max_iter, None, (None,) * len(data), theta0, jnp.asarray(eta), -1.0,
                          1e6, data, tol)
    _report_divergence(result, "raise", batched=False)   # an unmet tol is the caller's to report
    return result.theta, result.n_iter, max_abs(grad(result.theta, *data))


@jax.jit
def _power_iteration(X):
    """λ_max(XᵀX/M) by 50 steps of power iteration (a slight under-estimate)."""
    v = jnp.ones(X.shape[1], X.dtype) / jnp.sqrt(X.shape[1])

    def step(_, v):
        w = (X @ v) @ X / X.shape[0]
        return w / jnp.maximum(jnp.linalg.norm(w), jnp.finfo(X.dtype).tiny)

    v = jax.lax.fori_loop(0, 50, step, v)
    Xv = X @ v
    return Xv @ Xv / X.shape[0]


def largest_gram_eigenvalue(X: ArrayLike) -> float:
    """λ_max(XᵀX/M), the curvature of the least-squares loss (and a bound for the others), for the
    step size η = 1/L of gradient descent. Power iteration approaches it from below; the factor
    1.05 keeps η = 1/L safely under 2/L."""
    return 1.05 * float(_power_iteration(X))
