"""Fashion-MNIST above 95 %: the recipe's runs as resumable run folders, and their report.

    python experiments/fashion95.py                 # the recipe, seeds 0 and 1 (hours on a CPU)
    python experiments/fashion95.py --quick         # minutes: a small network on a subset (CI)
    python experiments/fashion95.py --report-only --runs RUN [RUN …] --mlp RUN   # from existing folders

Each run is a `jaxlearn train` run folder under results/fashion95/runs/ (or the --runs given), the
same as the one `jaxlearn train --dataset fashion-mnist …` command the README shows for the recipe
(tests/test_fashion95_model.py checks that they agree): a
run interrupted (Ctrl-C, a reboot) is resumed where it stopped when the script is started again,
and a finished one is not repeated. Each run's sessions.json records the wall time, the epochs
and the machine of every session that trained it, so a run that spans interruptions reports its
whole time. On this project's 2-core CPU the recipe (9–10 hours) outlasted a working session:
the unfinished run's resume files (config.json, checkpoint.npz, metrics.json, sessions.json) were
committed under results/fashion95/runs/ at the end of each, and the next continued the run with
the same command. The finished run's record stays committed there (without its checkpoint), with
its params.npz: the script started again skips the finished run and writes its report again.
In the background beside other work, start it under `nice -n 19` and, on a Linux kernel with
autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled is 1) where it runs in a session
of its own (setsid), also `echo 19 > /proc/PID/autogroup`: otherwise the scheduler shares the CPU
between sessions first, and the nice run still takes half of it from the foreground.
The report, results/fashion95/:

    table.md       per run: architecture, methods, epochs, seed, training time, the last epoch's
                   validation accuracy, test accuracy without and with test-time flips
    curves.png     per epoch of every run: validation accuracy (trained on every image: the
                   training batches' accuracy) with its test accuracy marked, and training loss
    confusion.png  the best run's confusion matrix beside the MLP's
    confused.md    the class pairs still confused most, CNN against MLP
    summary.json   the same numbers
    config.json, params.npz   the best run's model, with test-time flips when they scored higher:
                   `jaxlearn evaluate results/fashion95` reproduces its test accuracy in seconds
"""

import argparse
import dataclasses
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from _common import DEFAULT_RESULTS, write_summary
from matplotlib.ticker import MaxNLocator

from jaxlearn import plots
from jaxlearn.data import flatten_images, load_mnist
from jaxlearn.training import TrainConfig, predict
from jaxlearn.training.checkpoint import load_model
from jaxlearn.training.runs import CONFIG, PARAMS, read_run_config, train_and_evaluate

NAME = "fashion95"
# The recipe: a small ResNet with the methods of a modern CNN recipe (docs/guide/training.md).
RECIPE = TrainConfig(model="cnn", architecture="c32bn-r32-r64s2-r64-r128s2-r128-gap",
                     augment=("shift", "flip", "erase"), optimizer="adam", learning_rate=2e-3, weight_decay=0.05,
                     label_smoothing=0.1, warmup_epochs=2, ema_decay=0.999, epochs=60, batch_size=128, test_flip=True)
QUICK = TrainConfig(model="cnn", architecture="c8bn-r8-r16s2-gap", augment=("flip",), learning_rate=3e-3,
                    label_smoothing=0.1, warmup_epochs=1, epochs=2, batch_size=64, test_flip=True)
MLP = TrainConfig(epochs=20)                     # the lecture's MLP, the baseline of the confusion matrix
SEEDS = (0, 1)
SESSIONS = "sessions.json"   # the wall time and epochs of each session that trained a run


def train(config: TrainConfig, run_dir: Path, *, train_size=None, validation_size=5000) -> float:
    """Train (or resume, or skip when finished) one run folder; the wall time of all its sessions.

    Each call that trains appends its wall time and epochs to the run's sessions.json, also when
    it is interrupted (Ctrl-C): a run that spans interruptions, or machines, reports its whole time.
    """
    finished = (run_dir / "params.npz").is_file() and "test_accuracy" in _metrics(run_dir)
    if not finished:
        resume = (run_dir / "checkpoint.npz").is_file()
        first, started = len(_metrics(run_dir).get("history", [])) if resume else 0, time.perf_counter()
        try:
            train_and_evaluate(None if resume else config, run_dir, dataset="fashion-mnist", resume=resume,
                               validation_size=validation_size, train_size=train_size, progress="lines")
        finally:
            _record_session(run_dir, first, time.perf_counter() - started)
    return _total_seconds(run_dir, _metrics(run_dir))


def _sessions(run_dir: Path) -> list:
    path = run_dir / SESSIONS
    return json.loads(path.read_text()) if path.is_file() else []


def _record_session(run_dir: Path, first_epoch: int, seconds: float) -> None:
    if not run_dir.is_dir():            # stopped before the run folder was made
        return
    epochs_done = len(_metrics(run_dir).get("history", []))
    session = {"ended": time.strftime("%Y-%m-%d %H:%M:%S"), "seconds": round(seconds, 1),
               "epochs": [first_epoch + 1, epochs_done], "machine": f"{platform.machine()}, "
               f"{os.cpu_count()} cores, JAX {jax.__version__} on {jax.default_backend()}"}
    (run_dir / SESSIONS).write_text(json.dumps(_sessions(run_dir) + [session], indent=1) + "\n")


def _metrics(run_dir: Path) -> dict:
    path = run_dir / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _total_seconds(run_dir: Path, metrics: dict) -> float | None:
    """The training time of every session (sessions.json), else the last session's."""
    sessions = _sessions(run_dir)
    return sum(s["seconds"] for s in sessions) if sessions else metrics.get("train_seconds_this_session")


def describe(config: TrainConfig) -> str:
    methods = [f"augment {'+'.join(config.augment)}" if config.augment else "",
               f"label smoothing {config.label_smoothing:g}" if config.label_smoothing else "",
               f"warm-up {config.warmup_epochs}" if config.warmup_epochs else "",
               f"weight decay {config.weight_decay:g}" if config.weight_decay else "",
               f"EMA {config.ema_decay:g}" if config.ema_decay else "",
               f"{config.optimizer} η {config.learning_rate:g}, {config.schedule}"]
    return ", ".join(m for m in methods if m)


def test_predictions(run_dir: Path, flip: bool, *, shift: bool = False):
    """(test accuracy, predicted labels, true labels) of a finished run, with or without test-time
    flips (and one-pixel-shifted views, shift): one pass over the test set, the accuracy counted
    from the predictions (the fraction that `evaluate` reports)."""
    saved = read_run_config(run_dir)
    cnn = saved["config"].model == "cnn"
    config = dataclasses.replace(saved["config"], test_flip=flip and cnn, test_shift=shift and cnn)
    data = load_mnist(saved["dataset"], download=False)
    X = jnp.asarray(flatten_images(data.test_images, scale=saved["scale"], dtype=np.dtype(config.dtype)))
    labels = data.test_labels.astype(np.int32)
    predicted = np.asarray(predict(load_model(run_dir / "params.npz"), X, config))
    return float(np.mean(predicted == labels)), predicted, labels


def publish(run_dir: Path, out_dir: Path, test_flip: bool) -> None:
    """out_dir as a run folder of run_dir's model (config.json and params.npz), its config with
    test-time flips on or off as given: what `jaxlearn evaluate out_dir` tests."""
    saved = json.loads((run_dir / CONFIG).read_text())
    saved["config"]["test_flip"] = test_flip
    (out_dir / CONFIG).write_text(json.dumps(saved, indent=2) + "\n")
    shutil.copyfile(run_dir / PARAMS, out_dir / PARAMS)


def report(runs: list[Path], mlp: Path | None, out_dir: Path, seconds: dict) -> dict:
    rows, curves, flipped = [], {}, {}
    for run_dir in runs:
        saved, metrics = read_run_config(run_dir), _metrics(run_dir)
        history = metrics.get("history", [])
        plain, _, _ = test_predictions(run_dir, flip=False)
        tta, *flipped[run_dir.name] = test_predictions(run_dir, flip=True)     # kept for the confusion matrix
        config = saved["config"]
        rows.append({"run": run_dir.name, "architecture": config.architecture if config.model == "cnn" else
                     "MLP " + "-".join(map(str, config.hidden)), "methods": describe(config),
                     "epochs": len(history), "seed": config.seed,
                     "seconds": seconds.get(str(run_dir)) or _total_seconds(run_dir, metrics),
                     "val_accuracy": history[-1].get("val_accuracy") if history else None,
                     "test_accuracy": plain, "test_accuracy_tta": tta})
        curves[run_dir.name] = history
    lines = ["| run | architecture | methods | epochs | seed | training time | validation | test | test with flips |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        val = "—" if r["val_accuracy"] is None else f"{100 * r['val_accuracy']:.2f} %"
        time_ = "—" if r["seconds"] is None else f"{r['seconds'] / 60:.1f} min"
        lines.append(f"| {r['run']} | `{r['architecture']}` | {r['methods']} | {r['epochs']} | {r['seed']} | {time_} | "
                     f"{val} | {100 * r['test_accuracy']:.2f} % | {100 * r['test_accuracy_tta']:.2f} % |")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "table.md").write_text("\n".join(lines) + "\n")

    fig, (left, right) = plots.new_axes(2)
    for row in rows:
        name, history = row["run"], curves[row["run"]]
        epochs = [h["epoch"] for h in history]
        if not epochs:
            continue
        if "val_accuracy" in history[0]:
            line, = left.plot(epochs, [100 * h["val_accuracy"] for h in history], "o-", ms=3,
                              label=f"{name}: validation")
        else:       # trained on every training image (--validation-size 0): its augmented batches' accuracy
            line, = left.plot(epochs, [100 * h["train_accuracy"] for h in history], "o--", ms=3,
                              label=f"{name}: training batches")
        left.plot(epochs[-1:], [100 * row["test_accuracy_tta"]], "*", ms=12, color=line.get_color(),
                  label=f"{name}: test, with flips")
        right.plot(epochs, [h["train_loss"] for h in history], "o-", ms=3, color=line.get_color(), label=name)
    left.axhline(95, color="gray", ls=":", label="95 %")
    left.set(xlabel="epoch", ylabel="accuracy (%)", title="Fashion-MNIST: accuracy per epoch")
    right.set(xlabel="epoch", ylabel="training loss (epoch mean)", title="Training loss", yscale="log")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    plots.save(fig, out_dir / "curves.png")

    best = max(rows, key=lambda r: r["test_accuracy_tta"])
    flips = best["test_accuracy_tta"] > best["test_accuracy"]
    best_dir = next(r for r in runs if r.name == best["run"])
    publish(best_dir, out_dir, test_flip=flips)
    summary = {"runs": rows, "best": best["run"], "published": {
        "test_flip": flips, "test_accuracy": best["test_accuracy_tta"] if flips else best["test_accuracy"]}}
    if mlp is not None:
        cnn_predicted, labels = flipped[best["run"]]
        _, mlp_predicted, _ = test_predictions(mlp, flip=False)
        names = load_mnist("fashion-mnist", download=False).class_names
        matrices = {"CNN": plots.confusion_matrix(labels, cnn_predicted, 10),
                    "MLP": plots.confusion_matrix(labels, mlp_predicted, 10)}
        fig, axes = plots.new_axes(2, width=6.2, height=5.6)
        for ax, (name, matrix) in zip(axes, matrices.items()):
            image = ax.imshow(matrix, cmap="Blues")
            ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
                   title=f"{name}: {100 * np.trace(matrix) / matrix.sum():.2f} % correct")
            ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
            ax.set_yticklabels(names, fontsize=7)
            fig.colorbar(image, ax=ax, fraction=0.046, label="test images")
        plots.save(fig, out_dir / "confusion.png")
        pairs = [(int(matrices["CNN"][i, j]), int(matrices["MLP"][i, j]), names[i], names[j])
                 for i in range(10) for j in range(10) if i != j]
        pairs.sort(reverse=True)
        confused = ["| true | predicted as | CNN | MLP |", "|---|---|---|---|"]
        confused += [f"| {t} | {p} | {c} | {m} |" for c, m, t, p in pairs[:8]]
        (out_dir / "confused.md").write_text("\n".join(confused) + "\n")
        summary["most_confused"] = [{"true": t, "predicted": p, "cnn": c, "mlp": m} for c, m, t, p in pairs[:8]]
    write_summary(out_dir, summary)
    return summary


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS / NAME)
    parser.add_argument("--quick", action="store_true", help="a small network on 2 000 images, 2 epochs (minutes)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--validation-size", type=int, default=None,
                        help="5000 to choose the recipe (500 with --quick); 0 for the final runs on all 60 000 images")
    parser.add_argument("--runs", type=Path, nargs="*", help="existing run folders to report on (with --report-only)")
    parser.add_argument("--mlp", type=Path, help="the MLP's run folder (default: trained under --out/runs/mlp)")
    parser.add_argument("--report-only", action="store_true", help="do not train: report on --runs and --mlp")
    args = parser.parse_args(argv)
    seconds = {}
    if args.report_only:
        runs, mlp = list(args.runs or []), args.mlp
    else:
        recipe, mlp_config = (QUICK, dataclasses.replace(MLP, epochs=2)) if args.quick else (RECIPE, MLP)
        train_size = 2000 if args.quick else None
        if args.validation_size is None:
            args.validation_size = 500 if args.quick else 5000
        runs = []
        for seed in args.seeds:
            run_dir = args.out / "runs" / f"recipe-seed{seed}"
            seconds[str(run_dir)] = train(dataclasses.replace(recipe, seed=seed), run_dir, train_size=train_size,
                                          validation_size=args.validation_size)
            runs.append(run_dir)
        mlp = args.mlp or args.out / "runs" / "mlp"
        if args.mlp is None:
            train(mlp_config, mlp, train_size=train_size, validation_size=args.validation_size)
    if not runs:
        parser.error("no runs to report on: give --runs with --report-only")
    return report(runs, mlp, args.out, seconds)


def command(argv=None) -> int:
    """The script as a command: the summary as JSON on stdout; exit 130 on Ctrl-C (128 + SIGINT,
    as `jaxlearn train` exits), the run folders keeping their last finished epoch."""
    try:
        summary = main(argv)
    except KeyboardInterrupt:
        print("\nfashion95: interrupted; the run folders keep their last finished epoch, and the same "
              "command resumes them", file=sys.stderr)
        return 130
    print(json.dumps(summary, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(command())
