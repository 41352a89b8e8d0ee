"""The modern recipe's training methods (issue 27): label smoothing, learning-rate warm-up and
test-time flips, each checked for what it must do; and the MLP's dropout (TrainConfig.dropout)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn.data import flatten_images
from jaxlearn.training import TrainConfig, evaluate, fit, learning_rate_schedule
from jaxlearn.training.optimizers import make_optimizer
from jaxlearn.training.step import fresh_state, make_step

CNN = dict(model="cnn", architecture="c4bn-p-d8", image_shape=(1, 8, 8), epochs=3, batch_size=6)


def one_step(config, X, Y, seed=0):
    """params after one minibatch update of a fresh network, and the step's loss."""
    optimizer = make_optimizer(config, 10)
    state = fresh_state(config, optimizer, seed, X.shape[1], Y.shape[1])
    state, (loss, _) = make_step(config, optimizer)(state, X, Y)
    return state.params, loss


def small_batch(n_features=64, M=6, K=3):
    X = jax.random.uniform(jax.random.key(1), (M, n_features), jnp.float64)
    return X, jax.nn.one_hot(jnp.arange(M) % K, K, dtype=jnp.float64)


# --- label smoothing -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [dict(hidden=(5,), epochs=3, batch_size=6), CNN])
def test_label_smoothing_trains_on_the_smoothed_targets_by_hand_too(kind):
    X, Y = small_batch()
    eps, K = 0.2, Y.shape[1]
    config = TrainConfig(learning_rate=0.1, optimizer="sgd", label_smoothing=eps, dtype="float64", **kind)
    smoothed_targets = (1 - eps) * Y + eps / K
    # the step's loss is the cross-entropy against (1 − ε) y + ε/K ...
    params, loss = one_step(config, X, Y)
    net = config.network
    fresh = fresh_state(config, make_optimizer(config, 10), 0, X.shape[1], K)
    z, _ = net.apply(fresh.params, fresh.batch_stats, X, training=True)     # the step's forward pass
    expected = -jnp.mean(jnp.sum(smoothed_targets * jax.nn.log_softmax(z), axis=1))
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    # ... and the hand backward pass (δ^L = softmax − target) takes the same targets as jax.grad
    by_hand, _ = one_step(dataclasses.replace(config, gradient="backprop"), X, Y)
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(by_hand)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    # and it is not the unsmoothed step
    plain, _ = one_step(dataclasses.replace(config, label_smoothing=0.0), X, Y)
    assert not np.allclose(jax.tree.leaves(params)[0], jax.tree.leaves(plain)[0])


def test_label_smoothing_is_checked():
    with pytest.raises(ValueError, match="label_smoothing must be < 1"):
        TrainConfig(label_smoothing=1.0)
    with pytest.raises(ValueError, match="label_smoothing must be ≥ 0"):
        TrainConfig(label_smoothing=-0.1)
    with pytest.raises(ValueError, match="smooths the targets of the cross-entropy; loss='quadratic'"):
        TrainConfig(loss="quadratic", label_smoothing=0.1)


# --- warm-up -----------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_warmup_rises_linearly_then_follows_the_schedule(schedule):
    steps, peak = 10, 0.5
    config = TrainConfig(epochs=5, warmup_epochs=2, schedule=schedule, learning_rate=peak)
    schedule_of = learning_rate_schedule(config, steps)

    def eta(t):         # optax mixes Python floats and int steps: as the trainer, under standard promotion
        with jax.numpy_dtype_promotion("standard"):
            return float(schedule_of(t))

    warm = 2 * steps
    np.testing.assert_allclose([eta(t) for t in range(warm + 1)], peak * np.arange(warm + 1) / warm, atol=1e-7)
    rest = np.arange(warm, 5 * steps + 1)
    expected = (peak * 0.5 * (1 + np.cos(np.pi * (rest - warm) / (5 * steps - warm))) if schedule == "cosine"
                else np.full(rest.shape, peak))
    np.testing.assert_allclose([eta(t) for t in rest], expected, atol=1e-6)


def test_no_warmup_is_the_old_schedule():
    config = TrainConfig(epochs=4, learning_rate=0.3)
    with jax.numpy_dtype_promotion("standard"):
        eta = learning_rate_schedule(config, 7)
        assert float(eta(0)) == pytest.approx(0.3) and float(eta(28)) == pytest.approx(0.0, abs=1e-7)



def test_warmup_is_checked():
    with pytest.raises(ValueError, match=r"warmup_epochs \(3\) must be fewer than epochs \(3\)"):
        TrainConfig(epochs=3, warmup_epochs=3)
    with pytest.raises(TypeError, match="warmup_epochs must be an integer"):
        TrainConfig(warmup_epochs=1.5)


# --- test-time flips ---------------------------------------------------------------------------

def cnn_and_params():
    config = TrainConfig(**CNN, dtype="float64", test_flip=True)
    return config, config.network.init(jax.random.key(0), 64, 3), config.network.init_state()


def test_the_flip_of_a_mirror_symmetric_image_changes_nothing():
    config, params, stats = cnn_and_params()
    half = jax.random.uniform(jax.random.key(2), (5, 1, 8, 4), jnp.float64)
    symmetric = jnp.concatenate([half, jnp.flip(half, axis=-1)], axis=-1).reshape(5, 64)
    with_tta = config.network.logits(params, stats, symmetric)
    without = dataclasses.replace(config, test_flip=False).network.logits(params, stats, symmetric)
    np.testing.assert_allclose(with_tta, without, rtol=1e-12)


def test_tta_is_the_mean_of_the_logits_of_the_image_and_its_mirror():
    config, params, stats = cnn_and_params()
    X = jax.random.uniform(jax.random.key(3), (5, 64), jnp.float64)
    mirrored = jnp.flip(X.reshape(5, 1, 8, 8), axis=-1).reshape(5, 64)
    plain = dataclasses.replace(config, test_flip=False).network
    expected = (plain.logits(params, stats, X) + plain.logits(params, stats, mirrored)) / 2
    np.testing.assert_allclose(config.network.logits(params, stats, X), expected, rtol=1e-12)
    assert not np.allclose(expected, plain.logits(params, stats, X))


def test_test_flip_is_refused_where_it_cannot_apply(tiny_data, tmp_path):
    with pytest.raises(ValueError, match="test_flip mirrors images: it needs model='cnn'"):
        TrainConfig(test_flip=True)
    from jaxlearn.training.runs import train_and_evaluate

    with pytest.raises(ValueError, match="'flip' on mnist: digits are not mirror-symmetric"):
        train_and_evaluate(TrainConfig(model="cnn", architecture="c4-p-d8", epochs=1, test_flip=True), tmp_path / "r",
                           dataset="mnist", data_dir=tiny_data, progress=False)


# --- Nesterov momentum ---------------------------------------------------------------------------

@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_nesterov_looks_ahead(weight_decay):
    """Two steps on L = ½‖θ‖² (g = θ): v_1 = g_0, θ_1 = θ_0 − η (g_0 + β v_1) (+ η w θ_0 outside the
    trace); v_2 = β v_1 + g_1, θ_2 = θ_1 − η (g_1 + β v_2) (+ η w θ_1)."""
    from jaxlearn.training.optimizers import make_optimizer

    eta, beta, w = 0.1, 0.9, weight_decay
    config = TrainConfig(optimizer="nesterov", learning_rate=eta, momentum=beta, schedule="constant",
                         weight_decay=w)
    optimizer = make_optimizer(config, 10)
    theta = jnp.array([1.0, -2.0])
    state = optimizer.init(theta)
    expected, v = np.array([1.0, -2.0]), np.zeros(2)
    for _ in range(2):
        with jax.numpy_dtype_promotion("standard"):
            updates, state = optimizer.update(theta, state, theta)        # g = θ
        theta = theta + updates
        g = expected.copy()
        v = beta * v + g
        expected = expected - eta * (g + beta * v) - eta * w * g
    np.testing.assert_allclose(theta, expected, rtol=1e-6)
    plain = make_optimizer(dataclasses.replace(config, optimizer="momentum"), 10)
    with jax.numpy_dtype_promotion("standard"):
        heavy_ball, _ = plain.update(jnp.array([1.0, -2.0]), plain.init(jnp.zeros(2)), jnp.zeros(2))
    assert not np.allclose(heavy_ball, -eta * (1 + beta) * np.array([1.0, -2.0]))      # momentum: −η g_0 alone


def test_the_mlps_dropout_is_a_config_field_checked_when_made():
    with pytest.raises(ValueError, match=r"dropout must be < 1"):
        TrainConfig(dropout=1.0)
    with pytest.raises(ValueError, match="dropout must be ≥ 0"):
        TrainConfig(dropout=-0.2)
    with pytest.raises(ValueError, match=r"a CNN's dropout is a layer of its architecture"):
        TrainConfig(model="cnn", dropout=0.5)
    with pytest.raises(ValueError, match=r"hidden=\(\) has no hidden layer"):
        TrainConfig(hidden=(), dropout=0.5)


@pytest.mark.jax_defaults
def test_an_mlp_trained_with_dropout_is_seeded_and_predicts_without_it(mnist):
    """fit with TrainConfig.dropout: the same seed gives the same run; another rate another run;
    evaluation uses the whole network (no key), so evaluating twice gives the same result."""
    X = flatten_images(mnist.train_images[:1200])
    y = mnist.train_labels[:1200].astype(np.int32)
    config = TrainConfig(hidden=(32,), epochs=2, batch_size=100, dropout=0.5)
    (state, history), (again, _) = (fit(config, X, y, progress=False) for _ in range(2))
    plain, plain_history = fit(dataclasses.replace(config, dropout=0.0), X, y, progress=False)
    for (W, _), (W2, _), (W3, _) in zip(state.params, again.params, plain.params):
        np.testing.assert_array_equal(W, W2)
        assert not np.allclose(W, W3)
    assert history[-1]["train_loss"] > plain_history[-1]["train_loss"]       # the thinned networks fit worse
    first, second = (evaluate(state.params, X, y, config)["accuracy"] for _ in range(2))
    assert first == second > 0.2          # above chance (0.1) after two short epochs
