"""The 1-norm condition estimates behind the solvers' singularity checks."""

import jax
import numpy as np
import pytest

from jaxlearn import SingularMatrixError, solve
from jaxlearn.condition import cholesky_rcond, lu_rcond, triangular_rcond
from tests.conftest import random_problem


def kahan(n, angle, dtype):
    """The Kahan matrix: upper triangular, diag sⁱ, above it −c·sⁱ; cond ≈ 10²⁰ for n = 100,
    angle 1.2, while min|R_ii| / max|R_ii| ≈ 1e-3 looks harmless."""
    s, c = np.sin(angle), np.cos(angle)
    return (np.diag(s ** np.arange(n)) @ (np.eye(n) + np.triu(-c * np.ones((n, n)), 1))).astype(dtype)


def exact_rcond(A):
    return 1 / np.linalg.cond(np.asarray(A, np.float64), 1)


@pytest.mark.parametrize("seed", range(4))
def test_estimates_are_upper_bounds_within_a_factor_of_3(seed, dtype):
    rng = np.random.default_rng(seed)
    A = (rng.normal(size=(12, 12)) @ np.diag(np.logspace(0, 2, 12)) @ rng.normal(size=(12, 12))).astype(dtype)
    spd = A @ A.T + np.eye(12, dtype=dtype)
    R = np.linalg.qr(A)[1]
    estimates = {
        "lu": (lu_rcond(A, jax.scipy.linalg.lu_factor(A)), exact_rcond(A)),
        "cholesky": (cholesky_rcond(spd, jax.scipy.linalg.cho_factor(spd)), exact_rcond(spd)),
        "triangular": (triangular_rcond(R), exact_rcond(np.triu(R))),
    }
    for name, (estimate, exact) in estimates.items():
        assert estimate.dtype == dtype, name
        assert exact * (0.9 if dtype == np.float32 else 0.999) <= float(estimate) <= 3 * exact, name


def test_the_kahan_matrix_is_seen_as_singular_although_its_diagonal_is_mild():
    K = kahan(100, 1.2, np.float64)
    diagonal = np.abs(np.diag(K))
    assert diagonal.min() / diagonal.max() > 1e-4
    assert float(triangular_rcond(K)) < 1e-16


def test_singular_factors_give_zero():
    R = np.triu(np.ones((3, 3)))
    R[1, 1] = 0.0
    assert float(triangular_rcond(R)) == 0.0
    A = np.ones((3, 3))
    assert float(lu_rcond(A, jax.scipy.linalg.lu_factor(A))) == 0.0


# --- the solvers on the Kahan matrix: no silent garbage ---------------------------------------------

def test_auto_on_the_kahan_matrix_is_as_accurate_as_svd():
    K = kahan(100, 1.2, np.float32)
    y = K @ np.ones(100, np.float32)
    with pytest.warns(np.exceptions.RankWarning, match="effective rank 99 of 100"):
        reference = np.asarray(solve(K, y, method="svd"))
    with pytest.warns(np.exceptions.RankWarning, match="effective rank 99 of 100"):
        theta = np.asarray(solve(K, y, method="auto"))
    residual = np.linalg.norm(K @ theta - y)
    assert np.abs(theta).max() < 10
    assert residual <= 1.01 * np.linalg.norm(K @ reference - y) + 1e-6


def test_qr_refuses_the_kahan_matrix():
    K = kahan(100, 1.2, np.float32)
    with pytest.raises(SingularMatrixError, match=r"method='qr': R \(from X = QR\) is singular.*float32"):
        solve(K, K @ np.ones(100, np.float32), method="qr")


@pytest.mark.parametrize("method", ["normal", "lu", "cholesky", "qr"])
@pytest.mark.parametrize("seed", range(6))
def test_exactly_collinear_columns_are_refused_whatever_the_rounding(method, seed, dtype):
    X, y, _ = random_problem(seed, M=20, N=3, dtype=dtype)
    X = np.column_stack([X, 2 * X[:, 1]])
    with pytest.raises(SingularMatrixError, match="reciprocal condition number"):
        solve(X, y, method=method)
    with pytest.warns(np.exceptions.RankWarning, match="effective rank 3 of 4"):
        theta = np.asarray(solve(X, y, method="auto"))
    with pytest.warns(np.exceptions.RankWarning, match="effective rank 3 of 4"):
        reference = np.asarray(solve(X, y, method="svd"))
    np.testing.assert_allclose(theta, reference,
                               rtol=1e-3 if dtype == np.float32 else 1e-8, atol=1e-4)
