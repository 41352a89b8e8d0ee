import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads
from sklearn.linear_model import LogisticRegression

from jaxlearn import ConvergenceWarning
from jaxlearn import logistic as lg
from jaxlearn.gradcheck import assert_gradients_match
from jaxlearn.nn import one_hot
from tests.conftest import RTOL


def binary_problem(seed, M=150, N=3):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(M), rng.normal(size=(M, N))])
    y = (X @ rng.normal(size=N + 1) + rng.normal(size=M) > 0).astype(float)
    return X, y


def multiclass_problem(seed, M=180, N=3, K=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, K, size=M)
    X = np.column_stack([np.ones(M), rng.normal(size=(M, N)) + 0.8 * labels[:, None]])
    return X, labels


def test_sigmoid_derivative_is_autodiff():
    z = jnp.linspace(-30, 30, 101)
    np.testing.assert_allclose(lg.sigmoid_derivative(z), jax.vmap(jax.grad(lg.sigmoid))(z), rtol=1e-12, atol=1e-300)


@given(M=st.integers(2, 40), N=st.integers(1, 6), lam=st.floats(0, 5), seed=st.integers(0, 2**16),
       penalize_bias=st.booleans(), use_float32=st.booleans())
def test_binary_cross_entropy_gradient_is_autodiff(M, N, lam, seed, penalize_bias, use_float32):
    dtype = np.float32 if use_float32 else np.float64
    rng = np.random.default_rng(seed)
    X, theta = rng.normal(size=(M, N)).astype(dtype), rng.normal(size=N).astype(dtype)
    y = rng.integers(0, 2, size=M).astype(dtype)
    # jitted: one compilation per shape instead of one per operation
    auto = jax.jit(jax.grad(lg.binary_cross_entropy), static_argnames="penalize_bias")
    hand = jax.jit(lg.binary_cross_entropy_grad, static_argnames="penalize_bias")
    np.testing.assert_allclose(hand(theta, X, y, lam, penalize_bias=penalize_bias),
                               auto(theta, X, y, lam, penalize_bias=penalize_bias), rtol=RTOL[dtype], atol=RTOL[dtype])


def test_binary_cross_entropy_is_the_lecture_formula_and_passes_finite_differences():
    X, y = binary_problem(0, M=20)
    theta = np.array([0.1, -0.4, 0.3, 0.2])
    h = 1 / (1 + np.exp(-X @ theta))
    expected = -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h)) + 0.3 / 2 * theta @ theta
    np.testing.assert_allclose(lg.binary_cross_entropy(theta, X, y, 0.3), expected, rtol=1e-12)
    check_grads(lambda t: lg.binary_cross_entropy(t, X, y, 0.3), (theta,), order=2, modes=["rev"])
    assert_gradients_match(lg.binary_cross_entropy, lg.binary_cross_entropy_grad, theta, X, y, 0.3)   # eq. 34


def test_huge_logits_give_finite_loss_and_gradient():
    X = np.array([[1.0], [1.0]], np.float32)
    theta = np.array([1e4], np.float32)
    y = np.array([0.0, 1.0], np.float32)
    loss = lg.binary_cross_entropy(theta, X, y)
    grad = jax.grad(lg.binary_cross_entropy)(theta, X, y)
    assert np.isfinite(loss) and float(loss) == pytest.approx(5e3, rel=1e-6)
    assert np.isfinite(grad).all()


@given(M=st.integers(2, 30), N=st.integers(1, 5), K=st.integers(2, 5), lam=st.floats(0, 3),
       seed=st.integers(0, 2**16))
def test_softmax_gradient_is_autodiff(M, N, K, lam, seed):
    rng = np.random.default_rng(seed)
    X, Theta = rng.normal(size=(M, N)), rng.normal(size=(N, K))
    Y = one_hot(jnp.asarray(rng.integers(0, K, size=M)), K, dtype=jnp.float64)
    np.testing.assert_allclose(jax.jit(lg.softmax_cross_entropy_grad)(Theta, X, Y, lam),
                               jax.jit(jax.grad(lg.softmax_cross_entropy))(Theta, X, Y, lam), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["newton", "lbfgs", "gd"])
@pytest.mark.parametrize("seed", [0, 1])
def test_binary_fit_matches_scikit_learn(method, seed):
    X, y = binary_problem(seed)
    lam = 0.01
    reference = LogisticRegression(C=1 / (lam * len(y)), fit_intercept=False, tol=1e-12, max_iter=10_000).fit(X, y)
    # L-BFGS's Armijo line search cannot resolve loss changes below float64 rounding: ‖∇L‖ ≈ 1e-9
    options = {"gd": dict(tol=1e-9, max_iter=100_000), "lbfgs": dict(tol=1e-8), "newton": dict(tol=1e-10)}[method]
    result = lg.fit(X, y, lam, method=method, **options)
    assert result.converged and result.grad_norm <= options["tol"] and 0 < result.n_iter < options.get("max_iter", 100)
    tol = 1e-6
    np.testing.assert_allclose(result.theta, reference.coef_[0], atol=tol)
    np.testing.assert_array_equal(lg.predict(result.theta, X), reference.predict(X))
    np.testing.assert_allclose(lg.predict_proba(result.theta, X), reference.predict_proba(X)[:, 1], atol=tol)


def test_unpenalised_bias_matches_scikit_learn_with_intercept():
    X, y = binary_problem(2)
    lam = 0.05
    reference = LogisticRegression(C=1 / (lam * len(y)), tol=1e-12, max_iter=10_000).fit(X[:, 1:], y)
    theta = lg.fit(X, y, lam, penalize_bias=False, tol=1e-10).theta
    np.testing.assert_allclose(theta[1:], reference.coef_[0], atol=1e-6)
    np.testing.assert_allclose(theta[0], reference.intercept_[0], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_fit_matches_scikit_learn(seed):
    X, labels = multiclass_problem(seed)
    lam = 0.01
    reference = LogisticRegression(C=1 / (lam * len(labels)), fit_intercept=False, tol=1e-12,
                                   max_iter=10_000).fit(X, labels)
    result = lg.fit_softmax(X, labels, lam, tol=1e-8)
    np.testing.assert_allclose(np.asarray(result.theta).T, reference.coef_, atol=1e-4)
    np.testing.assert_array_equal(lg.predict_softmax(result.theta, X), reference.predict(X))
    probabilities = np.asarray(lg.predict_softmax_proba(result.theta, X))
    np.testing.assert_allclose(probabilities, reference.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_by_gradient_descent_meets_the_same_gradient_tolerance_as_lbfgs(dtype):
    X, labels = multiclass_problem(0)
    X = X.astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-7
    by_gd = lg.fit_softmax(X, labels, 0.01, method="gd", tol=tol, max_iter=20_000)
    by_lbfgs = lg.fit_softmax(X, labels, 0.01, tol=tol)
    assert by_gd.converged and by_gd.grad_norm <= tol and by_gd.theta.dtype == dtype
    # both stop at ‖∇L‖_∞ ≤ tol of a λ-strongly convex loss: ‖Θ − Θ*‖_∞ ≲ tol/λ · √(NK)
    np.testing.assert_allclose(by_gd.theta, by_lbfgs.theta, atol=2 * tol / 0.01 * np.sqrt(by_gd.theta.size))
    np.testing.assert_array_equal(lg.predict_softmax(by_gd.theta, X), lg.predict_softmax(by_lbfgs.theta, X))


def test_gradient_descent_reports_convergence_by_the_gradient():
    X, y = binary_problem(0)
    with pytest.warns(ConvergenceWarning, match=r"logistic regression \(gd\) stopped after 5 iterations with ‖∇L‖_∞"):
        result = lg.fit(X, y, 0.01, method="gd", max_iter=5)
    assert not result.converged and result.n_iter == 5 and result.grad_norm > 1e-6


def test_separable_data_without_regularisation_warns():
    X = np.column_stack([np.ones(6), [-3.0, -2, -1, 1, 2, 3]])
    y = np.array([0.0, 0, 0, 1, 1, 1])
    with pytest.warns(ConvergenceWarning, match="linearly separable and lam = 0.*use lam > 0"):
        lg.fit(X, y, method="gd", tol=1e-3, max_iter=100_000)
    for method in ("newton", "lbfgs"):
        with pytest.warns(ConvergenceWarning, match="linearly separable and lam = 0.*use lam > 0"):
            lg.fit(X, y, method=method)
    with pytest.warns(ConvergenceWarning, match="stopped after 3 iterations"):
        lg.fit(*binary_problem(0), 0.01, method="lbfgs", tol=1e-14, max_iter=3)


def test_decision_boundary():
    theta = np.array([1.0, 2.0, -4.0])
    np.testing.assert_allclose(lg.decision_boundary_x2(theta, np.array([0.0, 1.0])), [0.25, 0.75])


@pytest.mark.parametrize("call, error, message", [
    (lambda: lg.fit(*binary_problem(0)[:1], np.arange(150.0) % 3), ValueError,
     r"y must hold the labels 0 and 1 .*found \[0.0, 1.0, 2.0\]"),
    (lambda: lg.fit(binary_problem(0)[0], np.zeros(150)), ValueError, "single class"),
    (lambda: lg.fit(*binary_problem(0), lam=-1.0), ValueError, "lam must be ≥ 0"),
    (lambda: lg.fit(*binary_problem(0), method="irls"), ValueError,
     "unknown method 'irls'; valid options are 'newton', 'lbfgs', 'gd'"),
    (lambda: lg.fit(binary_problem(0)[0][:, 0], binary_problem(0)[1]), ValueError, "X must be 2-D"),
    (lambda: lg.fit_softmax(multiclass_problem(0)[0], np.zeros(180, int)), ValueError, "fewer than two classes"),
    (lambda: lg.fit_softmax(multiclass_problem(0)[0], multiclass_problem(0)[1], n_classes=2), ValueError,
     "labels must lie in 0 … 1, found 2"),
    (lambda: lg.fit_softmax(*multiclass_problem(0), method="newton"), ValueError, "for binary logistic"),
    (lambda: lg.binary_cross_entropy(np.ones(2), np.ones((3, 4)), np.ones(3)), ValueError,
     "theta has length 2 but X has 4 features"),
    (lambda: lg.softmax_cross_entropy(np.ones((2, 3)), np.ones((5, 2)), np.ones(5)), ValueError, "Y must be one-hot"),
    (lambda: lg.predict(np.ones(2), np.array([[np.nan, 1.0]])), ValueError, "X contains 1 NaN"),
    (lambda: lg.predict(np.ones(3), np.ones((4, 2))), ValueError, "X has 2 features but the model was fitted on 3"),
    (lambda: lg.predict_softmax(np.ones((3, 4)), np.ones((4, 5))), ValueError,
     "X has 5 features but the model was fitted on 3"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
