"""Kernel ridge regression: α against a dense solve, leave-one-out against refits, the λ × γ grid
against the per-pair residuals, the input gradient against jax.grad; float32 and float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn import kernel_ridge
from jaxlearn._errors import SingularMatrixError
from jaxlearn.kernels import gram, make_kernel

KERNELS = [make_kernel("rbf", gamma=0.7), make_kernel("polynomial", gamma=0.5, coef0=1.0, degree=3),
           make_kernel("linear"), make_kernel("laplacian", gamma=0.3)]
RTOL = {np.float32: 2e-3, np.float64: 1e-9}


def data(M=14, N=3, dtype=np.float64, outputs=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(M, N))
    y = np.sin(X @ np.arange(1.0, N + 1)) + 0.1 * rng.normal(size=M)
    if outputs:
        y = np.stack([y * (k + 1) for k in range(outputs)], axis=1)
    return X.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_alpha_solves_the_regularised_system(kernel, dtype):
    X, y = data(dtype=dtype)
    lam = 0.05
    alpha = kernel_ridge.fit(X, y, lam, kernel)
    assert alpha.dtype == dtype and alpha.shape == (14,)
    K = np.asarray(gram(kernel, X.astype(np.float64)))
    expected = np.linalg.solve(K + lam * 14 * np.eye(14), y.astype(np.float64))
    np.testing.assert_allclose(alpha, expected, rtol=RTOL[dtype] * 10, atol=RTOL[dtype])
    # f(x*) = k(x*)ᵀα, for new rows too
    X_new = data(M=5, dtype=dtype, seed=1)[0]
    np.testing.assert_allclose(kernel_ridge.predict(X, alpha, X_new, kernel),
                               np.asarray(gram(kernel, X_new.astype(np.float64), X.astype(np.float64))) @ expected,
                               rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10)


def refit_residuals(X, y, lam, kernel):
    """y_i − f₋ᵢ(x_i) by M refits without sample i, with the same λM on the diagonal."""
    M = X.shape[0]
    residuals = []
    for i in range(M):
        keep = np.arange(M) != i
        alpha = kernel_ridge.fit(X[keep], y[keep], lam * M / (M - 1), kernel)
        residuals.append(y[i] - kernel_ridge.predict(X[keep], alpha, X[i:i + 1], kernel)[0])
    return np.stack(residuals)


@pytest.mark.parametrize("kernel", KERNELS[:2], ids=lambda k: k.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leave_one_out_residuals_equal_refits_for_every_lam(kernel, dtype):
    X, y = data(M=10, dtype=dtype, outputs=2)
    lams = [1e-3, 0.1, 2.0]
    loo = kernel_ridge.loo_residuals(gram(kernel, X), y, lams)
    assert loo.shape == (3, 10, 2) and loo.dtype == dtype
    for residuals, lam in zip(loo, lams):
        np.testing.assert_allclose(residuals, refit_residuals(X, y, lam, kernel), rtol=RTOL[dtype] * 20,
                                   atol=RTOL[dtype] * 20)


def test_the_grid_is_each_pairs_loo_error_and_picks_the_smallest():
    X, y = data(M=20)
    gammas, lams = [0.1, 1.0, 10.0], [1e-4, 1e-2, 1.0]
    grid = kernel_ridge.loo_grid(X, y, lams, gammas, make_kernel("rbf"))
    assert grid.mse.shape == (3, 3)
    for g, gamma in enumerate(gammas):
        residuals = kernel_ridge.loo_residuals(gram(make_kernel("rbf", gamma=gamma), X), y, lams)
        np.testing.assert_allclose(grid.mse[g], np.mean(np.asarray(residuals) ** 2, axis=1), rtol=1e-8)
    best = np.unravel_index(np.argmin(grid.mse), grid.mse.shape)
    assert (grid.best_gamma, grid.best_lam) == (gammas[best[0]], lams[best[1]])
    assert grid.best_mse == grid.mse.min() < np.var(y)
    laplacian = kernel_ridge.loo_grid(X, y, lams, [0.5], make_kernel("laplacian"))
    expected = kernel_ridge.loo_residuals(gram(make_kernel("laplacian", gamma=0.5), X), y, lams)
    np.testing.assert_allclose(laplacian.mse[0], np.mean(np.asarray(expected) ** 2, axis=1), rtol=1e-8)


@pytest.mark.parametrize("kernel", [KERNELS[0], KERNELS[1], KERNELS[2], make_kernel("sigmoid", gamma=0.2, coef0=0.1)],
                         ids=lambda k: k.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_input_gradient_in_closed_form_equals_autodiff(kernel, dtype):
    X, y = data(dtype=dtype)
    alpha = kernel_ridge.fit(X, y, 0.1, kernel)
    X_new = data(M=6, dtype=dtype, seed=2)[0]
    closed = kernel_ridge.predict_gradient(X, alpha, X_new, kernel)
    autodiff = jax.vmap(jax.grad(lambda x: kernel_ridge.predict(X, alpha, x[None], kernel)[0]))(jnp.asarray(X_new))
    assert closed.shape == (6, 3) and closed.dtype == dtype
    np.testing.assert_allclose(closed, autodiff, rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 10)


@pytest.mark.jax_defaults
def test_users_defaults_float64_numpy_in_float32_out():
    X, y = data()
    kernel = make_kernel("rbf", gamma=0.5)
    alpha = kernel_ridge.fit(X, y, 1e-4, kernel)
    assert alpha.dtype == jnp.float32
    assert np.mean((np.asarray(kernel_ridge.predict(X, alpha, X, kernel)) - y) ** 2) < 0.1 * np.var(y)
    grid = kernel_ridge.loo_grid(X, y, [1e-3, 1e-1], [0.1, 1.0], kernel)
    assert np.all(np.isfinite(grid.mse))


def test_bad_input_is_named():
    X, y = data()
    rbf = make_kernel("rbf")
    with pytest.raises(SingularMatrixError, match="Increase lam"):
        kernel_ridge.fit(np.vstack([X, X]), np.concatenate([y, y]), 0.0, make_kernel("linear"))
    with pytest.raises(ValueError, match="y has 13 rows but X has 14"):
        kernel_ridge.fit(X, y[:-1], 0.1, rbf)
    with pytest.raises(ValueError, match="lam"):
        kernel_ridge.fit(X, y, -1.0, rbf)
    with pytest.raises(ValueError, match="lams must be finite and ≥ 0"):
        kernel_ridge.loo_residuals(gram(rbf, X), y, [0.1, np.nan])
    with pytest.raises(ValueError, match="gammas must be finite and > 0"):
        kernel_ridge.loo_grid(X, y, [0.1], [0.0], rbf)
    with pytest.raises(ValueError, match="linear kernel has no γ"):
        kernel_ridge.loo_grid(X, y, [0.1], [1.0], make_kernel("linear"))
    with pytest.raises(ValueError, match="X has 2 features but the model was fitted on 3"):
        kernel_ridge.predict(X, np.zeros(14), X[:, :2], rbf)
    with pytest.raises(ValueError, match="laplacian kernel"):
        kernel_ridge.predict_gradient(X, np.zeros(14), X, make_kernel("laplacian"))
    with pytest.raises(ValueError, match="y must be finite|contains"):
        kernel_ridge.fit(X, np.where(np.arange(14) == 3, np.nan, y), 0.1, rbf)
