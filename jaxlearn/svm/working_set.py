"""Working-set SMO: the SVM dual at any size, with kernel rows computed when they are needed.

    min_α  ½ αᵀQα − eᵀα   s.t.  0 ≤ α_t ≤ C,  yᵀα = 0,   Q_ts = y_t y_s k(x_t, x_s)

No M × M matrix anywhere (Joachims 1999; Catanzaro et al. 2008; ThunderSVM): each outer
iteration

  1. picks a working set B of q variables: half of it new, the most violating variables not
     already kept (as many of I_up with the largest −y_t G_t as of I_low with the smallest),
     the other half the newest of the last working set, whose kernel rows are at hand
     (ThunderSVM's rule; the first working set is all new). libsvm's maximal violating pair
     is always in B;
  2. computes the new half's kernel rows k(X_new, X), (q/2) × n, with one matrix product;
  3. solves the q-variable subproblem (the other α fixed) with the exact SMO of
     `jaxlearn.svm.smo.solve` (libsvm's second-order selection) on Q_BB, from G_B, until its
     own KKT violation is below max(tol, `INNER_RATIO` · the global one) or `inner_max_iter`
     steps;
  4. updates the gradient of all n variables: G ← G + y ∘ K_Bᵀ (y_B ∘ Δα_B).

It stops on libsvm's criterion, the global maximal violation m(α) − M(α) ≤ tol, or after
max_iter SMO steps in all (the steps of every subproblem, comparable to libsvm's iterations).
Memory: the samples, α, G and q × n kernel values (the working set's rows). The subproblems' updates are exact, so the
solution satisfies the same KKT conditions as the precomputed-Gram SMO's.
"""

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxlearn.kernels import _from_inner_products, laplacian_block, laplacian_rows
from jaxlearn.svm.smo import rho, solve, violating_sets

INNER_RATIO = 0.1          # a subproblem is solved to a tenth of the global violation (ThunderSVM's choice)


class WorkingSetState(NamedTuple):
    """The solver's state between calls: α (n,), G = Qα − e (n,), the KKT violation m − M,
    SMO steps and outer iterations so far, and the last working set: B (q,), which of its
    entries are real (q,), and its kernel rows (q, n), the newest first."""

    alpha: jax.Array
    G: jax.Array
    gap: jax.Array
    steps: jax.Array
    outer: jax.Array
    B: jax.Array
    real: jax.Array
    rows: jax.Array


def start(y, valid, dtype, q: int) -> WorkingSetState:
    """α = 0 and G = −e, no working set yet; the violation at α = 0 (2 when both classes are
    present, as −yG = y)."""
    n = y.shape[0]
    alpha = jnp.zeros(n, dtype)
    G = -jnp.ones(n, dtype)
    return WorkingSetState(alpha, G, _gap(alpha, G, y, valid, jnp.asarray(1, dtype)), jnp.array(0), jnp.array(0),
                           jnp.zeros(q, jnp.int32), jnp.zeros(q, bool), jnp.zeros((q, n), dtype))


def _gap(alpha, G, y, valid, C):
    up, low = violating_sets(alpha, y, valid, C)
    minus_yG = -y * G
    return jnp.max(jnp.where(up, minus_yG, -jnp.inf)) - jnp.min(jnp.where(low, minus_yG, jnp.inf))


def select_working_set(alpha, G, y, valid, C, q: int, taken=None):
    """B (q,) and which of its entries are real: q/2 indices of I_up with the largest −yG, then
    q/2 of I_low with the smallest, none of them `taken` (a mask (n,), default none) or chosen
    twice. Entries past the end of a set are not real (their index is arbitrary; the solver
    leaves them alone)."""
    up, low = violating_sets(alpha, y, valid, C)
    minus_yG = -y * G
    taken = jnp.zeros(y.shape, bool) if taken is None else taken
    up_score, up_idx = jax.lax.top_k(jnp.where(up & ~taken, minus_yG, -jnp.inf), q // 2)
    taken = taken.at[up_idx].max(up_score > -jnp.inf)
    low_score, low_idx = jax.lax.top_k(jnp.where(low & ~taken, -minus_yG, -jnp.inf), q - q // 2)
    return jnp.concatenate([up_idx, low_idx]), jnp.concatenate([up_score > -jnp.inf, low_score > -jnp.inf])


def kernel_rows(name: str, degree: int, gamma, coef0, A, X, squared_norms_A, squared_norms_X):
    """k(A, X): (q, n) for the rows A (q, N) against X (n, N). γ and c traced, as in `jaxlearn.kernels`."""
    if name != "laplacian":
        return _from_inner_products(name, degree, gamma, coef0, A @ X.T, squared_norms_A, squared_norms_X)
    # exp(−γ‖a − x‖₁): no product form; row blocks keep the (block, n, N) intermediate small
    block = min(A.shape[0], laplacian_block(X.shape[0], X.shape[1], X.dtype.itemsize))
    return laplacian_rows(gamma, A, X, block)


@partial(jax.jit, static_argnames=("name", "degree", "q", "inner_max_iter"))
def run(state: WorkingSetState, X, squared_norms, diag, y, valid, gamma, coef0, C, tol, max_iter, until, *,
        name: str, degree: int, q: int, inner_max_iter: int) -> WorkingSetState:
    """Outer iterations from `state` until the violation is ≤ tol, max_iter SMO steps are spent,
    or `until` outer iterations are done (so that a caller can report progress in between).

    X (n, N): the problem's samples; squared_norms, diag (n,): ‖x‖² and k(x, x); y (n,) ±1;
    valid (n,): real entries (padding is in no set and keeps α = 0); C: the box, a scalar or (n,)
    one per sample. γ, c, C, tol, max_iter and until are traced; the kernel's name and degree, q
    and inner_max_iter are static.
    """
    dtype = X.dtype
    n = X.shape[0]
    positions = jnp.arange(q)

    def keep_going(s):
        return (s.gap > tol) & (s.steps < max_iter) & (s.outer < until)

    def rows_of(B):
        return kernel_rows(name, degree, gamma, coef0, X[B], X, squared_norms[B], squared_norms)

    def all_new(s):
        B, real = select_working_set(s.alpha, s.G, y, valid, C, q)
        return B, real, rows_of(B)

    def half_new(s):
        kept, kept_real = s.B[:q // 2], s.real[:q // 2]
        taken = jnp.zeros(n, bool).at[kept].max(kept_real)
        new, new_real = select_working_set(s.alpha, s.G, y, valid, C, q - q // 2, taken)
        return (jnp.concatenate([new, kept]), jnp.concatenate([new_real, kept_real]),
                jnp.concatenate([rows_of(new), s.rows[:q // 2]]))

    def outer_step(s):
        B, real, rows = jax.lax.cond(s.outer == 0, all_new, half_new, s)       # K_B (q, n)
        alpha_B, y_B = s.alpha[B], y[B]
        inner_tol = jnp.maximum(tol, INNER_RATIO * s.gap)
        budget = jnp.minimum(inner_max_iter, max_iter - s.steps)
        new_alpha_B, _, steps, _ = solve(rows[:, B], positions, diag[B], y_B, real, C[B], inner_tol, budget,
                                         alpha_B, s.G[B])
        delta = jnp.where(real, new_alpha_B - alpha_B, 0)
        G = s.G + y * ((y_B * delta) @ rows)                     # G += Q_{:,B} Δα_B
        # the new α_B exactly (bounds are compared exactly); entries that are not real are dropped
        alpha = s.alpha.at[jnp.where(real, B, n)].set(new_alpha_B, mode="drop")
        return WorkingSetState(alpha, G, _gap(alpha, G, y, valid, C), s.steps + steps, s.outer + 1, B, real, rows)

    C, tol = jnp.broadcast_to(jnp.asarray(C, dtype), (n,)), jnp.asarray(tol, dtype)
    state = state._replace(gap=_gap(state.alpha, state.G, y, valid, C))
    return jax.lax.while_loop(keep_going, outer_step, state)


@jax.jit
def intercept(state: WorkingSetState, y, valid, C):
    """b = −ρ (libsvm's ρ from the free variables, `jaxlearn.svm.smo.rho`)."""
    return -rho(state.alpha, state.G, y, valid, jnp.asarray(C, state.G.dtype))
