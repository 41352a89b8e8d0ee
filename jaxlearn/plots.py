"""The lecture's figures as small matplotlib helpers, shared by the experiments and the CLI.

Each helper draws on an Axes it is given (or a new one) and returns it, so the
callers compose figures; `save` writes a PNG and closes the figure.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are written to files, never shown

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def new_axes(ncols: int = 1, width: float = 5.5, height: float = 4.2):
    """A figure with `ncols` side-by-side axes (a single Axes when ncols == 1)."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), constrained_layout=True)
    return fig, axes


def save(fig, path) -> Path:
    """Write `fig` as a PNG (folders created) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_fit(ax, x, y, curves: dict, *, title: str = "", ylim=None):
    """Samples as dots and fitted curves as lines. curves: label → (x_grid, y_grid)."""
    ax.scatter(np.asarray(x), np.asarray(y), s=22, color="black", zorder=3, label="samples")
    for label, (xs, ys) in curves.items():
        ax.plot(np.asarray(xs), np.asarray(ys), lw=2, label=label)
    ax.set(xlabel="x", ylabel="y", title=title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_loss_curves(ax, histories: dict, *, title: str = "", logy: bool = True):
    """Loss against iteration for each labelled history (NaN entries, i.e. not run, are skipped)."""
    for label, history in histories.items():
        history = np.asarray(history)
        steps = np.flatnonzero(np.isfinite(history))
        ax.plot(steps, history[steps], lw=2, label=label)
    ax.set(xlabel="iteration", ylabel="loss L(θ)", title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return ax


def plot_train_validation(ax, values, train, validation, *, xlabel: str, title: str = "",
                          logx: bool = False, logy: bool = True, best: bool = True):
    """Training and validation error against a model-complexity parameter; marks the best."""
    values, train, validation = map(np.asarray, (values, train, validation))
    ax.plot(values, train, "o-", lw=2, ms=4, label="training error")
    ax.plot(values, validation, "s-", lw=2, ms=4, label="validation error")
    if best:
        i = int(np.nanargmin(validation))
        ax.axvline(values[i], color="gray", ls="--", lw=1, label=f"best: {xlabel} = {values[i]:.3g}")
    ax.set(xlabel=xlabel, ylabel="mean squared error", title=title)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return ax
