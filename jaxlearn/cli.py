"""The `jaxlearn` command. Thin: argument parsing and printing; the work is in the library."""

import argparse
import platform
import sys
import time
from pathlib import Path

import jaxlearn


def _info(_args) -> int:
    """Versions and devices: what a bug report needs."""
    import jax
    import numpy as np
    import optax

    print(f"jaxlearn {jaxlearn.__version__}")
    print(f"python   {platform.python_version()} ({platform.machine()})")
    print(f"jax      {jax.__version__}, jaxlib {jax.lib.__version__}, optax {optax.__version__}, "
          f"numpy {np.__version__}")
    print(f"backend  {jax.default_backend()}; devices: {', '.join(str(d) for d in jax.devices())}")
    print(f"x64      {'on' if jax.config.jax_enable_x64 else 'off'} (jaxlearn follows the input dtype)")
    return 0


def _train(args) -> int:
    from jaxlearn import DivergenceError
    from jaxlearn.runs import train_and_evaluate
    from jaxlearn.train import TrainConfig

    if args.dtype == "float64":
        import jax
        jax.config.update("jax_enable_x64", True)  # asked for on the command line
    out = args.out or Path("runs") / f"{args.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        config = None if args.resume else TrainConfig(
            hidden=args.hidden, activation=args.activation, loss=args.loss, optimizer=args.optimizer,
            learning_rate=args.lr, schedule=args.schedule, batch_size=args.batch_size,
            epochs=args.epochs, seed=args.seed, gradient=args.gradient, dtype=args.dtype)
        result = train_and_evaluate(config, out, dataset=args.dataset, data_dir=args.data_dir,
                                    validation_size=args.validation_size, scale=not args.raw_pixels,
                                    resume=args.resume, progress=not args.no_progress)
    except KeyboardInterrupt:
        return 130
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, DivergenceError) as err:
        print(f"jaxlearn train: error: {err}", file=sys.stderr)
        return 1
    last = result["history"][-1]
    print(f"epochs {last['epoch']}: train loss {last['train_loss']:.4f}"
          + (f", validation accuracy {100 * last['val_accuracy']:.2f}%" if "val_accuracy" in last else ""))
    print(f"test accuracy {100 * result['test_accuracy']:.2f}% (test loss {result['test_loss']:.4f})")
    print(f"run folder: {out} (config.json, metrics.json, params.npz, curves.png, confusion.png, "
          "misclassified.png)")
    return 0


def _evaluate(args) -> int:
    from jaxlearn.runs import evaluate_run

    try:
        metrics = evaluate_run(args.run_dir, data_dir=args.data_dir)
    except (ValueError, FileNotFoundError) as err:
        print(f"jaxlearn evaluate: error: {err}", file=sys.stderr)
        return 1
    print(f"test accuracy {100 * metrics['accuracy']:.2f}% (test loss {metrics['loss']:.4f})")
    return 0


def _positive_ints(text: str) -> tuple:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes such as 512,512, got {text!r}")
    if any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError(f"hidden layer sizes must be > 0, got {text!r}")
    return sizes


def _add_train(commands) -> None:
    from jaxlearn import nn, train

    defaults = train.TrainConfig()
    p = commands.add_parser("train", help="train an MLP on MNIST or Fashion-MNIST",
                            description="Train an MLP; writes config, metrics, parameters and figures "
                                        "into the run folder and prints the test accuracy.")
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder with the IDX files (default: $JAXLEARN_DATA_DIR, the cache, or download)")
    p.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<dataset>-<time>)")
    p.add_argument("--hidden", type=_positive_ints, default=defaults.hidden,
                   help=f"hidden layer sizes (default: {','.join(map(str, defaults.hidden))})")
    p.add_argument("--activation", choices=list(nn.ACTIVATIONS), default=defaults.activation)
    p.add_argument("--loss", choices=list(nn.LOSSES), default=defaults.loss)
    p.add_argument("--optimizer", choices=list(train.OPTIMIZERS), default=defaults.optimizer)
    p.add_argument("--lr", type=float, default=defaults.learning_rate, help="learning rate η")
    p.add_argument("--schedule", choices=list(train.SCHEDULES), default=defaults.schedule)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--gradient", choices=list(train.GRADIENTS), default=defaults.gradient,
                   help="autodiff (jax.grad) or backprop (the lecture's equations by hand)")
    p.add_argument("--dtype", choices=list(train.DTYPES), default=defaults.dtype)
    p.add_argument("--validation-size", type=int, default=5000,
                   help="training images held out for validation (default 5000)")
    p.add_argument("--raw-pixels", action="store_true", help="feed 0–255 pixels instead of [0, 1]")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxlearn",
        description="The 'Introduction to Machine Learning' lecture as a JAX library.")
    parser.add_argument("--version", action="version", version=f"jaxlearn {jaxlearn.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("info", help="print versions, the JAX backend and its devices").set_defaults(run=_info)
    _add_train(commands)
    evaluate = commands.add_parser("evaluate", help="reload a run folder and report its test accuracy")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--data-dir", type=Path, default=None)
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "train" and args.resume and args.out is None:
        parser.error("--resume needs --out RUN_DIR (the run to continue)")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
