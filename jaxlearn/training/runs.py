"""A training run in a folder: config, per-epoch metrics, checkpoints, parameters and figures.

    run_dir/config.json      the TrainConfig plus the data set and validation split
    run_dir/metrics.json     metrics per epoch, and the test result at the end
    run_dir/checkpoint.npz   the state after the last finished epoch (for --resume)
    run_dir/params.npz       the final parameters
    run_dir/curves.png, confusion.png, misclassified.png

The CLI's `train` and `evaluate` commands are thin wrappers over `train_and_evaluate` and
`evaluate_run`.
"""

import dataclasses
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import _interrupts as interrupts
from jaxlearn._errors import DivergenceError
from jaxlearn._files import atomic_write, remove_stale_temporaries
from jaxlearn.data.mnist import flatten_images, load_mnist
from jaxlearn.nn.augment import check_augmentations
from jaxlearn.parallel import data_mesh, describe, device_count, host_copy
from jaxlearn.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_model,
    load_params,
    save_checkpoint,
    save_params,
)
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.data import prepare_data  # noqa: F401 (re-exported: its home was here)
from jaxlearn.training.ema import ema_model
from jaxlearn.training.evaluate import evaluate
from jaxlearn.training.figures import test_and_plot
from jaxlearn.training.loop import fit, init_state
from jaxlearn.training.tensorboard import EpochWriter

CONFIG, METRICS, CHECKPOINT, PARAMS = "config.json", "metrics.json", "checkpoint.npz", "params.npz"
# config.json: the TrainConfig under "config", and how the data were prepared
RUN_KEYS = ("config", "dataset", "validation_size", "train_size", "scale", "data_source", "devices", "device_count",
            "study")
# absent in earlier versions' folders; "study": the grid of a study folder (jaxlearn.sweeps.study)
OPTIONAL_RUN_KEYS = {"data_source", "devices", "device_count", "train_size", "study"}


class RunFolderError(ValueError):
    """A run folder cannot be used: not writable, damaged files, or a request that does not fit it."""


class NothingToResumeError(RunFolderError):
    """--resume of a run that has nothing left to train: finished, or no epoch checkpointed yet.
    A request that does not fit the folder, like a bad option (the CLI exits 2), not a failure."""


def _write_json(path: Path, data) -> None:
    atomic_write(path, lambda f: f.write((json.dumps(data, indent=2) + "\n").encode()))


def _writable_folder(run_dir: Path) -> None:
    """Create run_dir if needed and make sure files can be written in it, before any training."""
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"the run folder {run_dir} is a file, not a folder; choose another --out")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(run_dir / ".write-test", lambda f: f.write(b"ok"))
        (run_dir / ".write-test").unlink()
    except OSError as err:
        raise RunFolderError(f"cannot write into the run folder {run_dir} ({err.strerror or err}); "
                             "choose another --out") from None


def read_run_config(run_dir) -> dict:
    """config.json of a run folder, checked: {"config": TrainConfig, "dataset", "validation_size", …}.

    Raises:
        RunFolderError: the file is missing, not JSON, has unknown or missing keys, or invalid values.
    """
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise RunFolderError(f"{path} does not exist: is {run_dir} a run folder?")
    restore = "restore it from a copy, or start a new run in another folder"
    try:
        saved = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunFolderError(f"{path} is not valid JSON ({err}); {restore}") from None
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise RunFolderError(f"{path} does not hold a run's configuration; {restore}")
    unknown = sorted(set(saved) - set(RUN_KEYS)) + sorted(
        set(saved["config"]) - {f.name for f in dataclasses.fields(TrainConfig)})
    missing = sorted(set(RUN_KEYS) - OPTIONAL_RUN_KEYS - set(saved))
    if unknown or missing:
        what = "; ".join(filter(None, [unknown and f"unknown key(s) {', '.join(map(repr, unknown))}",
                                       missing and f"missing key(s) {', '.join(map(repr, missing))}"]))
        raise RunFolderError(f"{path}: {what}; {restore}")
    try:
        saved["config"] = TrainConfig(**saved["config"])
    except (TypeError, ValueError) as err:
        raise RunFolderError(f"{path}: {err}; {restore}") from None
    return saved


def _config_differences(given: TrainConfig, saved: TrainConfig) -> list[str]:
    return [f"{name}={getattr(given, name)!r} (the run has {getattr(saved, name)!r})"
            for name in (f.name for f in dataclasses.fields(TrainConfig))
            if getattr(given, name) != getattr(saved, name)]


@interrupts.deferred_interrupts()    # Ctrl-C during start-up, training or testing: never lost (`interrupts`)
def train_and_evaluate(config: TrainConfig, run_dir, *, dataset: str = "mnist", data_dir=None,
                       validation_size: int = 5000, train_size: int | None = None, scale: bool = True,
                       resume: bool = False, tensorboard: bool = False,
                       progress=True, log=print, devices=None) -> dict:
    """Train (or resume) a run in run_dir, then test it and write its files and figures.

    With resume=True the run's saved config is used and training continues after the
    last checkpointed epoch; the result equals an uninterrupted run's bit for bit on the same
    number of devices (a resumed run's default: the number the run used), and up to the order of
    floating-point sums on another. tensorboard=True also writes each epoch's metrics as
    TensorBoard scalars (`jaxlearn.training.tensorboard`). devices: as `jaxlearn.training.fit` (data parallelism;
    default every device);
    config.json (a new run) and metrics.json (each session) name the devices used. With
    several processes (`jax.distributed`) every process runs this with the same arguments and
    computes, and only process 0 writes the run folder (on a folder all of them can read, for
    --resume).

    Returns:
        The final metrics: {"test_accuracy", "test_loss", "history", ...}.
    """
    run_dir = Path(run_dir)
    writer = jax.process_index() == 0        # the one process that writes the run folder
    saved = read_run_config(run_dir) if resume else None
    if writer:
        _writable_folder(run_dir)
        remove_stale_temporaries(run_dir)  # left by a process killed while writing
    if resume:
        differences = [] if config is None else _config_differences(config, saved["config"])
        if differences:
            raise RunFolderError(
                f"a resumed run keeps the configuration in {run_dir / CONFIG}, but {', '.join(differences)} was "
                "asked for; to change it, start a new run in another folder")
        config = saved["config"]
        dataset, validation_size, scale = saved["dataset"], saved["validation_size"], saved["scale"]
        train_size = saved.get("train_size")
        if not (run_dir / CHECKPOINT).is_file():
            raise NothingToResumeError(f"{run_dir / CHECKPOINT} does not exist: nothing to resume (no epoch of this "
                                 "run finished)")
    elif writer and (run_dir / CHECKPOINT).exists():
        raise FileExistsError(f"{run_dir} already holds a run; use --resume to continue it or pick "
                              "another --out folder")
    elif config is None:
        raise ValueError("config is required for a new run (config=None only with resume=True)")
    check_augmentations(config.augment + (("flip",) if config.test_flip else ()), dataset)  # no mirrored digits
    if resume and devices is None:
        devices = _saved_devices(saved)
    mesh = data_mesh(devices)                     # checks devices before any work
    used = describe(mesh)
    log(f"training on {used}")
    data = prepare_data(dataset, data_dir, validation_size=validation_size, seed=config.seed,
                        scale=scale, dtype=config.dtype, train_size=train_size)
    if writer and not resume:
        _write_json(run_dir / CONFIG, {"config": config.to_dict(), "dataset": dataset,
                                       "validation_size": validation_size, "train_size": train_size,
                                       "scale": scale,
                                       "data_source": data["source"], "devices": used,
                                       "device_count": device_count(mesh)})
    state, start_epoch, history = None, 0, []
    if resume:
        template, _ = init_state(config, data["X_train"].shape[1], len(data["class_names"]),
                                 data["X_train"].shape[0] // config.batch_size)
        state, start_epoch, history = load_checkpoint(run_dir / CHECKPOINT, template)
        if start_epoch >= config.epochs and _finished(run_dir):
            raise NothingToResumeError(
                f"{run_dir} has finished all {config.epochs} epochs: nothing to resume. Test it again with "
                f"'jaxlearn evaluate {run_dir}'; to train longer, start a new run with --epochs in another "
                "folder (the learning-rate schedule spans the whole run, so a longer run is another run)")
        log(f"resuming {run_dir} after epoch {start_epoch} of {config.epochs}")

    events = EpochWriter(run_dir) if tensorboard and writer else None     # before training: a missing extra fails now

    def checkpoint(epoch, state, history):
        if writer:
            save_checkpoint(run_dir / CHECKPOINT, host_copy(state), epoch, history)
            _write_json(run_dir / METRICS, {"history": history})
            if events is not None:
                events(history[-1])

    started = time.perf_counter()
    try:
        interrupts.check()
        state, history = fit(config, data["X_train"], data["y_train"], data["X_val"], data["y_val"],
                             n_classes=len(data["class_names"]), state=state, start_epoch=start_epoch, history=history,
                             on_epoch_end=checkpoint, progress=progress, devices=devices)
    except KeyboardInterrupt:
        log(_interrupted_message(run_dir))
        raise
    except DivergenceError as err:
        _, good_history = err.result
        where = (f"The checkpoint of epoch {good_history[-1]['epoch']}, the last good one, is in "
                 f"{run_dir / CHECKPOINT}." if good_history else
                 "No checkpoint was written.")
        raise DivergenceError(f"{err} {where}", err.result) from None
    finally:
        if events is not None:
            events.close()
    seconds = time.perf_counter() - started
    try:
        interrupts.check()
        # the model: the trained weights, or their average with its own batch statistics (ema_decay > 0)
        trained = ema_model(config, host_copy(state), data["X_train"])
        if writer:
            save_params(run_dir / PARAMS, trained.params, trained.batch_stats)
        result = test_and_plot(trained, config, data, run_dir, dataset, history, write=writer)
        result |= {"history": history, "train_seconds_this_session": seconds, "devices_this_session": used,
                   "stalled": bool(history and history[-1].get("stalled", False))}
        if writer:
            _write_json(run_dir / METRICS, result)
        interrupts.check()
    except KeyboardInterrupt:
        log(_interrupted_message(run_dir))
        raise
    return result


def _saved_devices(saved: dict):
    """A resumed run's default devices: as many as the run used, where this process sees that many
    (the same batches split the same way: bit-identical to the uninterrupted run); else every
    device (the same parameters up to the order of floating-point sums)."""
    count = saved.get("device_count")
    return count if isinstance(count, int) and 0 < count <= len(jax.devices()) else None


def _interrupted_message(run_dir: Path) -> str:
    if (run_dir / CHECKPOINT).is_file():
        return (f"\ninterrupted: the checkpoint of the last finished epoch is in {run_dir / CHECKPOINT}.\n"
                f"continue with: jaxlearn train --resume --out {run_dir}")
    return (f"\ninterrupted before the first epoch finished: no checkpoint was written, so there is nothing to "
            f"resume; start the run again (the folder {run_dir} may be reused)")


def _finished(run_dir: Path) -> bool:
    """The run's final parameters and test result are written and readable."""
    try:
        load_params(run_dir / PARAMS)
        return "test_accuracy" in json.loads((run_dir / METRICS).read_text())
    except (OSError, ValueError):
        return False


def evaluate_run(run_dir, *, data_dir=None) -> dict:
    """Reload a finished run's parameters and report its test loss and accuracy.

    Raises:
        RunFolderError: config.json or params.npz is missing or damaged (the message says what to do).
    """
    run_dir = Path(run_dir)
    saved = read_run_config(run_dir)
    config = saved["config"]
    try:
        trained = load_model(run_dir / PARAMS)
    except CheckpointError as err:
        raise RunFolderError(f"{err}. Is {run_dir} a finished run? If its {CHECKPOINT} is intact, "
                             f"'jaxlearn train --resume --out {run_dir}' writes {PARAMS} again") from None
    data = load_mnist(saved["dataset"], data_dir)
    X_test = flatten_images(data.test_images, scale=saved["scale"], dtype=np.dtype(config.dtype))
    try:
        config.network.check_params(trained.params, X_test.shape[1])
        config.network.check_state(trained.batch_stats)
    except (TypeError, ValueError) as err:
        raise RunFolderError(f"{run_dir / PARAMS} does not fit the run's data: {err}") from None
    return evaluate(trained, jnp.asarray(X_test), jnp.asarray(data.test_labels.astype(np.int32)), config)
