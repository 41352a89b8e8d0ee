"""Checks that need several devices, run by tests/test_parallel.py in a subprocess with
JAX_NUM_CPU_DEVICES=4 (JAX reads it once, at start-up, so the rest of the suite keeps one
device). Each check is a function; `python tests/multi_device_checks.py NAME` runs one and
prints "ok NAME" (an assertion error fails the calling test with this process's output).
Run under JAX's defaults: x64 off, as users run.
"""

import dataclasses
import sys

import jax
import numpy as np

from jaxlearn.parallel import batch_rows, data_mesh, replicated
from jaxlearn.training import TrainConfig, fit, make_run_batches, make_step
from jaxlearn.training.optimizers import make_optimizer

CONFIG = TrainConfig(hidden=(32,), epochs=3, batch_size=64, learning_rate=1e-2, seed=0)


def data(M=1000, N=20):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(M, N)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int32) + (X[:, 2] > 1)
    return X, y


def fit_equals_one_device():
    assert len(jax.devices()) == 4, jax.devices()
    X, y = data()
    one, history_one = fit(CONFIG, X, y, X[:200], y[:200], progress=False, devices=1)
    for devices in (None, 4, 2, jax.devices()[2:]):             # default: all four; a count; a list
        state, history = fit(CONFIG, X, y, X[:200], y[:200], progress=False, devices=devices)
        n = 4 if devices in (None, 4) else 2
        for (W1, b1), (W, b) in zip(one.params, state.params):
            np.testing.assert_allclose(np.asarray(W), np.asarray(W1), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(np.asarray(b), np.asarray(b1), rtol=1e-5, atol=1e-6)
            assert len(W.sharding.device_set) == n and W.sharding.is_fully_replicated
        assert [h["train_accuracy"] for h in history] == [h["train_accuracy"] for h in history_one]
        np.testing.assert_allclose([h["val_loss"] for h in history], [h["val_loss"] for h in history_one], rtol=1e-5)


def cnn_equals_one_device():
    """A CNN with batch normalisation (statistics over the whole global batch, reduced across the
    devices), dropout and augmentation: the one-device parameters and running statistics."""
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(256, 64)).astype(np.float32)
    y = (X[:, :32].sum(axis=1) > X[:, 32:].sum(axis=1)).astype(np.int32)
    config = TrainConfig(model="cnn", architecture="c4bn-p-drop0.25-d8bn", image_shape=(1, 8, 8), epochs=2,
                         batch_size=32, learning_rate=1e-2, augment=("shift",))
    one, _ = fit(config, X, y, progress=False, devices=1)
    four, _ = fit(config, X, y, progress=False, devices=4)
    for a, b in zip(jax.tree.leaves((one.params, one.batch_stats)), jax.tree.leaves((four.params, four.batch_stats))):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-4, atol=1e-5)


def resume_on_other_devices():
    """Epoch 1 on four devices, checkpointed to a file; epochs 2–3 resumed from it on two: the
    one-device run's parameters."""
    import tempfile
    from pathlib import Path

    from jaxlearn.training.checkpoint import load_checkpoint, save_checkpoint
    from jaxlearn.training.loop import init_state

    X, y = data()
    one, _ = fit(CONFIG, X, y, progress=False, devices=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.npz"

        def checkpoint_then_stop(epoch, state, history):
            save_checkpoint(path, state, epoch, history)
            raise KeyboardInterrupt

        try:
            fit(CONFIG, X, y, progress=False, devices=4, on_epoch_end=checkpoint_then_stop)
        except KeyboardInterrupt:
            pass
        template, _ = init_state(CONFIG, X.shape[1], 3, X.shape[0] // CONFIG.batch_size)
        state, epoch, history = load_checkpoint(path, template)
    assert epoch == 1
    resumed, _ = fit(CONFIG, X, y, progress=False, devices=2, state=state, start_epoch=epoch, history=history)
    for (W1, _), (W, _) in zip(one.params, resumed.params):
        np.testing.assert_allclose(np.asarray(W), np.asarray(W1), rtol=1e-5, atol=1e-6)


def evaluation_and_svm_on_four_devices():
    """evaluate, predict and the SVM's decision function with rows split over the devices: the
    one-device results, for block sizes that do not divide by 4 (padded and masked)."""
    from jaxlearn import svm
    from jaxlearn.training import evaluate, predict

    X, y = data(M=403)
    state, _ = fit(CONFIG, X, y, progress=False, devices=1)
    for block in (10_000, 37):
        one = evaluate(state.params, X, y, CONFIG, block, devices=1)
        four = evaluate(state.params, X, y, CONFIG, block)               # default: all four
        assert four["accuracy"] == one["accuracy"] and abs(four["loss"] - one["loss"]) < 1e-6 * one["loss"], (one, four)
        np.testing.assert_array_equal(predict(state.params, X, CONFIG, block), predict(state.params, X, CONFIG, block,
                                                                                         devices=1))
    model = svm.fit_kernel_svm(X[:200], y[:200], "rbf", 2.0)
    for block in (10_000, 37):
        np.testing.assert_allclose(np.asarray(svm.decision_function(model, X, block=block)),
                                   np.asarray(svm.decision_function(model, X, block=block, devices=1)),
                                   rtol=1e-5, atol=1e-5)     # float32 sums of 200 kernel terms, other order


def sweep_over_four_devices():
    """train_many splits its models over the devices: the one-device sweep, model for model."""
    from jaxlearn.sweeps import train_many

    X, y = data(M=400)
    settings = dict(learning_rates=[3e-3, 1e-2, 3e-2, 1e-1, 3e-3, 1e-2, 3e-2, 1e-1], seeds=[0, 0, 0, 0, 1, 1, 1, 1],
                    X_val=X[:100], y_val=y[:100], progress=False)
    one = train_many(CONFIG, X, y, devices=1, **settings)
    for devices, chunk in ((None, None), (4, 1), (2, 2)):          # None: all four (8 models split over 4)
        sweep = train_many(CONFIG, X, y, devices=devices, chunk_size=chunk, **settings)
        assert len(sweep.params[0][0].sharding.device_set) == (4 if devices in (None, 4) else 2)
        for (W1, _), (W, _) in zip(one.params, sweep.params):
            np.testing.assert_allclose(np.asarray(W), np.asarray(W1), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(sweep.validation_accuracy, one.validation_accuracy)
        np.testing.assert_allclose(sweep.train_loss, one.train_loss, rtol=1e-5)
    six = dict(settings, learning_rates=settings["learning_rates"][:6], seeds=settings["seeds"][:6])
    assert len(train_many(CONFIG, X, y, **six).params[0][0].sharding.device_set) == 3    # 6 models: 3 devices
    try:
        train_many(CONFIG, X, y, devices=4, **six)
    except ValueError as err:
        assert "6 models do not split over 4 devices" in str(err), str(err)
    else:
        raise AssertionError("6 models on 4 devices: no error")


def batch_is_split_and_gradient_reduced():
    """The compiled epoch splits each batch over the devices and all-reduces across them."""
    mesh = data_mesh(4)
    X, y = data()
    Y = np.eye(3, dtype=np.float32)[y]
    from jaxlearn.training.loop import init_state

    state, _ = init_state(CONFIG, X.shape[1], 3, 15)
    run = make_run_batches(make_step(CONFIG, make_optimizer(CONFIG, 15)), mesh)
    indices = jax.device_put(np.arange(15 * 64).reshape(15, 64), batch_rows(mesh, axis=1))
    args = (jax.device_put(state, replicated(mesh)), jax.device_put(X, replicated(mesh)),
            jax.device_put(Y, replicated(mesh)), indices)
    text = run.lower(*args).compile().as_text()
    assert "all-reduce" in text, "no all-reduce in the data-parallel epoch"
    assert "f32[16,20]" in text, "the batch of 64 rows is not split into 16 per device"


def batch_size_must_split():
    X, y = data()
    for devices, message in ((4, "batch_size=66 does not split over 4 devices; use a multiple of 4 (e.g. 64 or 68)"),
                             (5, "devices=5: JAX sees 4 device(s) (cpu); choose 1 … 4")):
        try:
            fit(dataclasses.replace(CONFIG, batch_size=66), X, y, progress=False, devices=devices)
        except ValueError as err:
            assert message in str(err), str(err)
        else:
            raise AssertionError(f"devices={devices}: no error")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        globals()[name]()
        print("ok", name)
