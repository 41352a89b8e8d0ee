"""Newton's method with step halving, for smooth convex losses with a Hessian at hand."""

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames=("value", "grad", "hessian", "max_iter"))
def newton(value, grad, hessian, theta0, data, tol, max_iter):
    """Minimise value(θ, *data): θ ← θ − t H⁻¹∇L, t halved from 1 until L decreases.

    Args:
        value, grad, hessian: L, ∇L (N,) and H (N, N) as functions of (θ, *data); static
            (module-level functions: one compiled program each).
        theta0: (N,); data: tuple of arrays (traced); tol: stop when ‖∇L‖_∞ ≤ tol; max_iter: limit.

    Returns:
        (θ, iterations, ‖∇L(θ)‖_∞). H must be positive definite (a λ > 0 ridge makes it so).
    """
    def step(carry):
        theta, k, _ = carry
        g = grad(theta, *data)
        direction = jax.scipy.linalg.solve(hessian(theta, *data), g, assume_a="pos")
        loss0 = value(theta, *data)

        def worse(t):
            return (value(theta - t * direction, *data) > loss0) & (t > 1e-10)

        t = jax.lax.while_loop(worse, lambda t: t / 2, jnp.array(1.0, theta.dtype))
        return theta - t * direction, k + 1, jnp.max(jnp.abs(g))

    def keep_going(carry):
        _, k, grad_norm = carry
        return (k < max_iter) & (grad_norm > tol)

    theta, k, _ = jax.lax.while_loop(keep_going, step, (theta0, 0, jnp.array(jnp.inf, theta0.dtype)))
    return theta, k, jnp.max(jnp.abs(grad(theta, *data)))
