"""CNNs through the one trainer: `training.fit` and `jaxlearn train --model cnn` on the tiny IDX data
set (tests/tiny_data.py), with augmentation on the device, resume, the hand gradient, and the
errors of mixing models."""

import dataclasses
import json

import jax
import numpy as np
import pytest

from jaxlearn.cli import main
from jaxlearn.training import TrainConfig, fit
from jaxlearn.training.checkpoint import load_model
from tests.conftest import corner_squares

CNN = TrainConfig(model="cnn", architecture="c4-p-d16", image_shape=(1, 8, 8), batch_size=20, epochs=4,
                  learning_rate=1e-2, augment=("shift",))


def images(M=200, seed=0):
    """8×8 images of 4 classes (`tests.conftest.corner_squares`)."""
    return corner_squares(M, n_classes=4, seed=seed)


def test_a_cnn_learns_with_augmentation_and_the_bar_does_not_change_it():
    X, y = images()
    quiet, history = fit(CNN, X, y, X[:50], y[:50], progress=False)
    assert history[-1]["val_accuracy"] > 0.9                        # chance: 0.25
    with_bar, _ = fit(CNN, X, y, progress=True)                     # the epoch in blocks: same keys per batch
    for a, b in zip(jax.tree.leaves(quiet.params), jax.tree.leaves(with_bar.params)):
        np.testing.assert_array_equal(a, b)
    plain, _ = fit(dataclasses.replace(CNN, augment=()), X, y, progress=False)
    assert not np.array_equal(plain.params[0][0], quiet.params[0][0])   # the augmentation did something


def test_a_cnn_is_evaluated_in_smaller_blocks_with_the_same_result():
    """evaluate's default block is 1 000 rows for a CNN (its activations bound the memory), 10 000
    for an MLP; the blocks change nothing but the memory."""
    from jaxlearn.training import evaluate, predict

    assert CNN.network.eval_block == 1_000 and TrainConfig().network.eval_block == 10_000
    X, y = images(M=2300)
    state, _ = fit(dataclasses.replace(CNN, epochs=1), X[:200], y[:200], progress=False)
    one_block = evaluate(state, X, y, CNN, block=2300)
    default = evaluate(state, X, y, CNN)
    assert default["accuracy"] == one_block["accuracy"]
    assert default["loss"] == pytest.approx(one_block["loss"], rel=1e-6)
    np.testing.assert_array_equal(predict(state, X, CNN), predict(state, X, CNN, block=2300))


@pytest.mark.parametrize("architecture", ["c4-p-d16", "c4bn-p-drop0.2-d16bn"])
def test_the_cnns_hand_gradient_trains_as_autodiff(architecture):
    X, y = images()
    config = dataclasses.replace(CNN, architecture=architecture)
    auto, _ = fit(config, X, y, progress=False)
    hand, _ = fit(dataclasses.replace(config, gradient="backprop"), X, y, progress=False)
    for a, b in zip(jax.tree.leaves((auto.params, auto.batch_stats)), jax.tree.leaves((hand.params, hand.batch_stats))):
        np.testing.assert_allclose(b, a, rtol=2e-4, atol=2e-5)


def test_batch_norm_and_dropout_train_and_keep_their_state():
    X, y = images()
    config = dataclasses.replace(CNN, architecture="c4bn-p-drop0.25-d16bn-drop0.5", augment=())
    state, history = fit(config, X, y, X[:50], y[:50], progress=False)
    assert history[-1]["val_accuracy"] > 0.9
    (mean, var), (mean16, var16) = state.batch_stats
    assert mean.shape == var.shape == (4,) and mean16.shape == (16,)
    assert not np.allclose(mean, 0) and not np.allclose(var, 1)          # the running statistics moved
    again, _ = fit(config, X, y, progress=False)
    np.testing.assert_array_equal(again.params[0][0], state.params[0][0])   # dropout keyed by the seed
    other, _ = fit(dataclasses.replace(config, seed=1, architecture="c4bn-p-drop0.25-d16bn-drop0.5"), X, y,
                   progress=False)
    assert not np.array_equal(other.params[-1][0], state.params[-1][0])
    from jaxlearn.training import evaluate

    with pytest.raises(ValueError, match=r"the state does not fit the CNN 'c4bn-p-drop0.25-d16bn-drop0.5' on "
                                         r"\(1, 8, 8\) images: its 2 batch normalisation layer\(s\) need a state "
                                         r"of 2 \(running mean, running variance\) pairs: pass the TrainState that "
                                         r"fit returned"):
        evaluate(state.params, X, y, config)          # the parameters alone: the statistics are missing
    assert evaluate(state, X, y, config) == evaluate(state, X, y, config)


def test_a_cnn_run_folder_keeps_its_config_figures_and_state(tmp_path, tiny_data):
    """What a CNN's run folder holds, and `jaxlearn evaluate` of it. (Its resume, bit for bit after a
    real Ctrl-C in a new process, is the resume matrix's: tests/test_resume.py, CNN and recipe cells.)"""
    options = ["--model", "cnn", "--architecture", "c4bn-p-drop0.2-c8-p-d16", "--augment", "shift,erase",
               "--epochs", "2", "--lr", "0.01", "--batch-size", "50", "--validation-size", "100", "--no-progress",
               "--data-dir", str(tiny_data)]
    assert main(["train", "--out", str(tmp_path / "whole"), *options]) == 0
    saved = json.loads((tmp_path / "whole" / "config.json").read_text())["config"]
    assert saved["model"] == "cnn" and saved["augment"] == ["shift", "erase"]
    assert json.loads((tmp_path / "whole" / "metrics.json").read_text())["test_accuracy"] > 0.5   # chance 0.1
    assert all((tmp_path / "whole" / name).stat().st_size > 0 for name in ("filters.png", "feature_maps.png"))
    params, state = load_model(tmp_path / "whole" / "params.npz")
    assert len(state) == 1                                          # the bn layer's running statistics
    assert main(["evaluate", str(tmp_path / "whole"), "--data-dir", str(tiny_data)]) == 0


def test_mixing_models_and_bad_cnn_settings_are_named(tmp_path, tiny_data, capsys):
    X, y = images()
    mlp_state, _ = fit(TrainConfig(hidden=(8,), epochs=1, batch_size=20), X, y, progress=False)
    with pytest.raises(ValueError, match=r"these parameters do not fit the CNN 'c4-p-d16' on \(1, 8, 8\) images on "
                                         r"64 inputs: the parameter list has 2 layers, the CNN .* 3"):
        fit(CNN, X, y, state=mlp_state, progress=False)
    with pytest.raises(ValueError, match=r"the CNN sees each input row as an image of shape \(1, 28, 28\) \(784 "
                                         r"values\), but the rows have 64; set image_shape"):
        fit(dataclasses.replace(CNN, image_shape=(1, 28, 28)), X, y, progress=False)
    with pytest.raises(ValueError, match=r"augment=\('shift',\) needs model='cnn'"):
        TrainConfig(augment=("shift",))
    with pytest.raises(ValueError, match=r"layer 5 \(pool\): a 2×2 window does not fit the 1×1 feature map"):
        TrainConfig(model="cnn", architecture="c4-p-p-p-p-d8", image_shape=(1, 8, 8))
    assert main(["train", "--model", "cnn", "--augment", "flip", "--out", str(tmp_path / "run"),
                 "--data-dir", str(tiny_data), "--no-progress"]) == 1
    assert "augmentation 'flip' on mnist: digits are not mirror-symmetric" in capsys.readouterr().err
    assert main(["train", "--model", "cnn", "--architecture", "c4-x", "--out", str(tmp_path / "run2"),
                 "--data-dir", str(tiny_data), "--no-progress"]) == 1
    assert "layer 2 ('x') is not a layer; valid layers are" in capsys.readouterr().err
