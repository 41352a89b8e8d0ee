"""L-BFGS (optax's) run to a gradient tolerance: the one quasi-Newton loop of jaxlearn.

Used by softmax regression, binary logistic regression (method="lbfgs"), the λ paths of
`jaxlearn.sweeps` (vmapped) and the primal linear SVM (one run per smoothing stage).
"""

from functools import partial

import jax
import jax.numpy as jnp
import optax


def max_abs(tree) -> jax.Array:
    """‖g‖_∞ over every leaf of a pytree."""
    return jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in jax.tree_util.tree_leaves(tree)]))


@partial(jax.jit, static_argnames=("objective", "max_iter"))
def lbfgs(objective, theta0, data, tol, max_iter):
    """Minimise objective(θ, *data) until ‖∇L‖_∞ ≤ tol at the current θ, or no decrease is left.

    Args:
        objective: a scalar function (static: pass a module-level function, so that jit caches
            one program for it); θ may be any pytree.
        theta0: the start; data: a tuple of arrays (traced: new data, no recompilation).
        tol: the gradient tolerance (traced); max_iter: the iteration limit (static).

    Returns:
        (θ, iterations, ‖∇L(θ)‖_∞).

    The loop stops early, with ‖∇L‖_∞ still above tol, when the line search finds no decrease:
    the loss is flat at working precision there (float32 stalls at gradients of about
    1e-5 · scale), and more iterations would only spin.
    """
    def loss_fn(theta):
        return objective(theta, *data)

    # Backtracking (Armijo) accepts L-BFGS's unit step almost always: one evaluation of the
    # loss and gradient per iteration, where the default zoom line search spends more.
    # store_grad transposes with a Python 1.0 seed, which optax 0.2 cannot do for float32
    # parameters while jax_enable_x64 is on: then the gradient is recomputed instead.
    store_grad = all(leaf.dtype == jnp.result_type(float) for leaf in jax.tree_util.tree_leaves(theta0))
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
        grad_norm = max_abs(grad)                           # ∇L at the current θ
        with jax.numpy_dtype_promotion("standard"):  # optax is not strict-promotion clean
            updates, new_state = solver.update(grad, state, theta, value=value, grad=grad, value_fn=loss_fn)
        stalled = (grad_norm > tol) & ~(optax.tree.get(new_state, "value") < value)
        done = (grad_norm <= tol) | stalled                 # keep θ whose gradient met tol
        keep = lambda old, new: jnp.where(done, old, new)  # noqa: E731
        return (jax.tree_util.tree_map(keep, theta, optax.apply_updates(theta, updates)),
                jax.tree_util.tree_map(keep, state, new_state), grad_norm, stalled)

    def keep_going(carry):
        _, state, grad_norm, stalled = carry
        return (optax.tree.get(state, "count") < max_iter) & (grad_norm > tol) & ~stalled

    with jax.numpy_dtype_promotion("standard"):
        state = solver.init(theta0)
    dtype = jax.tree_util.tree_leaves(theta0)[0].dtype
    start = (theta0, state, jnp.array(jnp.inf, dtype), jnp.array(False))
    theta, state, _, _ = jax.lax.while_loop(keep_going, step, start)
    return theta, optax.tree.get(state, "count"), max_abs(jax.grad(loss_fn)(theta))
