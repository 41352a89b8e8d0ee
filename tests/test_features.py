import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from jaxlearn.features import fit_standardizer, polynomial_features, standardize, unstandardize, vandermonde


def test_vandermonde_columns_are_powers(dtype):
    x = np.array([0.5, -2.0, 3.0], dtype)
    V = vandermonde(x, 3)
    assert V.shape == (3, 4) and V.dtype == dtype
    np.testing.assert_allclose(V, np.stack([x**0, x, x**2, x**3], axis=1), rtol=1e-6)


def test_vandermonde_times_theta_is_the_polynomial():
    x = np.linspace(-1, 1, 7)
    theta = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(vandermonde(x, 2) @ theta, 1 - 2 * x + 0.5 * x**2)


def test_vandermonde_degree_zero_is_a_column_of_ones():
    np.testing.assert_array_equal(vandermonde(np.arange(4.0), 0), np.ones((4, 1)))


@given(n_features=st.integers(1, 4), degree=st.integers(0, 4), include_bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_polynomial_features_match_scikit_learn(n_features, degree, include_bias, seed):
    assume(degree > 0 or include_bias)  # no columns at all: covered by the bad-input test
    X = np.random.default_rng(seed).normal(size=(6, n_features))
    ours = polynomial_features(X, degree, include_bias=include_bias)
    theirs = PolynomialFeatures(degree, include_bias=include_bias).fit_transform(X)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_polynomial_features_keep_dtype(dtype):
    X = np.ones((3, 2), dtype)
    assert polynomial_features(X, 2).dtype == dtype


def test_polynomial_features_are_jittable():
    X = jnp.arange(6.0).reshape(3, 2)
    out = jax.jit(lambda X: polynomial_features(X, 2))(X)
    np.testing.assert_allclose(out, polynomial_features(X, 2))


def test_standardizer_matches_scikit_learn_and_inverts(dtype):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(50, 3)) * [1.0, 100.0, 0.01] + [5.0, -3.0, 0.0]).astype(dtype)
    scaler = fit_standardizer(X)
    X_sc = standardize(scaler, X)
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(X_sc, StandardScaler().fit_transform(X), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(unstandardize(scaler, X_sc), X, rtol=rtol, atol=rtol)
    assert X_sc.dtype == dtype


def test_standardizer_is_fitted_on_training_data_only():
    X_train = np.array([[0.0], [2.0]])
    scaler = fit_standardizer(X_train)
    np.testing.assert_allclose(standardize(scaler, np.array([[4.0]])), [[3.0]])


def test_constant_column_passes_through_without_nan():
    X = np.column_stack([np.ones(5), np.arange(5.0), np.full(5, 0.1)])
    scaler = fit_standardizer(X)
    X_sc = np.asarray(standardize(scaler, X))
    assert np.isfinite(X_sc).all()
    np.testing.assert_array_equal(X_sc[:, 0], 1.0)  # the bias column survives
    np.testing.assert_allclose(X_sc[:, 2], 0.1)
    np.testing.assert_allclose(X_sc[:, 1].std(), 1.0)


@pytest.mark.parametrize("call, message", [
    (lambda: vandermonde(np.ones(3), -1), "degree must be ≥ 0"),
    (lambda: vandermonde(np.ones(3), 2.5), "degree must be an integer"),
    (lambda: vandermonde(np.ones((3, 1)), 2), r"x must be 1-D \(M,\), got shape \(3, 1\)"),
    (lambda: vandermonde(np.array([1.0, np.nan]), 2), "x contains 1 NaN or inf"),
    (lambda: polynomial_features(np.ones(3), 2), "X must be 2-D"),
    (lambda: polynomial_features(np.ones((3, 2)), -2), "degree must be ≥ 0"),
    (lambda: polynomial_features(np.ones((3, 2)), 0, include_bias=False), "leaves no feature"),
    (lambda: fit_standardizer(np.array([[1.0], [np.inf]])), "X contains 1 NaN or inf"),
    (lambda: standardize(fit_standardizer(np.ones((3, 2))), np.ones((3, 3))),
     "X has 3 features but the standardizer was fitted on 2"),
    (lambda: unstandardize(fit_standardizer(np.ones((3, 2))), np.ones(2)), "X_scaled must be 2-D"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
