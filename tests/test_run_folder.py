"""A run folder is a user's work: resume exactly as promised, and every damaged file named.

On the tiny IDX data set from conftest (`tiny_data`).
"""

import json
import os
import subprocess
import sys

import jax
import pytest

from jaxlearn.cli import main

ARGS = ["--hidden", "8", "--epochs", "2", "--batch-size", "100", "--validation-size", "100", "--no-progress"]


@pytest.fixture
def finished_run(tmp_path, tiny_data):
    out = tmp_path / "run"
    assert main(["train", *ARGS, "--out", str(out), "--data-dir", str(tiny_data)]) == 0
    return out


def train(capsys, out, data, *args):
    code = main(["train", "--out", str(out), "--data-dir", str(data), "--no-progress", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("flags, named", [
    (["--epochs", "6"], "--epochs"),
    (["--hidden", "64"], "--hidden"),
    (["--lr", "0.1", "--dataset", "fashion-mnist"], "--lr, --dataset"),
])
def test_resume_refuses_settings_it_would_ignore(capsys, finished_run, tiny_data, flags, named):
    code, err = train(capsys, finished_run, tiny_data, "--resume", *flags)
    assert code == 2
    assert f"error: {named} cannot be given with --resume: a resumed run keeps the settings saved in" in err


def test_resuming_a_finished_run_says_there_is_nothing_to_resume(capsys, finished_run, tiny_data):
    code, err = train(capsys, finished_run, tiny_data, "--resume")
    # a request that does not fit the folder: argparse's usage status, as a refused option gets
    assert code == 2 and "has finished all 2 epochs: nothing to resume" in err and "jaxlearn evaluate" in err


def test_resume_rewrites_damaged_final_parameters(capsys, finished_run, tiny_data):
    (finished_run / "params.npz").write_bytes(b"garbage")
    code, err = train(capsys, finished_run, tiny_data, "--resume")
    assert code == 0, err
    assert main(["evaluate", str(finished_run), "--data-dir", str(tiny_data)]) == 0


def test_the_library_refuses_a_changed_config_on_resume(finished_run, tiny_data):
    from jaxlearn.training import TrainConfig
    from jaxlearn.training.runs import RunFolderError, train_and_evaluate

    with pytest.raises(RunFolderError, match=r"a resumed run keeps the configuration in .*config.json, but "
                                             r"hidden=\(64,\) \(the run has \(8,\)\) was asked for"):
        train_and_evaluate(TrainConfig(hidden=(64,), epochs=2, batch_size=100), finished_run, resume=True,
                           data_dir=tiny_data, progress=False)


DAMAGE = {"truncated": lambda b: b[: len(b) // 3], "empty": lambda b: b"",
          "random bytes": lambda b: os.urandom(max(len(b), 64))}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_checkpoint_is_named_on_resume(capsys, finished_run, tiny_data, damage):
    (finished_run / "params.npz").unlink()
    path = finished_run / "checkpoint.npz"
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    code, err = train(capsys, finished_run, tiny_data, "--resume")
    assert code == 1
    assert f"error: {path} is damaged and cannot be read" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_parameters_are_named_on_evaluate(capsys, finished_run, tiny_data, damage):
    path = finished_run / "params.npz"
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    assert main(["evaluate", str(finished_run), "--data-dir", str(tiny_data)]) == 1
    err = capsys.readouterr().err
    assert f"{path} is damaged and cannot be read" in err and "jaxlearn train --resume --out" in err


@pytest.mark.parametrize("content, message", [
    ("{not json", r"config.json is not valid JSON"),
    ("", r"config.json is not valid JSON"),
    ("[1, 2]", r"config.json does not hold a run's configuration"),
    (None, r"config.json: unknown key\(s\) 'colour'"),
    ("hidden=-1", r"config.json: hidden\[0\] \(a hidden layer size\) must be ≥ 1"),
    ("drop dataset", r"config.json: missing key\(s\) 'dataset'"),
])
def test_a_damaged_config_is_named(capsys, finished_run, tiny_data, content, message):
    path = finished_run / "config.json"
    saved = json.loads(path.read_text())
    if content is None:
        saved["config"]["colour"] = "red"
        content = json.dumps(saved)
    elif content == "hidden=-1":
        saved["config"]["hidden"] = [-1]
        content = json.dumps(saved)
    elif content == "drop dataset":
        del saved["dataset"]
        content = json.dumps(saved)
    path.write_text(content)
    for command in (["evaluate", str(finished_run), "--data-dir", str(tiny_data)],
                    ["train", "--resume", "--out", str(finished_run), "--data-dir", str(tiny_data), "--no-progress"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and pytest.importorskip("re").search(message, err), err


def test_an_out_that_is_a_file_is_named(capsys, tmp_path, tiny_data):
    target = tmp_path / "a-file"
    target.write_text("x")
    code, err = train(capsys, target, tiny_data, *ARGS)
    assert code == 1 and f"the run folder {target} is a file, not a folder; choose another --out" in err


def test_an_unwritable_out_is_named(capsys, tmp_path, tiny_data):
    # /proc refuses new folders even to root (a chmod'ed folder would not stop root)
    code, err = train(capsys, "/proc/jaxlearn-run", tiny_data, *ARGS)
    assert code == 1 and "cannot write into the run folder /proc/jaxlearn-run" in err and "choose another --out" in err


def test_a_missing_data_folder_is_named_as_missing(capsys, tmp_path):
    code, err = train(capsys, tmp_path / "run", tmp_path / "no-such-folder", *ARGS)
    assert code == 1 and f"data_dir {tmp_path / 'no-such-folder'} does not exist" in err


def test_a_data_folder_without_the_files_is_named_as_such(capsys, tmp_path):
    code, err = train(capsys, tmp_path / "run", tmp_path, *ARGS)
    assert code == 1 and f"data_dir {tmp_path} holds no mnist files" in err


def test_resume_without_a_run_folder_is_named(capsys, tmp_path, tiny_data):
    code, err = train(capsys, tmp_path / "none", tiny_data, "--resume")
    assert code == 1 and "config.json does not exist: is" in err
    assert not (tmp_path / "none").exists()


def test_a_temporary_left_by_a_killed_writer_is_removed(capsys, finished_run, tiny_data):
    # A process writes a checkpoint's temporary and is SIGKILLed before the rename.
    script = ("import os, pathlib, signal; from jaxlearn._files import temporary_path; "
              f"temporary_path(pathlib.Path({str(finished_run / 'checkpoint.npz')!r})).write_bytes(b'half'); "
              "os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", script], check=False)
    left = [p for p in finished_run.iterdir() if ".tmp" in p.name]
    assert len(left) == 1 and left[0].name.startswith(".checkpoint.npz.tmp")
    train(capsys, finished_run, tiny_data, "--resume")
    assert not [p for p in finished_run.iterdir() if ".tmp" in p.name]


def test_a_float64_run_that_fails_leaves_x64_as_it_was(capsys, tmp_path, tiny_data):
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        code, err = train(capsys, tmp_path / "r", tiny_data, *ARGS, "--dtype", "float64", "--batch-size", "99999")
        assert code == 1 and "batch_size=99999 is larger" in err
        assert jax.config.jax_enable_x64 is False
    finally:
        jax.config.update("jax_enable_x64", before)
