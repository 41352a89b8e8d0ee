"""Accelerated proximal gradient (FISTA) for a smooth loss plus a weighted L1 norm:

    minimise  F(θ) = f(θ) + Σᵢ wᵢ |θᵢ|,

the lecture's regularisation slide with the 1-norm: f is the mean loss with any L2 part
(λ(1 − ρ)/2 ‖d ∘ θ‖² for the elastic net), w = λρ d (0 on an unpenalised bias).

One step (Beck & Teboulle 2009), from the extrapolated point v:

    θ⁺ = prox_η(v − η ∇f(v)),        prox_η(u)ᵢ = sign(uᵢ) max(|uᵢ| − η wᵢ, 0)   (soft thresholding)
    t⁺ = (1 + √(1 + 4t²)) / 2,       v⁺ = θ⁺ + ((t − 1)/t⁺)(θ⁺ − θ)

η by backtracking: f(θ⁺) ≤ f(v) + ∇f(v)ᵀ(θ⁺ − v) + ‖θ⁺ − v‖²/(2η), else η/2; each step first
tries 1.25 η, so η follows the local curvature instead of only shrinking. The momentum restarts
(t = 1, v = θ) whenever it points uphill, (v − θ⁺)ᵀ(θ⁺ − θ) > 0 (O'Donoghue & Candès 2015):
linear convergence where F is locally strongly convex, as the logistic loss is near its L1
solution.

A diagonal metric D > 0 (θ's shape) makes the method invariant to the features' scales: the
steps above are taken in u = √D ∘ θ, where liblinear's intercept column of 10 000 (or any
feature in metres instead of millimetres) no longer stretches the condition number. In θ:
θ⁺ = prox(v − η D⁻¹ ∇f(v)) with thresholds η w / D, and the backtracking bound's last term is
(θ⁺ − v)ᵀ D (θ⁺ − v) / (2η). `jaxlearn.logistic` passes D_i = the curvature bound of feature i,
Σ_m s_m x_mi² / 4 (+ the L2 part).

The stopping rule is the gradient tolerance of the other solvers, for the proximal gradient
map in u, G_η(u) = (u − prox_η(u − η∇_u f))/η: ‖G‖_∞ ≤ tol. G is ∇_u f where w = 0, and it is 0
exactly at the minimiser of F.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np


def diagonal_curvature(X, weights, factor: float):
    """D_i = Σ_m w_m x_mi² / factor, on the host: the curvature bound of coordinate i of a loss
    Σ_m w_m ℓ(x_mᵀθ) with ℓ'' ≤ 1/factor (4 for the sigmoid, 2 for the softmax, ½ for the squared
    hinge), the metric of `proximal_gradient`. X (M, N), weights (M,)."""
    X = np.asarray(X)
    return (np.asarray(weights) @ (X * X)) / factor


def soft_threshold(u, threshold):
    """prox of Σ threshold_i |θ_i|: sign(u) max(|u| − threshold, 0), element-wise."""
    return jnp.sign(u) * jnp.maximum(jnp.abs(u) - threshold, 0)


def gradient_map(theta, grad, l1_weights, eta, metric):
    """G_η in u = √D ∘ θ: √D ∘ (θ − prox(θ − η D⁻¹∇f(θ)))/η, the step's direction, 0 at the optimum."""
    return jnp.sqrt(metric) * (theta - soft_threshold(theta - eta * grad / metric, eta * l1_weights / metric)) / eta


@partial(jax.jit, static_argnames=("objective", "max_iter"))
def proximal_gradient(objective, theta0, data, l1_weights, metric, tol, max_iter, eta0=1.0):
    """FISTA with backtracking and restarts on objective(θ, *data) + Σ l1_weights ∘ |θ|.

    Args:
        objective: the smooth part f (static: a module-level function); θ an array.
        theta0: the start, shape of θ; data: tuple of arrays (traced).
        l1_weights: w ≥ 0, θ's shape (traced: a new λ or ρ compiles nothing).
        metric: D > 0, θ's shape: the diagonal metric (ones: plain FISTA).
        tol: stop when ‖G_η‖_∞ ≤ tol; max_iter: the iteration limit (static).
        eta0: the first step size (1 where D bounds the curvature of each coordinate).

    Returns:
        (θ, iterations, ‖G_η(θ)‖_∞ at the returned θ).
    """
    value_and_grad = jax.value_and_grad(lambda theta: objective(theta, *data))
    dtype = theta0.dtype
    l1_weights, metric = jnp.asarray(l1_weights, dtype), jnp.asarray(metric, dtype)

    def prox_step(v, f_v, g_v, eta):
        """θ⁺ from v, with η halved until the quadratic model bounds f (at most 40 halvings);
        also f and ∇f at θ⁺, for the stopping rule there."""
        def candidate(eta):
            theta = soft_threshold(v - eta * g_v / metric, eta * l1_weights / metric)
            step = theta - v
            f_theta, g_theta = value_and_grad(theta)
            fits = (f_theta <= f_v + jnp.vdot(g_v, step) + jnp.vdot(step, metric * step) / (2 * eta)
                    + 1e-12 * jnp.abs(f_v))
            return eta, theta, g_theta, fits, 0

        def too_long(carry):
            *_, fits, halvings = carry
            return ~fits & (halvings < 40)

        def halve(carry):
            eta, *_, halvings = carry
            return (*candidate(eta / 2)[:4], halvings + 1)

        eta, theta, g_theta, _, _ = jax.lax.while_loop(too_long, halve, candidate(eta))
        return theta, g_theta, eta

    def step(carry):
        theta, v, t, eta, k, _ = carry
        f_v, g_v = value_and_grad(v)
        theta_new, g_new, eta = prox_step(v, f_v, g_v, 1.25 * eta)
        map_norm = jnp.max(jnp.abs(gradient_map(theta_new, g_new, l1_weights, eta, metric)))    # ‖G_η(θ⁺)‖_∞
        uphill = jnp.vdot(v - theta_new, metric * (theta_new - theta)) > 0
        t_new = (1 + jnp.sqrt(1 + 4 * t * t)) / 2
        v_new = theta_new + ((t - 1) / t_new) * (theta_new - theta)
        t_new, v_new = jnp.where(uphill, 1.0, t_new).astype(dtype), jnp.where(uphill, theta_new, v_new)
        return theta_new, v_new, t_new, eta, k + 1, map_norm

    def keep_going(carry):
        *_, k, map_norm = carry
        return (k < max_iter) & (map_norm > tol)

    eta0 = jnp.asarray(eta0, dtype)
    start = (theta0, theta0, jnp.ones((), dtype), eta0 / 1.25, 0, jnp.array(jnp.inf, dtype))
    theta, _, _, _, k, map_norm = jax.lax.while_loop(keep_going, step, start)
    return theta, k, map_norm
