"""The published Fashion-MNIST model (results/fashion95, written by experiments/fashion95.py):
`jaxlearn evaluate results/fashion95` reproduces the test accuracy its report states, in seconds."""

import json
import re
from pathlib import Path

import numpy as np

from jaxlearn.cli import main

FOLDER = Path(__file__).resolve().parents[1] / "results" / "fashion95"


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
