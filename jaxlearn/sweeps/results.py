"""A sweep's result, `Sweep` (MLPs trained side by side by `train_many`), and the result as data:
long ("tidy") records, CSV, a pandas DataFrame, a summary over seeds, and a figure of the curves.

One record per model and epoch: the model's settings (learning_rate, weight_decay, momentum,
dropout, seed, data_seed), its flags
(diverged, stalled) and the epoch's metrics (train_loss, train_accuracy, and with validation data
val_loss, val_accuracy). `summary` takes each model's last epoch and groups the models by the
settings named in `by`: mean ± sample standard deviation and n over the rest, the seeds. What a
spread over seeds measures depends on the sweep's data_seeds: with each seed's own shuffles (the
default) the whole run-to-run variance; with shared shuffles the initialisation's alone. Each
summary row says which.
"""

import csv
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from jaxlearn._errors import DivergenceError


class Sweep(NamedTuple):
    """Networks trained side by side: params with a leading model axis, their settings and scores."""

    params: Any                   # [(W (S, n_l, n_{l−1}), b (S, n_l)), …]
    learning_rates: np.ndarray    # (S,)
    seeds: np.ndarray             # (S,)
    train_loss: np.ndarray        # (S, epochs): mean minibatch loss per epoch (NaN after divergence)
    validation_accuracy: Any      # (S,), NaN for a diverged model; or None
    diverged: np.ndarray          # (S,) bool: the loss became NaN/inf or grew (jaxlearn.divergence);
                                  # params: its last good epoch
    train_accuracy: Any = None    # (S, epochs): training accuracy per epoch (NaN after divergence)
    stalled: Any = None           # (S,) bool: ended at chance (jaxlearn.stall), not learning
    data_seeds: Any = None        # (S,): the seed of each model's shuffled batches
    val_loss: Any = None          # (S, epochs): validation loss after each epoch (NaN after divergence)
    val_accuracy: Any = None      # (S, epochs): validation accuracy after each epoch
    seconds: float = float("nan")  # wall time of the whole sweep
    weight_decays: Any = None     # (S,): decoupled weight decay of each model
    momenta: Any = None           # (S,): momentum of each model (optimizer="momentum")
    hidden: Any = None            # (S,) strings such as "128-64": the hidden sizes, when the sweep
                                  # is made of groups of shapes (`combine`); params is then one
                                  # stacked list per group and groups (S,) names each model's
    groups: Any = None
    dropouts: Any = None          # (S,): dropout rate of each model's hidden units
    states: Any = None            # the networks' states stacked as params (a CNN's batch normalisation
                                  # statistics), () for networks without; one list per group as params

    # the sweep as data (the functions below)
    def to_records(self) -> list:
        """One dict per model and epoch (long, "tidy" form): settings, flags and the metrics."""
        return records(self)

    def to_csv(self, path):
        """`to_records` as a CSV file; returns its path."""
        return to_csv(self, path)

    def to_frame(self):
        """`to_records` as a pandas DataFrame (pandas is optional)."""
        return to_frame(self)

    def summary(self, by=("learning_rate",), metric: str = "val_accuracy") -> list:
        """The last epoch's metric, mean ± std and n over the seeds, per combination of `by`."""
        return summary(self, by, metric)

    def plot(self, metric: str = "val_accuracy", by=("learning_rate",)):
        """Curves per setting: the mean over seeds and a band from the lowest to the highest."""
        return plot(self, metric, by)

    def model(self, i: int):
        """The parameters [(W, b), …] of model i."""
        params, _ = self._stacked(i)
        return params

    def trained(self, i: int):
        """Model i as `jaxlearn.training.evaluate` and `predict` take it: a `TrainedModel` of its
        parameters and its network's state."""
        from jaxlearn.training.step import TrainedModel

        return TrainedModel(*self._stacked(i))

    def _stacked(self, i: int) -> tuple:
        """(params, state) of model i, cut out of the stacked arrays."""
        import jax

        params, states = self.params, () if self.states is None else self.states
        if self.groups is not None:
            group = int(self.groups[i])
            i -= int(np.flatnonzero(np.asarray(self.groups) == group)[0])      # a group's models are contiguous
            params, states = params[group], states[group]
        return jax.tree_util.tree_map(lambda a: a[i], (params, states))

    def best(self) -> int:
        """The index of the model with the highest validation accuracy (diverged and stalled
        ones excluded)."""
        if self.validation_accuracy is None:
            raise ValueError("this sweep was trained without validation data (give X_val and y_val)")
        stalled = np.zeros_like(self.diverged) if self.stalled is None else self.stalled
        if self.diverged.all():
            raise DivergenceError("every model of the sweep diverged; try smaller learning rates")
        if (self.diverged | stalled).all():
            raise ValueError("every model of the sweep diverged or stalled at chance (jaxlearn.stall); try "
                             "smaller learning rates")
        return int(np.nanargmax(np.where(stalled, np.nan, self.validation_accuracy)))


SETTINGS = ("hidden", "learning_rate", "weight_decay", "momentum", "dropout", "seed", "data_seed")


def combine(sweeps: list, hidden: list) -> Sweep:
    """One `Sweep` of sweeps of different shapes (their hidden sizes given as tuples): the models
    one after another, group by group; `Sweep.model` and the records know each model's shape."""
    def cat(name):
        parts = [getattr(s, name) for s in sweeps]
        return None if any(p is None for p in parts) else np.concatenate([np.asarray(p) for p in parts])

    names = ["-".join(map(str, h)) for h in hidden]
    counts = [len(s.learning_rates) for s in sweeps]
    fields = {name: cat(name) for name in Sweep._fields
              if name not in ("params", "states", "seconds", "hidden", "groups")}
    return Sweep(**fields, params=[s.params for s in sweeps], states=[s.states for s in sweeps],
                 seconds=float(sum(s.seconds for s in sweeps)),
                 hidden=np.repeat(np.array(names, dtype=object), counts),
                 groups=np.repeat(np.arange(len(sweeps)), counts))
METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def _curves(sweep) -> dict:
    curves = {"train_loss": sweep.train_loss, "train_accuracy": sweep.train_accuracy,
              "val_loss": sweep.val_loss, "val_accuracy": sweep.val_accuracy}
    return {name: np.asarray(values) for name, values in curves.items() if values is not None}


def records(sweep) -> list[dict]:
    """One dict per model and epoch."""
    curves = _curves(sweep)
    n_models, n_epochs = sweep.train_loss.shape
    rows = []
    for i in range(n_models):
        settings = ({"model": i} | ({} if sweep.hidden is None else {"hidden": str(sweep.hidden[i])})
                    | {"learning_rate": float(sweep.learning_rates[i]),
                    "weight_decay": float(sweep.weight_decays[i]), "momentum": float(sweep.momenta[i]),
                    "dropout": float(_setting(sweep, "dropout")[i]),
                    "seed": int(sweep.seeds[i]),
                    "data_seed": int(sweep.data_seeds[i]), "diverged": bool(sweep.diverged[i]),
                    "stalled": bool(sweep.stalled[i])})
        for e in range(n_epochs):
            rows.append(settings | {"epoch": e + 1} | {name: float(values[i, e]) for name, values in curves.items()})
    return rows


def to_csv(sweep, path) -> Path:
    path = Path(path)
    rows = records(sweep)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def to_frame(sweep):
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("Sweep.to_frame needs pandas (pip install pandas); Sweep.to_records and Sweep.to_csv "
                          "do not") from None
    return pd.DataFrame(records(sweep))


def _check_names(by, metric: str, sweep) -> tuple:
    by = (by,) if isinstance(by, str) else tuple(by)
    settings = [name for name in SETTINGS if name != "hidden" or sweep.hidden is not None]
    unknown = [name for name in by if name not in settings]
    if unknown:
        raise ValueError(f"by: {', '.join(map(repr, unknown))} is not a setting of the sweep; choose from "
                         f"{', '.join(settings)}")
    if metric not in _curves(sweep):
        raise ValueError(f"metric {metric!r} is not in this sweep; it has {', '.join(_curves(sweep))}")
    return by


def _setting(sweep, name: str) -> np.ndarray:
    return {"hidden": sweep.hidden, "learning_rate": sweep.learning_rates, "weight_decay": sweep.weight_decays,
            "momentum": sweep.momenta,
            "dropout": np.zeros(len(sweep.seeds)) if sweep.dropouts is None else sweep.dropouts,
            "seed": sweep.seeds, "data_seed": sweep.data_seeds}[name]


def _key(sweep, by, i: int) -> tuple:
    """Model i's values of the `by` settings (numbers as floats, hidden sizes as their string)."""
    return tuple(str(_setting(sweep, name)[i]) if name == "hidden" else float(_setting(sweep, name)[i])
                 for name in by)


def _shown(value) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def summary(sweep, by=("learning_rate",), metric: str = "val_accuracy") -> list[dict]:
    """Per combination of the `by` settings: the last epoch's metric over its models (mean, std,
    n), skipping diverged and stalled models (counted apart), and what the spread measures."""
    by = _check_names(by, metric, sweep)
    final = _curves(sweep)[metric][:, -1]
    usable = ~(np.asarray(sweep.diverged) | np.asarray(sweep.stalled))
    keys = [_key(sweep, by, i) for i in range(len(final))]
    rows = []
    for key in sorted(set(keys)):
        members = [i for i, k in enumerate(keys) if k == key]
        values = final[[i for i in members if usable[i]]]
        shared = len({int(sweep.data_seeds[i]) for i in members}) == 1
        rows.append(dict(zip(by, key)) | {
            f"{metric}_mean": float(values.mean()) if values.size else float("nan"),
            f"{metric}_std": float(values.std(ddof=1)) if values.size > 1 else float("nan"),
            "n": int(values.size), "left_out": len(members) - int(values.size),
            "spread_over": "initialisation only (shared shuffles)" if shared else "seeds (init and data order)"})
    return rows


def summary_markdown(rows: list[dict], metric: str = "val_accuracy") -> str:
    """The summary as a Markdown table, the metric as mean ± std."""
    settings = [k for k in rows[0] if k in SETTINGS]
    lines = ["| " + " | ".join([*settings, metric, "n", "left out", "spread over"]) + " |",
             "|" + "---|" * (len(settings) + 4)]
    for row in rows:
        mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
        shown = f"{mean:.4f}" + ("" if np.isnan(std) else f" ± {std:.4f}")
        lines.append("| " + " | ".join([*(_shown(row[s]) for s in settings), shown, str(row["n"]),
                                        str(row["left_out"]), row["spread_over"]]) + " |")
    return "\n".join(lines)


def plot(sweep, metric: str = "val_accuracy", by=("learning_rate",)):
    """One colour per combination of `by`: the mean curve over its models and a band from the
    lowest to the highest (diverged and stalled models left out). Returns the figure."""
    from jaxlearn import plots

    by = _check_names(by, metric, sweep)
    curves = _curves(sweep)[metric]
    usable = ~(np.asarray(sweep.diverged) | np.asarray(sweep.stalled))
    epochs = np.arange(1, curves.shape[1] + 1)
    fig, ax = plots.new_axes(1, width=6.0, height=4.0)
    keys = [_key(sweep, by, i) for i in range(curves.shape[0])]
    for key in sorted(set(keys)):
        rows = curves[[i for i, k in enumerate(keys) if k == key and usable[i]]]
        label = ", ".join(f"{name} {_shown(value)}" for name, value in zip(by, key))
        if not rows.size:
            continue
        scale = 100 if metric.endswith("accuracy") else 1
        line, = ax.plot(epochs, scale * rows.mean(axis=0), "o-", ms=3, label=f"{label} (n={len(rows)})")
        ax.fill_between(epochs, scale * rows.min(axis=0), scale * rows.max(axis=0), color=line.get_color(),
                        alpha=0.2)
    ax.set(xlabel="epoch", ylabel=metric.replace("_", " ") + (" (%)" if metric.endswith("accuracy") else ""),
           title=f"{metric.replace('_', ' ')}: mean over seeds, band min–max")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
