"""A resumed run equals the uninterrupted one bit for bit, in the cells of the matrix
(tests/resume_checks.py): MLP and CNN × adam, sgd, momentum × cosine, constant × 1 and 4 devices
× progress bar on and off (by default a pairwise covering array of 6 MLP cells, every pair of
settings at least once, and 2 CNN cells; all 24 a model with JAXLEARN_RESUME_MATRIX=full), and the Fashion-MNIST
recipe's residual network (label smoothing, warm-up, a weight average, AdamW) on 1 and 4 devices,
each interrupted by a real SIGINT after epoch 1 and resumed in a new process: with the warm
compilation cache the first runs filled (the library's default: a program read back from the
cache, or compiled afresh where it changed, which then shows as a difference), and for the MLP's
cells also with a cold one (every program compiled again). A cold resume of the convolutional
cells would compile their larger programs once more to show the same about XLA's compiler, which
the MLP's cells show for a fraction of the time.

The root cause this guards against: the CLI turned on jax_enable_x64 for every --resume (to read
float64 runs), and under x64 optax computes a float32 run's cosine schedule and Adam's bias
correction in float64, so the resumed epochs rounded differently (up to 8e-3 after 12 epochs).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.resume_checks import CELLS, DEVICES, FULL_CELLS, OPTIMIZERS, PAIRWISE, PAIRWISE_CELLS, PROGRESS, SCHEDULES

CHECKS = Path(__file__).with_name("resume_checks.py")


def _start(*args, cache: str) -> subprocess.Popen:
    env = os.environ | {"JAX_NUM_CPU_DEVICES": "4", "JAX_PLATFORMS": "cpu", "JAXLEARN_COMPILATION_CACHE": cache,
                        "JAX_ENABLE_X64": "0"}
    return subprocess.Popen([sys.executable, str(CHECKS), *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _assert_all_ok(process: subprocess.Popen, cells: list, what: str) -> None:
    output, _ = process.communicate()
    done = [line[3:] for line in output.splitlines() if line.startswith("ok ")]
    assert done == cells, f"{what}:\n{output[-4000:]}"


@pytest.mark.parametrize("model", ["mlp", "cnn", "recipe"])
def test_every_cell_resumes_bit_for_bit(tmp_path, model):
    from tests.tiny_data import write_tiny_mnist

    write_tiny_mnist(tmp_path / "data")
    cells = [cell for cell in CELLS if cell.startswith(model)]
    warm = tmp_path / "xla"
    _assert_all_ok(_start("first", tmp_path, *cells, cache=str(warm)), cells, "the first runs")
    assert any(warm.iterdir()), "the first runs filled no compilation cache"
    cold = None
    if model == "mlp":                     # each resume from its own copy of the epoch-1 folder
        for cell in cells:
            shutil.copytree(tmp_path / cell / "cut", tmp_path / cell / "cut-cold")
        cold = _start("resume", tmp_path, "cut-cold", *cells, cache="0")
    warmed = _start("resume", tmp_path, "cut", *cells, cache=str(warm))
    if cold is not None:
        _assert_all_ok(cold, cells, "resumed in a new process, cold compilation cache")
    _assert_all_ok(warmed, cells, "resumed in a new process, warm compilation cache")


def test_the_default_cells_cover_every_pair_of_settings():
    from itertools import combinations

    factors = (OPTIMIZERS, SCHEDULES, DEVICES, PROGRESS)       # the order of a PAIRWISE row
    for i, j in combinations(range(4), 2):
        needed = {(a, b) for a in factors[i] for b in factors[j]}
        assert needed <= {(cell[i], cell[j]) for cell in PAIRWISE}, (i, j)
    assert set(PAIRWISE_CELLS) <= set(FULL_CELLS) and set(CELLS) <= set(FULL_CELLS)
    # the convolutional cells (CNN and recipe) meet every value of every factor at least once
    convolutional = [cell.split("-")[1:] for cell in PAIRWISE_CELLS if not cell.startswith("mlp")]
    for i, factor in enumerate(factors):
        assert {row[i] for row in convolutional} == set(factor), factor

