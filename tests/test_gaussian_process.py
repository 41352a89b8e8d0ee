"""Gaussian-process regression: the log marginal likelihood against the Gaussian density, its
hand-derived gradient (eq. 5.9) against jax.grad and gradcheck, the posterior against the
conditional Gaussian and scikit-learn, hyperparameter fitting, samples; float32 and float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from jaxlearn import gaussian_process as gp
from jaxlearn import gp_likelihood as lik
from jaxlearn._errors import SingularMatrixError
from jaxlearn.gp_kernels import RBF, Constant, DotProduct, White

KERNELS = {
    "c*rbf+white": Constant() * RBF() + White(),
    "rbf+white": RBF() + White(),
    "dot+white": DotProduct() + White(),
    "c*rbf*dot+white": Constant() * RBF() * DotProduct() + White(),
}
THETA = {"c*rbf+white": [0.3, -0.2, -2.0], "rbf+white": [0.1, -1.5], "dot+white": [0.5, -1.0],
         "c*rbf*dot+white": [0.2, 0.4, -0.3, -1.0]}


def data(M=12, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(M, 2))
    y = np.sin(2 * X[:, 0]) * X[:, 1] + 0.1 * rng.normal(size=M)
    return X.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("name", KERNELS)
def test_the_log_marginal_likelihood_is_the_gaussian_density_of_y(name):
    kernel, theta = KERNELS[name], np.array(THETA[name])
    X, y = data()
    K = np.asarray(kernel.value(jnp.asarray(theta), jnp.asarray(X))) + gp.JITTER * np.eye(12)
    expected = multivariate_normal(np.zeros(12), K).logpdf(y)
    assert float(gp.log_marginal_likelihood(kernel, theta, X, y)) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("name", KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_hand_gradient_of_eq_5_9_equals_autodiff(name, dtype):
    kernel, theta = KERNELS[name], np.array(THETA[name], dtype)
    X, y = data(dtype=dtype)
    hand = gp.log_marginal_likelihood_grad(kernel, theta, X, y)
    auto = jax.grad(lambda t: lik._lml(kernel, t, jnp.asarray(X), jnp.asarray(y), jnp.asarray(gp.JITTER, dtype)))(
        jnp.asarray(theta))
    assert hand.dtype == dtype
    np.testing.assert_allclose(hand, auto, rtol={np.float32: 2e-3, np.float64: 1e-9}[dtype],
                               atol={np.float32: 1e-3, np.float64: 1e-10}[dtype])


def test_the_hand_gradient_passes_gradcheck():
    from jaxlearn.gradcheck import check_gradient

    kernel, theta = KERNELS["c*rbf+white"], np.array(THETA["c*rbf+white"])
    X, y = data()
    report = check_gradient(lambda t: lik._lml(kernel, t, jnp.asarray(X), jnp.asarray(y), gp.JITTER),
                            lambda t: lik._lml_grad(kernel, t, jnp.asarray(X), jnp.asarray(y), gp.JITTER), theta)
    assert report.ok, str(report)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_posterior_is_the_conditional_gaussian(dtype):
    kernel, theta = KERNELS["c*rbf+white"], np.array(THETA["c*rbf+white"], dtype)
    X, y = data(dtype=dtype)
    X_new = data(M=5, seed=1, dtype=dtype)[0]
    mean, variance = gp.posterior(kernel, theta, X, y, X_new)
    _, covariance = gp.posterior(kernel, theta, X, y, X_new, full_covariance=True)
    t, X64, Xn64 = (jnp.asarray(a, np.float64) for a in (theta, X, X_new))
    K = np.asarray(kernel.value(t, X64)) + gp.JITTER * np.eye(12)
    K_star = np.asarray(kernel.value(t, Xn64, X64))
    K_new = np.asarray(kernel.value(t, Xn64, Xn64)) + np.exp(theta[-1]) * np.eye(5)     # plus the noise at x*
    rtol = {np.float32: 2e-3, np.float64: 1e-9}[dtype]
    np.testing.assert_allclose(mean, K_star @ np.linalg.solve(K, y.astype(np.float64)), rtol=rtol, atol=rtol)
    expected = K_new - K_star @ np.linalg.solve(K, K_star.T)
    np.testing.assert_allclose(variance, np.diag(expected), rtol=rtol * 10, atol=rtol)
    np.testing.assert_allclose(covariance, expected, rtol=rtol * 10, atol=rtol)
    # of f(x*) itself: the same without the noise at x*
    _, of_f = gp.posterior(kernel, theta, X, y, X_new, include_noise=False)
    _, cov_f = gp.posterior(kernel, theta, X, y, X_new, full_covariance=True, include_noise=False)
    np.testing.assert_allclose(of_f, np.diag(expected) - np.exp(theta[-1]), rtol=rtol * 10, atol=rtol)
    np.testing.assert_allclose(cov_f, expected - np.exp(theta[-1]) * np.eye(5), rtol=rtol * 10, atol=rtol)


def test_fitting_matches_scikit_learns_gaussian_process_regressor():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF as SkRBF
    from sklearn.gaussian_process.kernels import ConstantKernel, WhiteKernel

    X, y = data(M=30)
    theirs = GaussianProcessRegressor(ConstantKernel() * SkRBF() + WhiteKernel(), n_restarts_optimizer=3,
                                      random_state=0).fit(X, y)
    fit = gp.fit_hyperparameters(KERNELS["c*rbf+white"], np.zeros(3), X, y, n_restarts=3)
    assert fit.log_marginal_likelihood == pytest.approx(theirs.log_marginal_likelihood_value_, abs=1e-3)
    np.testing.assert_allclose(fit.theta, theirs.kernel_.theta, atol=1e-2)
    mean, variance = gp.posterior(KERNELS["c*rbf+white"], fit.theta, X, y, X[:5])
    their_mean, their_std = theirs.predict(X[:5], return_std=True)
    np.testing.assert_allclose(mean, their_mean, atol=1e-4)
    np.testing.assert_allclose(np.sqrt(variance), their_std, atol=1e-4)
    assert fit.thetas.shape == (4, 3) and np.all(fit.values <= fit.log_marginal_likelihood + 1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gradient_of_the_mean_and_its_variance(dtype):
    """∂f̄/∂x* equals jax.grad of the mean; its variance equals the conditional variance of the
    derivative, from the joint Gaussian of (y, ∂f(x*)) built by autodiff of the kernel."""
    kernel, theta = KERNELS["c*rbf+white"], np.array(THETA["c*rbf+white"], dtype)
    X, y = data(dtype=dtype)
    X_new = data(M=3, seed=2, dtype=dtype)[0]
    gradient, variance = gp.posterior_gradient(kernel, theta, X, y, X_new)
    auto = jax.vmap(jax.grad(lambda x: gp.posterior(kernel, theta, X, y, x[None])[0][0]))(jnp.asarray(X_new))
    rtol = {np.float32: 3e-3, np.float64: 1e-9}[dtype]
    np.testing.assert_allclose(gradient, auto, rtol=rtol, atol=rtol)
    # for c·RBF: ∂²k/∂x∂x' at x = x' is (c/ℓ²) I, and ∂k*/∂x* = −k*(x* − x_m)/ℓ²
    c, ell = np.exp(theta[0]), np.exp(theta[1])
    X64 = X.astype(np.float64)
    K = np.asarray(kernel.value(jnp.asarray(theta, np.float64), jnp.asarray(X64))) + gp.JITTER * np.eye(12)
    for s, x in enumerate(X_new.astype(np.float64)):
        k = c * np.exp(-np.sum((x - X64) ** 2, axis=1) / (2 * ell**2))
        dk = -(k[:, None] * (x - X64)) / ell**2                      # (M, N)
        expected = c / ell**2 - np.einsum("mn,mn->n", dk, np.linalg.solve(K, dk))
        np.testing.assert_allclose(variance[s], expected, rtol=rtol * 10, atol=rtol)


def test_samples_have_the_prior_and_posterior_moments():
    kernel, theta = KERNELS["c*rbf+white"], np.array([0.0, -0.5, -6.0])
    X = np.linspace(-2, 2, 6)[:, None]
    prior = np.asarray(gp.sample_prior(kernel, theta, X, jax.random.key(0), 4000))
    K = np.asarray(kernel.value(jnp.asarray(theta), jnp.asarray(X)))
    np.testing.assert_allclose(np.cov(prior.T), K, atol=0.1)
    y = np.sin(2 * X[:, 0])
    X_new = np.linspace(-1.5, 1.5, 4)[:, None]
    draws = np.asarray(gp.sample_posterior(kernel, theta, X, y, X_new, jax.random.key(1), 4000))
    mean, variance = gp.posterior(kernel, theta, X, y, X_new)
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.05)
    assert draws.shape == (4000, 4)


def test_bad_input_is_named():
    X, y = data()
    with pytest.raises(TypeError, match="jaxlearn.gp_kernels kernel"):
        gp.log_marginal_likelihood("rbf", [0.0], X, y)
    with pytest.raises(ValueError, match="theta"):
        gp.log_marginal_likelihood(RBF(), [0.0, 1.0], X, y)
    with pytest.raises(ValueError, match="y has length 11"):
        gp.log_marginal_likelihood(RBF(), [0.0], X, y[:-1])
    with pytest.raises(SingularMatrixError, match="White"):
        gp.log_marginal_likelihood(DotProduct(), [0.0], X, y, jitter=0.0)
    with pytest.raises(ValueError, match="X_new has 1 features"):
        gp.posterior(RBF(), [0.0], X, y, X[:, :1])
    with pytest.raises(TypeError, match="combines with another kernel"):
        RBF() * 2.0
    with pytest.raises(ValueError, match="bounds"):
        gp.fit_hyperparameters(RBF() + White(), [0.0, -1.0], X, y, bounds=(1, -1))
