"""SMO for the SVM dual, as libsvm solves it (Fan, Chen and Lin 2005), many problems at once.

    min_α  ½ αᵀQα − eᵀα   s.t.  0 ≤ α_t ≤ C_t,  yᵀα = 0,   Q_ts = y_t y_s k(x_t, x_s)

C_t is C, or C times the sample's weight (libsvm's class weights, sample weights). Each step
picks the pair (i, j) by libsvm's second-order working-set selection (WSS2) and
solves the two-variable problem analytically; the gradient G = Qα − e is updated from the two
kernel rows. It stops when the maximal KKT violation m(α) − M(α) ≤ tol, as libsvm's `tol`.
The P binary problems of a one-vs-one fit run side by side as one vmapped, jitted loop over a
kernel matrix computed once. Names follow libsvm's Solver: quad_coef a_ts = k_tt + k_ss − 2k_ts,
grad_diff b_ts = −y_i G_i + y_t G_t.
"""

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

TAU = 1e-12  # libsvm's floor for a non-positive curvature a_ij


class _Selection(NamedTuple):
    i: jax.Array
    j: jax.Array
    gap: jax.Array          # m(α) − M(α), the maximal KKT violation
    row_i: jax.Array        # k(x_i, x_t) for the problem's samples t
    row_j: jax.Array


def violating_sets(alpha, y, valid, C):
    """libsvm's I_up (α_t can move so that y_t α_t grows) and I_low (shrinks), as masks."""
    up = valid & (((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0)))
    low = valid & (((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C)))
    return up, low


def _select(kernel_matrix, idx, diag, y, valid, alpha, G, C):
    """libsvm's WSS2: i maximises −y_t G_t over I_up; j maximises the second-order gain over I_low."""
    up, low = violating_sets(alpha, y, valid, C)
    minus_yG = -y * G
    score_up = jnp.where(up, minus_yG, -jnp.inf)
    i = jnp.argmax(score_up)
    max_up = score_up[i]                                     # libsvm's m(α)
    min_low = jnp.min(jnp.where(low, minus_yG, jnp.inf))     # libsvm's M(α)
    row_i = kernel_matrix[idx[i], idx]
    grad_diff = max_up - minus_yG                            # b_it = −y_i G_i + y_t G_t
    quad_coef = diag[i] + diag - 2 * row_i                   # a_it = k_ii + k_tt − 2 k_it
    quad_coef = jnp.where(quad_coef > 0, quad_coef, TAU)
    j = jnp.argmin(jnp.where(low & (grad_diff > 0), -(grad_diff * grad_diff) / quad_coef, jnp.inf))
    return _Selection(i, j, max_up - min_low, row_i, kernel_matrix[idx[j], idx])


def _update_pair(alpha_i, alpha_j, G_i, G_j, y_i, y_j, quad, C_i, C_j):
    """libsvm's analytic two-variable update, clipped to the boxes [0, C_i] and [0, C_j]
    (sequential, as in Solver::Solve)."""
    different = y_i != y_j
    # y_i ≠ y_j: α_i − α_j is conserved
    delta = (-G_i - G_j) / quad
    diff = alpha_i - alpha_j
    ai, aj = alpha_i + delta, alpha_j + delta
    ai, aj = jnp.where((diff > 0) & (aj < 0), diff, ai), jnp.where((diff > 0) & (aj < 0), 0.0, aj)
    ai, aj = jnp.where((diff <= 0) & (ai < 0), 0.0, ai), jnp.where((diff <= 0) & (ai < 0), -diff, aj)
    wide_i = diff > C_i - C_j
    ai, aj = jnp.where(wide_i & (ai > C_i), C_i, ai), jnp.where(wide_i & (ai > C_i), C_i - diff, aj)
    ai, aj = jnp.where(~wide_i & (aj > C_j), C_j + diff, ai), jnp.where(~wide_i & (aj > C_j), C_j, aj)
    # y_i = y_j: α_i + α_j is conserved
    delta_s = (G_i - G_j) / quad
    total = alpha_i + alpha_j
    bi, bj = alpha_i - delta_s, alpha_j + delta_s
    bi, bj = jnp.where((total > C_i) & (bi > C_i), C_i, bi), jnp.where((total > C_i) & (bi > C_i), total - C_i, bj)
    bi, bj = jnp.where((total <= C_i) & (bj < 0), total, bi), jnp.where((total <= C_i) & (bj < 0), 0.0, bj)
    bi, bj = jnp.where((total > C_j) & (bj > C_j), total - C_j, bi), jnp.where((total > C_j) & (bj > C_j), C_j, bj)
    bi, bj = jnp.where((total <= C_j) & (bi < 0), 0.0, bi), jnp.where((total <= C_j) & (bi < 0), total, bj)
    return jnp.where(different, ai, bi), jnp.where(different, aj, bj)


def rho(alpha, G, y, valid, C):
    """libsvm's ρ: the mean of y_t G_t over free α_t, or the middle of its feasible interval."""
    yG = y * G
    upper, lower = alpha >= C, alpha <= 0
    free = valid & ~upper & ~lower
    bounds_ub = valid & ((upper & (y < 0)) | (lower & (y > 0)))
    bounds_lb = valid & ((upper & (y > 0)) | (lower & (y < 0)))
    ub = jnp.min(jnp.where(bounds_ub, yG, jnp.inf))
    lb = jnp.max(jnp.where(bounds_lb, yG, -jnp.inf))
    n_free = jnp.sum(free).astype(G.dtype)
    return jnp.where(n_free > 0, jnp.sum(jnp.where(free, yG, 0)) / jnp.maximum(n_free, 1), (ub + lb) / 2)


def solve(kernel_matrix, idx, diag, y, valid, C, tol, max_iter, alpha, G):
    """SMO from a feasible (α, G = Qα − e) until m(α) − M(α) ≤ tol or max_iter steps, on the
    samples idx of kernel_matrix (their diagonal diag, their boxes C: a scalar or one per sample).
    Jittable; returns (α, G, steps, gap).
    The working-set solver (`jaxlearn.svm.working_set`) runs it on each q-variable subproblem."""
    def keep_going(state):
        _, _, k, sel = state
        return (k < max_iter) & (sel.gap > tol)

    C = jnp.broadcast_to(C, alpha.shape)

    def step(state):
        alpha, G, k, sel = state
        i, j = sel.i, sel.j
        quad = jnp.maximum(diag[i] + diag[j] - 2 * sel.row_i[j], TAU)
        new_i, new_j = _update_pair(alpha[i], alpha[j], G[i], G[j], y[i], y[j], quad, C[i], C[j])
        d_i, d_j = new_i - alpha[i], new_j - alpha[j]
        G = G + y * (y[i] * d_i * sel.row_i + y[j] * d_j * sel.row_j)   # Q_ti = y_t y_i k_ti
        alpha = alpha.at[i].set(new_i).at[j].set(new_j)
        return alpha, G, k + 1, _select(kernel_matrix, idx, diag, y, valid, alpha, G, C)

    start = (alpha, G, jnp.array(0), _select(kernel_matrix, idx, diag, y, valid, alpha, G, C))
    alpha, G, k, sel = jax.lax.while_loop(keep_going, step, start)
    return alpha, G, k, sel.gap


def _smo_one(kernel_matrix, diag_full, C, tol, max_iter, idx, y, valid):
    dtype = kernel_matrix.dtype
    alpha = jnp.zeros(idx.shape[0], dtype)
    G = -jnp.ones(idx.shape[0], dtype)                      # G = Qα − e at α = 0
    alpha, G, k, gap = solve(kernel_matrix, idx, diag_full[idx], y, valid, C, tol, max_iter, alpha, G)
    return alpha, -rho(alpha, G, y, valid, C), k, gap


@jax.jit
def smo(kernel_matrix, idx, y, valid, C, tol, max_iter):
    """Solve P dual problems at once over one kernel matrix (M, M) of all samples.

    idx, y, valid: (P, n): each problem's sample indices, labels ±1 and which entries are real
    (problems are padded to a common n; a padded entry is in neither I_up nor I_low, so its α
    stays 0). C: the box, a scalar or (P, n) one per entry (C times its weight). C, tol and
    max_iter are traced: a grid over C compiles nothing new. Returns α (P, n), the intercepts
    b (P,), iterations (P,) and the KKT violations left (P,).
    """
    dtype = kernel_matrix.dtype
    C, tol = jnp.broadcast_to(jnp.asarray(C, dtype), idx.shape), jnp.asarray(tol, dtype)
    one = partial(_smo_one, kernel_matrix, jnp.diagonal(kernel_matrix))
    return jax.vmap(one, in_axes=(0, None, None, 0, 0, 0))(C, tol, max_iter, idx, y.astype(dtype), valid)
