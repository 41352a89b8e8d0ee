"""Reciprocal condition numbers from a factorization, as LAPACK's xGECON/xPOCON/xTRCON do.

    rcond₁(A) = 1 / (‖A‖₁ ‖A⁻¹‖₁)

‖A‖₁ (the largest column sum) is cheap; ‖A⁻¹‖₁ is estimated without forming A⁻¹ by
Hager's method with Higham's refinements (LAPACK's xLACN2): a few solves with A and Aᵀ,
O(N²) each once A is factorised. The estimate of ‖A⁻¹‖₁ is a lower bound that is
almost always within a factor of 3, so the rcond it gives is an upper bound of the same
quality: a matrix it calls singular is singular to working precision.

Unlike min|R_ii| / max|R_ii| of a triangular factor, which is no bound on 1/cond at all
(the Kahan matrix has a mild diagonal and cond ≈ 10²⁰), this does not depend on how the
factorization happened to round: a singular system gives a huge ‖A⁻¹‖₁ estimate (or an
inf/NaN solve, read as rcond = 0) whether or not a pivot came out exactly zero.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

__all__ = ["norm1", "inverse_norm1_estimate", "triangular_rcond", "lu_rcond", "cholesky_rcond"]

# Hager's iteration converges in 2–3 steps in practice; LAPACK allows 5.
MAX_ITERATIONS = 5


def inverse_norm1_estimate(solve: Callable, solve_transposed: Callable, n: int, dtype) -> jax.Array:
    """A lower bound on ‖A⁻¹‖₁ that is nearly always within a factor of 3 (Hager–Higham).

    Args:
        solve: x ↦ A⁻¹x for x of shape (n,).
        solve_transposed: x ↦ A⁻ᵀx.
        n: the order of A.
        dtype: the floating dtype of the solves.

    Returns:
        A scalar; inf when a solve overflowed or produced NaN (A is singular).
    """
    def step(_, carry):
        x, estimate, done = carry
        y = solve(x)
        estimate = jnp.where(done, estimate, jnp.maximum(estimate, jnp.sum(jnp.abs(y))))
        z = solve_transposed(jnp.where(y >= 0, 1, -1).astype(dtype))
        j = jnp.argmax(jnp.abs(z))
        # The 1-norm of A⁻¹x is locally maximal over ‖x‖₁ = 1 when no unit vector improves it.
        done = done | (jnp.abs(z[j]) <= z @ x)
        x = jnp.where(done, x, jax.nn.one_hot(j, n, dtype=dtype))
        return x, estimate, done

    start = (jnp.full(n, 1 / n, dtype), jnp.zeros((), dtype), jnp.zeros((), bool))
    _, estimate, _ = jax.lax.fori_loop(0, MAX_ITERATIONS, step, start)
    # Higham's extra vector b_i = (−1)^i (1 + i/(n−1)) catches matrices that fool the iteration.
    i = jnp.arange(n, dtype=dtype)
    b = jnp.where(i % 2 == 0, 1, -1).astype(dtype) * (1 + i / max(n - 1, 1))
    estimate = jnp.maximum(estimate, 2 * jnp.sum(jnp.abs(solve(b))) / (3 * n))
    return jnp.where(jnp.isfinite(estimate), estimate, jnp.inf)


def norm1(A) -> jax.Array:
    """‖A‖₁ = max_j Σ_i |A_ij| (the largest column sum)."""
    return jnp.max(jnp.sum(jnp.abs(A), axis=0))


def _reciprocal(norm_A, norm_inverse):
    """1 / (‖A‖₁ ‖A⁻¹‖₁), 0 for a zero or singular A."""
    product = norm_A * norm_inverse
    return jnp.where((product > 0) & jnp.isfinite(product), 1 / product, 0).astype(norm_A.dtype)


def triangular_rcond(R) -> jax.Array:
    """rcond₁ of an upper-triangular R (N, N) (entries below the diagonal ignored), as xTRCON."""
    R = jnp.triu(R)
    n = R.shape[0]

    def solve(x):
        return jax.scipy.linalg.solve_triangular(R, x, lower=False)

    def solve_transposed(x):
        return jax.scipy.linalg.solve_triangular(R, x, lower=False, trans=1)

    return _reciprocal(norm1(R), inverse_norm1_estimate(solve, solve_transposed, n, R.dtype))


def lu_rcond(A, lu_and_pivots) -> jax.Array:
    """rcond₁ of A (N, N) from its LU factors (`jax.scipy.linalg.lu_factor`), as xGECON."""
    def solve(x):
        return jax.scipy.linalg.lu_solve(lu_and_pivots, x)

    def solve_transposed(x):
        return jax.scipy.linalg.lu_solve(lu_and_pivots, x, trans=1)

    return _reciprocal(norm1(A), inverse_norm1_estimate(solve, solve_transposed, A.shape[0], A.dtype))


def cholesky_rcond(A, cho_factor) -> jax.Array:
    """rcond₁ of a symmetric positive definite A (N, N) from its Cholesky factor
    (`jax.scipy.linalg.cho_factor`), as xPOCON. A⁻¹ is symmetric: one solve serves both."""
    def solve(x):
        return jax.scipy.linalg.cho_solve(cho_factor, x)

    return _reciprocal(norm1(A), inverse_norm1_estimate(solve, solve, A.shape[0], A.dtype))
