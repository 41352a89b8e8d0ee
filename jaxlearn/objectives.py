"""Objectives of linear models, built from the loss layer: z = Xθ, then

    L(θ) = ℓ(Xθ, y) + λ/2 ‖d ∘ θ‖²,      ∇L(θ) = Xᵀ ∂ℓ/∂z + λ d ∘ θ      (eqs. 17, 20, 34)

for any loss ℓ of `jaxlearn.losses` (squared error, binary or softmax cross-entropy, the
smoothed hinge). `linear_objective(loss, loss_grad)` returns both as functions of
(θ, X, Xt, y, lam, d, *loss_args), where Xt is Xᵀ stored contiguously or None: XLA:CPU computes
Xt @ G about twice as fast as X.T @ G for a matrix G, which re-reads X across its rows.

The value carries the hand gradient as its custom VJP, so `jax.grad(value)` with respect to θ
*is* `grad`: the solvers that differentiate the value (optax's L-BFGS and its line search) run
the lecture's formula, computed from the forward pass's z without a second product Xθ. The
derivatives with respect to the data (X, y, λ, d) are autodiff's, exact as well; XLA drops
them when, as in the solvers, nothing uses them. Xt only ever multiplies, so L does not depend
on it and its derivative is zero.
"""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxlearn.losses import l2_penalty, l2_penalty_grad


def transpose_times(X, Xt, G):
    """XᵀG for G (M,) or (M, K): from Xt = Xᵀ when given, else without transposing X in memory."""
    if Xt is not None:
        return Xt @ G
    return G @ X if G.ndim == 1 else jnp.tensordot(X, G, axes=(0, 0))


def _value(loss, theta, X, y, lam, d, extra):
    return loss(X @ theta, y, *extra) + l2_penalty(theta, lam, d)


@partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def _objective(loss, loss_grad, theta, X, Xt, y, lam, d, extra):
    return _value(loss, theta, X, y, lam, d, extra)


def _objective_fwd(loss, loss_grad, theta, X, Xt, y, lam, d, extra):
    z = X @ theta
    return loss(z, y, *extra) + l2_penalty(theta, lam, d), (z, theta, X, Xt, y, lam, d, extra)


def _objective_bwd(loss, loss_grad, residuals, g):
    z, theta, X, Xt, y, lam, d, extra = residuals
    grad_theta = transpose_times(X, Xt, loss_grad(z, y, *extra)) + l2_penalty_grad(theta, lam, d)
    _, data_vjp = jax.vjp(lambda X, y, lam, d, extra: _value(loss, theta, X, y, lam, d, extra), X, y, lam, d, extra)
    dX, dy, dlam, dd, dextra = data_vjp(g)
    return g * grad_theta, dX, None if Xt is None else jnp.zeros_like(Xt), dy, dlam, dd, dextra


_objective.defvjp(_objective_fwd, _objective_bwd)


class LinearObjective(NamedTuple):
    """Functions of (θ, X, Xt, y, lam, d, *loss_args).

    value: L, whose VJP is the hand gradient (what the solvers differentiate);
    grad: ∇L (θ's shape), by hand;
    formula: L again, plain, for autodiff to check the hand gradient against.
    """

    value: Callable
    grad: Callable
    formula: Callable


def linear_objective(loss: Callable, loss_grad: Callable) -> LinearObjective:
    """L(θ) = loss(Xθ, y, *loss_args) + λ/2 ‖d ∘ θ‖² and its hand gradient Xᵀ loss_grad(Xθ, y) + λ d ∘ θ.

    Args:
        loss, loss_grad: a loss of `jaxlearn.losses` on predictions z and its ∂ℓ/∂z
            (module-level functions, so that jit caches one program per loss).

    Returns:
        A `LinearObjective`; both functions take θ (N,) or (N, K), X (M, N), Xt (N, M) or None,
        y (M,) or (M, K), λ (scalar), d (θ's shape; 0 for an unpenalised bias) and the loss's
        extra arguments.
    """
    def value(theta, X, Xt, y, lam, d, *loss_args):
        return _objective(loss, loss_grad, theta, X, Xt, y, lam, d, tuple(loss_args))

    def grad(theta, X, Xt, y, lam, d, *loss_args):
        return transpose_times(X, Xt, loss_grad(X @ theta, y, *loss_args)) + l2_penalty_grad(theta, lam, d)

    def formula(theta, X, Xt, y, lam, d, *loss_args):
        return _value(loss, theta, X, y, lam, d, loss_args)

    return LinearObjective(value, grad, formula)
