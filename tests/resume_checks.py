"""The resume matrix, for tests/test_resume.py: a run interrupted by a real SIGINT and resumed in a
new process ends bit for bit where the uninterrupted run ends.

    python tests/resume_checks.py first  ROOT CELL …   each cell: an uninterrupted run into
                                                        ROOT/CELL/whole and one into ROOT/CELL/cut
                                                        that gets SIGINT right after epoch 1's
                                                        checkpoint (exit 130)
    python tests/resume_checks.py resume ROOT CUT CELL …  in a new process: `jaxlearn train --resume`
                                                        of each ROOT/CELL/CUT (the folder "cut" or a
                                                        copy), compared with == to ROOT/CELL/whole;
                                                        prints "ok CELL"

ROOT/data holds the tiny data set of tests/tiny_data.py (its checksums are accepted here). A cell
is model-optimizer-schedule-devices-progress, e.g. "mlp-adam-cosine-4-bar" (model mlp, cnn, or recipe: a
residual CNN with label smoothing, warm-up, a weight average and AdamW; devices 1 or 4: the
process is started with JAX_NUM_CPU_DEVICES=4; progress "bar" (epochs in blocks) or "nobar" (one
dispatch an epoch), forced through jaxlearn.training.progress.resolve). Runs under JAX's
defaults (x64 off), as users run; the compilation cache is whatever JAXLEARN_COMPILATION_CACHE
says, so the caller chooses a cold or a warm one.
"""

import os
import signal
import sys
from pathlib import Path

import numpy as np

from jaxlearn import cli, plots
from jaxlearn.data import mnist as mnist_module
from jaxlearn.training import progress, runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.tiny_data import tiny_mnist_hashes  # noqa: E402

MODELS = {"mlp": ["--hidden", "32"],
          "cnn": ["--model", "cnn", "--architecture", "c4bn-p-d16-drop0.25", "--augment", "shift"],
          # the Fashion-MNIST recipe's pieces (no flips: the tiny data set is called mnist)
          "recipe": ["--model", "cnn", "--architecture", "c4bn-r4-r8s2-gap", "--augment", "shift,erase",
                     "--label-smoothing", "0.1", "--warmup-epochs", "1", "--ema-decay", "0.9",
                     "--weight-decay", "0.01"]}
OPTIMIZERS = ("adam", "sgd", "momentum")
SCHEDULES = ("cosine", "constant")
DEVICES = ("1", "4")
PROGRESS = ("bar", "nobar")
RECIPE_CELLS = ["recipe-adam-cosine-1-nobar", "recipe-adam-cosine-4-bar"]
# Every combination: 24 cells a model (JAXLEARN_RESUME_MATRIX=full; about 11 minutes on 2 cores).
FULL_CELLS = [f"{m}-{o}-{s}-{d}-{p}" for m in ("mlp", "cnn") for o in OPTIMIZERS for s in SCHEDULES
              for d in DEVICES for p in PROGRESS] + RECIPE_CELLS
# CI's default: a pairwise covering array, 6 cells in which every pair of values of any two
# factors (optimizer × schedule, schedule × devices, devices × progress, ...) occurs at least once,
# so a rounding difference that needs two settings together is still met (all-pairs testing).
PAIRWISE = [("adam", "cosine", "1", "bar"), ("adam", "constant", "4", "nobar"), ("sgd", "cosine", "4", "nobar"),
            ("sgd", "constant", "1", "bar"), ("momentum", "cosine", "1", "nobar"), ("momentum", "constant", "4", "bar")]
# The optimizer and schedule arithmetic that the pairs guard is the same for every network, so the
# array runs on the MLP (cheap); the CNN runs two cells that, with the recipe's two, give the
# convolutional networks every optimizer, schedule, device count and progress mode once (their
# own state, batch norm, augmentation keys, per-step dispatch, are in every one of these cells).
CNN_ROWS = [("sgd", "constant", "1", "bar"), ("momentum", "constant", "4", "bar")]
PAIRWISE_CELLS = ([f"mlp-{'-'.join(cell)}" for cell in PAIRWISE] + [f"cnn-{'-'.join(cell)}" for cell in CNN_ROWS]
                  + RECIPE_CELLS)
CELLS = FULL_CELLS if os.environ.get("JAXLEARN_RESUME_MATRIX") == "full" else PAIRWISE_CELLS


def options(cell: str) -> list[str]:
    """The `jaxlearn train` options of a cell: batches of 12 (a multiple of 4 devices), 300 training
    images, so 25 steps an epoch, 3 epochs: the comparison is bit for bit, so a rounding difference
    shows after its first step."""
    model, optimizer, schedule, devices, shown = cell.split("-")
    return [*MODELS[model], "--optimizer", optimizer, "--schedule", schedule, "--devices", devices,
            "--batch-size", "12", "--epochs", "3", "--lr", "3e-3", "--validation-size", "100", "--train-size", "300",
            *(["--no-progress"] if shown == "nobar" else [])]


def first(root: Path, cell: str) -> None:
    data = ["--data-dir", str(root / "data")]
    status = cli.main(["train", *data, *options(cell), "--out", str(root / cell / "whole")])
    assert status == 0, f"{cell}: the uninterrupted run exited {status}"
    real_save = runs.save_checkpoint

    def save_then_sigint(path, state, epoch, history):    # Ctrl-C right after epoch 1's checkpoint
        real_save(path, state, epoch, history)
        if epoch == 1:
            os.kill(os.getpid(), signal.SIGINT)

    runs.save_checkpoint = save_then_sigint
    try:
        status = cli.main(["train", *data, *options(cell), "--out", str(root / cell / "cut")])
    finally:
        runs.save_checkpoint = real_save
    assert status == 130, f"{cell}: the interrupted run exited {status}, not 130"


def resume(root: Path, cell: str, cut: str) -> None:
    status = cli.main(["train", "--resume", "--data-dir", str(root / "data"), "--out", str(root / cell / cut)]
                      + (["--no-progress"] if cell.endswith("nobar") else []))
    assert status == 0, f"{cell}: the resumed run exited {status}"
    whole = np.load(root / cell / "whole" / "params.npz")
    cut = np.load(root / cell / cut / "params.npz")
    assert sorted(whole.files) == sorted(cut.files)
    for name in whole.files:
        difference = np.max(np.abs(whole[name].astype(float) - cut[name].astype(float)), initial=0.0)
        assert np.array_equal(whole[name], cut[name]), f"{cell}: {name} differs by up to {difference:.3g}"


def _progress(cell: str) -> None:
    """"bar": the run dispatches its epochs in blocks, as with a bar (or the per-epoch lines); "nobar":
    one dispatch per epoch, as a quiet fit (progress=False). Forced, whatever the output is."""
    mode = "bar" if cell.endswith("-bar") else "off"
    progress.resolve = lambda _: mode


def main() -> int:
    what, root = sys.argv[1], Path(sys.argv[2])
    cut, cells = (sys.argv[3], sys.argv[4:]) if what == "resume" else (None, sys.argv[3:])
    mnist_module.SHA256["mnist"] = tiny_mnist_hashes(root / "data")
    plots.save = lambda figure, path: None     # the figures take half the time and change no parameter
    for cell in cells:
        _progress(cell)
        first(root, cell) if what == "first" else resume(root, cell, cut)
        print(f"ok {cell}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
