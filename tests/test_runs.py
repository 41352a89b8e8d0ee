"""Run folders, checkpoints, --resume and the `jaxlearn train` / `evaluate` commands.

All but the first test run on the tiny IDX data set that conftest writes (`tiny_data`), so
the plumbing and every broken-file case are tested in seconds.
"""

import json
import re
import subprocess
import sys

import jax
import numpy as np
import pytest

from jaxlearn.cli import main
from jaxlearn.training import TrainConfig, init_state, runs
from jaxlearn.training.checkpoint import (
    CheckpointError,
    CheckpointMismatchError,
    load_checkpoint,
    load_params,
    save_checkpoint,
    save_params,
)

TINY = TrainConfig(hidden=(16,), epochs=2, batch_size=100)
TINY_ARGS = ["--hidden", "16", "--epochs", "2", "--batch-size", "100", "--validation-size", "100", "--no-progress"]


def test_a_run_on_mnist_writes_its_folder(tmp_path, data_dir):
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=500)
    result = runs.train_and_evaluate(config, tmp_path / "run", data_dir=data_dir, progress=False)
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["checkpoint.npz", "config.json", "confusion.png", "curves.png", "metrics.json",
                     "misclassified.png", "params.npz"]
    assert result["test_accuracy"] > 0.85
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] == result["test_accuracy"] and len(metrics["history"]) == 2
    assert np.sum(metrics["confusion_matrix"]) == 10_000
    evaluated = runs.evaluate_run(tmp_path / "run", data_dir=data_dir)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])


def tiny_run(run_dir, data_dir, config=TINY, **kwargs):
    return runs.train_and_evaluate(config, run_dir, data_dir=data_dir, validation_size=100, progress=False,
                                   **kwargs)


def test_the_tiny_data_set_is_learnable(tmp_path, tiny_data):
    result = tiny_run(tmp_path / "run", tiny_data, TrainConfig(hidden=(16,), epochs=3, batch_size=50,
                                                               learning_rate=3e-3))
    assert result["test_accuracy"] > 0.8  # chance: 0.1
    assert np.sum(result["confusion_matrix"]) == 200


def test_resume_ends_with_the_same_parameters_as_an_uninterrupted_run(tmp_path, tiny_data, monkeypatch):
    tiny_run(tmp_path / "whole", tiny_data)
    real_save = runs.save_checkpoint

    def save_then_interrupt(path, state, epoch, history):   # Ctrl-C right after epoch 1
        real_save(path, state, epoch, history)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(runs, "save_checkpoint", save_then_interrupt)
    messages = []
    with pytest.raises(KeyboardInterrupt):
        tiny_run(tmp_path / "cut", tiny_data, log=messages.append)
    assert "jaxlearn train --resume --out" in messages[-1]
    monkeypatch.setattr(runs, "save_checkpoint", real_save)
    tiny_run(tmp_path / "cut", tiny_data, config=None, resume=True, log=messages.append)
    assert "resuming" in messages[-1] and "after epoch 1 of 2" in messages[-1]
    whole, cut = load_params(tmp_path / "whole" / "params.npz"), load_params(tmp_path / "cut" / "params.npz")
    for (W1, b1), (W2, b2) in zip(whole, cut):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def test_an_existing_run_is_not_overwritten(tmp_path, tiny_data):
    tiny_run(tmp_path, tiny_data, TrainConfig(hidden=(8,), epochs=1, batch_size=100))
    with pytest.raises(FileExistsError, match="already holds a run; use --resume"):
        tiny_run(tmp_path, tiny_data)


# --- checkpoints -----------------------------------------------------------------------------------

def test_a_checkpoint_that_does_not_fit_names_the_layer(tmp_path):
    state, _ = init_state(TrainConfig(hidden=(16, 8)), 784, 10, 100)
    save_checkpoint(tmp_path / "c.npz", state, 1, [{}])
    other, _ = init_state(TrainConfig(hidden=(16, 12)), 784, 10, 100)
    with pytest.raises(CheckpointMismatchError, match=r"layer 2 has W \(8, 16\), b \(8,\) in the checkpoint "
                                                      r"but the architecture needs W \(12, 16\), b \(12,\)"):
        load_checkpoint(tmp_path / "c.npz", other)
    deeper, _ = init_state(TrainConfig(hidden=(16, 8, 8)), 784, 10, 100)
    with pytest.raises(CheckpointMismatchError, match="the checkpoint has 3 layers, the architecture 4"):
        load_checkpoint(tmp_path / "c.npz", deeper)


@pytest.mark.parametrize("saved, loaded, message", [
    ("adam", "sgd", r"optimizer state has \d+ arrays but the configured optimizer needs 1: it was saved by another"),
    ("sgd", "adam", r"optimizer state has 1 arrays but the configured optimizer needs \d+"),
    ("adam", "momentum", "saved by another optimizer"),
])
def test_a_checkpoint_of_another_optimizer_is_refused(tmp_path, saved, loaded, message):
    state, _ = init_state(TrainConfig(hidden=(4,), optimizer=saved), 6, 3, 10)
    save_checkpoint(tmp_path / "c.npz", state, 1, [{}])
    template, _ = init_state(TrainConfig(hidden=(4,), optimizer=loaded), 6, 3, 10)
    with pytest.raises(CheckpointMismatchError, match=message):
        load_checkpoint(tmp_path / "c.npz", template)


def test_params_round_trip_without_pickle(tmp_path):
    params, _ = init_state(TrainConfig(hidden=(5,)), 7, 3, 1)
    save_params(tmp_path / "p.npz", params.params)
    back = load_params(tmp_path / "p.npz")
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree_util.tree_leaves(params.params),
                                                    jax.tree_util.tree_leaves(back)))
    assert [p.name for p in tmp_path.iterdir()] == ["p.npz"]  # no temporary file left


DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "random bytes": lambda b: np.random.default_rng(0).bytes(len(b)),
    "pickled": lambda b: __import__("pickle").dumps({"W1": 1}),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_files_are_named_not_a_traceback(tmp_path, damage):
    params, _ = init_state(TrainConfig(hidden=(5,)), 7, 3, 1)
    path = save_params(tmp_path / "p.npz", params.params)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with pytest.raises(CheckpointError, match=rf"{re.escape(str(path))} is damaged and cannot be read \(.*\); "
                                              "restore it from a copy or delete it"):
        load_params(path)


def test_an_npz_without_parameters_is_refused(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.ones(3))
    with pytest.raises(CheckpointError, match="no complete W1, b1, W2, b2, … arrays"):
        load_params(tmp_path / "other.npz")


# --- the CLI ----------------------------------------------------------------------------------------

def test_cli_train_then_evaluate(tmp_path, tiny_data, capsys):
    out = tmp_path / "cli-run"
    code = main(["train", *TINY_ARGS, "--out", str(out), "--data-dir", str(tiny_data)])
    printed = capsys.readouterr().out
    assert code == 0 and "test accuracy" in printed and str(out) in printed
    accuracy = printed.split("test accuracy ")[1].split("%")[0]
    assert main(["evaluate", str(out), "--data-dir", str(tiny_data)]) == 0
    assert f"test accuracy {accuracy}%" in capsys.readouterr().out


def test_every_config_field_has_an_option():
    import dataclasses

    from jaxlearn.cli import _option, build_parser

    options = {o for action in build_parser()._subparsers._group_actions[0].choices["train"]._actions
               for o in action.option_strings}
    for field in dataclasses.fields(TrainConfig):
        assert _option(field.name) in options, field.name


def test_cli_passes_momentum_and_output(tmp_path, tiny_data):
    out = tmp_path / "run"
    assert main(["train", *TINY_ARGS, "--optimizer", "momentum", "--momentum", "0.5", "--loss", "quadratic",
                 "--output", "softmax", "--out", str(out), "--data-dir", str(tiny_data)]) == 0
    saved = json.loads((out / "config.json").read_text())["config"]
    assert saved["momentum"] == 0.5 and saved["output"] == "softmax" and saved["optimizer"] == "momentum"


@pytest.mark.parametrize("args, message", [
    (["--lr", "0"], "learning_rate must be > 0, got 0.0"),
    (["--batch-size", "100000"], r"batch_size=100000 is larger than the training set \(900 samples\)"),
    (["--validation-size", "7000"], r"validation_size must be in \[0, 1000\)"),
])
def test_cli_reports_bad_options(tmp_path, tiny_data, capsys, args, message):
    code = main(["train", *TINY_ARGS, "--out", str(tmp_path / "x"), "--data-dir", str(tiny_data), *args])
    assert code == 1
    assert re.search(message, capsys.readouterr().err)


def test_cli_reports_missing_data(tmp_path, capsys):
    code = main(["train", "--out", str(tmp_path / "x"), "--data-dir", str(tmp_path / "empty"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "data_dir" in err and "empty does not exist" in err


def test_cli_rejects_bad_choices_and_sizes(capsys):
    for args in (["train", "--activation", "gelu"], ["train", "--hidden", "256,-1"], ["train", "--resume"]):
        with pytest.raises(SystemExit) as exit:
            main(args)
        assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'gelu'" in err and "hidden layer sizes must be > 0" in err
    assert "--resume needs --out RUN_DIR" in err


def test_the_console_script_is_installed():
    import shutil

    script = shutil.which("jaxlearn", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert script is not None, "pip install -e . puts a 'jaxlearn' script beside the interpreter"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("jaxlearn ")


# --- divergence in a run ------------------------------------------------------------------------------

def test_divergence_in_epoch_1_claims_no_checkpoint(tmp_path, tiny_data, capsys):
    code = main(["train", *TINY_ARGS, "--lr", "1e4", "--out", str(tmp_path / "run"), "--data-dir", str(tiny_data)])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(r"grew to \S+ in epoch 1.*initial parameters were kept \(no epoch finished before it\).*"
                     r"learning rate 10000 is too large: try 1000.*No checkpoint was written\.", err)
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


def test_divergence_later_names_the_checkpoint_it_kept(tmp_path, tiny_data, monkeypatch):
    from jaxlearn import DivergenceError
    from jaxlearn.training import loop

    calls = []
    real_check = loop.check_not_diverged

    def explode_in_epoch_2(loss, epoch, *args, **kwargs):  # the loss of epoch 2 turns NaN
        calls.append(epoch)
        return real_check(float("nan") if epoch == 2 else loss, epoch, *args, **kwargs)

    monkeypatch.setattr(loop, "check_not_diverged", explode_in_epoch_2)
    with pytest.raises(DivergenceError, match=r"became nan in epoch 2.*parameters of epoch 1, the last good one, "
                                              r"were kept.*checkpoint of epoch 1, the last good one, is in"):
        tiny_run(tmp_path / "run", tiny_data)
    _, epoch, _ = load_checkpoint(tmp_path / "run" / "checkpoint.npz",
                                  init_state(TINY, 784, 10, 9)[0])
    assert epoch == 1
