"""The fast recipes' training methods (issue 41), each checked for what it must do: batch
normalisation's momentum, a learning-rate factor for its shifts, dirac init of 3×3 convolutions,
one-pixel-shifted test-time views, the triangular schedule and Lookahead. Their defaults change
nothing."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxlearn.nn.augment import translated
from jaxlearn.nn.conv import conv2d
from jaxlearn.training import TrainConfig, learning_rate_schedule
from jaxlearn.training.optimizers import make_optimizer
from jaxlearn.training.step import fresh_state, make_step
from tests.conftest import fit_whole_and_resumed

CNN = dict(model="cnn", architecture="c4bn-p-d8", image_shape=(1, 8, 8), epochs=3, batch_size=6, dtype="float64")


def batch(M=6, K=3):
    X = jax.random.uniform(jax.random.key(1), (M, 64), jnp.float64)
    return X, jax.nn.one_hot(jnp.arange(M) % K, K, dtype=jnp.float64)


def one_step(config, X, Y):
    optimizer = make_optimizer(config, 10)
    state = fresh_state(config, optimizer, 0, X.shape[1], Y.shape[1])
    return state, make_step(config, optimizer)(state, X, Y)[0]


@pytest.mark.parametrize("m", [0.9, 0.5, 0.0])
def test_bn_momentum_mixes_the_batch_into_the_running_statistics(m):
    X, Y = batch()
    start, after = one_step(TrainConfig(**CNN, bn_momentum=m), X, Y)
    W, _ = start.params[0]
    z = np.asarray(conv2d(W, np.zeros(4), X.reshape(6, 1, 8, 8)))        # the first layer's pre-activation
    (mean, var), = after.batch_stats
    np.testing.assert_allclose(mean, (1 - m) * z.mean(axis=(0, 2, 3)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(var, m + (1 - m) * z.var(axis=(0, 2, 3)), rtol=1e-10)


def test_bn_bias_lr_moves_only_the_shifts_further():
    X, Y = batch()
    config = TrainConfig(**CNN, optimizer="sgd", schedule="constant", learning_rate=0.1)
    start, plain = one_step(config, X, Y)
    _, scaled = one_step(dataclasses.replace(config, bn_bias_lr=8.0), X, Y)
    for (W0, b0), (W1, b1), (W8, b8) in zip(start.params, plain.params, scaled.params):
        np.testing.assert_allclose(W8, W1, rtol=1e-12)                  # weights and γ as before
        shift = W0.ndim == 1                                            # the (γ, β) pair
        np.testing.assert_allclose(b8 - b0, (8.0 if shift else 1.0) * (b1 - b0), rtol=1e-10, atol=1e-14)
    assert np.abs(plain.params[1][1] - start.params[1][1]).max() > 0    # β moved at all
    with pytest.raises(ValueError, match=r"bn_bias_lr=2.0 scales batch normalisation's shifts: it needs "
                                         r"model='cnn'"):
        TrainConfig(bn_bias_lr=2.0)


def test_dirac_init_makes_each_3x3_convolution_start_as_the_identity():
    config = TrainConfig(**CNN | dict(architecture="c4-c6-c3-r3-d8"), conv_init="dirac")
    params = config.network.init(jax.random.key(0), 64, 3)
    he = TrainConfig(**CNN | dict(architecture="c4-c6-c3-r3-d8")).network.init(jax.random.key(0), 64, 3)
    maps = np.random.default_rng(0).normal(size=(2, 6, 8, 8))
    for (W, _), (W_he, _) in zip(params, he):
        if W.ndim != 4 or W.shape[2:] != (3, 3):
            continue
        n = min(W.shape[:2])
        out = np.asarray(conv2d(W, np.zeros(W.shape[0]), maps[:, :W.shape[1]]))
        np.testing.assert_allclose(out[:, :n], maps[:, :n], atol=1e-12)    # the first n channels passed through
        np.testing.assert_array_equal(W[n:], W_he[n:])                      # the rest keep their He draws
    with pytest.raises(ValueError, match="unknown conv_init .identity.; valid options are .he., .dirac."):
        TrainConfig(**CNN, conv_init="identity")


def test_shifted_test_views_are_weighted_as_airbench_does():
    config = TrainConfig(**CNN, test_shift=True, test_flip=True)
    net = config.network
    params, stats = net.init(jax.random.key(0), 64, 3), net.init_state()
    X = jax.random.uniform(jax.random.key(3), (5, 64), jnp.float64)
    images = X.reshape(5, 1, 8, 8)
    flip_only = dataclasses.replace(config, test_shift=False).network
    views = [flip_only.logits(params, stats, v.reshape(5, 64)) for v in
             (images, translated(images, -1), translated(images, 1))]
    np.testing.assert_allclose(net.logits(params, stats, X), 0.5 * views[0] + 0.25 * views[1] + 0.25 * views[2],
                               rtol=1e-12)
    moved = np.asarray(translated(images, 1))
    np.testing.assert_array_equal(moved[:, :, 1:, 1:], np.asarray(images)[:, :, :-1, :-1])   # one pixel down-right
    assert np.all(moved[:, :, 0, :] == 0) and np.all(moved[:, :, :, 0] == 0)
    with pytest.raises(ValueError, match="test_shift translates images: it needs model='cnn'"):
        TrainConfig(test_shift=True)


def test_the_triangular_schedule_rises_from_a_fifth_and_falls_to_zero():
    config = TrainConfig(schedule="triangular", learning_rate=0.4, epochs=10, optimizer="nesterov")
    eta = learning_rate_schedule(config, 10)                # 100 steps: the peak at step 20
    np.testing.assert_allclose([eta(0), eta(10), eta(20), eta(60), eta(100)], [0.08, 0.24, 0.4, 0.2, 0.0],
                               rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="schedule='triangular' rises from 0.2 η to η by itself"):
        TrainConfig(schedule="triangular", warmup_epochs=1)


def test_the_defaults_leave_the_network_as_it_was():
    X, Y = batch()
    plain = TrainConfig(**CNN)
    _, a = one_step(plain, X, Y)
    _, b = one_step(dataclasses.replace(plain, bn_momentum=0.9, bn_bias_lr=1.0, conv_init="he"), X, Y)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(x, y)


def test_lookahead_moves_the_slow_weights_every_k_steps_and_jumps_to_them():
    """On L = ½‖θ‖² with SGD (g = θ): k = 3 fast steps θ ← (1 − η) θ, then φ ← φ + α (θ − φ) and θ ← φ."""
    from jaxlearn.training.optimizers import lookahead

    eta, alpha = 0.1, 0.5
    optimizer = lookahead(optax.sgd(eta), 3, alpha)
    theta = jnp.array([1.0, -2.0])
    state = optimizer.init(theta)
    expected, phi = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    for step in range(1, 7):
        updates, state = optimizer.update(theta, state, theta)
        theta = optax.apply_updates(theta, updates)
        expected = (1 - eta) * expected
        if step % 3 == 0:
            phi = phi + alpha * (expected - phi)
            expected = phi.copy()
        np.testing.assert_allclose(theta, expected, rtol=1e-6)
    with pytest.raises(ValueError, match=r"lookahead_alpha must be in \(0, 1\]"):
        TrainConfig(lookahead=5, lookahead_alpha=1.5)


def test_a_run_with_lookahead_ends_on_its_slow_weights():
    X, Y = batch()
    config = TrainConfig(**CNN, lookahead=4, lookahead_alpha=0.5)          # 3 epochs of 1 step: the last syncs
    optimizer = make_optimizer(config, 1)
    state = fresh_state(config, optimizer, 0, X.shape[1], Y.shape[1])
    step = make_step(config, optimizer)
    for _ in range(3):
        state, _ = step(state, X, Y)
    slow = state.opt_state.slow
    for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(slow)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_alternating_flips_mirror_each_image_once_every_two_epochs():
    from jaxlearn.nn.augment import alternating_flip, augment

    images = jax.random.uniform(jax.random.key(0), (400, 1, 4, 4), jnp.float64)
    rows = jnp.arange(1000, 1400)
    mirrored = [np.asarray(jnp.all(alternating_flip(images, rows, e) != images, axis=(1, 2, 3))) for e in (4, 5, 6)]
    assert np.all(mirrored[0] ^ mirrored[1]) and np.array_equal(mirrored[0], mirrored[2])
    assert 0.4 < mirrored[0].mean() < 0.6                          # about half each epoch
    flipped = np.asarray(alternating_flip(images, rows, 4))
    np.testing.assert_array_equal(flipped[mirrored[0]], np.asarray(images)[mirrored[0]][..., ::-1])
    with pytest.raises(ValueError, match="'altflip' needs the images' indices"):
        augment(jax.random.key(0), images, ("altflip",))
    with pytest.raises(ValueError, match="'flip' and 'altflip' both mirror images"):
        TrainConfig(**CNN, augment=("flip", "altflip"))
    with pytest.raises(ValueError, match="augmentation 'altflip' on mnist: digits are not mirror-symmetric"):
        from jaxlearn.nn.augment import check_augmentations

        check_augmentations(("altflip",), "mnist")


def test_a_sweep_checkpoint_of_0_1_keeps_its_signature():
    """0.1 signed a sweep's checkpoint with its TrainConfig's fields; the fields added since keep
    their defaults out of the signature, so that an interrupted 0.1 study still resumes."""
    import json

    from jaxlearn.sweeps.checkpoint import signature
    from jaxlearn.training.config import ADDED_SINCE_0_1

    config = TrainConfig(hidden=(8,), epochs=2)
    old_fields = {k: v for k, v in config.to_dict().items() if k not in ADDED_SINCE_0_1}
    old = json.dumps({"config": old_fields, "data": [10, 64], "settings": {"rates": [0.1]}}, sort_keys=True)
    assert signature(config, {"rates": [0.1]}, (10, 64)) == old
    assert signature(dataclasses.replace(config, lookahead=5), {"rates": [0.1]}, (10, 64)) != old


# --- the frozen patch-whitening first layer ------------------------------------------------------

def test_whitening_kernels_give_the_patches_unit_variance_along_each_principal_direction():
    from jaxlearn.nn import whitening

    images = jax.random.uniform(jax.random.key(0), (50, 2, 6, 6), jnp.float64)
    images = images.at[:, 1].set(0.7 * images[:, 0] + 0.3 * images[:, 1])       # correlated channels
    E, eigenvalues = whitening.patch_statistics(images)
    assert E.shape == (8, 2, 2, 2) and np.all(np.diff(np.asarray(eigenvalues)) <= 0)
    rows = whitening.patches(images)
    coordinates = (rows - rows.mean(axis=0)[None, :]) @ whitening.whitening_kernels(E, eigenvalues).reshape(16, 8).T
    covariance = np.cov(np.asarray(coordinates[:, :8]), rowvar=False, bias=True)
    np.testing.assert_allclose(covariance, np.diag(eigenvalues / (eigenvalues + whitening.EPSILON)), atol=1e-10)
    np.testing.assert_allclose(coordinates[:, 8:], -coordinates[:, :8])           # and the negatives


def test_a_whitened_cnn_fits_its_first_layer_to_the_data_and_never_trains_it():
    from jaxlearn.nn import whitening
    from jaxlearn.training import fit

    X = np.asarray(jax.random.uniform(jax.random.key(4), (60, 64)), np.float32)
    y = (X[:, :32].sum(axis=1) > X[:, 32:].sum(axis=1)).astype(np.int32)
    config = TrainConfig(model="cnn", architecture="w-c4bn-p-d8", image_shape=(1, 8, 8), epochs=2, batch_size=20,
                         weight_decay=0.1, lam=1e-3)
    state, _ = fit(config, X, y, progress=False)
    shorter, _ = fit(dataclasses.replace(config, epochs=1), X, y, progress=False)
    E, eigenvalues = whitening.patch_statistics(jnp.asarray(X).reshape(60, 1, 8, 8))
    np.testing.assert_allclose(state.batch_stats[0][0], E, atol=1e-4)          # fitted to the rows (float32)
    np.testing.assert_allclose(state.batch_stats[0][1], eigenvalues, rtol=1e-4)
    for a, b in zip(state.batch_stats[0], shorter.batch_stats[0]):            # and never trained
        np.testing.assert_array_equal(a, b)
    assert len(state.params) == 4                                        # c4 (no bias), bn, d8, output: none for w
    with pytest.raises(ValueError, match="the whitening layer w .* must be the first layer"):
        TrainConfig(model="cnn", architecture="c4-w-d8")


def test_a_whitened_cnns_hand_gradient_passes_the_check():
    from jaxlearn.gradcheck import check_network

    net = TrainConfig(model="cnn", architecture="w-c3bn-p-d5", image_shape=(1, 6, 6), dtype="float64",
                      activation="tanh").network
    X = np.random.default_rng(0).normal(size=(4, 36))
    params, state = net.init(jax.random.key(1), 36, 3), net.init_state(X)
    report = check_network(net, params, X, np.eye(3)[[0, 1, 2, 0]], state=state)
    assert report.ok, str(report)


def test_a_run_with_every_fast_method_resumes_bit_identical(tmp_path):
    """Whitening (its state in the checkpoint), alternating flips (keyed by the epoch), Lookahead
    (its slow weights in the optimizer state), the triangular schedule, bn momentum and bias factor,
    dirac init and shifted test views: cut after epoch 1, saved, loaded and continued, the run ends
    as the uninterrupted one, bit for bit."""
    from jaxlearn.training import evaluate

    X = np.asarray(jax.random.uniform(jax.random.key(5), (80, 64)), np.float32)
    y = (X[:, :32].sum(axis=1) > X[:, 32:].sum(axis=1)).astype(np.int32)
    config = TrainConfig(model="cnn", architecture="w-c4bn-p-d8", image_shape=(1, 8, 8), epochs=3, batch_size=20,
                         augment=("shift", "altflip"), lookahead=3, optimizer="nesterov", schedule="triangular",
                         learning_rate=0.05, bn_momentum=0.6, bn_bias_lr=8.0, conv_init="dirac", test_shift=True,
                         test_flip=True)
    whole, resumed = fit_whole_and_resumed(config, X, y, tmp_path)
    for a, b in zip(jax.tree.leaves(whole), jax.tree.leaves(resumed)):
        np.testing.assert_array_equal(a, b)
    assert evaluate(resumed, X, y, config) == evaluate(whole, X, y, config)


def test_a_whitened_cnns_state_is_counted_and_averaged_as_what_it_is():
    """The whitening layer's (E, λ) is state but not a batch normalisation: the weight average's
    recomputed statistics keep it bit for bit, and a wrong state says what each entry is."""
    from jaxlearn.training.ema import recompute_batch_stats

    X = np.asarray(jax.random.uniform(jax.random.key(6), (40, 64)), np.float32)
    config = TrainConfig(model="cnn", architecture="w-c4bn-p-d8", image_shape=(1, 8, 8))
    net = config.network
    assert net.running_statistics == (False, True)
    params, state = net.init(jax.random.key(0), 64, 2), net.init_state(X)
    averaged = recompute_batch_stats(config, params, state, X, batches=3, batch_size=8)
    for kept, given in zip(averaged[0], state[0]):
        np.testing.assert_array_equal(kept, given)
    assert not np.array_equal(averaged[1][0], state[1][0])
    with pytest.raises(ValueError, match=r"its 1 batch normalisation layer\(s\) need .* whitening layer's"):
        net.check_state(state[1:])


def test_evaluation_compiles_once_for_networks_that_differ_only_in_training():
    """Dropout, initialisation, augmentation, batch-norm momentum: none changes inference, so the
    compiled evaluation programs are keyed by the network without them."""
    plain = TrainConfig(**CNN).network.for_inference()
    for changed in (dict(augment=("flip",)), dict(bn_momentum=0.5), dict(conv_init="dirac")):
        assert TrainConfig(**CNN, **changed).network.for_inference() == plain
    assert TrainConfig(**CNN, test_flip=True).network.for_inference() != plain
    mlp = TrainConfig(hidden=(4,)).network.for_inference()
    assert TrainConfig(hidden=(4,), dropout=0.3, init="glorot_uniform").network.for_inference() == mlp
    assert TrainConfig(hidden=(5,)).network.for_inference() != mlp
