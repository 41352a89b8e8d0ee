"""The lecture's figures as small matplotlib helpers, shared by the experiments and the CLI.

Each helper draws on an Axes it is given (or a new one) and returns it, so the
callers compose figures; `save` writes a PNG and closes the figure.
"""

import os
import sys
from pathlib import Path

import matplotlib

# Scripts and the CLI write PNGs and never show a window: Agg, headless. A backend the user chose is
# kept: a notebook's inline backend (ipykernel loaded), MPLBACKEND, or pyplot already set up.
if not ({"ipykernel", "matplotlib.pyplot"} & sys.modules.keys() or "MPLBACKEND" in os.environ):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["new_axes", "save", "plot_fit", "plot_loss_curves", "plot_train_validation",
           "plot_training_curves", "confusion_matrix", "plot_confusion_matrix", "plot_misclassified",
           "plot_conv_filters", "plot_feature_maps", "plot_decision_regions"]


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
                          logx: bool = False, logy: bool = True, best: bool = True, others=None):
    """Training and validation error against a model-complexity parameter; marks the best
    validation error. others: more error curves, {label: errors}."""
    values, train, validation = map(np.asarray, (values, train, validation))
    ax.plot(values, train, "o-", lw=2, ms=4, label="training error")
    ax.plot(values, validation, "s-", lw=2, ms=4, label="validation error")
    for label, errors in (others or {}).items():
        ax.plot(values, np.asarray(errors), "^--", lw=1.5, ms=4, label=label)
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


def plot_training_curves(history: list, *, title: str = ""):
    """Loss and accuracy per epoch, training and validation, side by side. Returns the figure.

    The training values are each epoch's mean over its minibatches, taken while the parameters
    still change; validation is measured once, with the parameters at the epoch's end. That is
    why epoch 1's training accuracy lies below its validation accuracy; the legend says so.
    """
    from matplotlib.ticker import MaxNLocator

    fig, (ax_loss, ax_acc) = new_axes(2, width=5.0, height=3.8)
    epochs = [h["epoch"] for h in history]
    for key, label in [("train", "training (mean over the epoch)"), ("val", "validation (at the epoch's end)")]:
        if f"{key}_loss" in history[0]:
            ax_loss.plot(epochs, [h[f"{key}_loss"] for h in history], "o-", ms=3, label=label)
            ax_acc.plot(epochs, [100 * h[f"{key}_accuracy"] for h in history], "o-", ms=3, label=label)
    ax_loss.set(xlabel="epoch", ylabel="loss", title=f"{title} loss".strip(), yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{title} accuracy".strip())
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))       # epochs are whole numbers
        if len(epochs) == 1:
            ax.set_xlim(epochs[0] - 0.5, epochs[0] + 0.5)
            ax.set_xticks(epochs)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    return fig


def confusion_matrix(true, predicted, n_classes: int) -> np.ndarray:
    """C[i, j] = number of samples of class i predicted as j."""
    true, predicted = np.asarray(true, np.int64), np.asarray(predicted, np.int64)
    return np.bincount(true * n_classes + predicted, minlength=n_classes**2).reshape(n_classes, n_classes)


def plot_confusion_matrix(matrix: np.ndarray, class_names, *, title: str = ""):
    """The confusion matrix with counts in the cells (rows: true class, columns: predicted)."""
    n = matrix.shape[0]
    fig, ax = new_axes(1, width=6.4, height=5.6)
    shown = np.log1p(matrix)  # log scale: the diagonal would hide every mistake otherwise
    image = ax.imshow(shown, cmap="Blues")
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="samples (log scale)")
    ticks = [t for t in (0, 1, 10, 100, 1000, 10000, 100000) if t <= max(1, matrix.max())]
    bar.set_ticks(np.log1p(ticks), labels=[str(t) for t in ticks])
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return fig


def _image_grid(rows: int, cols: int, *, cell: tuple, top: float = 0.45, title: float = 0.2):
    """A figure of rows × cols image axes (axes off) in cells of `cell` inches (width, height),
    with `top` inches for the figure's title and `title` inches above each image for its own.
    Fixed margins, not constrained layout: solving that for 36 axes took about a second a figure,
    and every run folder draws three such grids."""
    width, height = cell[0] * cols, cell[1] * rows + top
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    image_height = cell[1] - title
    fig.subplots_adjust(left=0.05 / width, right=1 - 0.05 / width, bottom=0.05 / height, top=1 - top / height,
                        wspace=0.08, hspace=title / image_height)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def plot_network(sizes, *, title: str = ""):
    """The lecture's picture of a fully connected network: a column of units per layer
    (a^0 = x … a^L), every unit joined to every unit of the next layer by its weight W^l_{jk};
    layers of more than 8 units are drawn as 8 with "⋮" and their size."""
    fig, ax = plt.subplots(figsize=(1.9 * len(sizes) + 0.6, 4.2))
    shown = [min(n, 8) for n in sizes]

    def ys(n):
        return np.linspace(-(n - 1) / 2, (n - 1) / 2, n) * 0.55
    for layer in range(len(sizes) - 1):
        for y0 in ys(shown[layer]):
            for y1 in ys(shown[layer + 1]):
                ax.plot([layer, layer + 1], [y0, y1], color="0.75", lw=0.6, zorder=1)
        ax.text(layer + 0.5, 2.55, f"$W^{{{layer + 1}}}$ ({sizes[layer + 1]}×{sizes[layer]})", ha="center", fontsize=11)
    for layer, (n, m) in enumerate(zip(sizes, shown)):
        kind = "input" if layer == 0 else "output" if layer == len(sizes) - 1 else "hidden"
        colour = {"input": "tab:blue", "hidden": "tab:orange", "output": "tab:green"}[kind]
        ax.scatter(np.full(m, layer), ys(m), s=260, color=colour, edgecolor="black", zorder=2)
        if n > m:
            ax.text(layer, 0, "⋮", ha="center", va="center", fontsize=16, zorder=3,
                    bbox=dict(boxstyle="round", fc="white", ec="none"))
        ax.text(layer, -2.75, f"$a^{{{layer}}}$: {kind}\n{n} units", ha="center", va="top", fontsize=11)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-3.6, 3.0)
    ax.axis("off")
    ax.set_title(title or "a fully connected network: $z^l = W^l a^{l-1} + b^l$, $a^l = \\sigma(z^l)$", fontsize=12)
    return fig


def plot_activations(names=("sigmoid", "tanh", "relu"), *, z_range: float = 4.0):
    """Each activation σ(z) beside its derivative σ'(z) (the factor in backpropagation's eq. 2),
    computed by `jaxlearn.nn.activations`, on −z_range … z_range."""
    import jax.numpy as jnp

    from jaxlearn.nn.activations import ACTIVATIONS, activation_derivative

    z = jnp.linspace(-z_range, z_range, 401)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    for name in names:
        a = ACTIVATIONS[name](z)
        left.plot(z, a, label=name, lw=2)
        right.plot(z, activation_derivative(name, z, a), label=name, lw=2)
    left.set(title="activation σ(z)", xlabel="z")
    right.set(title="derivative σ'(z): the factor of eq. (2)", xlabel="z")
    for ax in (left, right):
        ax.axhline(0, color="0.6", lw=0.8)
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def plot_misclassified(images, true, predicted, class_names, *, limit: int = 36, title: str = ""):
    """A grid of (at most `limit`) misclassified images titled 'true → predicted'."""
    images, true, predicted = map(np.asarray, (images, true, predicted))
    wrong = np.flatnonzero(true != predicted)[:limit]
    cols = 6                    # six a row: the titles stay readable when a page scales the figure down
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = _image_grid(rows, cols, cell=(2.0, 2.35), top=0.95, title=0.4)
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{class_names[true[i]]} → {class_names[predicted[i]]}", fontsize=12, color="crimson")
    fig.suptitle(title or f"misclassified test images (true → predicted), first {len(wrong)}", fontsize=14)
    return fig


def plot_conv_filters(W, *, title: str = ""):
    """The first convolution's kernels W (n_1, channels, k, k), one small image each (channel 0;
    blue negative, red positive, on one colour scale)."""
    W = np.asarray(W)[:, 0]
    cols = min(8, len(W))
    rows = int(np.ceil(len(W) / cols))
    limit = np.abs(W).max() or 1.0
    fig, axes = _image_grid(rows, cols, cell=(1.1, 1.1))
    for k, (ax, kernel) in enumerate(zip(axes.flat, W)):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(k + 1), fontsize=7)
    fig.suptitle(title or f"first-layer filters ({W.shape[1]}×{W.shape[2]}, {len(W)} channels)", fontsize=10)
    return fig


def plot_feature_maps(images, maps, *, channels: int = 8, title: str = ""):
    """Each image (a row) beside its first `channels` feature maps after the first convolution
    and activation: images (n, H, W), maps (n, n_1, H', W')."""
    images, maps = np.asarray(images), np.asarray(maps)
    channels = min(channels, maps.shape[1])
    fig, axes = _image_grid(len(images), channels + 1, cell=(1.1, 1.15))
    for row, (image, image_maps) in enumerate(zip(images, maps)):
        axes[row, 0].imshow(image, cmap="gray_r")
        for c in range(channels):
            axes[row, c + 1].imshow(image_maps[c], cmap="viridis")
            if row == 0:
                axes[row, c + 1].set_title(f"channel {c + 1}", fontsize=7)
    axes[0, 0].set_title("image", fontsize=7)
    fig.suptitle(title or "feature maps of the first convolution (after the activation)", fontsize=10)
    return fig


def plot_decision_regions(ax, predict_fn, X, y, *, title: str = "", resolution: int = 200,
                          margins_fn=None, support=None):
    """Colour the plane by predict_fn(grid) ∈ {0, 1}, scatter the samples by class.

    margins_fn: optional f(grid) whose levels −1, 0, +1 are drawn (SVM margins and boundary);
    support: optional indices of samples to circle (support vectors).
    """
    X, y = np.asarray(X), np.asarray(y)
    pad = 0.5
    x1 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    x2 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    g1, g2 = np.meshgrid(x1, x2)
    grid = np.column_stack([g1.ravel(), g2.ravel()]).astype(X.dtype)
    regions = np.asarray(predict_fn(grid)).reshape(g1.shape)
    ax.contourf(g1, g2, regions, levels=[-0.5, 0.5, 1.5], colors=["#f4c7a1", "#a9c8ec"], alpha=0.6)
    if margins_fn is not None:
        f = np.asarray(margins_fn(grid)).reshape(g1.shape)
        ax.contour(g1, g2, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
    for label, colour, marker in [(0, "#d95f02", "o"), (1, "#1f78b4", "s")]:
        ax.scatter(*X[y == label].T, s=14, c=colour, marker=marker, edgecolors="none", label=f"class {label}")
    if support is not None:
        ax.scatter(*X[np.asarray(support)].T, s=70, facecolors="none", edgecolors="k", linewidths=0.9,
                   label=f"support vectors ({len(support)})")
    ax.set(xlabel="x₁", ylabel="x₂", title=title)
    ax.legend(fontsize=7, loc="upper right")
    return ax
