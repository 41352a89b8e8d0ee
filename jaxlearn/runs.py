"""A training run in a folder: config, per-epoch metrics, checkpoints, parameters and figures.

    run_dir/config.json      the TrainConfig plus the data set and validation split
    run_dir/metrics.json     metrics per epoch, and the test result at the end
    run_dir/checkpoint.npz   the state after the last finished epoch (for --resume)
    run_dir/params.npz       the final parameters
    run_dir/curves.png, confusion.png, misclassified.png

The CLI's `train` and `evaluate` commands are thin wrappers over `train_and_evaluate` and
`evaluate_run`.
"""

import json
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import plots
from jaxlearn._errors import DivergenceError
from jaxlearn.checkpoint import load_checkpoint, load_params, save_checkpoint, save_params
from jaxlearn.data.mnist import flatten_images, load_mnist
from jaxlearn.train import TrainConfig, evaluate, fit, init_state, predict

CONFIG, METRICS, CHECKPOINT, PARAMS = "config.json", "metrics.json", "checkpoint.npz", "params.npz"


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def prepare_data(dataset: str, data_dir=None, *, validation_size: int = 5000, seed: int = 0,
                 scale: bool = True, dtype="float32") -> dict:
    """Flattened, scaled MNIST-style data with a seeded validation part carved from training."""
    data = load_mnist(dataset, data_dir)
    X = flatten_images(data.train_images, scale=scale, dtype=np.dtype(dtype))
    y = data.train_labels.astype(np.int32)
    if not 0 <= validation_size < X.shape[0]:
        raise ValueError(f"validation_size must be in [0, {X.shape[0]}), got {validation_size}")
    order = np.asarray(jax.random.permutation(jax.random.fold_in(jax.random.key(seed), 2), X.shape[0]))
    val, train = order[:validation_size], order[validation_size:]
    return {"X_train": X[train], "y_train": y[train], "X_val": X[val] if validation_size else None,
            "y_val": y[val] if validation_size else None,
            "X_test": flatten_images(data.test_images, scale=scale, dtype=np.dtype(dtype)),
            "y_test": data.test_labels.astype(np.int32), "test_images": data.test_images,
            "class_names": data.class_names, "source": str(data.source)}


def train_and_evaluate(config: TrainConfig, run_dir, *, dataset: str = "mnist", data_dir=None,
                       validation_size: int = 5000, scale: bool = True, resume: bool = False,
                       progress: bool = True, log=print) -> dict:
    """Train (or resume) a run in run_dir, then test it and write its files and figures.

    With resume=True the run's saved config is used and training continues after the
    last checkpointed epoch; the result equals an uninterrupted run's.

    Returns:
        The final metrics: {"test_accuracy", "test_loss", "history", ...}.
    """
    run_dir = Path(run_dir)
    if resume:
        saved = json.loads((run_dir / CONFIG).read_text())
        config = TrainConfig(**saved["config"])
        dataset, validation_size, scale = saved["dataset"], saved["validation_size"], saved["scale"]
        if not (run_dir / CHECKPOINT).is_file():
            raise FileNotFoundError(f"{run_dir / CHECKPOINT} does not exist: nothing to resume")
    elif (run_dir / CHECKPOINT).exists():
        raise FileExistsError(f"{run_dir} already holds a run; use --resume to continue it or pick "
                              "another --out folder")
    data = prepare_data(dataset, data_dir, validation_size=validation_size, seed=config.seed,
                        scale=scale, dtype=config.dtype)
    run_dir.mkdir(parents=True, exist_ok=True)
    _write_json(run_dir / CONFIG, {"config": config.to_dict(), "dataset": dataset,
                                   "validation_size": validation_size, "scale": scale,
                                   "data_source": data["source"]})
    state, start_epoch, history = None, 0, []
    if resume:
        template, _ = init_state(config, data["X_train"].shape[1], 10,
                                 data["X_train"].shape[0] // config.batch_size)
        state, start_epoch, history = load_checkpoint(run_dir / CHECKPOINT, template)
        log(f"resuming {run_dir} after epoch {start_epoch} of {config.epochs}")

    def checkpoint(epoch, state, history):
        save_checkpoint(run_dir / CHECKPOINT, state, epoch, history)
        _write_json(run_dir / METRICS, {"history": history})

    started = time.perf_counter()
    try:
        state, history = fit(config, data["X_train"], data["y_train"], data["X_val"], data["y_val"],
                             n_classes=10, state=state, start_epoch=start_epoch, history=history,
                             on_epoch_end=checkpoint, progress=progress)
    except KeyboardInterrupt:
        log(f"\ninterrupted: the checkpoint of the last finished epoch is in {run_dir / CHECKPOINT}.\n"
            f"continue with: jaxlearn train --resume --out {run_dir}")
        raise
    except DivergenceError as err:
        raise DivergenceError(f"{err} The last good checkpoint is in {run_dir / CHECKPOINT}.",
                              err.result) from None
    seconds = time.perf_counter() - started
    save_params(run_dir / PARAMS, state.params)
    result = _test_and_plot(state.params, config, data, run_dir, dataset, history)
    result |= {"history": history, "train_seconds_this_session": seconds}
    _write_json(run_dir / METRICS, result)
    return result


def _test_and_plot(params, config, data, run_dir: Path, dataset: str, history: list) -> dict:
    test = evaluate(params, jnp.asarray(data["X_test"]), jnp.asarray(data["y_test"]), config)
    predicted = predict(params, jnp.asarray(data["X_test"]), config)
    names = data["class_names"]
    matrix = plots.confusion_matrix(data["y_test"], predicted, len(names))
    title = f"{dataset}, test accuracy {100 * test['accuracy']:.2f}%"
    if history:
        plots.save(plots.plot_training_curves(history, title=dataset), run_dir / "curves.png")
    plots.save(plots.plot_confusion_matrix(matrix, names, title=title), run_dir / "confusion.png")
    plots.save(plots.plot_misclassified(data["test_images"], data["y_test"], predicted, names),
               run_dir / "misclassified.png")
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "confusion_matrix": matrix.tolist()}


def evaluate_run(run_dir, *, data_dir=None) -> dict:
    """Reload a finished run's parameters and report its test loss and accuracy."""
    run_dir = Path(run_dir)
    for name in (CONFIG, PARAMS):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir / name} does not exist: is {run_dir} a finished run folder?")
    saved = json.loads((run_dir / CONFIG).read_text())
    config = TrainConfig(**saved["config"])
    params = load_params(run_dir / PARAMS)
    data = load_mnist(saved["dataset"], data_dir)
    X_test = flatten_images(data.test_images, scale=saved["scale"], dtype=np.dtype(config.dtype))
    return evaluate(params, jnp.asarray(X_test), jnp.asarray(data.test_labels.astype(np.int32)), config)
