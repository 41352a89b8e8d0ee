"""Many networks of one architecture (MLPs or CNNs, whatever config.network is) trained side by
side: one jitted program per epoch for all.

The models are stacked along a leading axis of every parameter and state array (a CNN's batch
normalisation statistics too: each model its own), each with its own
shuffled minibatches (`train_many`'s data_seeds); each step of all models is the single-model
step (`jaxlearn.training.step.make_step`) under vmap, with one optimizer whose peak learning
rate sits in each model's state. On a CPU the models run in chunks
(`jax.lax.map(..., batch_size=chunk)`) small enough for their parameters and Adam moments to
stay in cache; on a GPU all of them at once. On D devices the model axis is
split over them (`jax.shard_map`): each device trains S/D of the models, chunked as above, and
the data are replicated; no device talks to another during training.
"""

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec
from jax.typing import ArrayLike

from jaxlearn import _interrupts as interrupts
from jaxlearn import divergence, nn, stall
from jaxlearn._bars import tqdm_class
from jaxlearn._errors import StalledTrainingWarning, warn
from jaxlearn._validation import check_scalar
from jaxlearn.parallel import AXIS, device_count
from jaxlearn.sweeps import checkpoint as saved
from jaxlearn.sweeps.results import Sweep
from jaxlearn.sweeps.settings import _data_seeds, _settings
from jaxlearn.sweeps.stacked import (  # noqa: F401 (CPU_CHUNK_BYTES, models_per_chunk re-exported)
    CPU_CHUNK_BYTES,
    chunked_map,
    model_mesh,
    models_per_chunk,
    select_models,
    stack,
)
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.data import check_training_data, check_validation_data
from jaxlearn.training.evaluate import initial_loss
from jaxlearn.training.optimizers import make_optimizer, with_hyperparameters
from jaxlearn.training.step import (
    TrainedModel,
    epoch_batches,
    epoch_key,
    fresh_state,
    make_run_batches,
    make_step,
)


def train_many(config: TrainConfig, X: ArrayLike, y: ArrayLike, *, learning_rates=None, seeds=None,
               data_seeds=None, weight_decays=None, momenta=None, dropouts=None, X_val: ArrayLike | None = None,
               y_val: ArrayLike | None = None,
               n_classes: int | None = None, chunk_size: int | None = None, progress: bool = True,
               devices=None, checkpoint=None) -> Sweep:
    """Train S networks of one architecture at once (config.network: MLPs, CNNs), one per
    (learning rate, seed) pair; a sweep of one model is `training.fit` with the same config.

    Each model has an initialisation seed (seeds) and a data-order seed (data_seeds: its epochs'
    shuffled batches, `jaxlearn.training.step.epoch_batches`). By default a model shuffles with its
    own initialisation seed, as `training.fit` with that seed does, so that a spread over seeds
    measures the whole run-to-run variance; data_seeds=config.seed (one number) gives every model
    the same batches, so that seeds vary the initialisation alone. Each epoch of all models is one jitted
    program: the single-model step (`jaxlearn.training.step.make_step`) vmapped over the models.
    A model whose loss becomes NaN/inf or grows far above its start and its best (the rule
    of `jaxlearn.divergence`) is marked in `Sweep.diverged` and keeps the parameters of its
    last good epoch; the others train on, and a `RuntimeWarning`
    names the diverged settings. A model that ends at chance (`jaxlearn.stall`) is marked in
    `Sweep.stalled`, named by a `StalledTrainingWarning`, and left out of `Sweep.best` too.

    Args:
        config: architecture, optimizer, schedule, batch size, epochs (its learning_rate and
            seed are the defaults for the lists below).
        X: (M, n_0) finite inputs; y: (M,) integer labels 0 … K−1.
        learning_rates, seeds: equal-length lists (or one of them; the other is repeated).
        data_seeds: None (each model's seed), one integer for all, or a list (one per model). A
            model's dropout masks come from its data seed too, as `training.fit` draws them.
        weight_decays, momenta, dropouts: decoupled weight decay w ≥ 0, momentum β ≥ 0 (for
            optimizer="momentum") and dropout rate p in [0, 1) of the hidden units per model,
            lists of the same length; default the config's. Each is a traced value: one program.
        X_val, y_val: optional validation data (both or neither), scored by accuracy.
        n_classes: K (default max label + 1).
        chunk_size: models per vmapped step on each device (default: see `models_per_chunk`);
            the results do not depend on it.
        progress: show a progress bar over the epochs.
        devices: split the models over devices (`jaxlearn.parallel.data_mesh`): None (the
            largest number of the devices JAX sees that divides the number of models S), a count
            D (S must be a multiple of it), a sequence of devices or a Mesh. The results do not
            depend on it.
        checkpoint: a file (.npz) written after every epoch; if it exists, the sweep continues
            from it (bit-identical to an uninterrupted sweep; `jaxlearn.sweeps.checkpoint`).
            Ctrl-C under `jaxlearn._interrupts.deferred_interrupts` stops after an epoch.

    Returns:
        A `Sweep`; `sweep.model(sweep.best())` is the best model's [(W, b), …], and
        `sweep.trained(i)` model i as `training.evaluate` and `predict` take it.
    """
    rates, seeds, decays, momenta, dropouts = _settings(config, learning_rates, seeds, weight_decays, momenta,
                                                        dropouts)
    data_seeds = _data_seeds(data_seeds, seeds)
    if chunk_size is not None:
        check_scalar(chunk_size, "chunk_size", minimum=1, integer=True)
    mesh = model_mesh(devices, len(rates))
    X, y, K = check_training_data(config, X, y, n_classes=n_classes, names=("X", "y"))
    X_val, y_val = check_validation_data(X_val, y_val, X.shape[1], K, X.dtype)
    Y = nn.one_hot(y, K, dtype=X.dtype)
    steps = X.shape[0] // config.batch_size
    net = config.network

    # one optimizer for all models, its peak learning rate a leaf of each model's state
    optimizer = make_optimizer(config, steps, learning_rate="state")

    @jax.jit
    def init(seed, rate, decay, momentum, sample):
        # fit's start (`fresh_state`), with each model's own values in its optimizer state
        state = fresh_state(config, optimizer, seed, X.shape[1], K, sample)
        values = {"peak": rate, "weight_decay": decay, "momentum": momentum}
        return state._replace(opt_state=with_hyperparameters(state.opt_state, **{
            k: jnp.asarray(v, X.dtype) for k, v in values.items()}))

    # one program for every model's start (the seed traced), then stacked
    sample = X[:net.state_sample] if net.state_sample else None         # the rows a whitening layer fits
    states = stack([init(int(s), r, w, m, sample) for s, r, w, m in zip(seeds, rates, decays, momenta)])
    one_model = jax.tree_util.tree_map(lambda a: a[0], states.params)
    chunk = models_per_chunk(chunk_size, len(rates) // device_count(mesh), one_model)
    step_network = net.for_stacked_models() if chunk > 1 else net
    run_batches = make_run_batches(make_step(config, optimizer, network=step_network))

    # one shuffle for all (a learning-rate sweep): batches (n_batches, B), each step's batch shared
    # by the vmapped models; else (S, n_batches, B), each model its own
    shared = len(set(data_seeds.tolist())) == 1
    # with augmentation or dropout, each model draws from the epoch key of its data seed, as fit()
    # does (`epoch_key`); without, no key enters the program, and a rate only with dropout
    with_dropout = bool(np.any(dropouts > 0))
    noisy = with_dropout or net.needs_key

    def epoch_of(states, X, Y, batches, frozen, limits, model_seeds, epoch, model_dropouts):
        keys = jax.vmap(lambda s: epoch_key(s, epoch))(model_seeds) if noisy else None
        rates = model_dropouts if with_dropout else None
        if shared:
            new, loss_sums, correct = chunked_map(lambda m: run_batches(m[0], X, Y, batches, m[1], 0, m[2], epoch),
                                                  (states, keys, rates), chunk)
        else:
            new, loss_sums, correct = chunked_map(lambda m: run_batches(m[0], X, Y, m[3], m[1], 0, m[2], epoch),
                                                  (states, keys, rates, batches), chunk)
        losses = loss_sums / steps
        # a model keeps its new parameters only while its loss has not diverged (jaxlearn.divergence)
        keep = jnp.isfinite(losses) & (losses <= limits) & ~frozen
        return select_models(keep, new, states), losses, correct

    if mesh is None:
        run_epoch = jax.jit(epoch_of)
    else:   # each device its S/D models (and their batches, unless shared); the data replicated
        models, everywhere = PartitionSpec(AXIS), PartitionSpec()
        batch_spec = everywhere if shared else models
        run_epoch = jax.jit(jax.shard_map(epoch_of, mesh=mesh,
                                          in_specs=(models, everywhere, everywhere, batch_spec, models, models,
                                                    models, everywhere, models),
                                          out_specs=(models, models, models)))
        states = jax.device_put(states, NamedSharding(mesh, models))

    started = time.perf_counter()
    losses = np.full((len(rates), config.epochs), np.nan)
    accuracy = np.full((len(rates), config.epochs), np.nan)
    val_loss, val_accuracy = np.full_like(losses, np.nan), np.full_like(losses, np.nan)
    validation = None if X_val is None else _validation_scores(config, X_val, y_val, K, chunk)
    diverged = np.zeros(len(rates), bool)
    shares = stall.class_shares(y, K)
    sign = saved.signature(config, dict(rates=rates, seeds=seeds, data_seeds=data_seeds, decays=decays,
                                        momenta=momenta, dropouts=dropouts), X.shape)
    first = 0
    if checkpoint is not None and Path(checkpoint).is_file():          # continue an interrupted sweep
        states, first, curves = saved.load_sweep(checkpoint, jax.device_get(states), sign)
        states = states if mesh is None else jax.device_put(states, NamedSharding(mesh, PartitionSpec(AXIS)))
        losses, accuracy, val_loss, val_accuracy, diverged, start_losses, best_losses = (curves[n] for n in
                                                                                        saved.CURVES)
    else:
        start_losses = _initial_losses(states, X, Y, config)
        best_losses = start_losses.copy()
    bar = tqdm_class(bool(progress))(total=config.epochs, initial=first, unit="epoch", disable=not progress,
                                     dynamic_ncols=True, desc=f"{len(rates)} models")
    with bar:
        for epoch in range(first, config.epochs):
            orders = [epoch_batches(int(s), epoch, X.shape[0], config.batch_size)
                      for s in (data_seeds[:1] if shared else data_seeds)]
            batches = jnp.asarray(orders[0] if shared else np.stack(orders))
            limits = divergence.loss_limit(start_losses, best_losses)
            states, epoch_losses, correct = run_epoch(states, X, Y, batches, jnp.asarray(diverged),
                                                      jnp.asarray(limits, X.dtype), jnp.asarray(data_seeds),
                                                      jnp.asarray(epoch), jnp.asarray(dropouts, X.dtype))
            losses[:, epoch] = np.where(diverged, np.nan, np.asarray(epoch_losses))
            accuracy[:, epoch] = np.where(diverged, np.nan, np.asarray(correct) / (steps * config.batch_size))
            diverged |= divergence.has_diverged(losses[:, epoch], start_losses, best_losses)
            best_losses = np.where(diverged, best_losses, np.fmin(best_losses, losses[:, epoch]))
            if validation is not None:          # every model after every epoch: the curves
                epoch_val_loss, epoch_val_accuracy = (np.asarray(v) for v in validation(states.params,
                                                                                       states.batch_stats))
                val_loss[:, epoch] = np.where(diverged, np.nan, epoch_val_loss)
                val_accuracy[:, epoch] = np.where(diverged, np.nan, epoch_val_accuracy)
            if checkpoint is not None:
                curves = dict(zip(saved.CURVES, (losses, accuracy, val_loss, val_accuracy, diverged, start_losses,
                                                 best_losses)))
                saved.save_sweep(checkpoint, states, epoch + 1, curves, sign)
            interrupts.check()                  # Ctrl-C: stop here, the epoch kept (a no-op outside a run)
            bar.update(1)
            if not diverged.all():
                bar.set_postfix_str(f"lowest loss {np.nanmin(losses[:, epoch]):.4f}"
                                    + (f", {diverged.sum()} diverged" if diverged.any() else ""))
    if diverged.any():
        warn(f"train_many: training diverged (loss NaN/inf or grown above max({divergence.GROWTH:g} × its "
                      f"best, its start); see jaxlearn.divergence) for learning_rates {rates[diverged].tolist()} "
                      f"(seeds {seeds[diverged].tolist()}); those models keep their last good epoch's "
                      f"parameters and are left out of Sweep.best(). Use smaller learning rates.",
                      RuntimeWarning)
    stalled = ~diverged & stall.stalled(stall.at_chance(losses, accuracy, shares, steps * config.batch_size,
                                                        config.batch_size, stall.loss_kind(config)), steps)
    if stalled.any():
        warn(f"train_many: training is not learning (accuracy at chance, loss at the class shares' entropy "
                      f"in the last {stall.STALLED_EPOCHS} epochs; see jaxlearn.stall) for learning_rates "
                      f"{rates[stalled].tolist()} (seeds {seeds[stalled].tolist()}): likely dead ReLUs after too "
                      "large a step. They are left out of Sweep.best(); try smaller learning rates.",
                      StalledTrainingWarning)
    final = None if validation is None else np.where(diverged, np.nan, np.asarray(
        validation(states.params, states.batch_stats)[1]))
    return Sweep(states.params, rates, seeds, losses, final, diverged, accuracy, stalled, data_seeds,
                 None if validation is None else val_loss, None if validation is None else val_accuracy,
                 time.perf_counter() - started, decays, momenta, dropouts=dropouts, states=states.batch_stats)


def _initial_losses(states, X, Y, config: TrainConfig) -> np.ndarray:
    """L_0 (`jaxlearn.training.evaluate.initial_loss`) of each of the S stacked models: (S,)."""
    n_models = jax.tree_util.tree_leaves(states.params)[0].shape[0]
    return np.array([initial_loss(TrainedModel(*jax.tree_util.tree_map(lambda a, i=i: a[i],
                                                                       (states.params, states.batch_stats))),
                                  X, Y, config) for i in range(n_models)])


def _validation_scores(config: TrainConfig, X_val, y_val, n_classes: int, chunk: int):
    """A jitted function of the stacked params and network states: (validation loss (S,),
    validation accuracy (S,)), a chunk of models at a time (the activations of a whole validation
    set for every model at once could exceed the memory)."""
    Y_val = nn.one_hot(y_val, n_classes, dtype=X_val.dtype)
    net = config.network

    @jax.jit
    def scores(params, states):
        def one(model):
            z = net.logits(*model, X_val)
            return (net.loss_value(z, Y_val), jnp.mean(jnp.argmax(z, axis=1).astype(y_val.dtype) == y_val))
        return chunked_map(one, (params, states), chunk)

    return scores
