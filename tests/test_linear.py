import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads
from sklearn.linear_model import Ridge

from jaxlearn import SingularMatrixError
from jaxlearn.features import vandermonde
from jaxlearn.gradcheck import assert_gradients_match
from jaxlearn.linear import METHODS, back_substitution, least_squares_grad, least_squares_loss, solve
from tests.conftest import RTOL, random_problem

# Gradient descent stops on the loss, so θ is accurate to about √(rounding of the loss).
GD_RTOL = {np.float32: 3e-3, np.float64: 1e-6}


def tolerance(method, dtype):
    return GD_RTOL[dtype] if method == "gd" else 10 * RTOL[dtype]


# --- the loss and its hand-derived gradient (eqs. 7, 17, 18, 20) -------------------------------

def test_loss_is_the_lecture_formula():
    X = np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.0]])
    y = np.array([1.0, 0.0, 2.0])
    theta = np.array([0.5, 1.0])
    residual = X @ theta - y
    expected = residual @ residual / (2 * 3) + 0.3 / 2 * theta @ theta
    np.testing.assert_allclose(least_squares_loss(theta, X, y, lam=0.3), expected, rtol=1e-14)
    expected_no_bias = residual @ residual / 6 + 0.3 / 2 * theta[1] ** 2
    np.testing.assert_allclose(least_squares_loss(theta, X, y, lam=0.3, penalize_bias=False),
                               expected_no_bias, rtol=1e-14)


@given(M=st.integers(1, 30), N=st.integers(1, 8), lam=st.floats(0, 10), seed=st.integers(0, 2**16),
       penalize_bias=st.booleans(), use_float32=st.booleans())
def test_autodiff_equals_hand_gradient(M, N, lam, seed, penalize_bias, use_float32):
    dtype = np.float32 if use_float32 else np.float64
    rng = np.random.default_rng(seed)
    X, y, theta = (rng.normal(size=s).astype(dtype) for s in [(M, N), M, N])
    # jitted: one compilation per shape instead of one per operation
    auto = jax.jit(jax.grad(least_squares_loss), static_argnames="penalize_bias")(theta, X, y, lam,
                                                                                penalize_bias=penalize_bias)
    hand = jax.jit(least_squares_grad, static_argnames="penalize_bias")(theta, X, y, lam, penalize_bias=penalize_bias)
    assert hand.dtype == auto.dtype == dtype
    scale = 1 + float(jnp.max(jnp.abs(auto)))
    np.testing.assert_allclose(hand, auto, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_finite_differences(lam):
    """Eq. 17 / 20 by hand = jax.grad = finite differences (the public jaxlearn.gradcheck), and the
    loss's second derivatives through JAX's own check."""
    X, y, theta = random_problem(0, M=20, N=4)
    assert_gradients_match(least_squares_loss, least_squares_grad, theta, X, y, lam)
    assert_gradients_match(least_squares_loss, least_squares_grad, theta.astype(np.float32), X.astype(np.float32),
                           y.astype(np.float32), lam, dtype="float32")
    check_grads(lambda t: least_squares_loss(t, X, y, lam), (theta,), order=2, modes=["rev", "fwd"])


def test_gradient_vanishes_at_the_solution():
    X, y, _ = random_problem(1)
    theta = solve(X, y, lam=0.2)
    np.testing.assert_allclose(least_squares_grad(theta, X, y, 0.2), 0, atol=1e-12)


def test_loss_and_grad_work_under_jit_and_vmap():
    X, y, theta = random_problem(2)
    thetas = np.stack([theta, 2 * theta])
    losses = jax.jit(jax.vmap(least_squares_loss, in_axes=(0, None, None)))(thetas, X, y)
    np.testing.assert_allclose(losses[1], least_squares_loss(2 * theta, X, y), rtol=1e-12)


# --- solvers against LAPACK and scikit-learn ---------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_agrees_with_numpy_lstsq(method, dtype, seed):
    X, y, _ = random_problem(seed, M=80, N=6, dtype=dtype)
    expected = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    theta = solve(X, y, method=method)
    assert theta.shape == (6,) and theta.dtype == dtype
    tol = tolerance(method, dtype)
    np.testing.assert_allclose(theta, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("method", METHODS)
def test_ridge_agrees_with_scikit_learn(method, dtype, seed):
    X, y, _ = random_problem(seed, M=50, N=8, dtype=dtype)
    lam = 0.05
    # scikit-learn minimises ‖Xθ − y‖² + α‖θ‖²; ours is that divided by 2M with α = λM.
    expected = Ridge(alpha=lam * 50, fit_intercept=False, solver="svd").fit(
        X.astype(np.float64), y.astype(np.float64)).coef_
    tol = tolerance(method, dtype)
    np.testing.assert_allclose(solve(X, y, lam=lam, method=method), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("method", METHODS)
def test_ridge_with_unpenalised_bias_matches_centred_scikit_learn(method):
    # Leaving θ₀ out of the penalty is ridge with an intercept: scikit-learn centres the data.
    X, y, _ = random_problem(3, M=40, N=3)
    y = y + 5.0
    design = np.column_stack([np.ones(40), X])
    reference = Ridge(alpha=0.1 * 40, fit_intercept=True).fit(X, y)
    theta = solve(design, y, lam=0.1, method=method, penalize_bias=False)
    tol = tolerance(method, np.float64)
    np.testing.assert_allclose(theta[1:], reference.coef_, rtol=tol, atol=tol)
    np.testing.assert_allclose(theta[0], reference.intercept_, rtol=tol)


@pytest.mark.parametrize("method", ["auto", "svd", "pinv"])
def test_underdetermined_gives_minimum_norm_solution(method):
    X, y, _ = random_problem(4, M=5, N=12)
    np.testing.assert_allclose(solve(X, y, method=method), np.linalg.pinv(X) @ y, rtol=1e-10)


@pytest.mark.parametrize("method", ["auto", "svd", "pinv"])
def test_rank_deficient_gives_minimum_norm_solution(method):
    X, y, _ = random_problem(5, M=30, N=4)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])  # a collinear fifth column
    np.testing.assert_allclose(solve(X, y, method=method), np.linalg.lstsq(X, y, rcond=None)[0],
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_input_is_reported_by_every_method(method, where, bad):
    X, y, _ = random_problem(10, M=30, N=4)
    if where == "X":
        X[17, 2] = bad
    else:
        y[17] = bad
    with pytest.raises(ValueError, match=rf"{where} contains 1 NaN or inf value\(s\), the first at index \(17"):
        solve(X, y, method=method)


def test_methods_are_float32_when_the_input_is():
    X, y, _ = random_problem(6, dtype=np.float32)
    for method in METHODS:
        assert solve(X, y, lam=0.1, method=method).dtype == np.float32


# --- the lecture's warning about the normal equations ------------------------------------------

def lecture_polynomial(M):
    x = np.linspace(-1, 1, M)
    y = np.sin(3 * x) + 0.1 * np.random.default_rng(0).normal(size=M)
    return np.asarray(vandermonde(x, 20)), y


def test_normal_equations_lose_the_accuracy_that_qr_and_svd_keep():
    X, y = lecture_polynomial(200)  # cond(X) ≈ 1.7e7, so cond(XᵀX) ≈ 3e14
    reference = np.asarray(solve(X, y, method="svd", rcond=0))
    best = np.linalg.norm(X @ reference - y)

    def errors(method):
        theta = np.asarray(solve(X, y, method=method))
        return (np.linalg.norm(theta - reference) / np.linalg.norm(reference),
                np.linalg.norm(X @ theta - y) / best - 1)

    for method in ("qr", "svd"):
        theta_error, excess_residual = errors(method)
        assert theta_error < 1e-9 and abs(excess_residual) < 1e-10
    normal_theta_error, normal_excess = errors("normal")
    qr_theta_error, qr_excess = errors("qr")
    assert normal_theta_error > 1e-4 > 1e6 * qr_theta_error
    assert normal_excess > 1e-9 > 10 * abs(qr_excess)


def test_normal_equations_refuse_the_25_sample_degree_20_fit():
    X, y = lecture_polynomial(25)  # cond(X) ≈ 1e8: XᵀX is singular to double precision
    with pytest.raises(SingularMatrixError, match="method='normal'.*Use method='svd'"):
        solve(X, y, method="normal")
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(X @ solve(X, y, method="qr"), X @ reference, atol=1e-10)


@pytest.mark.parametrize("method", ["normal", "lu", "cholesky", "qr"])
def test_singular_systems_are_detected(method):
    X, y, _ = random_problem(7, M=20, N=3)
    X = np.column_stack([X, 2 * X[:, 1]])  # exactly collinear
    with pytest.raises(SingularMatrixError, match="singular.*Use method='svd'.*lam > 0"):
        solve(X, y, method=method)
    assert np.isfinite(solve(X, y, lam=1e-3, method=method)).all()  # ridge cures it


def test_qr_refuses_fewer_samples_than_features():
    X, y, _ = random_problem(8, M=3, N=5)
    with pytest.raises(SingularMatrixError, match="M=3 < N=5"):
        solve(X, y, method="qr")


# --- back-substitution (eq. 25) ----------------------------------------------------------------

@given(n=st.integers(1, 12), k=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_back_substitution_equals_solve_triangular(n, k, seed):
    rng = np.random.default_rng(seed)
    R = np.triu(rng.normal(size=(n, n))) + n * np.eye(n)
    c = rng.normal(size=(n, k) if k else n)
    expected = jax.scipy.linalg.solve_triangular(R, c, lower=False)
    np.testing.assert_allclose(back_substitution(R, c), expected, rtol=1e-10)
    np.testing.assert_allclose(back_substitution(R, c), scipy.linalg.solve_triangular(R, c), rtol=1e-10)


def test_back_substitution_ignores_the_lower_triangle():
    R = np.array([[2.0, 1.0], [99.0, 4.0]])
    np.testing.assert_allclose(back_substitution(R, np.array([3.0, 4.0])), [1.0, 1.0])


# --- bad input -----------------------------------------------------------------------------------

X_OK, Y_OK, THETA_OK = random_problem(9, M=10, N=3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: solve(X_OK[:, 0], Y_OK), ValueError, r"X must be 2-D .*got shape \(10,\).*reshape"),
    (lambda: solve(X_OK, Y_OK[:7]), ValueError, "y has length 7 but X has 10 rows"),
    (lambda: solve(X_OK, Y_OK[:, None]), ValueError, r"y must be 1-D, got shape \(10, 1\)"),
    (lambda: solve(np.where(np.eye(10, 3) > 0, np.nan, X_OK), Y_OK), ValueError,
     r"X contains 3 NaN or inf value\(s\), the first at index \(0, 0\)"),
    (lambda: solve(X_OK, np.full(10, np.inf)), ValueError, "y contains 10 NaN or inf"),
    (lambda: solve(X_OK, Y_OK, method="magic"), ValueError,
     "unknown method 'magic'; valid options are 'auto', 'svd', 'qr', 'cholesky', 'lu', 'normal', 'pinv', 'gd'"),
    (lambda: solve(X_OK, Y_OK, lam=-1.0), ValueError, "lam must be ≥ 0, got -1.0"),
    (lambda: solve(X_OK, Y_OK, lam=np.nan), ValueError, "lam must be finite"),
    (lambda: solve(X_OK, Y_OK, lam="0.1"), TypeError, "lam must be a real number, got str"),
    (lambda: solve(X_OK, Y_OK, method="gd", eta=0.0), ValueError, "eta must be > 0, got 0.0"),
    (lambda: solve(X_OK, Y_OK, method="gd", eta=-0.1), ValueError, "eta must be > 0"),
    (lambda: solve(X_OK, Y_OK, method="gd", tol=-1.0), ValueError, "tol must be ≥ 0"),
    (lambda: solve(X_OK, Y_OK, rcond=-1.0), ValueError, "rcond must be ≥ 0"),
    (lambda: solve(np.array([["a"]]), Y_OK), TypeError, "X must be an array of numbers, got ndarray of dtype <U1"),
    (lambda: solve(np.zeros((0, 3)), np.zeros(0)), ValueError, "at least one sample and one feature"),
    (lambda: least_squares_loss(THETA_OK[:2], X_OK, Y_OK), ValueError,
     "theta has length 2 but X has 3 features"),
    (lambda: least_squares_grad(THETA_OK, X_OK, Y_OK, lam=-0.5), ValueError, "lam must be ≥ 0"),
    (lambda: back_substitution(np.ones((2, 3)), np.ones(2)), ValueError, "R must be a square"),
    (lambda: back_substitution(np.eye(2), np.ones(3)), ValueError, r"c must have shape \(2,\)"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
