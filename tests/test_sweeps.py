import warnings

import jax
import numpy as np
import pytest

from jaxlearn import ConvergenceWarning, DivergenceError, SingularMatrixError, logistic, nn, solve, sweeps
from jaxlearn.data import flatten_images
from jaxlearn.sweeps.networks import models_per_chunk
from jaxlearn.training import TrainConfig, fit
from tests.conftest import random_problem


def test_ridge_path_equals_one_solve_per_lambda():
    X, y, _ = random_problem(0, M=100, N=6)
    lams = np.logspace(-5, 1, 9)
    path = sweeps.ridge_path(X, y, lams, X[:30], y[:30])
    for theta, lam, score in zip(path.thetas, lams, path.validation):
        np.testing.assert_allclose(theta, solve(X, y, lam=lam), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(score, np.mean((X[:30] @ np.asarray(theta) - y[:30]) ** 2), rtol=1e-9)
    assert path.best() == int(np.argmin(path.validation))


def test_ridge_path_keeps_float32(dtype):
    X, y, _ = random_problem(3, M=50, N=4, dtype=dtype)
    path = sweeps.ridge_path(X, y, [0.0, 0.1])
    assert path.thetas.dtype == dtype and path.validation is None
    np.testing.assert_allclose(path.thetas[0], np.linalg.lstsq(X.astype(float), y.astype(float), rcond=None)[0],
                               rtol=1e-3 if dtype == np.float32 else 1e-9)


def test_ridge_path_with_an_unpenalised_bias_equals_solve():
    X, y, _ = random_problem(4, M=80, N=4)
    X = np.column_stack([np.ones(80), X])
    path = sweeps.ridge_path(X, y + 5.0, [0.0, 0.3, 30.0], penalize_bias=False)
    for theta, lam in zip(path.thetas, path.lams):
        np.testing.assert_allclose(theta, solve(X, y + 5.0, lam=lam, penalize_bias=False), rtol=1e-9, atol=1e-12)


def test_ridge_path_with_fewer_samples_than_features():
    X, y, _ = random_problem(5, M=6, N=10)
    lam = 0.5
    expected = np.linalg.solve(X.T @ X + lam * 6 * np.eye(10), X.T @ y)   # (XᵀX + λM I)θ = Xᵀy
    np.testing.assert_allclose(sweeps.ridge_path(X, y, [lam]).thetas[0], expected, rtol=1e-9)


def test_ridge_path_refuses_lambda_zero_on_rank_deficient_X():
    X, y, _ = random_problem(1, M=40, N=3)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])            # rank 3 < 4 columns
    with pytest.raises(SingularMatrixError, match=r"λ = 0, but the 4 penalised columns of X have numerical "
                                                  r"rank 3.*λ > 0"):
        sweeps.ridge_path(X, y, [0.0, 1.0])
    assert np.all(np.isfinite(sweeps.ridge_path(X, y, [1e-3, 1.0]).thetas))   # λ > 0 is fine


@pytest.mark.parametrize("penalize_bias", [True, False])
def test_ridge_loo_path_equals_refitting_without_each_sample(penalize_bias):
    X, y, _ = random_problem(6, M=25, N=3)
    X = np.column_stack([np.ones(25), X])
    lams = [0.0, 0.05, 2.0]
    path = sweeps.ridge_loo_path(X, y + 3.0, lams, penalize_bias=penalize_bias)
    for lam, loo in zip(lams, path.validation):
        errors = []
        for m in range(25):
            keep = np.arange(25) != m
            # the refit on M − 1 samples has the same α = λM as the whole fit (scikit-learn's convention)
            theta = solve(X[keep], (y + 3.0)[keep], lam=lam * 25 / 24, penalize_bias=penalize_bias)
            errors.append((y[m] + 3.0 - X[m] @ np.asarray(theta)) ** 2)
        np.testing.assert_allclose(loo, np.mean(errors), rtol=1e-8)
    for theta, lam in zip(path.thetas, lams):
        np.testing.assert_allclose(theta, solve(X, y + 3.0, lam=lam, penalize_bias=penalize_bias), rtol=1e-8,
                                   atol=1e-12)


def test_ridge_loo_path_chooses_what_scikit_learns_ridgecv_chooses():
    from sklearn.linear_model import RidgeCV

    X, y, _ = random_problem(7, M=60, N=8, noise=2.0)
    alphas = np.logspace(-3, 3, 13)
    theirs = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y)
    ours = sweeps.ridge_loo_path(np.column_stack([np.ones(60), X]), y, alphas / 60, penalize_bias=False)
    np.testing.assert_allclose(ours.validation, theirs.cv_results_.mean(axis=0), rtol=1e-8)
    assert alphas[ours.best()] == theirs.alpha_


def _binary_problem(seed, M=120):
    X, y, _ = random_problem(seed, M=M, N=3)
    return np.column_stack([np.ones(M), X]), (y > 0).astype(float)


def test_logistic_path_equals_one_fit_per_lambda():
    X, y = _binary_problem(1)
    path = sweeps.logistic_path(X, y, [0.01, 0.1, 1.0], X, y, tol=1e-10)
    for theta, lam in zip(path.thetas, path.lams):
        np.testing.assert_allclose(theta, logistic.fit(X, y, lam, tol=1e-10).theta, atol=1e-8)
    assert path.validation.shape == (3,) and path.best() == int(np.argmax(path.validation))


def test_softmax_path_equals_one_fit_per_lambda():
    X, y, _ = random_problem(8, M=150, N=3)
    X = np.column_stack([np.ones(150), X])
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))            # three classes
    path = sweeps.softmax_path(X, labels, [0.01, 0.3], X[:50], labels[:50], penalize_bias=False, tol=1e-8)
    assert path.thetas.shape == (2, 4, 3) and path.validation.shape == (2,)
    for Theta, lam, accuracy in zip(path.thetas, path.lams, path.validation):
        expected = logistic.fit_softmax(X, labels, lam, penalize_bias=False, tol=1e-8).theta
        np.testing.assert_allclose(Theta, expected, atol=1e-6)
        np.testing.assert_allclose(accuracy, np.mean(np.argmax(X[:50] @ np.asarray(Theta), axis=1) == labels[:50]))


def test_logistic_path_names_the_lambdas_that_did_not_converge():
    X, y = _binary_problem(2)
    with pytest.warns(ConvergenceWarning, match=r"stopped after 1 iterations .* for λ = \[0\.01, 1\.0\]"):
        sweeps.logistic_path(X, y, [0.01, 1.0], max_iter=1)


@pytest.fixture(scope="module")
def small_mnist(mnist):
    return flatten_images(mnist.train_images[:3000]), mnist.train_labels[:3000].astype(np.int32)


def test_train_many_equals_training_one_after_another(small_mnist):
    X, y = small_mnist
    config = TrainConfig(hidden=(32,), epochs=2, batch_size=100)
    # the models share config.seed's shuffled batches, so they match fit() runs with that seed
    sweep = sweeps.train_many(config, X, y, learning_rates=[1e-3, 3e-3], X_val=X[:500], y_val=y[:500],
                              progress=False)
    assert sweep.train_loss.shape == (2, 2) and sweep.validation_accuracy.shape == (2,)
    assert not sweep.diverged.any()
    for i, rate in enumerate([1e-3, 3e-3]):
        state, history = fit(TrainConfig(**config.to_dict() | {"learning_rate": rate}), X, y, progress=False)
        np.testing.assert_allclose(sweep.train_loss[i], [h["train_loss"] for h in history], rtol=1e-5)
        for (W, b), (W_fit, b_fit) in zip(sweep.model(i), state.params):
            np.testing.assert_allclose(W, W_fit, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(b, b_fit, rtol=1e-4, atol=1e-6)
    seeds = sweeps.train_many(config, X, y, seeds=[0, 1], progress=False)
    assert not np.allclose(seeds.model(0)[0][0], seeds.model(1)[0][0])   # other seeds, other inits
    np.testing.assert_array_equal(seeds.learning_rates, [config.learning_rate] * 2)
    np.testing.assert_array_equal(seeds.data_seeds, [0, 1])


def test_each_seed_has_its_own_shuffles_unless_they_are_shared(small_mnist):
    """By default model s is fit() with seed s: its initialisation and its batches; data_seeds=0
    shares seed 0's batches, so that only the initialisation differs."""
    X, y = small_mnist
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=100)
    own = sweeps.train_many(config, X, y, seeds=[0, 1], progress=False)
    shared = sweeps.train_many(config, X, y, seeds=[0, 1], data_seeds=0, progress=False)
    np.testing.assert_array_equal(shared.data_seeds, [0, 0])
    state, history = fit(TrainConfig(**config.to_dict() | {"seed": 1}), X, y, progress=False)
    np.testing.assert_allclose(own.train_loss[1], [h["train_loss"] for h in history], rtol=1e-5)
    for (W, _), (W_fit, _) in zip(own.model(1), state.params):
        np.testing.assert_allclose(W, W_fit, rtol=1e-4, atol=1e-6)
    assert not np.allclose(shared.model(1)[0][0], own.model(1)[0][0])     # seed 0's batches: another run
    np.testing.assert_allclose(shared.train_loss[0], own.train_loss[0], rtol=1e-6)
    with pytest.raises(ValueError, match="data_seeds has 3 seeds but the sweep has 2 models"):
        sweeps.train_many(config, X, y, seeds=[0, 1], data_seeds=[0, 1, 2], progress=False)


def test_chunking_does_not_change_the_models(small_mnist):
    X, y = small_mnist
    config = TrainConfig(hidden=(16,), epochs=1, batch_size=100, optimizer="momentum", learning_rate=0.05)
    runs = [sweeps.train_many(config, X, y, learning_rates=[0.01, 0.02, 0.05, 0.1], chunk_size=c, progress=False)
            for c in (1, 2, 4)]
    for other in runs[1:]:
        np.testing.assert_allclose(other.train_loss, runs[0].train_loss, rtol=1e-5)
        for a, b in zip(jax.tree_util.tree_leaves(other.params), jax.tree_util.tree_leaves(runs[0].params)):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_models_per_chunk():
    def mlp(sizes, dtype):       # one model's parameters, as shapes
        return jax.eval_shape(lambda: nn.init_mlp(jax.random.key(0), sizes, dtype=dtype))

    assert models_per_chunk(3, 16, mlp([784, 128, 10], "float32")) == 3
    assert models_per_chunk(40, 16, mlp([784, 128, 10], "float32")) == 16
    if jax.default_backend() == "cpu":
        assert models_per_chunk(None, 16, mlp([784, 128, 10], "float32")) == 4       # 0.4 MB a model
        assert models_per_chunk(None, 16, mlp([784, 256, 256, 10], "float32")) == 1  # 1.1 MB a model
        assert models_per_chunk(None, 6, mlp([2, 3, 2], "float64")) == 6


def test_a_diverging_model_is_reported_and_the_others_train_on(small_mnist):
    X, y = small_mnist
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=100, optimizer="sgd", schedule="constant")
    with pytest.warns(RuntimeWarning, match=r"diverged .* for learning_rates \[1e\+30\].*smaller learning rates"):
        sweep = sweeps.train_many(config, X * 1e3, y, learning_rates=[1e-6, 1e30], X_val=X[:300] * 1e3,
                                  y_val=y[:300], progress=False)
    np.testing.assert_array_equal(sweep.diverged, [False, True])
    assert np.all(np.isfinite(sweep.train_loss[0])) and np.isnan(sweep.train_loss[1, -1])
    assert np.isnan(sweep.validation_accuracy[1]) and sweep.best() == 0
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(sweep.model(1)))  # last finite
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        all_bad = sweeps.train_many(config, X * 1e3, y, learning_rates=[1e30], X_val=X[:10], y_val=y[:10],
                                    progress=False)
    with pytest.raises(DivergenceError, match="every model of the sweep diverged"):
        all_bad.best()


def test_an_exploded_but_finite_model_is_diverged_and_never_best(small_mnist):
    X, y = small_mnist
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=100)
    with pytest.warns(RuntimeWarning, match=r"diverged .*learning_rates \[10000\.0\]"):
        sweep = sweeps.train_many(config, X, y, learning_rates=[1e-3, 1e4], X_val=X[:300], y_val=y[:300],
                                  progress=False)
    np.testing.assert_array_equal(sweep.diverged, [False, True])
    assert np.isfinite(sweep.train_loss[1, 0]) and sweep.train_loss[1, 0] > 100
    assert np.isnan(sweep.validation_accuracy[1]) and sweep.best() == 0


X4, Y4 = np.ones((4, 3)), np.array([0, 1, 0, 1])
BINARY = _binary_problem(5, M=20)


@pytest.mark.parametrize("call, error, message", [
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [-1.0]), ValueError,
     "lams must be a non-empty 1-D array of finite values ≥ 0"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), []), ValueError, "lams must be a non-empty"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [[1.0]]), ValueError, "lams must be a non-empty 1-D"),
    (lambda: sweeps.ridge_path(np.ones((5, 1)), np.ones(5), [1.0], penalize_bias=False), ValueError,
     "penalize_bias=False needs X with a bias column 0 and at least one more column"),
    (lambda: sweeps.ridge_loo_path(np.ones((5, 2)), np.ones(5), [np.nan]), ValueError, "lams must be a non-empty"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(4), [1.0]), ValueError, "y has length 4 but X has 5 rows"),
    (lambda: sweeps.ridge_path(np.full((5, 2), np.nan), np.ones(5), [1.0]), ValueError, "X contains 10 NaN"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [1.0], np.ones((3, 2))), ValueError,
     "give both X_val and y_val, or neither"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [1.0], np.ones((3, 3)), np.ones(3)), ValueError,
     "X_val has 3 features but the training data has 2"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [1.0], np.ones((3, 2)), np.ones(2)), ValueError,
     "y_val has length 2 but X_val has 3 rows"),
    (lambda: sweeps.ridge_path(np.ones((5, 2)), np.ones(5), [1.0], np.ones((3, 2)), [1.0, np.inf, 0.0]), ValueError,
     "y_val contains 1 NaN or inf"),
    (lambda: sweeps.logistic_path(*BINARY, [0.0, 1.0]), ValueError, "lams must be a non-empty 1-D array of finite "
     "values > 0"),
    (lambda: sweeps.logistic_path(BINARY[0], 2 * BINARY[1], [1.0]), ValueError, "y must hold the labels 0 and 1"),
    (lambda: sweeps.logistic_path(BINARY[0], np.ones(20), [1.0]), ValueError, "y holds a single class"),
    (lambda: sweeps.logistic_path(*BINARY, [1.0], BINARY[0][:3], np.array([0.0, 1.0, 3.0])), ValueError,
     "y must hold the labels 0 and 1"),
    (lambda: sweeps.logistic_path(*BINARY, [1.0], max_iter=0), ValueError, "max_iter must be ≥ 1"),
    (lambda: sweeps.softmax_path(BINARY[0], BINARY[1], [1.0]), TypeError, "labels must hold integer class labels"),
    (lambda: sweeps.softmax_path(BINARY[0], np.zeros(20, int), [1.0]), ValueError, "fewer than two classes"),
    (lambda: sweeps.softmax_path(BINARY[0], np.arange(20) % 3, [0.0]), ValueError, "values > 0"),
    (lambda: sweeps.softmax_path(BINARY[0], np.arange(20) % 3, [1.0], BINARY[0][:4], np.array([0, 1, 2, 3])),
     ValueError, "y_val must lie in 0 … 2, found 3"),
    (lambda: sweeps.softmax_path(BINARY[0], np.arange(20) % 3, [1.0], BINARY[0][:4, :2], np.zeros(4, int)),
     ValueError, "X_val has 2 features but the training data has 4"),
    (lambda: sweeps.train_many(TrainConfig(), X4, Y4), ValueError,
     "give learning_rates, seeds, weight_decays, momenta and/or dropouts"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, learning_rates=[1e-3], seeds=[0, 1]), ValueError,
     r"learning_rates \(1\) and seeds \(2\) must have the same length"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, learning_rates=[1e-3, 0.0]), ValueError,
     "learning_rates must be a non-empty 1-D array of finite values > 0"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, learning_rates=[]), ValueError,
     "learning_rates must be a non-empty"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0.5]), ValueError,
     "seeds must be a non-empty 1-D list of integers ≥ 0"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[-1]), ValueError, "seeds must be"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=8), X4, Y4, seeds=[0]), ValueError,
     r"batch_size=8 is larger than the training set \(4 samples\)"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), np.ones((4, 2, 2)), Y4, seeds=[0]), ValueError,
     r"X must be \(M, n_features\).*flatten_images"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), np.full((4, 3), np.inf), Y4, seeds=[0]), ValueError,
     "X contains 12 NaN or inf"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4[:3], seeds=[0]), ValueError,
     "y has length 3 but X has 4 rows"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, np.array([0.0, 1.0, 0.0, 1.0]), seeds=[0]), TypeError,
     "y must hold integer class labels"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, np.array([0, 1, 0, -1]), seeds=[0]), ValueError,
     "y must lie in 0 … 1, found -1"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0], n_classes=1), ValueError,
     "n_classes must be ≥ 2"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0], X_val=X4), ValueError,
     "give both X_val and y_val, or neither"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0], X_val=X4[:, :2], y_val=Y4), ValueError,
     "X_val has 2 features but the training data has 3"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0], X_val=X4, y_val=np.array([0, 1, 2, 0])),
     ValueError, "y_val must lie in 0 … 1, found 2"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0], chunk_size=0), ValueError,
     "chunk_size must be ≥ 1"),
    (lambda: sweeps.train_many(TrainConfig(batch_size=2), X4, Y4, seeds=[0]).best(), ValueError,
     "trained without validation data"),
    (lambda: sweeps.ridge_path(np.eye(3), np.ones(3), [1.0]).best(), ValueError, "computed without validation data"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
