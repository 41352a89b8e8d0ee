"""The `jaxlearn` command. Thin: argument parsing and printing; the work is in the library."""

import argparse
import dataclasses
import platform
import sys
import time
import warnings
from pathlib import Path

import jaxlearn
from jaxlearn import _interrupts, cli_study

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
EXIT_FAILED, EXIT_USAGE, EXIT_STALLED, EXIT_INTERRUPTED = 1, 2, 3, 130


# TrainConfig field → its command-line option (the others are spelt as the field).
OPTION_NAMES = {"learning_rate": "lr"}
# Options that describe the data rather than the model; a resumed run keeps these too.
DATA_OPTIONS = ("dataset", "validation_size", "train_size", "raw_pixels")


def _option(field: str) -> str:
    return "--" + OPTION_NAMES.get(field, field).replace("_", "-")


def _config_fields() -> list[str]:
    from jaxlearn.training.config import TrainConfig

    return [f.name for f in dataclasses.fields(TrainConfig)]


def _given(args) -> dict:
    """The TrainConfig fields set on the command line (their options default to 'not given')."""
    return {field: getattr(args, field) for field in _config_fields() if hasattr(args, field)}


# Multi-process runs: the options, or these environment variables (the options win)
PROCESS_ENV = {"coordinator": "JAXLEARN_COORDINATOR", "num_processes": "JAXLEARN_NUM_PROCESSES",
               "process_id": "JAXLEARN_PROCESS_ID"}


def _process_settings(args) -> dict | None:
    """{coordinator, num_processes, process_id} from the options and environment, checked; None
    for a single-process run; {} to let JAX detect the cluster (--cluster-auto: SLURM and others)."""
    import os

    if args.cluster_auto:
        return {}
    given = {name: getattr(args, name) if getattr(args, name) is not None else os.environ.get(env)
             for name, env in PROCESS_ENV.items()}
    if all(value is None for value in given.values()):
        return None
    missing = [f"--{name.replace('_', '-')} (or ${PROCESS_ENV[name]})"
               for name, value in given.items() if value is None]
    if missing:
        raise ValueError(f"a multi-process run needs --coordinator, --num-processes and --process-id; missing "
                         f"{', '.join(missing)}")
    host, _, port = str(given["coordinator"]).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--coordinator must be HOST:PORT (process 0's address and a free port), got "
                         f"{given['coordinator']!r}")
    try:
        count, index = int(given["num_processes"]), int(given["process_id"])
    except ValueError:
        raise ValueError(f"--num-processes and --process-id must be integers, got {given['num_processes']!r} and "
                         f"{given['process_id']!r}") from None
    if count < 1:
        raise ValueError(f"--num-processes must be ≥ 1, got {count}")
    if not 0 <= index < count:
        raise ValueError(f"--process-id must be in [0, {count}) for --num-processes {count}, got {index}")
    return {"coordinator_address": str(given["coordinator"]), "num_processes": count, "process_id": index}


def _wait_for_coordinator(address: str, timeout: float) -> None:
    """Process 1 … P−1: poll process 0's coordinator port until it accepts, or raise after timeout
    (JAX itself would abort the whole process, with a C++ stack trace, when it cannot connect)."""
    import socket

    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=max(0.1, min(2.0, deadline - time.monotonic()))):
                return
        except OSError as err:
            if time.monotonic() >= deadline:
                raise ConnectionError(
                    f"could not join the other processes through {address} within {timeout:g} s (nothing answers "
                    f"there: {err}); start process 0 (--process-id 0) with the same --coordinator, its own address "
                    "and a free port, and every process with the same --num-processes") from None
            time.sleep(0.2)


def _join_processes(settings: dict, timeout: int) -> None:
    """jax.distributed.initialize before any JAX work; on CPUs the processes talk over gloo.

    If not every process joins within the timeout, JAX ends the process (DEADLINE_EXCEEDED); a
    process other than 0 first checks that the coordinator answers, with a clear message."""
    import jax

    if settings.get("process_id", 0) != 0:
        _wait_for_coordinator(settings["coordinator_address"], timeout)
    if settings:
        print(f"process {settings['process_id']} of {settings['num_processes']}: joining through "
              f"{settings['coordinator_address']} (waiting up to {timeout} s for all of them)", file=sys.stderr)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")   # CPU devices across processes
    jax.distributed.initialize(**settings, initialization_timeout=timeout)


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


def _names(text: str) -> tuple:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _positive_ints(text: str) -> tuple:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 512,512, got {text!r}") from None
    if any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError(f"hidden layer sizes must be > 0, got {text!r}")
    return sizes


def add_data_options(p) -> None:
    """--dataset, --data-dir, --train-size, --validation-size, --raw-pixels (train and sweep)."""
    not_given = argparse.SUPPRESS
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=not_given, help="(default: mnist)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder with the IDX files (default: $JAXLEARN_DATA_DIR, the cache, or download)")
    p.add_argument("--train-size", type=int, default=not_given, metavar="N",
                   help="train on a seeded subset of N of the training images (quick studies; default: all)")
    p.add_argument("--validation-size", type=int, default=not_given,
                   help="training images held out for validation (default 5000)")
    p.add_argument("--raw-pixels", action="store_true", default=not_given,
                   help="feed 0–255 pixels instead of [0, 1]")


def add_config_options(p, skip=()) -> None:
    """One option per TrainConfig field (but those in skip), absent from args unless given."""
    from jaxlearn import nn, training
    from jaxlearn.training.config import MODELS

    defaults = training.TrainConfig()
    not_given = argparse.SUPPRESS
    # one option per TrainConfig field, so that the two cannot drift apart (tested)
    choices = {"activation": list(nn.ACTIVATIONS), "loss": list(nn.LOSSES), "output": list(nn.OUTPUTS),
               "optimizer": list(training.OPTIMIZERS), "schedule": list(training.SCHEDULES),
               "gradient": list(training.GRADIENTS), "dtype": list(training.DTYPES), "model": list(MODELS),
               "init": list(nn.mlp.INITS)}
    helps = {"hidden": "hidden layer sizes", "learning_rate": "learning rate η (peak, for the cosine schedule)",
             "output": "output activation (default: softmax for cross_entropy, sigmoid for quadratic)",
             "momentum": "for --optimizer momentum", "epochs": "passes over the training set",
             "gradient": "autodiff (jax.grad) or backprop (the lecture's equations by hand)",
             "model": "mlp (dense layers, --hidden) or cnn (convolutions, --architecture)",
             "architecture": f"the CNN's layers joined by '-': {nn.cnn.LAYER_HELP}",
             "image_shape": "channels,height,width of the CNN's input images",
             "augment": "CNN only, on the device: any of shift,flip,erase (comma-separated; no flip on mnist)",
             "lam": "L2 penalty λ/2 Σ‖W‖² on the weights", "weight_decay": "decoupled weight decay (AdamW)",
             "init": "MLP initialisation (he, or scikit-learn's glorot_uniform)"}
    for field in dataclasses.fields(training.TrainConfig):
        if field.name in skip:
            continue
        default = getattr(defaults, field.name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        kind = {"hidden": _positive_ints, "learning_rate": float, "momentum": float, "lam": float,
                "weight_decay": float, "batch_size": int,
                "epochs": int, "seed": int, "image_shape": _positive_ints, "augment": _names}.get(field.name)
        help_text = helps.get(field.name, field.name.replace("_", " "))
        if field.name != "output":
            help_text += f" (default: {shown})"
        p.add_argument(_option(field.name), dest=field.name, type=kind, choices=choices.get(field.name),
                       default=not_given, help=help_text)


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
