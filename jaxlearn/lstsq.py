"""Direct least-squares and ridge solvers, one small jitted function per method.

Every solver minimises L(θ) = 1/(2M) ‖Xθ − y‖² + λ/2 θᵀDθ, where D = diag(d) with
d = 1 for a penalised coefficient and 0 for an unpenalised bias. Setting ∇L = 0
gives the ridge normal equations (eq. 22)

    (XᵀX + λM D) θ = Xᵀy,

and the same θ is the ordinary least-squares solution of the augmented system

    [X; √(λM) D^½] θ ≈ [y; 0],

which is how the orthogonal methods (QR, SVD, pinv) handle ridge without ever
forming XᵀX. Each solver returns θ and an estimate of the reciprocal condition number
(1-norm, `jaxlearn.condition`) of the matrix it factorised, for `linear.solve` to check.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import as_float_array, check_finite
from jaxlearn.condition import cholesky_rcond, lu_rcond, triangular_rcond

__all__ = ["back_substitution", "normal", "lu", "cholesky", "qr", "svd", "auto", "pinv"]


def back_substitution(R: ArrayLike, c: ArrayLike) -> jax.Array:
    """Solve the upper-triangular system R θ = c by back-substitution (eq. 25).

    θ_i = (c_i − Σ_{j>i} R_ij θ_j) / R_ii   for i = N−1, …, 0.

    Args:
        R: (N, N) upper-triangular matrix (entries below the diagonal are ignored).
        c: (N,) or (N, K) right-hand side(s).

    Returns:
        θ with the shape of c.

    Raises:
        SingularMatrixError: a diagonal entry R_ii is exactly 0.
    """
    R = as_float_array(R, "R")
    c = as_float_array(c, "c").astype(R.dtype)
    if R.ndim != 2 or R.shape[0] != R.shape[1]:
        raise ValueError(f"R must be a square (N, N) matrix, got shape {R.shape}")
    if c.ndim not in (1, 2) or c.shape[0] != R.shape[0]:
        raise ValueError(f"c must have shape ({R.shape[0]},) or ({R.shape[0]}, K), got {c.shape}")
    check_finite(R, "R", "R θ = c has no meaningful solution")
    check_finite(c, "c", "R θ = c has no meaningful solution")
    if not isinstance(R, jax.core.Tracer):
        zeros = np.flatnonzero(np.diag(np.asarray(R)) == 0)
        if zeros.size:
            raise SingularMatrixError(f"R has a zero on its diagonal (R[{zeros[0]}, {zeros[0]}] = 0): R θ = c is "
                                      "singular and back-substitution would divide by zero")
    return _back_substitution(R, c)


@jax.jit
def _back_substitution(R, c):
    n = R.shape[0]
    upper = jnp.triu(R)

    def step(k, theta):
        i = n - 1 - k
        # θ_j is still 0 for j ≤ i, so the full row product is Σ_{j>i} R_ij θ_j.
        return theta.at[i].set((c[i] - upper[i] @ theta) / upper[i, i])

    return jax.lax.fori_loop(0, n, step, jnp.zeros_like(c))


def _gram_system(X, y, lam, d):
    """A = XᵀX + λM D and b = Xᵀy: the (ridge) normal equations (eqs. 15, 22)."""
    M = X.shape[0]
    # y @ X, not X.T @ y: XLA would copy X into a transposed layout for the latter.
    return X.T @ X + jnp.diag((lam * M) * d), y @ X


def _augmented(X, y, lam, d, with_y_column):
    """Stack [X, y; √(λM) D^½, 0] (ridge as least squares); rows only when λ > 0."""
    n = X.shape[1]
    A = jnp.concatenate([X, y[:, None]], axis=1) if with_y_column else X
    extra = jnp.sqrt(lam * X.shape[0]) * jnp.diag(jnp.sqrt(d))
    if with_y_column:
        extra = jnp.concatenate([extra, jnp.zeros((n, 1), X.dtype)], axis=1)
    return jnp.concatenate([A, extra], axis=0), jnp.concatenate([y, jnp.zeros(n, y.dtype)])


@jax.jit
def normal(X, y, lam, d):
    """θ = (XᵀX + λM D)⁻¹ Xᵀy with the explicit inverse, as the lecture writes it (eq. 15)."""
    A, b = _gram_system(X, y, lam, d)
    lu, piv = jax.scipy.linalg.lu_factor(A)
    A_inv = jax.scipy.linalg.lu_solve((lu, piv), jnp.eye(A.shape[0], dtype=A.dtype))
    return A_inv @ b, lu_rcond(A, (lu, piv))


@jax.jit
def lu(X, y, lam, d):
    """Solve (XᵀX + λM D) θ = Xᵀy by LU with partial pivoting (≈ ⅔N³ flops after XᵀX)."""
    A, b = _gram_system(X, y, lam, d)
    factors = jax.scipy.linalg.lu_factor(A)
    return jax.scipy.linalg.lu_solve(factors, b), lu_rcond(A, factors)


@jax.jit
def cholesky(X, y, lam, d):
    """Solve (XᵀX + λM D) θ = Xᵀy by Cholesky A = LLᵀ (≈ ⅓N³ flops after XᵀX)."""
    A, b = _gram_system(X, y, lam, d)
    factor = jax.scipy.linalg.cho_factor(A, lower=True)
    # A failed factorization (NaN in the factor) gives rcond = 0.
    return jax.scipy.linalg.cho_solve(factor, b), cholesky_rcond(A, factor)


@partial(jax.jit, static_argnames="ridge")
def _r_and_qty(X, y, lam, d, ridge):
    """R and c = Qᵀy of X = QR from one Householder QR of [X | y] (2MN² − ⅔N³ flops).

    The first N reflectors depend only on X's columns, so the last column of the
    triangular factor of [X | y] holds Qᵀy: Q itself is never formed.
    """
    A, _ = _augmented(X, y, lam, d, with_y_column=True) if ridge else (
        jnp.concatenate([X, y[:, None]], axis=1), None)
    R_aug = jnp.linalg.qr(A, mode="r")
    n = X.shape[1]
    return R_aug[:n, :n], R_aug[:n, n]


@partial(jax.jit, static_argnames="ridge")
def qr(X, y, lam, d, ridge):
    """X = QR, then R θ = Qᵀy by back-substitution (eq. 25); needs M ≥ N (or λ > 0)."""
    R, c = _r_and_qty(X, y, lam, d, ridge)
    return _back_substitution(R, c), triangular_rcond(R)


@partial(jax.jit, static_argnames="mode")
def svd(X, y, lam, d, rcond, mode):
    """θ = V diag(f_i / s_i) Uᵀy from X = U S Vᵀ.

    With every coefficient penalised, f_i = s_i² / (s_i² + λM) are the ridge
    filter factors (eq. 22 in the SVD basis). With λ = 0, f_i = 1 and singular
    values below rcond·s_max are dropped: the minimum-norm least-squares
    solution, for rank-deficient X too. An unpenalised bias is handled by the
    augmented system instead.  mode (static) is "plain" (λ = 0), "filter" or
    "augment". For M ≥ N the SVD is taken of the N×N factor R of X = QR (as
    LAPACK's gelsd does): one QR plus a small SVD.
    """
    filter_factors, augment = mode == "filter", mode == "augment"
    if X.shape[0] >= X.shape[1] or augment:
        B, c = _r_and_qty(X, y, lam, d, augment)
    else:
        B, c = X, y
    U, s, Vt = jnp.linalg.svd(B, full_matrices=False)
    if filter_factors:
        inv_s = s / (s**2 + lam * X.shape[0])
    else:
        inv_s = jnp.where(s > rcond * s[0], 1 / jnp.where(s > 0, s, 1), 0)
    return Vt.T @ (inv_s * (U.T @ c)), _svd_rcond(s)


def _min_norm_from_r(R, c, rcond):
    """θ = V S⁺ Uᵀc from R = U S Vᵀ: the minimum-norm solution when R is (near) singular."""
    U, s, Vt = jnp.linalg.svd(R, full_matrices=False)
    inv_s = jnp.where(s > rcond * s[0], 1 / jnp.where(s > 0, s, 1), 0)
    return Vt.T @ (inv_s * (U.T @ c))


@partial(jax.jit, static_argnames="ridge")
def auto(X, y, lam, d, rcond, ridge):
    """QR when X has full column rank, the SVD of R otherwise (needs M ≥ N or λ > 0).

    X = QR as in `qr`; if the estimated reciprocal condition number of R (that of
    X) is above rcond, back-substitution (eq. 25), else the minimum-norm solution
    from the SVD of the N×N factor R, which is the SVD of X up to the orthogonal
    Q. The accuracy of the SVD for rank-deficient or ill-conditioned X, at the cost
    of one QR (plus O(N²) for the estimate) in the usual well-conditioned case.
    """
    R, c = _r_and_qty(X, y, lam, d, ridge)
    rcond_est = triangular_rcond(R)
    full_rank = rcond_est > rcond
    theta = jax.lax.cond(full_rank, lambda R, c: _back_substitution(R, c),
                         lambda R, c: _min_norm_from_r(R, c, rcond), R, c)
    return theta, rcond_est


def _svd_rcond(s):
    return s[-1] / jnp.maximum(s[0], jnp.finfo(s.dtype).tiny)


@partial(jax.jit, static_argnames="ridge")
def pinv(X, y, lam, d, rcond, ridge):
    """θ = X⁺y with the Moore–Penrose pseudo-inverse X⁺ = V S⁺ Uᵀ, formed explicitly.

    Singular values below rcond·s_max count as zero (S⁺ has 0 there).
    """
    A, b = _augmented(X, y, lam, d, with_y_column=False) if ridge else (X, y)
    U, s, Vt = jnp.linalg.svd(A, full_matrices=False)
    inv_s = jnp.where(s > rcond * s[0], 1 / jnp.where(s > 0, s, 1), 0)
    X_pinv = (Vt.T * inv_s[None, :]) @ U.T
    return X_pinv @ b, _svd_rcond(s)
