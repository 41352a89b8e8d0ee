"""Linear regression: the least-squares / ridge loss, its hand-derived gradient, solvers.

    L(θ) = 1/(2M) ‖Xθ − y‖² + λ/2 ‖θ‖²        (eqs. 7 and 18)
    ∇L(θ) = (1/M) Xᵀ(Xθ − y) + λθ              (eqs. 17 and 20)
    θ* = (XᵀX + λM I)⁻¹ Xᵀy                     (eqs. 15 and 22)

With penalize_bias=False the bias θ₀ (column 0 of X, the column of ones) is
left out of the penalty, as the lecture suggests: ‖θ‖² becomes Σ_{j≥1} θ_j².
"""


import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import losses, lstsq
from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import (
    check_bool,
    check_finite,
    check_lapack_dtype,
    check_linear_model,
    check_matrix,
    check_no_overflow,
    check_option,
    check_scalar,
    check_vector,
)
from jaxlearn.buckets import bucket, pad_rows
from jaxlearn.lstsq import back_substitution
from jaxlearn.objectives import linear_objective
from jaxlearn.optim.gradient_descent import gradient_descent, largest_gram_eigenvalue

METHODS = ("auto", "svd", "qr", "cholesky", "lu", "normal", "pinv", "gd")
DEFAULT_METHOD = "auto"
SINGULARITY_CHECKED = ("normal", "lu", "cholesky", "qr")

__all__ = ["least_squares_loss", "least_squares_grad", "solve", "back_substitution", "METHODS"]


# L(θ) = 1/(2M)‖Xθ − y‖² + λ/2‖d∘θ‖² with its hand gradient (eqs. 17 and 20)
LEAST_SQUARES = linear_objective(losses.squared_error, losses.squared_error_grad)


def least_squares_loss(theta: ArrayLike, X: ArrayLike, y: ArrayLike, lam: float = 0.0, *,
                       penalize_bias: bool = True) -> jax.Array:
    """L(θ) = 1/(2M) ‖Xθ − y‖² + λ/2 ‖θ‖² (eqs. 7 and 18).

    Args:
        theta: (N,) coefficients.
        X: (M, N) design matrix, one sample a row.
        y: (M,) targets.
        lam: ridge strength λ ≥ 0.
        penalize_bias: include θ₀ in the penalty (False: Σ_{j≥1} θ_j²).

    Returns:
        Scalar loss in X's dtype.
    """
    theta, X, y, lam = check_linear_model(theta, X, y, lam)
    return LEAST_SQUARES.formula(theta, X, None, y, lam, losses.penalty_mask(theta.shape, X.dtype, penalize_bias))


def least_squares_grad(theta: ArrayLike, X: ArrayLike, y: ArrayLike, lam: float = 0.0, *,
                       penalize_bias: bool = True) -> jax.Array:
    """∇L(θ) = (1/M) Xᵀ(Xθ − y) + λθ (eqs. 17 and 20), derived by hand, not by autodiff.

    Args and shapes as in `least_squares_loss`; returns (N,).
    """
    theta, X, y, lam = check_linear_model(theta, X, y, lam)
    # ((Xθ − y)/M)ᵀX is Xᵀ(Xθ − y)/M without making XLA transpose X in memory (jaxlearn.objectives).
    return LEAST_SQUARES.grad(theta, X, None, y, lam, losses.penalty_mask(theta.shape, X.dtype, penalize_bias))


def solve(X: ArrayLike, y: ArrayLike, lam: float = 0.0, *, method: str = DEFAULT_METHOD,
          penalize_bias: bool = True, rcond: float | None = None, eta: float | None = None,
          tol: float | None = None, max_iter: int = 10_000) -> jax.Array:
    """θ minimising 1/(2M) ‖Xθ − y‖² + λ/2 ‖θ‖² (the solution of eq. 22).

    Methods (cost for M samples, N features, after the Gram matrix where it is used):
      - "auto" (default): "qr" when X is well conditioned (the 1-norm estimate of
        1/cond(R) from a few triangular solves is above rcond), else the SVD of the
        triangular factor R (the minimum-norm θ); "svd" when M < N and λ = 0.
        As accurate as "svd" at the cost of one QR. 2MN² − ⅔N³.
      - "svd": X = U S Vᵀ (taken of R after a QR when M ≥ N, like LAPACK's
        gelsd): θ = V S⁺ Uᵀy, ridge through the filter factors s²/(s² + λM).
        The most accurate; handles rank-deficient X with the minimum-norm θ.
        2MN² + 11N³.
      - "qr": X = QR, R θ = Qᵀy by back-substitution (eq. 25). 2MN² − ⅔N³.
      - "cholesky": (XᵀX + λMI) = LLᵀ. ⅓N³ (plus MN² for XᵀX).
      - "lu": LU of (XᵀX + λMI). ⅔N³ (plus MN² for XᵀX).
      - "normal": θ = (XᵀX + λMI)⁻¹ Xᵀy with the explicit inverse, as in eq. 15.
        Squares the condition number: taught, not recommended.
      - "pinv": θ = X⁺y with the explicitly formed Moore–Penrose pseudo-inverse.
      - "gd": gradient descent (`jaxlearn.optim.gradient_descent`) on the loss.

    Ridge (λ > 0) in the orthogonal methods uses the augmented system
    [X; √(λM) I] θ ≈ [y; 0], never XᵀX.

    Args:
        X: (M, N) design matrix.
        y: (M,) targets.
        lam: ridge strength λ ≥ 0.
        method: one of `METHODS`.
        penalize_bias: include θ₀ (column 0) in the penalty.
        rcond: for "auto"/"svd"/"pinv", singular values below rcond·s_max are treated as
            zero (default eps · max(M, N), as numpy.linalg.lstsq); "auto" takes the SVD
            path when its estimate of 1/cond(X) is at or below rcond.
        eta, tol, max_iter: for "gd": step size (default 1/L with L the largest
            eigenvalue of XᵀX/M + λ, estimated by power iteration), stopping
            tolerance on |L_old − L_new| (default 10·eps·L(0), about the rounding
            level of the loss) and the iteration limit. GD stops on the loss,
            so θ is only accurate to about √tol.

    Returns:
        θ, shape (N,), in X's dtype.

    Raises:
        SingularMatrixError: "normal", "lu", "cholesky" or "qr" met a singular or
            numerically singular system: the reciprocal condition number, estimated
            from the factorization as LAPACK's xGECON does, is below eps for the
            Gram matrix XᵀX + λMD, or below max(M, N)·eps for R (the error suggests
            "svd" or λ > 0).
        DivergenceError: "gd" diverged.

    Warns:
        numpy.exceptions.RankWarning: "auto", "svd" or "pinv" without ridge found X (M ≥ N)
        numerically rank-deficient; θ is then the minimum-norm solution, one of many. The
        message names the effective rank and rcond.

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxlearn as jl
        >>> x = jnp.array([0.0, 1.0, 2.0, 3.0])
        >>> X = jl.vandermonde(x, 1)                  # columns 1, x
        >>> jl.solve(X, 1.0 + 2.0 * x).round(4).tolist()     # y = 1 + 2x exactly
        [1.0, 2.0]
    """
    check_option(method, "method", METHODS)
    X = check_matrix(X, finite=False)  # NaN/inf: see below
    y = check_vector(y, X.shape[0], like=X, finite=False)
    check_scalar(lam, "lam", minimum=0)
    check_bool(penalize_bias, "penalize_bias")
    if method != "gd":
        check_lapack_dtype(X)
    M, N = X.shape
    lam = float(lam)
    d = losses.penalty_mask(N, X.dtype, penalize_bias)
    eps = float(jnp.finfo(X.dtype).eps)
    if rcond is None:
        rcond = eps * max(M, N)
    check_scalar(rcond, "rcond", minimum=0)
    ridge = lam > 0

    if method == "gd":
        check_finite(X, "X")
        check_finite(y, "y")
        check_no_overflow(X)
        return _solve_gd(X, y, lam, penalize_bias, eta, tol, max_iter)
    if method == "auto" and M < N and not ridge:
        method = "svd"  # underdetermined: the minimum-norm solution
    if method == "qr" and M < N and not ridge:
        raise SingularMatrixError(
            f"method='qr' needs at least as many samples as features (M={M} < N={N}): XᵀX is "
            "singular. Use method='svd' for the minimum-norm solution, or lam > 0.")
    rcond_arr = np.asarray(rcond, X.dtype)
    # Zero rows appended up to the bucket of M (jaxlearn.buckets) leave XᵀX, Xᵀy and R unchanged;
    # the ridge term λM·D keeps the real M through λ·M/M_padded. One program per bucket.
    size = bucket(M)
    Xp, yp = pad_rows(np.asarray(X), size), pad_rows(np.asarray(y), size)   # NumPy: no copy program
    lam_arr = np.asarray(lam * M / size, X.dtype)
    if method in ("normal", "lu", "cholesky"):
        theta, rcond_est = getattr(lstsq, method)(Xp, yp, lam_arr, d)
    elif method == "svd":
        mode = "plain" if not ridge else ("filter" if penalize_bias else "augment")
        theta, rcond_est = lstsq.svd(Xp, yp, lam_arr, d, rcond_arr, mode)
    elif method == "qr":
        theta, rcond_est = lstsq.qr(Xp, yp, lam_arr, d, ridge)
    else:  # auto, pinv
        theta, rcond_est = getattr(lstsq, method)(Xp, yp, lam_arr, d, rcond_arr, ridge)
    rcond_est = float(rcond_est)
    if not (np.isfinite(rcond_est) and rcond_est > 0 and np.all(np.isfinite(np.asarray(theta)))):
        # NaN/inf anywhere in X or y reaches XᵀX's diagonal, Xᵀy and the factor R, so
        # the inputs need scanning only now, to say where (this saves a pass over X).
        check_finite(X, "X")
        check_finite(y, "y")
        check_no_overflow(X)  # XᵀX overflowed (QR and SVD scale safely, as LAPACK's norms do)
    if method in SINGULARITY_CHECKED:
        # rcond₁ estimated from the factorization (jaxlearn.condition). The N×N Gram matrix
        # (condition number cond(X)²) is singular to working precision below eps, as LAPACK's
        # xGESVX/xPOSVX say; R from X = QR (condition number cond(X)) below max(M, N)·eps,
        # the rank threshold of numpy.linalg.lstsq.
        threshold = eps if method != "qr" else max(M, N) * eps
        _check_not_singular(method, theta, rcond_est, threshold, X.dtype)
    elif not np.all(np.isfinite(np.asarray(theta))):
        raise FloatingPointError(f"method={method!r} produced non-finite θ from finite input "
                                 "(overflow?); scale the features (jaxlearn.features.standardize)")
    elif not ridge and M >= N and rcond_est <= rcond:
        _warn_rank_deficient(X, rcond, method)
    return theta


def _warn_rank_deficient(X, rcond: float, method: str) -> None:
    """The minimum-norm θ of a numerically rank-deficient X (M ≥ N): right, but not the only
    least-squares solution, which the caller should know (numpy.linalg.lstsq reports the rank)."""
    s = np.linalg.svd(np.asarray(X, dtype=np.float64), compute_uv=False)
    rank = int(np.sum(s > rcond * s[0]))
    if rank == X.shape[1]:
        return          # the cheap estimate of "auto" was pessimistic: full rank after all
    warnings.warn(
        f"solve(method={method!r}): X is numerically rank-deficient, effective rank {rank} of {X.shape[1]} "
        f"(singular values below rcond·s_max = {rcond:.3g}·{s[0]:.3g} count as zero; cond(X) ≈ "
        f"{s[0] / max(s[-1], np.finfo(float).tiny):.3g}). θ is the minimum-norm least-squares solution, but it is not "
        "unique: any θ + v with Xv ≈ 0 fits as well. Drop collinear features, add ridge regularisation (lam > 0), or "
        "pass a larger rcond.", np.exceptions.RankWarning, stacklevel=3)


def _check_not_singular(method, theta, rcond_est, threshold, dtype):
    if np.isfinite(rcond_est) and rcond_est > threshold and np.all(np.isfinite(np.asarray(theta))):
        return
    what = "XᵀX + λMI" if method != "qr" else "R (from X = QR)"
    raise SingularMatrixError(
        f"method={method!r}: {what} is singular to working precision ({dtype}; estimated "
        f"reciprocal condition number {rcond_est:.2g} ≤ {threshold:.2g}), so θ would be garbage. "
        "Use method='svd' (minimum-norm solution for rank-deficient X) or 'qr', add ridge "
        "regularisation (lam > 0), drop collinear features, or scale them "
        "(jaxlearn.features.standardize).")


def _solve_gd(X, y, lam, penalize_bias, eta, tol, max_iter):
    if eta is None:
        eta = 1.0 / (largest_gram_eigenvalue(X) + lam)
    check_scalar(eta, "eta", minimum=0, strict=True)
    if tol is None:
        tol = 10 * float(jnp.finfo(X.dtype).eps) * float(0.5 * jnp.mean(y**2))
    d = losses.penalty_mask(X.shape[1], X.dtype, penalize_bias)
    lam = jnp.asarray(lam, X.dtype)
    result = gradient_descent(LEAST_SQUARES.value, jnp.zeros(X.shape[1], X.dtype), X, None, y, lam, d, eta=eta,
                              tol=tol, max_iter=max_iter, grad=LEAST_SQUARES.grad)
    return result.theta
