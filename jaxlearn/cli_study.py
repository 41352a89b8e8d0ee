"""`jaxlearn sweep` and `jaxlearn compare`: thin wrappers over `jaxlearn.sweeps.study`."""

import argparse
import sys
from pathlib import Path

# No numpy or JAX at module level: `jaxlearn.cli` imports this module before it installs its
# Ctrl-C handler (a Ctrl-C during numpy's import would otherwise end in a traceback).


def _list_of(kind, example: str, what: str, ok):
    """An argparse type: comma-separated values of `kind`, each passing ok(value), else a message
    naming `what` (the option's quantity) and an example."""
    def parse(text: str) -> list:
        try:
            values = [kind(v) for v in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {'integers' if kind is int else 'numbers'} "
                                             f"such as {example}, got {text!r}") from None
        if not all(ok(v) for v in values):
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}")
        return values
    return parse


_rates = _list_of(float, "1e-3,3e-3", "learning rates must be > 0", lambda v: v > 0)
_non_negative = _list_of(float, "0,1e-4", "values must be ≥ 0", lambda v: v >= 0)
_seeds = _list_of(int, "0,1,2", "seeds must be ≥ 0", lambda v: v >= 0)
_rates_below_one = _list_of(float, "0,0.2,0.5", "dropout rates must be in [0, 1)", lambda v: 0 <= v < 1)


def _hidden_groups(text: str) -> list:
    """'64/128,64' → [(64,), (128, 64)]: hidden sizes separated by '/', each comma-separated."""
    try:
        groups = [tuple(int(n) for n in group.split(",")) for group in text.split("/")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected hidden sizes separated by '/', each comma-separated, such as "
                                         f"64/128,64, got {text!r}") from None
    if not all(n >= 1 for group in groups for n in group):
        raise argparse.ArgumentTypeError(f"hidden layer sizes must be ≥ 1, got {text!r}")
    return groups


def _sweep(args) -> int:
    from jaxlearn import cli_options
    from jaxlearn.sweeps.study import CHECKPOINT, resume_study, run_study
    from jaxlearn.training.config import TrainConfig

    given = [name for name in ("lr", "seeds", "weight_decays", "momenta", "dropouts", "hidden_groups")
             if getattr(args, name) is not None] + list(cli_options._given(args))
    given += [name for name in ("dataset", "train_size", "validation_size", "raw_pixels") if hasattr(args, name)]
    if args.resume and given:
        print(f"jaxlearn sweep: error: --resume continues the study with the settings it was started with; "
              f"remove {', '.join(given)}", file=sys.stderr)
        return 2
    if not args.resume and args.lr is None:
        print("jaxlearn sweep: error: the following arguments are required: --lr (or --resume)", file=sys.stderr)
        return 2
    try:
        if args.resume:
            result = resume_study(args.out, data_dir=args.data_dir, progress=not args.no_progress)
        else:
            config = TrainConfig(**cli_options._given(args))
            grid = {"weight_decay": args.weight_decays, "momentum": args.momenta, "dropout": args.dropouts,
                    "hidden": args.hidden_groups}
            result = run_study(config, args.out, learning_rates=args.lr, seeds=args.seeds or [0],
                               **{k: v for k, v in grid.items() if v is not None},
                               dataset=getattr(args, "dataset", "mnist"), data_dir=args.data_dir,
                               validation_size=getattr(args, "validation_size", 5000),
                               train_size=getattr(args, "train_size", None),
                               scale=not getattr(args, "raw_pixels", False), progress=not args.no_progress)
    except KeyboardInterrupt:
        if any(args.out.glob(f"{CHECKPOINT[:-4]}*.npz")):
            print(f"interrupted; the finished epochs are kept: continue with 'jaxlearn sweep --resume --out "
                  f"{args.out}'", file=sys.stderr)
        return cli_options.EXIT_INTERRUPTED
    except FileExistsError as err:
        print(f"jaxlearn sweep: error: {err}", file=sys.stderr)
        return 2 if args.resume else cli_options.EXIT_FAILED
    except (ValueError, TypeError, OSError) as err:
        print(f"jaxlearn sweep: error: {err}", file=sys.stderr)
        return cli_options.EXIT_FAILED
    sweep = result["sweep"]
    print((args.out / "summary.md").read_text().rstrip())
    best = result["best"]
    shape = "" if sweep.hidden is None else f"hidden {sweep.hidden[best]}, "
    swept = [f"{name} {values[best]:g}" for name, values in (("weight decay", sweep.weight_decays),
                                                            ("momentum", sweep.momenta), ("dropout", sweep.dropouts))
             if len(set(map(float, values))) > 1]
    print(f"best: {shape}learning rate {sweep.learning_rates[best]:g}, {', '.join(swept + [''])}seed "
          f"{sweep.seeds[best]}: test accuracy {100 * result['test_accuracy']:.2f}%")
    print(f"study folder: {args.out} (results.csv, summary.md, curves.png, and the best model: config.json, "
          "metrics.json, params.npz)")
    return 0


def _compare(args) -> int:
    from jaxlearn import plots
    from jaxlearn.sweeps.study import compare_runs, comparison_figure, comparison_table

    try:
        comparison = compare_runs(args.runs, metric=args.metric)
    except (ValueError, OSError) as err:
        print(f"jaxlearn compare: error: {err}", file=sys.stderr)
        return 1
    print(comparison_table(comparison))
    if args.figure is not None:
        plots.save(comparison_figure(comparison), args.figure)
        print(f"figure: {args.figure}")
    return 0


def add_commands(commands) -> None:
    from jaxlearn import cli_options

    p = commands.add_parser("sweep", help="train a grid of learning rates × seeds as one program (a study folder)",
                            description="Train every learning rate × seed (each seed its own initialisation and "
                                        "shuffles) as one vmapped program; writes results.csv, summary.md, "
                                        "curves.png and the best model (evaluable with 'jaxlearn evaluate').")
    cli_options.add_data_options(p)
    p.add_argument("--out", type=Path, required=True, help="the study folder")
    p.add_argument("--lr", type=_rates, default=None,
                   help="learning rates, comma-separated (e.g. 1e-3,3e-3,1e-2); required unless --resume")
    p.add_argument("--seeds", type=_seeds, default=None, help="seeds, comma-separated (default: 0)")
    p.add_argument("--weight-decay", dest="weight_decays", type=_non_negative, default=None,
                   help="decoupled weight decays, comma-separated (default: the config's, 0)")
    p.add_argument("--momentum", dest="momenta", type=_non_negative, default=None,
                   help="momenta for --optimizer momentum, comma-separated (default: 0.9)")
    p.add_argument("--dropout", dest="dropouts", type=_rates_below_one, default=None,
                   help="dropout rates of the hidden units, comma-separated (default: the config's, 0)")
    p.add_argument("--hidden-groups", type=_hidden_groups, default=None,
                   help="hidden sizes to compare, separated by '/' (e.g. 64/128,64): one program per size "
                        "(default: --hidden alone)")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted study in --out (its sweep is saved after every epoch)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    cli_options.add_config_options(p, skip=("learning_rate", "seed", "weight_decay", "momentum", "dropout"))
    p.set_defaults(run=_sweep)

    c = commands.add_parser("compare", help="compare run or study folders: differing settings and final metrics",
                            description="Print an aligned table of the runs' differing settings and final metrics; "
                                        "with --figure, their curves overlaid.")
    c.add_argument("runs", type=Path, nargs="+", help="run or study folders")
    c.add_argument("--metric", default="val_accuracy",
                   help="the per-epoch metric to compare (default: val_accuracy; also train_loss, train_accuracy, "
                        "val_loss)")
    c.add_argument("--figure", type=Path, default=None, help="write the curves overlaid to this PNG")
    c.set_defaults(run=_compare)
