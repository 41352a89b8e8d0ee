import warnings

import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn import ConvergenceWarning, DivergenceError
from jaxlearn.linear import least_squares_grad, least_squares_loss, solve
from jaxlearn.optim import gradient_descent
from tests.conftest import random_problem

X, Y, _ = random_problem(0, M=100, N=4)
THETA0 = np.zeros(4)
ETA_MAX = 2 / np.linalg.eigvalsh(X.T @ X / 100).max()  # GD on least squares diverges above this


def test_reaches_the_least_squares_solution_with_falling_loss():
    result = gradient_descent(least_squares_loss, THETA0, X, Y, eta=0.5, tol=1e-14)
    assert bool(result.converged) and not bool(result.diverged)
    np.testing.assert_allclose(result.theta, solve(X, Y), rtol=1e-5, atol=1e-6)
    history = np.asarray(result.loss_history)
    assert history.shape == (int(result.n_iter) + 1,)
    np.testing.assert_allclose(history[0], least_squares_loss(THETA0, X, Y))
    assert np.all(np.diff(history) <= 0)  # monotone for a quadratic with η < 2/L


@pytest.mark.filterwarnings("ignore::jaxlearn.ConvergenceWarning")
def test_the_hand_gradient_gives_the_same_path_as_autodiff():
    auto = gradient_descent(least_squares_loss, THETA0, X, Y, 0.1, eta=0.3, max_iter=50, tol=0)
    hand = gradient_descent(least_squares_loss, THETA0, X, Y, 0.1, eta=0.3, max_iter=50, tol=0,
                            grad=least_squares_grad)
    np.testing.assert_allclose(hand.loss_history, auto.loss_history, rtol=1e-12)
    np.testing.assert_allclose(hand.theta, auto.theta, rtol=1e-12)


def test_the_result_keeps_the_float32_dtype():
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    result = gradient_descent(least_squares_loss, np.zeros(4, np.float32), X32, Y32, eta=0.5, tol=1e-6)
    assert result.theta.dtype == result.loss_history.dtype == np.float32


def test_several_step_sizes_run_as_one_vmapped_computation():
    etas = np.array([0.05, 0.3, 0.9])
    batch = gradient_descent(least_squares_loss, THETA0, X, Y, eta=etas, tol=1e-12, max_iter=2000)
    assert batch.theta.shape == (3, 4) and batch.loss_history.shape == (3, 2001)
    for i, eta in enumerate(etas):
        single = gradient_descent(least_squares_loss, THETA0, X, Y, eta=eta, tol=1e-12, max_iter=2000)
        np.testing.assert_allclose(batch.theta[i], single.theta, rtol=1e-12)
        assert int(batch.n_iter[i]) == int(single.n_iter)
        np.testing.assert_allclose(batch.loss_history[i, : int(single.n_iter) + 1], single.loss_history)
        assert np.isnan(batch.loss_history[i, int(single.n_iter) + 1:]).all()  # not run


def test_a_grid_of_lambda_runs_vmapped_through_in_axes():
    lams = np.array([0.0, 0.1, 1.0])
    batch = gradient_descent(least_squares_loss, THETA0, X, Y, lams, eta=0.3, tol=1e-14,
                             max_iter=5000, in_axes=(None, None, 0))
    for i, lam in enumerate(lams):
        np.testing.assert_allclose(batch.theta[i], solve(X, Y, lam=lam), rtol=1e-5, atol=1e-6)


def test_divergence_raises_with_eta_advice_and_keeps_the_last_finite_theta():
    eta = 1.5 * ETA_MAX
    with pytest.raises(DivergenceError, match=rf"diverged with eta={eta} at iteration \d+:.*Use a smaller eta") as err:
        gradient_descent(least_squares_loss, THETA0, X, Y, eta=eta, max_iter=100_000)
    result = err.value.result
    assert bool(result.diverged) and np.isfinite(result.theta).all()
    history = np.asarray(result.loss_history)
    last_good = history[-2]
    np.testing.assert_allclose(least_squares_loss(result.theta, X, Y), last_good, rtol=1e-10)


def test_nan_loss_is_divergence_not_a_silent_nan():
    def loss(theta):  # pulls θ towards 10, but is undefined past θ₀ = 1
        return jnp.where(theta[0] > 1, jnp.nan, jnp.sum((theta - 10.0) ** 2))

    with pytest.raises(DivergenceError, match="NaN/inf") as err:
        gradient_descent(loss, THETA0, eta=0.01)
    assert 0 < float(err.value.result.theta[0]) <= 1


def test_batched_divergence_can_warn_and_report_which_runs():
    etas = np.array([0.3, 1.5 * ETA_MAX])
    with pytest.warns(RuntimeWarning, match=r"diverged for runs \[1\]"):
        result = gradient_descent(least_squares_loss, THETA0, X, Y, eta=etas, on_divergence="warn")
    assert np.asarray(result.diverged).tolist() == [False, True]
    assert np.isfinite(result.theta).all()


def test_hitting_max_iter_warns():
    with pytest.warns(ConvergenceWarning, match="stopped at max_iter=5"):
        result = gradient_descent(least_squares_loss, THETA0, X, Y, eta=0.01, max_iter=5)
    assert int(result.n_iter) == 5 and not bool(result.converged)


def test_pytree_parameters():
    def loss(params, X, y):
        return least_squares_loss(params["w"], X, y - params["b"])

    params = {"w": np.zeros(4), "b": np.array(0.0)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradient_descent(loss, params, X, Y + 3.0, eta=0.5, tol=1e-14, max_iter=5000)
    expected = solve(np.column_stack([np.ones(100), X]), Y + 3.0)
    np.testing.assert_allclose(result.theta["b"], expected[0], rtol=1e-5)
    np.testing.assert_allclose(result.theta["w"], expected[1:], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(eta=0.0), ValueError, r"eta \(the step size η\) must be finite and > 0, got 0.0"),
    (dict(eta=-1.0), ValueError, "must be finite and > 0"),
    (dict(eta=np.nan), ValueError, "must be finite and > 0"),
    (dict(eta=[0.1, -0.1]), ValueError, "must be finite and > 0"),
    (dict(eta=np.ones((2, 2))), ValueError, r"eta must be a scalar or a non-empty 1-D array, got shape \(2, 2\)"),
    (dict(eta=0.1, tol=-1e-3), ValueError, "tol must be ≥ 0"),
    (dict(eta=0.1, max_iter=0), ValueError, "max_iter must be ≥ 1"),
    (dict(eta=0.1, max_iter=10.5), TypeError, "max_iter must be an integer"),
    (dict(eta=0.1, on_divergence="ignore"), ValueError,
     "unknown on_divergence 'ignore'; valid options are 'raise', 'warn'"),
    (dict(eta=0.1, in_axes=(None,)), ValueError, "in_axes has 1 entries but 2 args were given"),
    (dict(eta=0.1, grad="autodiff"), TypeError, "grad must be callable or None, got str"),
])
def test_bad_input_is_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        gradient_descent(least_squares_loss, THETA0, X, Y, **kwargs)


def test_loss_must_be_callable_and_scalar():
    with pytest.raises(TypeError, match="loss must be callable"):
        gradient_descent("mse", THETA0, X, Y, eta=0.1)
    with pytest.raises(ValueError, match=r"loss must return a scalar, got shape \(100,\)"):
        gradient_descent(lambda t, X, y: (X @ t - y) ** 2, THETA0, X, Y, eta=0.1)
