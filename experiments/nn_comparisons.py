"""Lecture figures for the neural-network part, on MNIST and Fashion-MNIST:
learning curves; sigmoid vs tanh vs ReLU; quadratic vs cross-entropy loss; raw 0–255 pixels vs
scaled inputs ("normalisation is very important"); batch size × learning rate (each row of
learning rates trained at once by `sweeps.train_many`)."""

import jax.numpy as jnp
import numpy as np
from _common import parse_args, write_summary
from _nn_common import data, train_curve

from jaxlearn import plots, sweeps
from jaxlearn.training import TrainConfig, evaluate

NAME = "nn_comparisons"


def curves_figure(results: dict, title: str, path):
    """Validation accuracy and training loss per epoch for each labelled run."""
    fig, (ax_acc, ax_loss) = plots.new_axes(2, width=5.0, height=3.8)
    for label, r in results.items():
        epochs = [h["epoch"] for h in r["history"]]
        ax_acc.plot(epochs, [100 * h["val_accuracy"] for h in r["history"]], "o-", ms=3,
                    label=f"{label} (test {100 * r['test_accuracy']:.1f}%)")
        ax_loss.plot(epochs, [h["train_loss"] for h in r["history"]], "o-", ms=3, label=label)
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)", title=f"{title}: accuracy")
    ax_loss.set(xlabel="epoch", ylabel="training loss (each run's own loss)", yscale="log",
                title=f"{title}: training loss")
    for ax in (ax_acc, ax_loss):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    plots.save(fig, path)


def main(out_dir, quick: bool = False) -> dict:
    epochs = 2 if quick else 8
    base = TrainConfig(hidden=(256, 256), epochs=epochs)
    summary = {}

    learning = {name: train_curve(TrainConfig(epochs=3 if quick else 15), data(name, quick=quick))
                for name in ("mnist", "fashion-mnist")}
    curves_figure(learning, "Default MLP 784-512-512-10", out_dir / "learning_curves.png")
    summary["learning_curves"] = learning

    mnist = data("mnist", quick=quick)
    activations = {a: train_curve(TrainConfig(**base.to_dict() | {"activation": a}), mnist)
                   for a in ("sigmoid", "tanh", "relu")}
    curves_figure(activations, "MNIST, hidden activation", out_dir / "activations.png")
    summary["activations"] = activations

    losses = {"cross-entropy + softmax": train_curve(base, mnist),
              "quadratic + sigmoid": train_curve(TrainConfig(**base.to_dict() | {"loss": "quadratic"}), mnist)}
    curves_figure(losses, "MNIST, loss function", out_dir / "losses.png")
    summary["losses"] = losses

    scaling = {"scaled to [0, 1]": losses["cross-entropy + softmax"],
               "raw 0–255 pixels": train_curve(base, data("mnist", quick=quick, scale=False))}
    curves_figure(scaling, "MNIST, input normalisation", out_dir / "normalisation.png")
    summary["normalisation"] = scaling

    batch_sizes = [32, 128, 512] if not quick else [64, 256]
    rates = [1e-4, 1e-3, 1e-2] if not quick else [1e-3, 1e-2]
    grid = np.zeros((len(batch_sizes), len(rates)))
    for i, b in enumerate(batch_sizes):   # one row of the grid: all learning rates trained at once
        config = TrainConfig(**base.to_dict() | {"batch_size": b})
        sweep = sweeps.train_many(config, mnist["X_train"], mnist["y_train"], learning_rates=rates, n_classes=10,
                                  progress=False)
        for j in range(len(rates)):
            grid[i, j] = evaluate(sweep.model(j), jnp.asarray(mnist["X_test"]), jnp.asarray(mnist["y_test"]),
                                  config)["accuracy"]
    fig, ax = plots.new_axes(1, width=5.2, height=4.2)
    image = ax.imshow(100 * grid, cmap="viridis")
    for i in range(len(batch_sizes)):
        for j in range(len(rates)):
            bright = grid[i, j] > grid.min() + 0.6 * (grid.max() - grid.min())
            ax.text(j, i, f"{100 * grid[i, j]:.2f}", ha="center", va="center", fontsize=10,
                    color="black" if bright else "white")
    ax.set_xticks(range(len(rates)), [f"{r:g}" for r in rates])
    ax.set_yticks(range(len(batch_sizes)), batch_sizes)
    ax.set(xlabel="learning rate η (Adam)", ylabel="batch size",
           title=f"MNIST test accuracy (%) after {epochs} epochs")
    fig.colorbar(image, ax=ax)
    plots.save(fig, out_dir / "batch_size_learning_rate.png")
    summary["batch_size_learning_rate"] = {"batch_sizes": batch_sizes, "learning_rates": rates,
                                           "test_accuracy": grid.tolist()}
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    main(args.out, args.quick)
