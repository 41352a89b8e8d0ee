import numpy as np
import pytest

from jaxlearn import logistic, solve, sweeps
from jaxlearn.train import TrainConfig, fit
from jaxlearn.data import flatten_images
from tests.conftest import random_problem


def test_ridge_path_equals_one_solve_per_lambda():
    X, y, _ = random_problem(0, M=100, N=6)
    lams = np.logspace(-5, 1, 9)
    path = sweeps.ridge_path(X, y, lams, X[:30], y[:30])
    for theta, lam, score in zip(path.thetas, lams, path.validation):
        np.testing.assert_allclose(theta, solve(X, y, lam=lam), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(score, np.mean((X[:30] @ np.asarray(theta) - y[:30]) ** 2), rtol=1e-9)


def test_logistic_path_equals_one_fit_per_lambda():
    X, y, _ = random_problem(1, M=120, N=3)
    X = np.column_stack([np.ones(120), X])
    y = (y > 0).astype(float)
    path = sweeps.logistic_path(X, y, [0.01, 0.1, 1.0], X, y, tol=1e-10)
    for theta, lam in zip(path.thetas, path.lams):
        np.testing.assert_allclose(theta, logistic.fit(X, y, lam, tol=1e-10).theta, atol=1e-8)
    assert path.validation.shape == (3,)


def test_train_many_equals_training_one_after_another(mnist):
    X, y = flatten_images(mnist.train_images[:3000]), mnist.train_labels[:3000].astype(np.int32)
    config = TrainConfig(hidden=(32,), epochs=2, batch_size=100)
    # the models share config.seed's shuffled batches, so they match fit() runs with that seed
    sweep = sweeps.train_many(config, X, y, learning_rates=[1e-3, 3e-3], X_val=X[:500], y_val=y[:500])
    assert sweep.train_loss.shape == (2, 2) and sweep.validation_accuracy.shape == (2,)
    for i, rate in enumerate([1e-3, 3e-3]):
        state, history = fit(TrainConfig(**config.to_dict() | {"learning_rate": rate}), X, y, progress=False)
        np.testing.assert_allclose(sweep.train_loss[i], [h["train_loss"] for h in history], rtol=1e-5)
        for (W, b), (W_fit, b_fit) in zip(sweep.model(i), state.params):
            np.testing.assert_allclose(W, W_fit, rtol=1e-4, atol=1e-6)
    seeds = sweeps.train_many(config, X, y, seeds=[0, 1])
    assert not np.allclose(seeds.model(0)[0][0], seeds.model(1)[0][0])   # other seeds, other inits


@pytest.mark.parametrize("call, message", [
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [-1.0]), "lams must be a non-empty 1-D array"),
    (lambda: sweeps.ridge_path(np.ones((2, 5)), np.ones(2), [1.0]), "needs M ≥ N"),
    (lambda: sweeps.train_many(TrainConfig(), np.ones((4, 3)), np.zeros(4, int)), "give learning_rates and/or seeds"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), np.ones((4, 3)), np.zeros(4, int), learning_rates=[1e-3],
                               seeds=[0, 1]), r"learning_rates \(1\) and seeds \(2\)"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
