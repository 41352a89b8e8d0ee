"""The `jaxlearn` command. Thin: argument parsing and printing; the work is in the library."""

import os
import sys


def _as_the_command() -> bool:
    """Whether this module is the `jaxlearn` command's (python -m jaxlearn[.cli], or the script)."""
    return __name__ == "__main__" or os.path.basename(sys.argv[0]) in ("jaxlearn", "__main__.py")


try:
    import argparse
    import platform
    import time
    import warnings
    from pathlib import Path

    import jaxlearn
    from jaxlearn import _interrupts, cli_study
    from jaxlearn.cli_options import (  # noqa: F401 (re-exported)
        DATA_OPTIONS,
        EXIT_FAILED,
        EXIT_INTERRUPTED,
        EXIT_STALLED,
        EXIT_USAGE,
        _given,
        _option,
        add_config_options,
        add_data_options,
    )
    from jaxlearn.cli_processes import _join_processes, _process_settings
except KeyboardInterrupt:
    # Ctrl-C while the command starts, before main() records it: the same exit as during a run
    # (130, "interrupted"), not a traceback from an import. Imported as a library, it propagates.
    if not _as_the_command():
        raise
    print("\ninterrupted", file=sys.stderr)
    sys.exit(130)

# Only light imports above: main() installs its Ctrl-C handler before JAX is imported.


def _info(_args) -> int:
    """Versions and devices: what a bug report needs."""
    import jax
    import numpy as np
    import optax

    print(f"jaxlearn {jaxlearn.__version__}")
    print(f"python   {platform.python_version()} ({platform.machine()})")
    print(f"jax      {jax.__version__}, jaxlib {jax.lib.__version__}, optax {optax.__version__}, "
          f"numpy {np.__version__}")
    print(f"backend  {jax.default_backend()}; devices: {', '.join(str(d) for d in jax.devices())} "
          f"(process {jax.process_index()} of {jax.process_count()})")
    print(f"x64      {'on' if jax.config.jax_enable_x64 else 'off'} (jaxlearn follows the input dtype)")
    return 0


# Exit codes besides 0 and argparse's 2 (usage): 1 a failed run, 3 a run that ended without learning
# (jaxlearn.stall; its folder is written), 130 Ctrl-C (128 + SIGINT, as shells report it).


def _run_dtype(config, run_dir) -> str:
    """The run's dtype: the given config's, else the one saved in run_dir (float32 when unreadable:
    the run's own checks then name what is wrong with the folder)."""
    if config is not None:
        return config.dtype
    from jaxlearn.training.runs import read_run_config

    try:
        return read_run_config(run_dir)["config"].dtype
    except ValueError:
        return "float32"


def _train(args) -> int:
    import jax

    from jaxlearn import DivergenceError
    from jaxlearn.training.config import TrainConfig
    from jaxlearn.training.runs import NothingToResumeError, train_and_evaluate

    try:
        processes = _process_settings(args)
        if processes is not None:
            _join_processes(processes, args.coordinator_timeout)
    except (ValueError, ConnectionError) as err:
        print(f"jaxlearn train: error: {err}", file=sys.stderr)
        return 1
    first = jax.process_index() == 0        # only process 0 prints (and writes the run folder)
    given = _given(args)
    if args.resume:
        changed = [_option(f) for f in given] + [_option(o) for o in DATA_OPTIONS if hasattr(args, o)]
        if changed:
            print(f"jaxlearn train: error: {', '.join(changed)} cannot be given with --resume: a resumed run "
                  f"keeps the settings saved in {args.out / 'config.json'}. To change them, start a new run in "
                  "another --out folder.", file=sys.stderr)
            return EXIT_USAGE
    out = args.out or Path("runs") / f"{getattr(args, 'dataset', 'mnist')}-{time.strftime('%Y%m%d-%H%M%S')}"
    x64_before = jax.config.jax_enable_x64
    try:
        config = None if args.resume else TrainConfig(**given)
        # float64 needs x64, switched back below. Only then: x64 also changes a float32 run's
        # program (optax computes its schedule and Adam's bias correction in float64), so a
        # float32 run resumed under x64 ended ~1e-4 away from the uninterrupted one.
        if _run_dtype(config, args.out if args.resume else None) == "float64":
            jax.config.update("jax_enable_x64", True)
        result = train_and_evaluate(config, out, dataset=getattr(args, "dataset", "mnist"), data_dir=args.data_dir,
                                    validation_size=getattr(args, "validation_size", 5000),
                                    train_size=getattr(args, "train_size", None),
                                    scale=not getattr(args, "raw_pixels", False), resume=args.resume,
                                    progress=("lines" if args.no_progress else True) if first else False,
                                    tensorboard=args.tensorboard,
                                    devices=args.devices,
                                    log=print if first else lambda message: None)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except NothingToResumeError as err:     # a request that does not fit the folder: a usage error
        print(f"jaxlearn train: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError, OSError, ImportError, DivergenceError) as err:
        print(f"jaxlearn train: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        jax.config.update("jax_enable_x64", x64_before)
    if not first:
        return 0
    last = result["history"][-1]
    print(f"epochs {last['epoch']}: train loss {last['train_loss']:.4f}"
          + (f", validation accuracy {100 * last['val_accuracy']:.2f}%" if "val_accuracy" in last else ""))
    print(f"test accuracy {100 * result['test_accuracy']:.2f}% (test loss {result['test_loss']:.4f})")
    print(f"run folder: {out} ({', '.join(sorted(p.name for p in out.iterdir() if not p.name.startswith('.')))})")
    if result["stalled"]:
        print(f"jaxlearn train: error: the run ended without learning (accuracy at chance; see the "
              f"StalledTrainingWarning above); its folder {out} was written. Try a smaller --lr.", file=sys.stderr)
        return EXIT_STALLED
    return 0


def _evaluate(args) -> int:
    import jax

    from jaxlearn.training.runs import evaluate_run

    x64_before = jax.config.jax_enable_x64
    try:
        if _run_dtype(None, args.run_dir) == "float64":    # a float64 run's parameters stay float64
            jax.config.update("jax_enable_x64", True)
        metrics = evaluate_run(args.run_dir, data_dir=args.data_dir)
    except (ValueError, TypeError, OSError) as err:
        print(f"jaxlearn evaluate: error: {err}", file=sys.stderr)
        return 1
    finally:
        jax.config.update("jax_enable_x64", x64_before)
    print(f"test accuracy {100 * metrics['accuracy']:.2f}% (test loss {metrics['loss']:.4f})")
    return 0


def _verify(args) -> int:
    """Every hand-derived formula through jaxlearn.gradcheck; the table, non-zero on a failure."""
    from jaxlearn.gradcheck import verify

    chosen = verify.selected(args.quick)
    rows = []
    for i, formula in enumerate(chosen, start=1):
        row = verify.verify_formula(formula)
        rows.append(row)
        if not args.markdown:
            print(f"[{i}/{len(chosen)}] {'pass' if row.ok else 'FAIL'}  {formula.name} ({row.seconds:.1f} s)",
                  file=sys.stderr)
    print(verify.table(rows, markdown=args.markdown))
    failed = [row for row in rows if not row.ok]
    for row in failed:
        for dtype, report in row.failures.items():
            print(f"\n{row.formula} ({dtype}):\n{report}", file=sys.stderr)
    print(f"\n{len(rows) - len(failed)} of {len(rows)} formulas pass"
          + (f"; FAILED: {', '.join(row.formula for row in failed)}" if failed else ""), file=sys.stderr)
    return EXIT_FAILED if failed else 0


def _add_train(commands) -> None:
    # the options default to "not given" (argparse.SUPPRESS): --resume can tell what was asked for
    p = commands.add_parser("train", help="train an MLP or a CNN on MNIST or Fashion-MNIST",
                            description="Train an MLP (or with --model cnn a convolutional network); writes config, "
                                        "metrics, parameters and figures into the run folder and prints the test "
                                        "accuracy.")
    add_data_options(p)
    p.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<dataset>-<time>)")
    add_config_options(p)
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run in --out, with its saved settings")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar: one line per epoch (the default when the output is not a terminal)")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write each epoch's metrics as TensorBoard scalars into RUN_DIR/tensorboard (needs "
                        "pip install 'jaxlearn[tensorboard]')")
    p.add_argument("--devices", type=int, default=None,
                   help="data parallelism over the first N devices (default: every device JAX sees, and with "
                        "--resume as many as the run used; each batch is split over them, so --batch-size must be "
                        "a multiple of N)")
    several = p.add_argument_group("several processes (one per host or GPU; see the README's 'Scaling out')")
    several.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                         help="process 0's address and a free port, the same for every process "
                              "(or $JAXLEARN_COORDINATOR)")
    several.add_argument("--num-processes", type=int, default=None, help="processes in the run "
                         "(or $JAXLEARN_NUM_PROCESSES)")
    several.add_argument("--process-id", type=int, default=None, help="this process, 0 … P−1; 0 writes the run "
                         "folder (or $JAXLEARN_PROCESS_ID)")
    several.add_argument("--cluster-auto", action="store_true",
                         help="let jax.distributed detect the processes (SLURM and the clusters JAX knows)")
    several.add_argument("--coordinator-timeout", type=int, default=120, metavar="SECONDS",
                         help="how long to wait for all processes to join (default 120)")
    p.set_defaults(run=_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxlearn",
        description="The 'Introduction to Machine Learning' lecture as a JAX library.")
    parser.add_argument("--version", action="version", version=f"jaxlearn {jaxlearn.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("info", help="print versions, the JAX backend and its devices").set_defaults(run=_info)
    _add_train(commands)
    evaluate = commands.add_parser("evaluate", help="reload a run folder and report its test accuracy",
                                   description="Reload a finished run's params.npz and config.json and print its "
                                               "test loss and accuracy.")
    evaluate.add_argument("run_dir", type=Path, help="the run folder (written by 'jaxlearn train --out RUN_DIR')")
    evaluate.add_argument("--data-dir", type=Path, default=None,
                          help="folder with the IDX files of the run's data set (default: $JAXLEARN_DATA_DIR, the "
                               "cache, or download)")
    evaluate.set_defaults(run=_evaluate)
    cli_study.add_commands(commands)
    verify = commands.add_parser(
        "verify", help="check every hand-derived gradient of the library against jax.grad and finite differences",
        description="Runs each hand-derived formula (least squares, ridge, logistic and softmax cross-entropy, "
                    "the hinge, the logistic Hessian, backpropagation for every activation, loss and output, the "
                    "convolution, pooling, batch normalisation, dropout and whole-CNN backward passes) through "
                    "jaxlearn.gradcheck.check_gradient in float32 and float64; exits 1 if any fails.")
    verify.add_argument("--quick", action="store_true",
                        help="backpropagation for the cross-entropy only (one formula per activation)")
    verify.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the docs)")
    verify.set_defaults(run=_verify)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"jaxlearn: {category.__name__}: {message}\n"


def main(argv=None) -> int:
    # jaxlearn's warnings as one line each, "jaxlearn: StalledTrainingWarning: …" (the process is ours)
    warnings.formatwarning = _one_line_warning
    try:
        # Ctrl-C from here on is recorded and acted on at the run's safe points (jaxlearn._interrupts),
        # also while JAX is imported and programs compile; outside a run it ends the command here.
        with _interrupts.deferred_interrupts():
            return _main(argv)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv) -> int:
    from jaxlearn.compilation_cache import library_cache

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "train" and args.resume and args.out is None:
        parser.error("--resume needs --out RUN_DIR (the run to continue)")
    _interrupts.check()
    with library_cache():   # a second run of the same command compiles nothing
        return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
