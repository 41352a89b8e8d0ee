"""`jaxlearn sweep` (a study folder) and `jaxlearn compare`, on the tiny data set."""

import csv
import json

import numpy as np
import pytest

from jaxlearn.cli import main

TINY = ["--hidden", "8", "--epochs", "2", "--batch-size", "50", "--validation-size", "100"]


@pytest.fixture
def study(tmp_path, tiny_data, capsys):
    out = tmp_path / "study"
    code = main(["sweep", "--data-dir", str(tiny_data), "--lr", "1e-3,1e-2", "--seeds", "0,1", *TINY,
                 "--no-progress", "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return out, printed.out


def test_a_study_folder_holds_results_summary_curves_and_the_best_model(study, tiny_data, capsys):
    out, printed = study
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "config.json", "curves.png", "metrics.json",
                                                      "params.npz", "results.csv", "study.json", "summary.md"]
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 2 and {r["learning_rate"] for r in rows} == {"0.001", "0.01"}
    summary = (out / "summary.md").read_text()
    assert "| learning_rate | val_accuracy | n | left out | spread over |" in summary
    assert "seeds (init and data order)" in summary and summary in printed + "\n"
    saved = json.loads((out / "config.json").read_text())
    assert saved["study"]["learning_rates"] == [0.001, 0.01] and saved["study"]["seeds"] == [0, 1]
    assert main(["evaluate", str(out), "--data-dir", str(tiny_data)]) == 0           # the best model, tested
    assert "test accuracy" in capsys.readouterr().out


def test_compare_lists_the_differing_settings_and_writes_the_figure(study, tmp_path, tiny_data, capsys):
    out, _ = study
    run = tmp_path / "run"
    assert main(["train", "--data-dir", str(tiny_data), *TINY, "--hidden", "16", "--no-progress",
                 "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["compare", str(out), str(run), "--figure", str(tmp_path / "compare.png")]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["run", "hidden"] and "val_accuracy" in table[0]
    assert table[1].startswith(str(out)) and table[2].startswith(str(run)) and "(16,)" in table[2]
    assert (tmp_path / "compare.png").stat().st_size > 0


@pytest.mark.parametrize("argv, code, words", [
    (["compare", "{tmp}"], 1, "config.json does not exist: is"),
    (["compare", "{study}", "--metric", "val_f1"], 1, "metric 'val_f1' is not in"),
    (["sweep", "--lr", "abc", "--out", "{tmp}/s"], 2, "expected comma-separated numbers such as 1e-3,3e-3"),
    (["sweep", "--lr", "0,1e-3", "--out", "{tmp}/s"], 2, "learning rates must be > 0"),
    (["sweep", "--lr", "1e-3", "--seeds", "-1", "--out", "{tmp}/s"], 2, "seeds must be ≥ 0"),
    (["sweep", "--lr", "1e-3", "--hidden-groups", "8/x", "--out", "{tmp}/s"], 2,
     "expected hidden sizes separated by '/', each comma-separated, such as 64/128,64"),
    (["sweep", "--lr", "1e-3", "--hidden-groups", "8/0", "--out", "{tmp}/s"], 2, "hidden layer sizes must be ≥ 1"),
    (["sweep", "--lr", "1e-3", "--validation-size", "0", "--out", "{tmp}/s"], 1, "a study needs validation data"),
    (["sweep", "--lr", "1e-3", "--out", "{study}"], 1, "already holds a study"),
])
def test_bad_study_requests_are_named(study, tmp_path, tiny_data, capsys, argv, code, words):
    out, _ = study
    argv = [a.format(tmp=tmp_path, study=out) for a in argv]
    if argv[0] == "sweep":
        argv += ["--data-dir", str(tiny_data)]
    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code
    assert status == code and words in capsys.readouterr().err


def test_tensorboard_logs_read_back_with_tensorboards_own_reader(tmp_path, tiny_data, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    assert main(["train", "--data-dir", str(tiny_data), *TINY, "--no-progress", "--tensorboard",
                 "--out", str(run)]) == 0, capsys.readouterr().err
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert set(events.Tags()["scalars"]) == {"loss/train", "loss/val", "accuracy/train", "accuracy/val"}
    history = json.loads((run / "metrics.json").read_text())["history"]
    scalars = events.Scalars("accuracy/val")
    assert [s.step for s in scalars] == [1, 2]
    assert [s.value for s in scalars] == pytest.approx([h["val_accuracy"] for h in history], rel=1e-6)


def test_tensorboard_without_its_package_is_named(tmp_path, tiny_data, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)       # as if not installed
    assert main(["train", "--data-dir", str(tiny_data), *TINY, "--no-progress", "--tensorboard",
                 "--out", str(tmp_path / "run")]) == 1
    assert "--tensorboard needs tensorboardX: pip install 'jaxlearn[tensorboard]'" in capsys.readouterr().err


def test_a_sweep_over_weight_decay_and_momentum(tmp_path, tiny_data, capsys):
    out = tmp_path / "study"
    assert main(["sweep", "--data-dir", str(tiny_data), "--lr", "1e-2", "--weight-decay", "0,0.01", "--momentum",
                 "0.5,0.9", "--optimizer", "momentum", *TINY, "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| learning_rate | weight_decay | momentum | val_accuracy |" in printed
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["weight_decay"], r["momentum"]) for r in rows} == {("0.0", "0.5"), ("0.0", "0.9"), ("0.01", "0.5"),
                                                                  ("0.01", "0.9")}


def test_a_sweep_over_dropout_rates_saves_the_best_models_rate(tmp_path, tiny_data, capsys):
    out = tmp_path / "study"
    assert main(["sweep", "--data-dir", str(tiny_data), "--lr", "1e-2", "--dropout", "0,0.5", "--seeds", "0,1",
                 *TINY, "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| learning_rate | dropout | val_accuracy | n |" in printed
    assert "best: learning rate 0.01, dropout " in printed
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["dropout"], r["seed"]) for r in rows} == {("0.0", "0"), ("0.0", "1"), ("0.5", "0"), ("0.5", "1")}
    saved = json.loads((out / "config.json").read_text())
    best = [r for r in rows if int(r["model"]) == saved["study"]["best_model"]][0]
    assert saved["config"]["dropout"] == float(best["dropout"]) and saved["study"]["dropout"] == [0.0, 0.5]
    with pytest.raises(SystemExit) as exit:
        main(["sweep", "--data-dir", str(tiny_data), "--lr", "1e-2", "--dropout", "0,1", *TINY,
              "--out", str(tmp_path / "bad")])
    assert exit.value.code == 2
    assert "dropout rates must be in [0, 1), got '0,1'" in capsys.readouterr().err


def test_a_sweep_over_hidden_sizes_keeps_the_best_shape(tmp_path, tiny_data, capsys, monkeypatch):
    from jaxlearn import plots

    legends, save = [], plots.save

    def keep_legend(figure, path):
        legends.append([t.get_text() for ax in figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()])
        return save(figure, path)

    monkeypatch.setattr(plots, "save", keep_legend)
    out = tmp_path / "study"
    assert main(["sweep", "--data-dir", str(tiny_data), "--lr", "1e-2", "--seeds", "0,1", "--hidden-groups", "8/16,8",
                 *TINY, "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| hidden | learning_rate | val_accuracy |" in printed and "| 16-8 | 0.01 |" in printed
    curves = next(texts for texts in legends if any("learning_rate" in t for t in texts))
    assert sorted(curves) == ["hidden 16-8, learning_rate 0.01 (n=2)", "hidden 8, learning_rate 0.01 (n=2)"]
    saved = json.loads((out / "config.json").read_text())
    assert saved["study"]["hidden"] == [[8], [16, 8]]
    assert saved["config"]["hidden"] in ([8], [16, 8])
    assert f"best: hidden {'-'.join(map(str, saved['config']['hidden']))}" in printed
    assert main(["evaluate", str(out), "--data-dir", str(tiny_data)]) == 0


def test_an_interrupted_study_resumes_to_the_uninterrupted_result(tmp_path, data_dir):
    """A real Ctrl-C (SIGINT) after a few epochs: exit 130 naming --resume; the resumed study's
    results.csv equals that of a study never interrupted, row for row."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = os.environ | {"PYTHONUNBUFFERED": "1", "JAX_PLATFORMS": "cpu"}
    options = ["--data-dir", str(data_dir), "--lr", "1e-3,1e-2", "--seeds", "0,1", "--hidden", "8", "--epochs", "150",
               "--train-size", "3000", "--validation-size", "500", "--batch-size", "100", "--no-progress"]
    command = [sys.executable, "-m", "jaxlearn.cli", "sweep", *options]
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen([*command, "--out", str(interrupted)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (interrupted / "checkpoint.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert f"continue with 'jaxlearn sweep --resume --out {interrupted}'" in output
    assert not (interrupted / "results.csv").exists()
    epoch = int(np.load(interrupted / "checkpoint.npz")["epoch"])
    assert 1 <= epoch < 150

    resumed = subprocess.run([sys.executable, "-m", "jaxlearn.cli", "sweep", "--resume", "--out", str(interrupted),
                              "--data-dir", str(data_dir), "--no-progress"], env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    whole = tmp_path / "whole"
    assert subprocess.run([*command, "--out", str(whole)], env=env, capture_output=True).returncode == 0
    assert (interrupted / "results.csv").read_text() == (whole / "results.csv").read_text()
    again = subprocess.run([sys.executable, "-m", "jaxlearn.cli", "sweep", "--resume", "--out", str(interrupted)],
                           env=env, capture_output=True, text=True)
    assert again.returncode == 2 and "holds a finished study: nothing to resume" in again.stderr


def test_jaxlearn_sweep_studies_cnns_and_the_best_one_is_evaluable(tmp_path, tiny_data, capsys):
    """A CNN with batch normalisation, swept over learning rates: its study folder's best model keeps
    its running statistics, so that `jaxlearn evaluate` tests it as the sweep trained it."""
    out = tmp_path / "cnn-study"
    assert main(["sweep", "--data-dir", str(tiny_data), "--lr", "3e-3,1e-2", "--model", "cnn", "--architecture",
                 "c4bn-p-d8", "--epochs", "1", "--batch-size", "50", "--validation-size", "100", "--no-progress",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    summary = json.loads((out / "metrics.json").read_text())
    assert main(["evaluate", str(out), "--data-dir", str(tiny_data)]) == 0
    assert f"test accuracy {100 * summary['test_accuracy']:.2f}%" in capsys.readouterr().out
