"""The published Fashion-MNIST model (results/fashion95, written by experiments/fashion95.py):
`jaxlearn evaluate results/fashion95` reproduces the test accuracy its report states, in seconds."""

import json
import re
from pathlib import Path

import numpy as np

from jaxlearn.cli import main

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "results" / "fashion95"


def test_the_published_model_reproduces_its_reported_test_accuracy(data_dir, capsys):
    summary = json.loads((FOLDER / "summary.json").read_text())
    best = next(r for r in summary["runs"] if r["run"] == summary["best"])
    reported = summary["published"]["test_accuracy"]
    assert reported == (best["test_accuracy_tta"] if summary["published"]["test_flip"] else best["test_accuracy"])
    assert f"{100 * reported:.2f} %" in (FOLDER / "table.md").read_text()
    assert main(["evaluate", str(FOLDER), "--data-dir", str(data_dir)]) == 0
    printed = re.search(r"test accuracy ([\d.]+)%", capsys.readouterr().out)
    assert printed is not None and float(printed.group(1)) == round(100 * reported, 2)


def test_the_published_parameters_are_small_and_float32():
    assert (FOLDER / "params.npz").stat().st_size < 8 * 2**20
    with np.load(FOLDER / "params.npz") as saved:
        assert {saved[name].dtype for name in saved.files if saved[name].dtype.kind == "f"} == {np.dtype("float32")}


def documented_commands() -> list[str]:
    """The blocks of the README and chapter 8 that start `jaxlearn train --dataset fashion-mnist`."""
    pages = [ROOT / "README.md", ROOT / "docs" / "lecture" / "08_mnist_exercise.md"]
    blocks = [b for page in pages for b in re.findall(r"```bash\n(.*?)```", page.read_text(), flags=re.S)]
    return [b for b in blocks if b.startswith("jaxlearn train --dataset fashion-mnist")]


def test_the_documented_command_is_the_recipe_and_its_run():
    import dataclasses
    import shlex
    import sys

    from jaxlearn.cli import build_parser
    from jaxlearn.cli_options import _given
    from jaxlearn.training import TrainConfig
    from jaxlearn.training.runs import read_run_config

    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        import fashion95
    finally:
        sys.path.remove(str(ROOT / "experiments"))
    commands = documented_commands()
    assert len(commands) == 2 and commands[0] == commands[1], "the README and chapter 8 show one command"
    args = build_parser().parse_args(shlex.split(commands[0].replace("\\\n", " "))[1:])
    config = TrainConfig(**_given(args))
    assert config == dataclasses.replace(fashion95.RECIPE, seed=0)
    assert (args.dataset, args.validation_size) == ("fashion-mnist", 0)
    # … and the final run committed under results/fashion95/runs was started with these settings
    saved = read_run_config(FOLDER / "runs" / "recipe-seed0")
    assert saved["config"] == config
    assert (saved["dataset"], saved["validation_size"]) == ("fashion-mnist", 0)


def test_the_committed_run_record_covers_every_epoch_once():
    """results/fashion95/runs/recipe-seed0 keeps the finished run's record: its 60 epochs trained
    once each across the sessions that sessions.json lists, and the test accuracy the report states."""
    run = FOLDER / "runs" / "recipe-seed0"
    metrics = json.loads((run / "metrics.json").read_text())
    sessions = json.loads((run / "sessions.json").read_text())
    epochs = json.loads((run / "config.json").read_text())["config"]["epochs"]
    assert [h["epoch"] for h in metrics["history"]] == list(range(1, epochs + 1))
    trained = [e for s in sessions for e in range(s["epochs"][0], s["epochs"][1] + 1)]
    assert trained == list(range(1, epochs + 1)), "each epoch trained by exactly one session, in order"
    summary = json.loads((FOLDER / "summary.json").read_text())
    row = next(r for r in summary["runs"] if r["run"] == run.name)
    assert row["seconds"] == sum(s["seconds"] for s in sessions) and row["epochs"] == epochs
    assert metrics["test_accuracy"] == row["test_accuracy_tta"]      # the run was tested with flips on
    assert (run / "params.npz").read_bytes() == (FOLDER / "params.npz").read_bytes()
