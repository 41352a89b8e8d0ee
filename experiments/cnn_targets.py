"""The CNN's targets, measured on this CPU: the default CNN on MNIST over three seeds, Fashion-MNIST
in about ten minutes of training with three augmentations, MLP against CNN on both data sets
(accuracy, training time, parameters), and what the augmentation gives.

Each part runs on its own (--part) and keeps every finished run in part_<name>.json: a run that
is there with the same configuration is not repeated (delete the file to redo it). The report,
written after any part, turns what is there into the table (cnn_table.md), the figures
(mlp_vs_cnn.png, augmentation.png) and summary.json.

    python experiments/cnn_targets.py --part mnist      # 3 seeds of the default CNN, 16 epochs
    python experiments/cnn_targets.py --part fashion    # 14 epochs each: none, flip, shift + flip
    python experiments/cnn_targets.py --part compare    # the MLPs
    python experiments/cnn_targets.py --part report     # only the table and figures
"""

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
from _common import DEFAULT_RESULTS, write_summary
from _nn_common import data, train_curve

from jaxlearn.training import TrainConfig

NAME = "cnn_targets"
RECIPE = "c16bn-c16bn-p-c32bn-c32bn-p-d128-drop0.5"       # the default CNN
MNIST_CNN = TrainConfig(model="cnn", architecture=RECIPE, epochs=16, augment=("shift",))
FASHION_CNN = TrainConfig(model="cnn", architecture=RECIPE, epochs=14)     # about ten minutes here
FASHION_AUGMENTATIONS = {"no augmentation": (), "flip": ("flip",), "shift + flip": ("shift", "flip")}
MLPS = {"mnist": TrainConfig(epochs=10), "fashion-mnist": TrainConfig(epochs=20)}
QUICK = {"architecture": "c8bn-p-d32-drop0.25", "epochs": 2}
PARTS = ("mnist", "fashion", "compare", "report")


def _config(config: TrainConfig, quick: bool, **changes) -> TrainConfig:
    if quick:
        changes = (QUICK if config.model == "cnn" else {"epochs": 2}) | changes
    return dataclasses.replace(config, **changes)


def _load(out_dir: Path, part: str) -> dict | None:
    path = out_dir / f"part_{part}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _runs(out_dir: Path, part: str, wanted: dict, quick: bool) -> dict:
    """{label: result} of the (config, data set) runs in `wanted`, kept in part_<part>.json as each
    finishes: a run already there with the same config is not repeated (delete the file to redo all)."""
    done = _load(out_dir, part) or {}
    results = {}
    for label, (config, dataset) in wanted.items():
        if label in done and done[label]["config"] == config.to_dict():
            results[label] = done[label]
        else:
            run = train_curve(config, data(dataset, quick=quick))
            results[label] = {"config": config.to_dict(), "dataset": dataset, "test_accuracy": run["test_accuracy"],
                              "seconds": run["seconds"], "parameters": run["parameters"],
                              "val_accuracy": [h["val_accuracy"] for h in run["history"]]}
            done[label] = results[label]
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"part_{part}.json").write_text(json.dumps(done, indent=2) + "\n")
        print(f"{label}: test accuracy {100 * results[label]['test_accuracy']:.2f}% in "
              f"{results[label]['seconds']:.0f} s", flush=True)
    return results


def run_mnist(out_dir: Path, quick: bool) -> dict:
    seeds = [0] if quick else [0, 1, 2]
    return _runs(out_dir, "mnist", {f"mnist CNN seed {s}": (_config(MNIST_CNN, quick, seed=s), "mnist")
                                    for s in seeds}, quick)


def run_fashion(out_dir: Path, quick: bool) -> dict:
    return _runs(out_dir, "fashion", {f"fashion-mnist CNN, {label}": (_config(FASHION_CNN, quick, augment=names),
                                                                      "fashion-mnist")
                                      for label, names in FASHION_AUGMENTATIONS.items()}, quick)


def run_compare(out_dir: Path, quick: bool) -> dict:
    return _runs(out_dir, "compare", {f"{name} MLP": (_config(config, quick), name) for name, config in MLPS.items()},
                 quick)


def _table(rows: dict) -> list[str]:
    lines = ["| data set, model | architecture | augmentation | epochs | parameters | training s | test accuracy |",
             "|---|---|---|---|---|---|---|"]
    for label, run in rows.items():
        c = run["config"]
        architecture = c["architecture"] if c["model"] == "cnn" else "-".join(map(str, c["hidden"]))
        lines.append(f"| {label} | {architecture} | {', '.join(c['augment']) or '—'} | {c['epochs']} | "
                     f"{run['parameters']:,} | {run['seconds']:.0f} | {100 * run['test_accuracy']:.2f} % |")
    return lines


def _bar_chart(bars: dict, path: Path) -> None:
    """One panel per data set, a bar per model: test accuracy, with training seconds and parameters."""
    import matplotlib.pyplot as plt

    from jaxlearn import plots

    datasets = list(dict.fromkeys(label.split(", ", 1)[0] for label in bars))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.5 * len(datasets), 4.2), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        labels = [k for k in bars if k.startswith(dataset + ",")]
        accuracy = [100 * bars[k]["test_accuracy"] for k in labels]
        drawn = ax.bar([k.split(", ", 1)[1] for k in labels], accuracy,
                       color=["tab:blue" if "MLP" in k else "tab:orange" for k in labels])
        for bar, k in zip(drawn, labels):
            note = f"{bar.get_height():.2f} %\n{bars[k]['seconds']:.0f} s\n{bars[k]['parameters'] / 1e3:.0f} K params"
            ax.annotate(note, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                        fontsize=8, xytext=(0, 2), textcoords="offset points")
        ax.set_ylim(min(accuracy) - 3, max(accuracy) + 1.5)
        ax.set_title(dataset)
        ax.set_ylabel("test accuracy (%)")
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle("MLP against CNN (training seconds on a 2-core CPU, parameters)")
    fig.tight_layout()
    plots.save(fig, path)


def _augmentation_curves(fashion: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    from jaxlearn import plots

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, run in fashion.items():
        epochs = np.arange(1, len(run["val_accuracy"]) + 1)
        ax.plot(epochs, 100 * np.asarray(run["val_accuracy"]), marker="o", markersize=3,
                label=f"{label.split(', ', 1)[1]}: test {100 * run['test_accuracy']:.2f} %")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title("Fashion-MNIST, the default CNN: the augmentation's effect")
    ax.grid(alpha=0.3)
    ax.legend()
    plots.save(fig, path)


def report(out_dir: Path) -> dict:
    """cnn_table.md, mlp_vs_cnn.png, augmentation.png and summary.json from the parts that have run."""
    mnist, fashion, compare = (_load(out_dir, part) or {} for part in ("mnist", "fashion", "compare"))
    rows = {}
    if "mnist MLP" in compare:
        rows["MNIST, MLP"] = compare["mnist MLP"]
    rows |= {f"MNIST, CNN, seed {run['config']['seed']}": run for run in mnist.values()}
    if "fashion-mnist MLP" in compare:
        rows["Fashion-MNIST, MLP"] = compare["fashion-mnist MLP"]
    rows |= {f"Fashion-MNIST, CNN, {label.split(', ', 1)[1]}": run for label, run in fashion.items()}
    lines = _table(rows)
    summary = {"mnist": mnist, "fashion": fashion, "compare": compare}
    bars = {k: v for k, v in rows.items() if "MLP" in k}
    if mnist:
        accuracies = [run["test_accuracy"] for run in mnist.values()]
        seconds = [run["seconds"] for run in mnist.values()]
        summary["mnist_cnn"] = {"mean": float(np.mean(accuracies)), "std": float(np.std(accuracies)),
                                "mean_seconds": float(np.mean(seconds))}
        lines.append(f"\nMNIST, the default CNN over {len(accuracies)} seed(s): "
                     f"{', '.join(f'{100 * a:.2f} %' for a in accuracies)}; mean {100 * np.mean(accuracies):.2f} % "
                     f"± {100 * np.std(accuracies):.2f} (std), {np.mean(seconds):.0f} s of training per seed")
        bars["MNIST, CNN (mean of the seeds)"] = {"test_accuracy": np.mean(accuracies), "seconds": np.mean(seconds),
                                                  "parameters": next(iter(mnist.values()))["parameters"]}
    if fashion:
        best = max(fashion, key=lambda k: fashion[k]["test_accuracy"])
        summary["fashion_best"] = {"label": best, "test_accuracy": fashion[best]["test_accuracy"],
                                   "seconds": fashion[best]["seconds"]}
        lines.append(f"\nFashion-MNIST, best in about ten minutes: {best}, "
                     f"{100 * fashion[best]['test_accuracy']:.2f} % in {fashion[best]['seconds']:.0f} s")
        bars[f"Fashion-MNIST, CNN ({best.split(', ', 1)[1]})"] = fashion[best]
        _augmentation_curves(fashion, out_dir / "augmentation.png")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cnn_table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if bars:
        order = sorted(bars, key=lambda k: (not k.startswith("MNIST"), "CNN" in k))
        _bar_chart({k: bars[k] for k in order}, out_dir / "mlp_vs_cnn.png")
    write_summary(out_dir, summary)
    return summary


def main(out_dir, quick: bool = False, parts=("mnist", "fashion", "compare")) -> dict:
    out_dir = Path(out_dir)
    runners = {"mnist": run_mnist, "fashion": run_fashion, "compare": run_compare}
    for part in parts:
        if part != "report":
            runners[part](out_dir, quick)
    return report(out_dir)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS / NAME)
    parser.add_argument("--quick", action="store_true", help="tiny networks, 2 epochs on 10 000 images")
    parser.add_argument("--part", choices=PARTS, action="append",
                        help="which part(s) to run (default: all, then the report)")
    args = parser.parse_args()
    main(args.out, args.quick, tuple(args.part or ("mnist", "fashion", "compare")))
