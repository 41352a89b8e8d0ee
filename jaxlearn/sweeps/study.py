"""Studies in folders: a grid trained as one sweep, and runs compared side by side.

`run_study` trains learning rates × seeds on MNIST or Fashion-MNIST as one vmapped sweep
(`jaxlearn.sweeps.sweep`) and writes

    study_dir/results.csv    one row per model and epoch (long form)
    study_dir/summary.md     the last epoch's validation accuracy, mean ± std and n per learning rate
    study_dir/curves.png     validation accuracy per epoch: the mean and a min–max band per learning rate
    study_dir/config.json, params.npz, metrics.json   the best model as a run folder, so that
                             `jaxlearn evaluate study_dir` tests it and `compare` reads it
    study_dir/study.json     the study as asked for; checkpoint.npz (one per hidden size) the
                             sweep after its last finished epoch: `resume_study` continues it

`compare_runs` reads run or study folders and returns their differing settings and final metrics.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np

from jaxlearn import plots
from jaxlearn.sweeps.grid import sweep
from jaxlearn.sweeps.results import summary_markdown
from jaxlearn.training.checkpoint import save_params
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.data import prepare_data
from jaxlearn.training.evaluate import evaluate
from jaxlearn.training.runs import CONFIG, METRICS, PARAMS, RunFolderError, read_run_config

RESULTS, SUMMARY, CURVES = "results.csv", "summary.md", "curves.png"
REQUEST, CHECKPOINT = "study.json", "checkpoint.npz"     # the study asked for; the sweep's state after each epoch


def run_study(config: TrainConfig, study_dir, *, learning_rates, seeds, weight_decay=None, momentum=None,
              dropout=None, hidden=None, dataset: str = "mnist", data_dir=None,
              validation_size: int = 5000, train_size: int | None = None, scale: bool = True,
              progress=True, log=print, resume: bool = False) -> dict:
    """Train the grid learning_rates × seeds (each seed its own initialisation and shuffles), and
    weight decays, momenta, dropout rates and hidden sizes (one program per size) when given, and write the study
    folder (module docstring). Returns {"best": index, "summary": rows, "test_accuracy", "sweep"}.

    The sweep's state is saved after every epoch (checkpoint.npz; one per hidden size): an
    interrupted study continues with `resume_study`, and ends as an uninterrupted one would.
    """
    study_dir = Path(study_dir)
    if (study_dir / RESULTS).exists():
        raise FileExistsError(f"{study_dir} already holds a study; pick another --out folder")
    if (study_dir / REQUEST).exists() and not resume:
        raise FileExistsError(f"{study_dir} holds an interrupted study; continue it with 'jaxlearn sweep --resume "
                              f"--out {study_dir}' or pick another --out folder")
    if validation_size < 1:
        raise ValueError("a study needs validation data to compare its models: --validation-size must be ≥ 1")
    data = prepare_data(dataset, data_dir, validation_size=validation_size, seed=config.seed, scale=scale,
                        dtype=config.dtype, train_size=train_size)
    grid = {} if hidden is None else {"hidden": [tuple(h) for h in hidden]}
    grid["learning_rate"] = list(learning_rates)
    grid |= {k: list(v) for k, v in (("weight_decay", weight_decay), ("momentum", momentum), ("dropout", dropout))
             if v is not None}
    grid["seed"] = list(seeds)
    study_dir.mkdir(parents=True, exist_ok=True)
    request = {"config": config.to_dict(), "grid": grid, "dataset": dataset, "validation_size": validation_size,
               "train_size": train_size, "scale": scale}
    (study_dir / REQUEST).write_text(json.dumps(request, indent=2) + "\n")
    log(f"training {int(np.prod([len(v) for v in grid.values()]))} models as one program: "
        + " × ".join(f"{k} {v}" for k, v in grid.items()))
    result = sweep(config, data["X_train"], data["y_train"], grid, X_val=data["X_val"], y_val=data["y_val"],
                   n_classes=len(data["class_names"]), progress=progress is not False,
                   checkpoint=study_dir / CHECKPOINT)
    result.to_csv(study_dir / RESULTS)
    settings = [k for k in grid if k != "seed"]          # the summary and the figure: one entry per setting
    rows = result.summary(by=settings)
    (study_dir / SUMMARY).write_text(f"# {dataset}: {len(result.seeds)} models, {result.seconds:.1f} s\n\n"
                                     + summary_markdown(rows) + "\n")
    plots.save(result.plot(by=settings), study_dir / CURVES)
    best = result.best()
    shape = {} if result.hidden is None else {"hidden": grid["hidden"][int(result.groups[best])]}
    best_config = dataclasses.replace(config, **shape, learning_rate=float(result.learning_rates[best]),
                                      weight_decay=float(result.weight_decays[best]),
                                      momentum=float(result.momenta[best]), dropout=float(result.dropouts[best]),
                                      seed=int(result.seeds[best]))
    trained = result.trained(best)          # its parameters and its network's state
    test = evaluate(trained, data["X_test"], data["y_test"], best_config)
    save_params(study_dir / PARAMS, trained.params, trained.batch_stats)
    (study_dir / CONFIG).write_text(json.dumps(
        {"config": best_config.to_dict(), "dataset": dataset, "validation_size": validation_size,
         "train_size": train_size, "scale": scale, "data_source": data["source"],
         "study": {"learning_rates": grid["learning_rate"], "seeds": grid["seed"], "best_model": best,
                   **{k: grid[k] for k in ("weight_decay", "momentum", "dropout", "hidden") if k in grid}}},
        indent=2) + "\n")
    history = [r for r in result.to_records() if r["model"] == best]
    summary = {"history": history, "test_accuracy": test["accuracy"], "test_loss": test["loss"],
               "seconds": result.seconds}
    (study_dir / METRICS).write_text(json.dumps(summary, indent=2) + "\n")
    return {"best": best, "summary": rows, "test_accuracy": test["accuracy"], "sweep": result}


def resume_study(study_dir, *, data_dir=None, progress=True, log=print) -> dict:
    """Continue the interrupted study in study_dir with the settings it was started with."""
    study_dir = Path(study_dir)
    if (study_dir / RESULTS).exists():
        raise FileExistsError(f"{study_dir} holds a finished study: nothing to resume")
    try:
        request = json.loads((study_dir / REQUEST).read_text())
    except (OSError, ValueError):
        raise FileNotFoundError(f"{study_dir / REQUEST} is missing or damaged: {study_dir} holds no study to "
                                "resume") from None
    grid = request["grid"]
    return run_study(TrainConfig(**request["config"]), study_dir, learning_rates=grid["learning_rate"],
                     seeds=grid["seed"], weight_decay=grid.get("weight_decay"), momentum=grid.get("momentum"),
                     dropout=grid.get("dropout"),
                     hidden=grid.get("hidden"), dataset=request["dataset"], data_dir=data_dir,
                     validation_size=request["validation_size"], train_size=request["train_size"],
                     scale=request["scale"], progress=progress, log=log, resume=True)


def _read(folder: Path) -> dict:
    saved = read_run_config(folder)          # RunFolderError names a folder that is not a run
    try:
        metrics = json.loads((folder / METRICS).read_text())
    except (OSError, ValueError):
        raise RunFolderError(f"{folder / METRICS} is missing or damaged: has the run in {folder} finished an "
                             "epoch?") from None
    settings = {f.name: getattr(saved["config"], f.name) for f in dataclasses.fields(TrainConfig)}
    settings |= {key: saved.get(key) for key in ("dataset", "validation_size", "train_size")}
    return {"folder": str(folder), "settings": settings, "history": metrics.get("history", []),
            "test_accuracy": metrics.get("test_accuracy")}


def compare_runs(folders, metric: str = "val_accuracy") -> dict:
    """{"runs": [...], "differing": [setting names whose values differ]} of run or study folders."""
    if len(folders) < 1:
        raise ValueError("give at least one run folder to compare")
    runs = [_read(Path(folder)) for folder in folders]
    for run in runs:
        if run["history"] and metric not in run["history"][-1]:
            raise ValueError(f"metric {metric!r} is not in {run['folder']}'s metrics; it has "
                             f"{', '.join(k for k in run['history'][-1] if k != 'epoch')}")
    names = list(runs[0]["settings"])
    differing = [n for n in names if len({json.dumps(r["settings"][n]) for r in runs}) > 1]
    return {"runs": runs, "differing": differing, "metric": metric}


def comparison_table(comparison: dict) -> str:
    """An aligned table: folder, the differing settings, epochs, the final metric and test accuracy."""
    metric, differing = comparison["metric"], comparison["differing"]
    head = ["run", *differing, "epochs run", metric, "test accuracy"]
    rows = []
    for run in comparison["runs"]:
        last = run["history"][-1] if run["history"] else {}
        rows.append([run["folder"], *(str(run["settings"][n]) for n in differing), str(len(run["history"])),
                     f"{last[metric]:.4f}" if metric in last else "",
                     "" if run["test_accuracy"] is None else f"{100 * run['test_accuracy']:.2f}%"])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *rows])


def comparison_figure(comparison: dict):
    """The runs' curves of the metric overlaid, one per run."""
    import textwrap

    from matplotlib.ticker import MaxNLocator

    metric = comparison["metric"]
    labels = []
    for run in comparison["runs"]:
        text = Path(run["folder"]).name + "".join(f", {n} {run['settings'][n]}" for n in comparison["differing"])
        labels.append(textwrap.fill(text, 110))       # many differing settings: wrapped, not cut off at the edge
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = plots.new_axes(1, width=8.0, height=4.0 + 0.2 * lines)
    for run, label in zip(comparison["runs"], labels):
        points = [(h["epoch"], h[metric]) for h in run["history"] if metric in h]
        if points:
            ax.plot(*zip(*points), "o-", ms=3, label=label)
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " "), title=f"{metric.replace('_', ' ')} per epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.15))      # below: long labels hide no curve
    return fig
