"""The issue's accuracy targets, measured: the default MLP on MNIST (10 epochs) and on
Fashion-MNIST (20 epochs) over three seeds, and autodiff vs the hand-written backprop."""

import numpy as np
from _common import parse_args, write_summary
from _nn_common import data, train_curve

from jaxlearn.training import TrainConfig

NAME = "mnist_targets"
RUNS = {"mnist": TrainConfig(epochs=10), "fashion-mnist": TrainConfig(epochs=20)}


def main(out_dir, quick: bool = False) -> dict:
    seeds = [0] if quick else [0, 1, 2]
    summary = {}
    for name, config in RUNS.items():
        if quick:
            config = TrainConfig(**config.to_dict() | {"epochs": 2})
        runs = [train_curve(TrainConfig(**config.to_dict() | {"seed": s}), data(name, quick=quick)) for s in seeds]
        accuracies = [r["test_accuracy"] for r in runs]
        summary[name] = {"config": config.to_dict(), "seeds": seeds, "test_accuracy": accuracies,
                         "mean": float(np.mean(accuracies)), "std": float(np.std(accuracies)),
                         "seconds": [r["seconds"] for r in runs]}
        print(f"{name}: test accuracy {[f'{100 * a:.2f}%' for a in accuracies]}, "
              f"mean {100 * np.mean(accuracies):.2f}% ± {100 * np.std(accuracies):.2f}")
    gradient_sources = {}
    for gradient in ("autodiff", "backprop"):
        config = TrainConfig(**RUNS["mnist"].to_dict() | {"gradient": gradient, "epochs": 2 if quick else 10})
        run = train_curve(config, data("mnist", quick=quick))
        gradient_sources[gradient] = {"test_accuracy": run["test_accuracy"], "seconds": run["seconds"]}
        print(f"mnist with gradient={gradient}: test accuracy {100 * run['test_accuracy']:.2f}% "
              f"in {run['seconds']:.1f} s")
    summary["gradient_sources"] = gradient_sources
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    main(args.out, args.quick)
