"""Minibatch training of an MLP, the lecture's strategy: `fit` runs the epochs.

Every random choice comes from the config's seed (parameters from fold_in(seed, 0), the
shuffles from fold_in(seed, 1)), so a resumed run ends with the same parameters as an
uninterrupted one.
"""

import functools
from collections.abc import Callable

import jax
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import DivergenceError
from jaxlearn.buckets import bucket, pad_rows
from jaxlearn.compilation_cache import library_cache
from jaxlearn.parallel import batch_rows, check_batch_size, data_mesh, put, replicated
from jaxlearn.training import model
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.data import check_training_data, check_validation_data
from jaxlearn.training.evaluate import check_not_diverged, evaluate, initial_loss
from jaxlearn.training.optimizers import make_optimizer
from jaxlearn.training.step import TrainState, epoch_batches, make_run_batches, make_step, progress_blocks


def init_state(config: TrainConfig, n_features: int, n_classes: int, steps_per_epoch: int):
    """Fresh parameters (from the config's seed), optimizer state and batch statistics; returns
    (state, optimizer)."""
    params = model.init_params(config, jax.random.fold_in(jax.random.key(config.seed), 0), n_features, n_classes)
    optimizer = make_optimizer(config, steps_per_epoch)
    return TrainState(params, optimizer.init(params), model.init_batch_stats(config)), optimizer


@functools.lru_cache(maxsize=64)
def _epoch_program(config: TrainConfig, steps_per_epoch: int, mesh=None) -> Callable:
    """The jitted scan over a block of batches, one per (config, steps, mesh): a new jitted
    closure for every fit would trace and compile again (a grid search, a cross-validation)."""
    return make_run_batches(make_step(config, make_optimizer(config, steps_per_epoch)), mesh,
                            per_step=config.model == "cnn")


@library_cache()
def fit(config: TrainConfig, X_train: ArrayLike, y_train: ArrayLike, X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None, *, n_classes: int | None = None,
        state: TrainState | None = None, start_epoch: int = 0, history: list | None = None,
        on_epoch_end: Callable | None = None, progress: bool = True, learning_rate_name: str = "learning rate",
        devices=None):
    """Train an MLP: config.epochs epochs of shuffled minibatches, metrics after each epoch.

    Args:
        config: the run's `TrainConfig`.
        X_train: (M, n_0) finite inputs; y_train: (M,) integer labels 0 … K−1.
        X_val, y_val: optional validation set (both or neither), evaluated after each epoch.
        n_classes: K (default: max label + 1).
        state, start_epoch, history: continue a run (see `jaxlearn.training.checkpoint`).
        on_epoch_end: called as on_epoch_end(epoch, state, history) after each good epoch
            (checkpointing goes here).
        progress: show a tqdm progress bar with the running loss and accuracy.
        learning_rate_name: what the divergence message calls the learning rate (a wrapper's
            own parameter name, e.g. "learning_rate_init").
        devices: data parallelism (`jaxlearn.parallel`): None (every device JAX sees),
            a count N (the first N), a sequence of devices, or a Mesh with a "data" axis. On
            D > 1 devices each global batch of config.batch_size rows (a multiple of D) is split
            over them, the rest replicated: the same batches in the same order as on one
            device, so the same parameters up to the order of floating-point sums.

    Returns:
        (state, history): the final `TrainState` (on D > 1 devices, replicated over the mesh)
        and one dict of metrics per epoch.

    Raises:
        DivergenceError: the loss became NaN/inf or grew far above its start and its best
        (the rule is in `jaxlearn.divergence`); `.result` holds (state, history) of the
        last good epoch.
    """
    from tqdm.auto import tqdm

    X_train, y_train, n_classes = check_training_data(config, X_train, y_train, n_classes=n_classes)
    mesh = data_mesh(devices)
    check_batch_size(config.batch_size, mesh)
    n_samples = X_train.shape[0]
    # On the host: one-hot targets, and both padded with zero rows to the bucket of M
    # (jaxlearn.buckets), which no batch ever indexes: one compiled epoch per bucket.
    X_train = np.asarray(X_train)
    Y_train = np.eye(n_classes, dtype=X_train.dtype)[np.asarray(y_train)]
    X_val, y_val = check_validation_data(X_val, y_val, X_train.shape[1], n_classes, X_train.dtype)
    steps = X_train.shape[0] // config.batch_size
    fresh, optimizer = init_state(config, X_train.shape[1], n_classes, steps)
    state = fresh if state is None else state
    model.check_params(config, state.params, X_train.shape[1])
    model.check_batch_stats(config, state.batch_stats)
    run_batches = _epoch_program(config, steps, mesh)
    history = list(history or [])
    # L_0 from the seeded initial parameters, also when resuming: the same start as the first run
    start_loss = initial_loss(fresh.params, X_train, Y_train, config, batch_stats=fresh.batch_stats)
    everywhere = None if mesh is None else replicated(mesh)      # one device: JAX's default placement
    X_train = put(pad_rows(X_train, bucket(n_samples)), everywhere)
    Y_train = put(pad_rows(Y_train, bucket(n_samples)), everywhere)
    if mesh is not None:
        state = put(state, everywhere)
    best_loss = min([start_loss] + [h["train_loss"] for h in history])
    key = jax.random.fold_in(jax.random.key(config.seed), 1)
    # augmentation and dropout: epoch e from fold_in(fold_in(seed, 2), e), batch b of it from
    # fold_in(that, b) (`make_run_batches`)
    noise_key = jax.random.fold_in(jax.random.key(config.seed), 2) if model.needs_key(config) else None

    bar = tqdm(total=(config.epochs - start_epoch) * steps, unit="batch", disable=not progress,
               dynamic_ncols=True)
    try:
        for epoch in range(start_epoch, config.epochs):
            new_state, loss_sum, correct, seen = state, 0.0, 0, 0
            batches = epoch_batches(key, epoch, n_samples, config.batch_size)
            epoch_key = None if noise_key is None else jax.random.fold_in(noise_key, epoch)
            for block in progress_blocks(batches) if progress else [batches]:   # no bar: one dispatch
                indices = block if mesh is None else put(block, batch_rows(mesh, axis=1))
                new_state, block_loss, block_correct = run_batches(new_state, X_train, Y_train, indices, epoch_key,
                                                                   seen)
                loss_sum += float(block_loss)
                correct += int(block_correct)
                seen += block.shape[0]
                bar.update(block.shape[0])
                bar.set_postfix_str(f"epoch {epoch + 1}/{config.epochs} loss {loss_sum / seen:.4f} "
                                    f"acc {correct / (seen * config.batch_size):.4f}")
            train_loss = loss_sum / steps
            try:
                check_not_diverged(train_loss, epoch + 1, start_loss, best_loss, config, learning_rate_name)
            except DivergenceError as err:
                err.result = (state, history)
                raise
            best_loss = min(best_loss, train_loss)
            state = new_state
            record = {"epoch": epoch + 1, "train_loss": train_loss,
                      "train_accuracy": correct / (steps * config.batch_size)}
            if X_val is not None:
                metrics = evaluate(state.params, X_val, y_val, config, devices=mesh or 1,
                                   batch_stats=state.batch_stats)
                record |= {"val_loss": metrics["loss"], "val_accuracy": metrics["accuracy"]}
                bar.set_postfix_str(f"epoch {epoch + 1}/{config.epochs} loss {train_loss:.4f} "
                                    f"val_acc {metrics['accuracy']:.4f}")
            history.append(record)
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, state, history)
    finally:
        bar.close()
    return state, history
