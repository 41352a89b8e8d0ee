"""Run folders, checkpoints, --resume and the `jaxlearn train` / `evaluate` commands."""

import json

import jax
import numpy as np
import pytest

from jaxlearn import runs
from jaxlearn.checkpoint import CheckpointMismatchError, load_checkpoint, load_params, save_params
from jaxlearn.cli import main
from jaxlearn.train import TrainConfig, init_state

TINY = TrainConfig(hidden=(16,), epochs=2, batch_size=500)


def test_a_run_writes_its_folder(tmp_path, data_dir):
    result = runs.train_and_evaluate(TINY, tmp_path / "run", data_dir=data_dir, progress=False)
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["checkpoint.npz", "config.json", "confusion.png", "curves.png", "metrics.json",
                     "misclassified.png", "params.npz"]
    assert result["test_accuracy"] > 0.85
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] == result["test_accuracy"] and len(metrics["history"]) == 2
    assert np.sum(metrics["confusion_matrix"]) == 10_000
    evaluated = runs.evaluate_run(tmp_path / "run", data_dir=data_dir)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])


def test_resume_ends_with_the_same_parameters_as_an_uninterrupted_run(tmp_path, data_dir, monkeypatch):
    runs.train_and_evaluate(TINY, tmp_path / "whole", data_dir=data_dir, progress=False)

    real_save = runs.save_checkpoint

    def save_then_interrupt(path, state, epoch, history):   # Ctrl-C right after epoch 1
        real_save(path, state, epoch, history)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(runs, "save_checkpoint", save_then_interrupt)
    messages = []
    with pytest.raises(KeyboardInterrupt):
        runs.train_and_evaluate(TINY, tmp_path / "cut", data_dir=data_dir, progress=False, log=messages.append)
    assert "jaxlearn train --resume --out" in messages[-1]
    monkeypatch.setattr(runs, "save_checkpoint", real_save)
    runs.train_and_evaluate(None, tmp_path / "cut", data_dir=data_dir, progress=False, resume=True,
                            log=messages.append)
    assert "resuming" in messages[-1] and "after epoch 1 of 2" in messages[-1]
    whole, cut = load_params(tmp_path / "whole" / "params.npz"), load_params(tmp_path / "cut" / "params.npz")
    for (W1, b1), (W2, b2) in zip(whole, cut):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def test_an_existing_run_is_not_overwritten(tmp_path, data_dir):
    runs.train_and_evaluate(TrainConfig(hidden=(8,), epochs=1, batch_size=1000), tmp_path, data_dir=data_dir,
                            progress=False)
    with pytest.raises(FileExistsError, match="already holds a run; use --resume"):
        runs.train_and_evaluate(TINY, tmp_path, data_dir=data_dir, progress=False)


def test_a_checkpoint_that_does_not_fit_names_the_layer(tmp_path):
    state, _ = init_state(TrainConfig(hidden=(16, 8)), 784, 10, 100)
    from jaxlearn.checkpoint import save_checkpoint
    save_checkpoint(tmp_path / "c.npz", state, 1, [])
    other, _ = init_state(TrainConfig(hidden=(16, 12)), 784, 10, 100)
    with pytest.raises(CheckpointMismatchError, match=r"layer 2 has W \(8, 16\), b \(8,\) in the checkpoint "
                                                      r"but the architecture needs W \(12, 16\), b \(12,\)"):
        load_checkpoint(tmp_path / "c.npz", other)
    deeper, _ = init_state(TrainConfig(hidden=(16, 8, 8)), 784, 10, 100)
    with pytest.raises(CheckpointMismatchError, match="the checkpoint has 3 layers, the architecture 4"):
        load_checkpoint(tmp_path / "c.npz", deeper)


def test_params_round_trip_without_pickle(tmp_path):
    params, _ = init_state(TrainConfig(hidden=(5,)), 7, 3, 1)
    save_params(tmp_path / "p.npz", params.params)
    back = load_params(tmp_path / "p.npz")
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree_util.tree_leaves(params.params),
                                                    jax.tree_util.tree_leaves(back)))
    assert [p.name for p in tmp_path.iterdir()] == ["p.npz"]  # no temporary file left


def test_cli_train_then_evaluate(tmp_path, data_dir, capsys):
    out = tmp_path / "cli-run"
    code = main(["train", "--hidden", "16", "--epochs", "1", "--batch-size", "500", "--out", str(out),
                 "--data-dir", str(data_dir), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0 and "test accuracy" in printed and str(out) in printed
    accuracy = printed.split("test accuracy ")[1].split("%")[0]
    assert main(["evaluate", str(out), "--data-dir", str(data_dir)]) == 0
    assert f"test accuracy {accuracy}%" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--lr", "0"], "learning_rate must be > 0, got 0.0"),
    (["--batch-size", "100000"], r"batch_size=100000 is larger than the training set \(55000 samples\)"),
    (["--validation-size", "70000"], r"validation_size must be in \[0, 60000\)"),
])
def test_cli_reports_bad_options(tmp_path, data_dir, capsys, args, message):
    code = main(["train", "--out", str(tmp_path / "x"), "--data-dir", str(data_dir), "--no-progress", *args])
    assert code == 1
    assert pytest.importorskip("re").search(message, capsys.readouterr().err)


def test_cli_reports_missing_data(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("JAXLEARN_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("jaxlearn.data.mnist.MIRRORS", {"mnist": ((tmp_path / "none").as_uri() + "/",)})
    code = main(["train", "--out", str(tmp_path / "x"), "--data-dir", str(tmp_path / "empty"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "mnist not found; looked in" in err and "empty/mnist" in err


def test_cli_rejects_bad_choices_and_sizes(capsys):
    for args in (["train", "--activation", "gelu"], ["train", "--hidden", "256,-1"], ["train", "--resume"]):
        with pytest.raises(SystemExit) as exit:
            main(args)
        assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'gelu'" in err and "hidden layer sizes must be > 0" in err
    assert "--resume needs --out RUN_DIR" in err
