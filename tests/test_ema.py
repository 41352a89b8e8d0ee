"""The exponential moving average of the weights (TrainConfig.ema_decay): the closed form on a tiny
problem, checkpoints and a bit-identical continuation, batch statistics recomputed for the averaged
weights, and the run folder's model."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn.nn.conv import _conv, padding_pairs
from jaxlearn.training import TrainConfig, fit
from jaxlearn.training.checkpoint import load_checkpoint, load_model
from jaxlearn.training.ema import ema_model, recompute_batch_stats
from jaxlearn.training.loop import init_state
from jaxlearn.training.step import make_step
from tests.conftest import fit_whole_and_resumed


def test_the_average_is_the_closed_form_of_the_steps_taken():
    d = 0.8
    config = TrainConfig(hidden=(3,), dtype="float64", ema_decay=d, optimizer="sgd", learning_rate=0.5,
                         schedule="constant", batch_size=4)
    state, optimizer = init_state(config, 2, 2, 5)
    step = jax.jit(make_step(config, optimizer))
    rng = np.random.default_rng(0)
    thetas = [state.params]
    for _ in range(40):            # d_t reaches the cap d = 0.8 at t = 35
        X = jnp.asarray(rng.normal(size=(4, 2)))
        Y = jax.nn.one_hot(jnp.asarray(rng.integers(0, 2, 4)), 2, dtype=jnp.float64)
        state, _ = step(state, X, Y)
        thetas.append(state.params)
    n = len(thetas) - 1
    # d_t = min(d, (1 + t)/(10 + t)) for update t = 0 … n−1: 0.1, 0.18, 0.25, …, then capped at d
    decays = [min(d, (1 + t) / (10 + t)) for t in range(n)]
    assert decays[:3] == [0.1, 2 / 11, 0.25] and decays[-1] == d
    # θ_ema = Π_t d_t θ_0 + Σ_{k=1}^{n} (1 − d_{k−1}) Π_{t ≥ k} d_t θ_k
    weights = [np.prod(decays)] + [(1 - decays[k - 1]) * np.prod(decays[k:]) for k in range(1, n + 1)]
    assert np.isclose(sum(weights), 1.0)
    expected = jax.tree_util.tree_map(lambda *leaves: sum(w * leaf for w, leaf in zip(weights, leaves)), *thetas)
    count, average = state.ema
    assert int(count) == n
    for got, want in zip(jax.tree_util.tree_leaves(average), jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not np.allclose(jax.tree_util.tree_leaves(average)[0], jax.tree_util.tree_leaves(state.params)[0])


def test_no_average_adds_nothing():
    state, _ = init_state(TrainConfig(hidden=(3,)), 2, 2, 5)
    assert state.ema == ()


def data(M=96, n=64):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(M, n)).astype(np.float32)
    return X, (X[:, : n // 2].mean(1) > X[:, n // 2:].mean(1)).astype(np.int32)


CNN = TrainConfig(model="cnn", architecture="c4bn-p-d8-drop0.2", image_shape=(1, 8, 8), epochs=3, batch_size=16,
                  learning_rate=3e-3, ema_decay=0.9)


def test_checkpoints_keep_the_average_and_a_continued_run_is_bit_identical(tmp_path):
    X, y = data()
    whole, resumed = fit_whole_and_resumed(CNN, X, y, tmp_path)
    for a, b in zip(jax.tree_util.tree_leaves(whole), jax.tree_util.tree_leaves(resumed)):
        np.testing.assert_array_equal(a, b)
    plain_template, _ = init_state(dataclasses.replace(CNN, ema_decay=0.0), 64, 2, 6)
    with pytest.raises(ValueError, match="weight average"):
        load_checkpoint(tmp_path / "checkpoint.npz", plain_template)


def test_batch_statistics_are_those_of_the_averaged_weights():
    X, y = data()
    state, _ = fit(CNN, X, y, progress=False)
    params, stats = ema_model(CNN, state, X)
    assert params is state.ema[1] and not np.allclose(stats[0][0], state.batch_stats[0][0])
    # one batch of all 96 images: the first layer's statistics are those of W_ema ∗ x over (M, H, W)
    one = recompute_batch_stats(CNN, state.ema[1], state.batch_stats, X, batches=1, batch_size=96)
    rows = np.random.default_rng(0).choice(96, (1, 96))[0]
    images = jnp.asarray(X[rows]).reshape(96, 1, 8, 8).transpose(0, 2, 3, 1)
    W = state.ema[1][0][0]
    z = np.asarray(_conv(W, None, images, 1, padding_pairs("SAME", (8, 8), (3, 3), 1), channels_last=True))
    np.testing.assert_allclose(one[0][0], z.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(one[0][1], z.var(axis=(0, 1, 2)), rtol=1e-3, atol=1e-6)


def test_the_run_folder_saves_and_tests_the_average(tiny_data, tmp_path):
    from jaxlearn.training.runs import train_and_evaluate

    config = TrainConfig(hidden=(16,), epochs=2, batch_size=32, ema_decay=0.5)
    result = train_and_evaluate(config, tmp_path / "run", dataset="mnist", data_dir=tiny_data, validation_size=200,
                                progress=False,
                                log=lambda *a: None)
    params, _ = load_model(tmp_path / "run" / "params.npz")
    state, _, _ = load_checkpoint(tmp_path / "run" / "checkpoint.npz", init_state(config, 784, 10, 1)[0])
    for saved, average in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(state.ema[1])):
        np.testing.assert_array_equal(saved, average)
    assert 0 <= result["test_accuracy"] <= 1


def test_ema_decay_is_checked():
    with pytest.raises(ValueError, match=r"ema_decay must be < 1"):
        TrainConfig(ema_decay=1.0)
    with pytest.raises(ValueError, match="ema_decay must be ≥ 0"):
        TrainConfig(ema_decay=-0.5)
