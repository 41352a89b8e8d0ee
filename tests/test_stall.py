"""Training that learns nothing is named (jaxlearn.stall): in fit, train_many, MLPClassifier and the CLI.

The stalls are the issue's: ReLUs killed in the first epoch by SGD with η = 10 or Adam with
η = 1, on 2 000 MNIST images. Healthy runs must not warn: pyproject.toml turns
StalledTrainingWarning into an error for the whole suite, so every other training test (the
lecture's setups, the README's commands) is a no-false-alarm test too.
"""

import dataclasses
import gzip
import hashlib
import json
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from jaxlearn import StalledTrainingWarning, stall
from jaxlearn import estimators as est
from jaxlearn.cli import main
from jaxlearn.data import flatten_images
from jaxlearn.data import mnist as mnist_module
from jaxlearn.data.idx import read_idx, write_idx
from jaxlearn.sweeps import train_many
from jaxlearn.training import TrainConfig, fit


@pytest.fixture(scope="module")
def subset(mnist):
    X = flatten_images(mnist.train_images[:2000])
    return X, mnist.train_labels[:2000].astype(np.int32)


@pytest.mark.jax_defaults
@pytest.mark.parametrize("optimizer, rate", [("sgd", 10.0), ("adam", 1.0)])
def test_fit_names_a_run_killed_by_too_large_a_step(subset, optimizer, rate):
    X, y = subset
    config = TrainConfig(hidden=(64,), epochs=4, batch_size=50, optimizer=optimizer, learning_rate=rate)
    with pytest.warns(StalledTrainingWarning) as caught:
        _, history = fit(config, X, y, progress=False)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("training is not learning: in epochs 2–3 the loss sits at the entropy of the class "
                              "shares (2.299; ln K = 2.303) and the training accuracy stays at chance")
    assert "the largest class's share being 11.2 %" in message and f"learning rate = {rate:g}" in message
    assert "dead ReLUs" in message and f"10 to 100 times smaller than {rate:g}" in message
    assert caught[0].filename == __file__
    assert [h.get("stalled", False) for h in history] == [False, False, True, True]


@pytest.mark.jax_defaults
def test_a_healthy_run_does_not_warn(subset):
    X, y = subset
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, history = fit(TrainConfig(hidden=(64,), epochs=2, batch_size=50), X, y, progress=False)
    assert not any("stalled" in h for h in history)


def test_the_rule_allows_a_few_samples_and_half_a_sample_per_batch():
    shares = np.full(10, 0.1)
    assert stall.at_chance(2.31, 0.1 + 5 / 2000, shares, 2000, 1000)
    assert not stall.at_chance(2.31, 0.1 + 6 / 2000, shares, 2000, 1000)
    assert stall.at_chance(2.31, 0.1 + 0.5 / 50, shares, 2000, 50)      # half a sample per batch of 50
    assert not stall.at_chance(2.0, 0.1, shares, 2000, 128)             # the loss has left ln K: learning
    assert stall.at_chance(0.5, 0.1, shares, 2000, 128, loss_name="quadratic")   # accuracy alone
    assert list(stall.stalled([[True, False, True], [False, True, True]])) == [False, True]
    assert not stall.stalled([True])                                    # one epoch is not a stall
    assert not stall.stalled([True, True], steps_per_epoch=9)           # 18 steps: too early to tell
    assert not stall.at_chance(1.1, 0.4, np.full(3, 1 / 3), 90, 10)     # 90 samples: too few to tell
    assert not stall.at_chance(2.31, 0.1, shares, 2000, 5)              # batches of 5: too small to tell


def test_train_many_marks_a_stalled_model_and_best_skips_it(subset):
    X, y = subset
    config = TrainConfig(hidden=(64,), epochs=4, batch_size=50, optimizer="sgd")
    with pytest.warns(StalledTrainingWarning, match=r"learning_rates \[3.0, 10.0\] \(seeds \[0, 0\]\).*left out of "
                                                    r"Sweep.best\(\)"):
        sweep = train_many(config, X, y, learning_rates=[0.1, 3.0, 10.0], X_val=X[:100], y_val=y[:100],
                           progress=False)
    assert list(sweep.stalled) == [False, True, True] and not sweep.diverged.any()
    assert sweep.best() == 0
    assert sweep.train_accuracy.shape == (3, 4) and sweep.train_accuracy[0, -1] > 0.8


def test_train_many_tells_a_stall_under_an_l2_penalty_as_fit_does(subset):
    # with λ > 0 the epoch loss carries λ/2 ‖W‖², so it leaves ln K: the accuracy alone tells (stall.loss_kind)
    X, y = subset
    config = TrainConfig(hidden=(64,), epochs=4, batch_size=50, optimizer="sgd", lam=1e-3)   # loss ≈ 6.4 ≫ ln 10
    with pytest.warns(StalledTrainingWarning, match=r"learning_rates \[3.0\]") as caught:
        sweep = train_many(config, X, y, learning_rates=[0.1, 3.0], progress=False)
    assert list(sweep.stalled) == [False, True]
    assert caught[0].filename == __file__                        # the warning points at this line
    with pytest.warns(StalledTrainingWarning):
        _, history = fit(dataclasses.replace(config, learning_rate=3.0), X, y, progress=False)
    assert history[-1].get("stalled")


def test_mlp_classifier_names_its_own_parameter(subset):
    X, y = subset
    with pytest.warns(StalledTrainingWarning, match="learning_rate_init = 10"), pytest.warns(ConvergenceWarning):
        est.MLPClassifier((64,), solver="sgd", momentum=0.0, learning_rate_init=10.0, max_iter=4, batch_size=50,
                          random_state=0).fit(X, y)


@pytest.fixture
def random_labels(tiny_idx_folder, tmp_path, monkeypatch):
    """The tiny data set with its training labels shuffled: nothing to learn."""
    root, _ = tiny_idx_folder
    folder = tmp_path / "mnist"
    folder.mkdir()
    for path in (root / "mnist").iterdir():
        folder.joinpath(path.name).write_bytes(path.read_bytes())
    labels = folder / "train-labels-idx1-ubyte.gz"
    write_idx(labels, np.random.default_rng(0).permutation(read_idx(labels)))
    monkeypatch.setitem(mnist_module.SHA256, "mnist", {
        stem: hashlib.sha256(gzip.decompress((folder / f"{stem}.gz").read_bytes())).hexdigest()
        for stem in mnist_module.FILES})
    return tmp_path


def test_the_cli_exits_3_after_writing_the_folder(capsys, tmp_path, random_labels):
    run = tmp_path / "run"
    with pytest.warns(StalledTrainingWarning, match="training is not learning"):
        code = main(["train", "--data-dir", str(random_labels), "--out", str(run), "--hidden", "8", "--epochs", "3",
                     "--batch-size", "10", "--validation-size", "100", "--no-progress", "--lr", "1e-4"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "the run ended without learning" in err
    assert (run / "params.npz").is_file() and json.loads((run / "metrics.json").read_text())["stalled"] is True
