"""KernelRidge, KernelRidgeCV and GaussianProcessRegressor against scikit-learn's, with the
scikit-learn user's defaults (float64 NumPy data, JAX's x64 off)."""

import contextlib

import numpy as np
import pytest
from sklearn import gaussian_process as sk_gp
from sklearn import kernel_ridge as sk_kr
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, DotProduct, Matern, WhiteKernel
from sklearn.model_selection import GridSearchCV, LeaveOneOut

from jaxlearn import estimators as est

pytestmark = pytest.mark.jax_defaults


def data(M=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(M, 2))
    return X, np.sin(2 * X[:, 0]) * X[:, 1] + 0.1 * rng.normal(size=M)


@pytest.mark.parametrize("kernel, params", [("rbf", dict(gamma=0.7)), ("linear", {}), ("poly", dict(degree=2)),
                                            ("laplacian", {}), ("sigmoid", dict(gamma=0.05)), ("rbf", {})])
def test_kernel_ridge_is_scikit_learns(kernel, params):
    X, y = data()
    singular = kernel == "sigmoid"         # not positive semi-definite: both fall back to least squares
    with pytest.warns(UserWarning, match="Using least-squares solution") if singular else contextlib.nullcontext():
        ours = est.KernelRidge(alpha=0.1, kernel=kernel, **params).fit(X, y)
    with pytest.warns(UserWarning, match="Using least-squares solution") if singular else contextlib.nullcontext():
        theirs = sk_kr.KernelRidge(alpha=0.1, kernel=kernel, **params).fit(X, y)
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, rtol=1e-8, atol=1e-10)
    X_new = data(M=7, seed=1)[0]
    np.testing.assert_allclose(ours.predict(X_new), theirs.predict(X_new), rtol=1e-8, atol=1e-10)
    assert ours.predict(X_new).dtype == np.float64


def test_kernel_ridge_cv_is_a_leave_one_out_grid_search():
    X, y = data(M=30)
    alphas, gammas = [1e-3, 1e-1, 10.0], [0.1, 1.0, 10.0]
    ours = est.KernelRidgeCV(alphas=alphas, kernel="rbf", gamma=gammas).fit(X, y)
    search = GridSearchCV(sk_kr.KernelRidge(kernel="rbf"), {"alpha": alphas, "gamma": gammas}, cv=LeaveOneOut(),
                          scoring="neg_mean_squared_error").fit(X, y)
    assert (ours.alpha_, ours.gamma_) == (search.best_params_["alpha"], search.best_params_["gamma"])
    assert ours.best_score_ == pytest.approx(search.best_score_, rel=1e-8)
    np.testing.assert_allclose(ours.predict(X), search.predict(X), rtol=1e-8, atol=1e-10)
    linear = est.KernelRidgeCV(alphas=alphas, kernel="linear").fit(X, y)
    assert linear.gamma_ is None and linear.loo_mse_.shape == (1, 3)


def test_the_input_gradient_of_kernel_ridge_is_the_slope_of_its_prediction():
    X, y = data()
    model = est.KernelRidge(alpha=0.01, kernel="rbf", gamma=0.5).fit(X, y)
    X_new, h = data(M=5, seed=2)[0], 1e-5
    slopes = np.stack([(model.predict(X_new + h * e) - model.predict(X_new - h * e)) / (2 * h) for e in np.eye(2)], 1)
    np.testing.assert_allclose(model.predict_gradient(X_new), slopes, rtol=1e-5, atol=1e-7)


KERNELS = {"c*rbf+white": ConstantKernel() * RBF() + WhiteKernel(),
           "dot+white": DotProduct() + WhiteKernel(),
           "fixed amplitude": ConstantKernel(2.0, "fixed") * RBF() + WhiteKernel(0.1)}


@pytest.mark.parametrize("name", KERNELS)
def test_the_gaussian_process_is_scikit_learns(name):
    X, y = data()
    ours = est.GaussianProcessRegressor(KERNELS[name], n_restarts_optimizer=2, random_state=0).fit(X, y)
    theirs = sk_gp.GaussianProcessRegressor(KERNELS[name], n_restarts_optimizer=2, random_state=0).fit(X, y)
    assert ours.log_marginal_likelihood_value_ == pytest.approx(theirs.log_marginal_likelihood_value_, abs=1e-4)
    if name != "dot+white":         # log p is flat in a vanishing σ₀: both end anywhere small
        np.testing.assert_allclose(ours.kernel_.theta, theirs.kernel_.theta, atol=2e-3)
    assert type(ours.kernel_) is type(theirs.kernel_)
    X_new = data(M=6, seed=3)[0]
    for ours_out, their_out in zip(ours.predict(X_new, return_std=True), theirs.predict(X_new, return_std=True)):
        np.testing.assert_allclose(ours_out, their_out, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ours.predict(X_new, return_cov=True)[1], theirs.predict(X_new, return_cov=True)[1],
                               rtol=1e-3, atol=1e-4)
    theta = theirs.kernel_.theta
    value, gradient = ours.log_marginal_likelihood(theta, eval_gradient=True)
    their_value, their_gradient = theirs.log_marginal_likelihood(theta, eval_gradient=True)
    assert value == pytest.approx(their_value, rel=1e-8)
    np.testing.assert_allclose(gradient, their_gradient, rtol=1e-6, atol=1e-8)


def test_the_defaults_normalize_y_optimizer_none_and_the_prior():
    X, y = data()
    for params in (dict(), dict(normalize_y=True), dict(kernel=RBF() + WhiteKernel(), optimizer=None)):
        ours = est.GaussianProcessRegressor(**params).fit(X, 3 * y + 5)
        theirs = sk_gp.GaussianProcessRegressor(**params).fit(X, 3 * y + 5)
        for a, b in zip(ours.predict(X[:5], return_std=True), theirs.predict(X[:5], return_std=True)):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    prior = est.GaussianProcessRegressor(ConstantKernel(2.0) * RBF())
    mean, std = prior.predict(X[:3], return_std=True)                    # before fit: the prior
    np.testing.assert_allclose(mean, 0) and np.testing.assert_allclose(std, np.sqrt(2.0))
    assert prior.sample_y(X[:4], n_samples=3).shape == (4, 3)


def test_the_gradient_of_the_gaussian_process_and_its_error_bar():
    X, y = data()
    model = est.GaussianProcessRegressor(ConstantKernel() * RBF() + WhiteKernel(), random_state=0).fit(X, y)
    X_new, h = data(M=4, seed=4)[0], 1e-5
    slopes = np.stack([(model.predict(X_new + h * e) - model.predict(X_new - h * e)) / (2 * h) for e in np.eye(2)], 1)
    gradient, std = model.predict_gradient(X_new, return_std=True)
    np.testing.assert_allclose(gradient, slopes, rtol=1e-5, atol=1e-6)
    far = model.predict_gradient(np.array([[40.0, 40.0]]), return_std=True)[1]
    assert np.all(std > 0) and np.all(far > std.max())                  # unsure where there is no data


def test_what_jaxlearn_does_not_compute_is_named():
    X, y = data()
    with pytest.raises(ValueError, match="Matern.* is not supported; jaxlearn computes ConstantKernel, RBF"):
        est.GaussianProcessRegressor(Matern()).fit(X, y)
    with pytest.raises(ValueError, match="anisotropic"):
        est.GaussianProcessRegressor(RBF([1.0, 2.0])).fit(X, y)
    with pytest.raises(ValueError, match="optimizer='bfgs' is not supported; use 'fmin_l_bfgs_b'"):
        est.GaussianProcessRegressor(optimizer="bfgs").fit(X, y)
    with pytest.raises(TypeError, match="alpha must be one number"):
        est.GaussianProcessRegressor(alpha=np.full(40, 0.1)).fit(X, y)
    with pytest.raises(ValueError, match="kernel='precomputed' is not supported"):
        est.KernelRidge(kernel="precomputed").fit(X, y)
    with pytest.raises(TypeError, match="alpha must be one number"):
        est.KernelRidge(alpha=[0.1, 1.0]).fit(X, y)
