import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn import DivergenceError
from jaxlearn.data import flatten_images
from jaxlearn.training import TrainConfig, evaluate, fit, make_optimizer, split_indices

SMALL = dict(hidden=(32,), epochs=2, batch_size=64)


@pytest.fixture(scope="module")
def mnist_small(mnist):
    """4000 training and 2000 test images: enough to learn, small enough for CI."""
    X = flatten_images(mnist.train_images[:4000])
    Xt = flatten_images(mnist.test_images[:2000])
    return X, mnist.train_labels[:4000].astype(np.int32), Xt, mnist.test_labels[:2000].astype(np.int32)


def leaves(tree):
    return jax.tree_util.tree_leaves(tree)


def test_learns_mnist(mnist_small):
    X, y, Xt, yt = mnist_small
    config = TrainConfig(**SMALL | {"hidden": (64,), "epochs": 5, "learning_rate": 3e-3})
    state, history = fit(config, X, y, Xt[:1000], yt[:1000], progress=False)
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    # scikit-learn's MLPClassifier((64,), batch_size=64, learning_rate_init=3e-3, max_iter=5)
    # reaches 89.25% on the same split
    assert evaluate(state.params, jnp.asarray(Xt), jnp.asarray(yt), config)["accuracy"] > 0.88


def test_backprop_and_autodiff_train_alike(mnist_small):
    X, y, Xt, yt = mnist_small
    results = {}
    for gradient in ("autodiff", "backprop"):
        config = TrainConfig(**SMALL | {"gradient": gradient})
        state, _ = fit(config, X, y, progress=False)
        results[gradient] = state
    for a, b in zip(leaves(results["autodiff"].params), leaves(results["backprop"].params)):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_every_optimizer_lowers_the_loss(mnist_small, optimizer):
    X, y, _, _ = mnist_small
    lr = {"sgd": 0.1, "momentum": 0.05, "adam": 1e-3}[optimizer]
    _, history = fit(TrainConfig(**SMALL | {"optimizer": optimizer, "learning_rate": lr, "epochs": 3}), X, y,
                     progress=False)
    assert history[-1]["train_loss"] < 0.7 * history[0]["train_loss"]
    assert history[-1]["train_accuracy"] > 0.8


def test_same_seed_same_parameters_and_another_seed_differs(mnist_small):
    X, y, _, _ = mnist_small
    runs = [fit(TrainConfig(**SMALL | {"seed": s}), X, y, progress=False)[0] for s in (0, 0, 1)]
    assert all(np.array_equal(a, b) for a, b in zip(leaves(runs[0].params), leaves(runs[1].params)))
    assert not np.array_equal(leaves(runs[0].params)[0], leaves(runs[2].params)[0])


def test_the_quadratic_loss_trains_too(mnist_small):
    X, y, _, _ = mnist_small
    _, history = fit(TrainConfig(**SMALL | {"loss": "quadratic", "learning_rate": 3e-3, "epochs": 3}), X, y,
                     progress=False)
    assert history[-1]["train_loss"] < 0.7 * history[0]["train_loss"]
    assert history[-1]["train_accuracy"] > 0.8


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_sgd_is_the_lecture_rule(schedule):
    """optimizer="sgd" is θ ← θ − η_t ∇L, written out here step by step (η_t: the schedule)."""
    config = TrainConfig(optimizer="sgd", learning_rate=0.1, schedule=schedule, epochs=2)
    sgd = make_optimizer(config, steps_per_epoch=2)
    theta = {"w": jnp.array([1.0, 2.0])}
    state = sgd.init(theta)
    expected = np.array([1.0, 2.0])
    for t, g in enumerate([np.array([0.5, -1.0]), np.array([-2.0, 0.25]), np.array([1.0, 1.0])]):
        eta = 0.1 if schedule == "constant" else 0.1 * 0.5 * (1 + np.cos(np.pi * t / 4))
        expected = expected - eta * g
        with jax.numpy_dtype_promotion("standard"):   # as the training step runs optax
            updates, state = sgd.update({"w": jnp.asarray(g)}, state, theta)
        theta = {"w": theta["w"] + updates["w"]}
        np.testing.assert_allclose(theta["w"], expected, rtol=1e-6)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_epoch(mnist_small):
    X, y, _, _ = mnist_small
    # L_Q with a linear output and a far too large η: the lecture's diverging gradient descent
    config = TrainConfig(hidden=(32,), epochs=3, batch_size=64, loss="quadratic", output="identity",
                         optimizer="sgd", learning_rate=10.0, schedule="constant")
    with pytest.raises(DivergenceError, match=r"(became (nan|inf)|grew to .*) in epoch 1.*initial parameters were "
                                              r"kept.*learning rate 10 is too large: try 1\b") as err:
        fit(config, X, y, progress=False)
    state, history = err.value.result
    assert history == [] and all(np.isfinite(leaf).all() for leaf in leaves(state.params))


def test_a_loss_that_explodes_but_stays_finite_is_divergence_too(mnist_small):
    # Adam with η = 10⁴: the loss jumps to ~1e9 and falls back to a few hundred, a chance-level
    # model that a NaN check alone would report as trained (the lecture's curve C).
    X, y, _, _ = mnist_small
    config = TrainConfig(hidden=(32,), epochs=2, batch_size=64, learning_rate=1e4)
    with pytest.raises(DivergenceError, match=r"the training loss grew to \S+ in epoch 1, above max\(100 × best "
                                              r"2\.\d+, start 2\.\d+\).*learning rate 10000 is too large: try 1000"):
        fit(config, X, y, progress=False)


@pytest.mark.parametrize("loss, start, best, diverged", [
    (float("nan"), 2.3, 2.3, True), (float("inf"), 2.3, 0.1, True),
    (200.0, 2.3, 2.3, False),   # below 100 × the start: a rough first epoch, not divergence
    (240.0, 2.3, 2.3, True),    # 100 × the start
    (2.0, 2.3, 0.001, False),   # worse than its best but better than the untrained model
    (2.4, 2.3, 0.001, True),    # fell a hundred-fold, then climbed back above the start
    (9.1, 2.75, 0.9, False),    # chaotic training on unscaled inputs: ten-fold jumps recover
    (1e9, 2.3, 2.3, True),      # Adam with η = 10⁴ on MNIST, epoch 1
])
def test_the_divergence_rule(loss, start, best, diverged):
    from jaxlearn import divergence

    assert bool(divergence.has_diverged(loss, start, best)) is diverged


def test_split_indices_is_the_lectures_60_20_20():
    train, val, test = split_indices(jax.random.key(0), 1000)
    assert (len(train), len(val), len(test)) == (600, 200, 200)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(1000))
    with pytest.raises(ValueError, match="fractions must be positive and sum to 1"):
        split_indices(jax.random.key(0), 10, (0.5, 0.6))


@pytest.mark.parametrize("kwargs, message", [
    (dict(hidden=(256, 0)), r"hidden\[1\] \(a hidden layer size\) must be ≥ 1, got 0"),
    (dict(activation="swish"), "unknown activation 'swish'; valid options are 'relu', 'sigmoid', 'tanh', 'identity'"),
    (dict(loss="mse"), "unknown loss 'mse'; valid options are 'cross_entropy', 'quadratic'"),
    (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'; valid options are 'adam', 'momentum', 'nesterov', 'sgd'"),
    (dict(learning_rate=0.0), "learning_rate must be > 0, got 0.0"),
    (dict(learning_rate=-1e-3), "learning_rate must be > 0"),
    (dict(batch_size=0), "batch_size must be ≥ 1"),
    (dict(epochs=1.5), "epochs must be an integer"),
    (dict(gradient="numeric"), "unknown gradient 'numeric'; valid options are 'autodiff', 'backprop'"),
    (dict(schedule="step"), "unknown schedule 'step'"),
])
def test_bad_config_is_named(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        TrainConfig(**kwargs)


def test_bad_training_data_is_named(mnist_small):
    X, y, _, _ = mnist_small
    config = TrainConfig(**SMALL)
    with pytest.raises(ValueError, match=r"batch_size=64 is larger than the training set \(10 samples\)"):
        fit(config, X[:10], y[:10], n_classes=10, progress=False)
    with pytest.raises(ValueError, match=r"X_train must be \(M, n_features\).*flatten_images"):
        fit(config, X.reshape(-1, 28, 28), y, progress=False)
    with pytest.raises(ValueError, match=r"y_train has length 100 but X_train has 4000 rows"):
        fit(config, X, y[:100], progress=False)
    with pytest.raises(ValueError, match="y_val must lie in 0 … 9, found 12"):
        fit(config, X, y, X[:5], np.array([0, 1, 2, 12, 3]), n_classes=10, progress=False)
    with pytest.raises(ValueError, match="y_train must lie in 0 … 9, found -1"):
        fit(config, X, np.where(np.arange(4000) == 7, -1, y), n_classes=10, progress=False)
    with pytest.raises(ValueError, match=r"X_train contains 1 NaN or inf value\(s\), the first at index \(3, 5\)"):
        fit(config, np.where(np.arange(X.size).reshape(X.shape) == 3 * 784 + 5, np.nan, X), y, progress=False)
    with pytest.raises(TypeError, match=r"y_train must hold integer class labels .* \(e\.g\. y_train\.astype\(int\)\)"):
        fit(config, X, y.astype(float), progress=False)
    with pytest.raises(ValueError, match="give both X_val and y_val, or neither"):
        fit(config, X, y, X[:5], progress=False)
    with pytest.raises(ValueError, match="X_val has 783 features but the training data has 784"):
        fit(config, X, y, X[:5, 1:], y[:5], progress=False)


def test_a_fit_compiles_two_programs_and_a_second_fit_none():
    """The run's start (parameters, optimizer state and L_0) and its epoch: nothing else is
    compiled, neither eagerly nor for the shuffles (drawn on the host); a second fit of the same
    shapes reuses both."""
    compiled = []

    def listen(event, seconds, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiled.append(event)

    X = np.random.default_rng(0).random((300, 20), np.float32)
    y = (3 * X[:, 0]).astype(int)      # learnable (random labels would stall: jaxlearn.stall)
    config = TrainConfig(hidden=(17,), epochs=2, batch_size=32)        # shapes no other test uses
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        fit(config, X, y, progress=False)
        first = len(compiled)
        fit(config, X, y, progress=False)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert (first, len(compiled)) == (2, 2)
