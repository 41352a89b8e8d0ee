"""Objectives of linear models, built from the loss layer: z = Xθ, then

    L(θ) = ℓ(Xθ, y) + λ/2 ‖d ∘ θ‖²,      ∇L(θ) = Xᵀ ∂ℓ/∂z + λ d ∘ θ      (eqs. 17, 20, 34)

for any loss ℓ of `jaxlearn.losses` (squared error, binary or softmax cross-entropy, the
smoothed hinge). `linear_objective(loss, loss_grad)` returns both as functions of
(θ, X, Xt, y, lam, d, *loss_args), where Xt is Xᵀ stored contiguously or None: XLA:CPU computes
Xt @ G about twice as fast as X.T @ G for a matrix G, which re-reads X across its rows.

The value carries the hand gradient as its custom VJP, so `jax.grad(value)` with respect to θ
*is* `grad`: the solvers that differentiate the value (optax's L-BFGS and its line search) run
the lecture's formula, computed from the forward pass's z without a second product Xθ. The
derivatives with respect to the data (X, Xt, y, λ, d) are autodiff's, exact as well; XLA drops
them when, as in the solvers, nothing uses them. (In the "rows" layout L never reads Xt, whose
derivative is then zero.)
"""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxlearn._validation import check_option
from jaxlearn.losses import l2_penalty, l2_penalty_grad

__all__ = ["LinearObjective", "linear_objective", "transpose_times"]

LAYOUTS = ("rows", "columns")


def transpose_times(X, Xt, G):
    """XᵀG for G (M,) or (M, K): from Xt = Xᵀ when given, else without transposing X in memory."""
    if Xt is not None:
        return Xt @ G
    return G @ X if G.ndim == 1 else jnp.tensordot(X, G, axes=(0, 0))


# The two layouts. "rows": θ (N,) or (N, K), z = Xθ (M[, K]), the samples along axis 0, as the
# lecture writes it. "columns": θ (K, N), one problem a row as the lecture's W, z = θXᵀ (K, M),
# the samples along axis −1: for K problems at once XLA:CPU runs these products and the
# element-wise loss on (K, M) about 2.5× faster than on (M, K) (a (1347 × 65)·(65 × 10) step of
# the one-vs-rest SVM on digits: 45 µs against 115 µs).

def _predict(layout, theta, X, Xt):
    return X @ theta if layout == "rows" else theta @ Xt


def _backpropagate(layout, X, Xt, dz):
    """∂L/∂θ from ∂L/∂z: Xᵀ dz ("rows") or dz X ("columns")."""
    return transpose_times(X, Xt, dz) if layout == "rows" else dz @ X


def _loss(loss, layout, z, y, extra):
    return loss(z, y, *extra) if layout == "rows" else loss(z, y, *extra, sample_axis=-1)


def _hand_gradient(loss_grad, layout, z, theta, X, Xt, y, lam, d, extra):
    """∇L = Xᵀ ∂ℓ/∂z + λ d ∘ θ (in the layout's orientation), from the predictions z."""
    return _backpropagate(layout, X, Xt, _loss(loss_grad, layout, z, y, extra)) + l2_penalty_grad(theta, lam, d)


def _value(loss, layout, theta, X, Xt, y, lam, d, extra):
    return _loss(loss, layout, _predict(layout, theta, X, Xt), y, extra) + l2_penalty(theta, lam, d)


@partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _objective(loss, loss_grad, layout, theta, X, Xt, y, lam, d, extra):
    return _value(loss, layout, theta, X, Xt, y, lam, d, extra)


def _objective_fwd(loss, loss_grad, layout, theta, X, Xt, y, lam, d, extra):
    z = _predict(layout, theta, X, Xt)
    return _loss(loss, layout, z, y, extra) + l2_penalty(theta, lam, d), (z, theta, X, Xt, y, lam, d, extra)


def _objective_bwd(loss, loss_grad, layout, residuals, g):
    z, theta, X, Xt, y, lam, d, extra = residuals
    grad_theta = _hand_gradient(loss_grad, layout, z, theta, X, Xt, y, lam, d, extra)
    # the data's derivatives by autodiff; the product that the layout takes from Xt is X's too
    def data_value(X, Xt, y, lam, d, extra):
        return _value(loss, layout, theta, X, Xt, y, lam, d, extra)

    _, data_vjp = jax.vjp(data_value, X, Xt, y, lam, d, extra)
    return (g * grad_theta, *data_vjp(g))


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


def linear_objective(loss: Callable, loss_grad: Callable, *, layout: str = "rows") -> LinearObjective:
    """L(θ) = loss(z, y, *loss_args) + λ/2 ‖d ∘ θ‖² with z = Xθ, and its hand gradient
    Xᵀ loss_grad(z, y) + λ d ∘ θ.

    Args:
        loss, loss_grad: a loss of `jaxlearn.losses` on predictions z and its ∂ℓ/∂z
            (module-level functions, so that jit caches one program per loss).
        layout: "rows" (θ (N,) or (N, K), y (M,) or (M, K); Xt may be None) or "columns"
            (θ (K, N), y (K, M), Xt required; for element-wise losses, which take sample_axis).

    Returns:
        A `LinearObjective`; its functions take θ, X (M, N), Xt (N, M) or None, y, λ (scalar),
        d (θ's shape; 0 for an unpenalised bias) and the loss's extra arguments.
    """
    check_option(layout, "layout", LAYOUTS)

    def value(theta, X, Xt, y, lam, d, *loss_args):
        return _objective(loss, loss_grad, layout, theta, X, Xt, y, lam, d, tuple(loss_args))

    def grad(theta, X, Xt, y, lam, d, *loss_args):
        return _hand_gradient(loss_grad, layout, _predict(layout, theta, X, Xt), theta, X, Xt, y, lam, d, loss_args)

    def formula(theta, X, Xt, y, lam, d, *loss_args):
        return _value(loss, layout, theta, X, Xt, y, lam, d, loss_args)

    return LinearObjective(value, grad, formula)
