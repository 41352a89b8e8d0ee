"""Minibatch training of a network, the lecture's strategy: `fit` runs the epochs.

Every random choice comes from the config's seed (parameters from fold_in(key(seed), 0), the
shuffles from NumPy's stream (seed, 1, epoch), dropout and augmentation from
fold_in(key(seed), 2)), so a resumed run ends with the same parameters as an uninterrupted one.
"""

import functools
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np
import optax
from jax.typing import ArrayLike

from jaxlearn import _interrupts as interrupts
from jaxlearn import stall
from jaxlearn._bars import tqdm_class
from jaxlearn._errors import DivergenceError, StalledTrainingWarning, warn
from jaxlearn.buckets import bucket, pad_rows
from jaxlearn.compilation_cache import library_cache
from jaxlearn.parallel import batch_rows, check_batch_size, data_mesh, put, replicated
from jaxlearn.training import progress as report
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.data import check_training_data, check_validation_data
from jaxlearn.training.evaluate import (
    _evaluate_block,
    check_not_diverged,
    evaluate_blocks,
    evaluation_blocks,
    initial_loss_rows,
)
from jaxlearn.training.optimizers import make_optimizer
from jaxlearn.training.step import (
    TrainState,
    epoch_batches,
    epoch_key,
    fresh_state,
    make_run_batches,
    make_step,
    progress_blocks,
)


def init_state(config: TrainConfig, n_features: int, n_classes: int, steps_per_epoch: int):
    """Fresh parameters (from the config's seed), optimizer state and batch statistics; returns
    (state, optimizer)."""
    programs = _start_programs(config, n_features, n_classes, steps_per_epoch)
    return programs.fresh(config.seed), programs.optimizer


class _StartPrograms(NamedTuple):
    fresh: Callable          # seed → the fresh TrainState
    start: Callable          # (seed, sample, X_0, labels_0, Y_0, valid) → (the fresh TrainState, Σ of the valid
                             # rows' losses); sample: the rows the network's state is computed from, or None
    optimizer: optax.GradientTransformation


@functools.lru_cache(maxsize=64)
def _start_programs(config: TrainConfig, n_features: int, n_classes: int, steps_per_epoch: int) -> _StartPrograms:
    """A run's start as jitted programs, one per (config, shapes): its fresh state, and that
    state with the summed loss of its parameters on the rows of `initial_loss_rows` (n L_0,
    as `initial_loss`). Each one program: eagerly, the key, the draws and the optimizer's zero
    states compiled a dozen programs (1.0 s of a cold start here), and L_0 one more."""
    optimizer = make_optimizer(config, steps_per_epoch)

    def fresh(seed, sample=None):
        return fresh_state(config, optimizer, seed, n_features, n_classes, sample)

    def start(seed, sample, *rows):
        state = fresh(seed, sample)
        loss_sum, _ = _evaluate_block(state.params, state.batch_stats, *rows, network=config.network.for_inference())
        return state, loss_sum

    return _StartPrograms(jax.jit(fresh), jax.jit(start), optimizer)


def _start(config: TrainConfig, X, Y, n_classes: int, steps_per_epoch: int):
    """(fresh state, L_0) of a run on (X (M, n_0), Y (M, K)) (NumPy), L_0 as `initial_loss`."""
    rows, n = initial_loss_rows(X, Y)
    sample = X[:config.network.state_sample] if config.network.state_sample else None
    state, loss_sum = _start_programs(config, X.shape[1], n_classes, steps_per_epoch).start(config.seed, sample,
                                                                                            *rows)
    return state, float(loss_sum) / n


@functools.lru_cache(maxsize=64)
def _epoch_program(config: TrainConfig, steps_per_epoch: int, mesh=None) -> Callable:
    """The jitted scan over a block of batches, one per (config, steps, mesh): a new jitted
    closure for every fit would trace and compile again (a grid search, a cross-validation)."""
    return make_run_batches(make_step(config, make_optimizer(config, steps_per_epoch)), mesh,
                            per_step=config.network.step_by_step)


@library_cache()
@interrupts.deferred_interrupts()      # Ctrl-C stops the run between blocks, never lost (`interrupts`)
def fit(config: TrainConfig, X_train: ArrayLike, y_train: ArrayLike, X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None, *, n_classes: int | None = None,
        state: TrainState | None = None, start_epoch: int = 0, history: list | None = None,
        on_epoch_end: Callable | None = None, progress=True, learning_rate_name: str = "learning rate",
        devices=None):
    """Train config.network: config.epochs epochs of shuffled minibatches, metrics after each epoch.

    Args:
        config: the run's `TrainConfig`.
        X_train: (M, n_0) finite inputs; y_train: (M,) integer labels 0 … K−1.
        X_val, y_val: optional validation set (both or neither), evaluated after each epoch.
        n_classes: K (default: max label + 1).
        state, start_epoch, history: continue a run (see `jaxlearn.training.checkpoint`).
        on_epoch_end: called as on_epoch_end(epoch, state, history) after each good epoch
            (checkpointing goes here); returning True stops training after that epoch.
        progress: True (a tqdm bar with the running loss and accuracy on a terminal or in a
            notebook, one printed line per epoch when the output is a file or a pipe), "bar",
            "lines" or False (`jaxlearn.training.progress`).
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
        KeyboardInterrupt: Ctrl-C, acted on at the next block of batches (`interrupts`): the
            epochs finished before it have been passed to on_epoch_end.

    Warns:
        StalledTrainingWarning: the accuracy stayed at chance with the loss at the class shares'
        entropy for two epochs (`jaxlearn.stall`); those epochs' records get "stalled": True.
    """
    X_train, y_train, n_classes = check_training_data(config, X_train, y_train, n_classes=n_classes, to_host=True)
    mesh = data_mesh(devices)
    check_batch_size(config.batch_size, mesh)
    n_samples = X_train.shape[0]
    # On the host: one-hot targets, and both padded with zero rows to the bucket of M
    # (jaxlearn.buckets), which no batch ever indexes: one compiled epoch per bucket.
    Y_train = np.eye(n_classes, dtype=X_train.dtype)[y_train]
    X_val, y_val = check_validation_data(X_val, y_val, X_train.shape[1], n_classes, X_train.dtype, to_host=True)
    # placed once, evaluated after every epoch
    val_blocks = None if X_val is None else evaluation_blocks(X_val, y_val, n_classes, config.network.eval_block,
                                                              mesh)
    steps = X_train.shape[0] // config.batch_size
    # L_0 from the seeded initial parameters, also when resuming: the same start as the first run
    fresh, start_loss = _start(config, X_train, Y_train, n_classes, steps)
    state = fresh if state is None else state
    config.network.check_params(state.params, X_train.shape[1])
    config.network.check_state(state.batch_stats)
    run_batches = _epoch_program(config, steps, mesh)
    history = list(history or [])
    everywhere = None if mesh is None else replicated(mesh)      # one device: JAX's default placement
    X_train = put(pad_rows(X_train, bucket(n_samples)), everywhere)
    Y_train = put(pad_rows(Y_train, bucket(n_samples)), everywhere)
    if mesh is not None:
        state = put(state, everywhere)
    best_loss = min([start_loss] + [h["train_loss"] for h in history])
    noisy = config.network.needs_key        # augmentation or dropout: each epoch its key (`epoch_key`)

    shares = stall.class_shares(y_train, n_classes)
    stall_loss = stall.loss_kind(config)
    at_chance = [bool(stall.at_chance(h["train_loss"], h["train_accuracy"], shares, steps * config.batch_size,
                                      config.batch_size, stall_loss)) for h in history]
    mode = report.resolve(progress)
    bar = tqdm_class(mode == "bar")(total=(config.epochs - start_epoch) * steps, unit="batch", disable=mode != "bar",
               dynamic_ncols=True)
    with bar:
        interrupts.check()
        for epoch in range(start_epoch, config.epochs):
            new_state, loss_sum, correct, seen = state, 0.0, 0, 0
            batches = epoch_batches(config.seed, epoch, n_samples, config.batch_size)
            noise = epoch_key(config.seed, epoch) if noisy else None
            started = time.perf_counter()
            for block in progress_blocks(batches) if mode != "off" else [batches]:   # quiet: one dispatch
                indices = block if mesh is None else put(block, batch_rows(mesh, axis=1))
                new_state, block_loss, block_correct = run_batches(new_state, X_train, Y_train, indices, noise,
                                                                   seen, epoch=epoch)
                loss_sum += float(block_loss)
                correct += int(block_correct)
                seen += block.shape[0]
                interrupts.check()          # Ctrl-C: stop here; the last epoch's checkpoint stays
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
            if val_blocks is not None:
                metrics = evaluate_blocks(state, val_blocks, config, mesh)
                record |= {"val_loss": metrics["loss"], "val_accuracy": metrics["accuracy"]}
                bar.set_postfix_str(f"epoch {epoch + 1}/{config.epochs} loss {train_loss:.4f} "
                                    f"val_acc {metrics['accuracy']:.4f}")
            at_chance.append(bool(stall.at_chance(train_loss, record["train_accuracy"], shares,
                                                  steps * config.batch_size, config.batch_size, stall_loss)))
            if stall.stalled(at_chance, steps):
                record["stalled"] = True
                if not stall.stalled(at_chance[:-1], steps):   # warn once, when it starts
                    warn(stall.describe(history + [record], shares, config.learning_rate, learning_rate_name,
                                        config.loss, config.activation), StalledTrainingWarning)
            history.append(record)
            if mode == "lines":
                print(report.epoch_line(record, config.epochs, time.perf_counter() - started), flush=True)
            stop = on_epoch_end is not None and on_epoch_end(epoch + 1, state, history) is True
            interrupts.check()
            if stop:                # the callback's early stopping (MLPClassifier's tol / n_iter_no_change)
                break
    return state, history
