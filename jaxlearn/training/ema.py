"""The model of a run trained with a weight average (TrainConfig.ema_decay > 0).

During training each step also updates θ_ema ← d_t θ_ema + (1 − d_t) θ (`step.ema_update`,
d_t = min(d, (1 + t)/(10 + t)) after t updates), an exponential moving average of the weights: it
averages out the last epochs' noise of SGD and Adam steps, and usually generalises better than the
last weights (Polyak averaging; "model EMA").

Batch normalisation needs care: the running statistics in `TrainState.batch_stats` describe the
activations of the *live* weights, not of the averaged ones. So the averaged model's statistics are
computed afresh, as `torch.optim.swa_utils.update_bn` does: the averaged network runs in training
mode over batches of the training set and each batch-normalisation layer's mean and variance are
averaged over them.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn.training.config import TrainConfig
from jaxlearn.training.step import TrainedModel

__all__ = ["ema_model", "recompute_batch_stats"]


def ema_model(config: TrainConfig, state, X_train, *, batches: int = 50, batch_size: int = 256) -> TrainedModel:
    """The run's model as a `TrainedModel` (params, batch_stats): the weight average with batch
    statistics computed for it when config.ema_decay > 0, else the trained state's own."""
    if not config.ema_decay:
        return TrainedModel(state.params, state.batch_stats)
    _, average = state.ema
    if not jax.tree_util.tree_leaves(state.batch_stats):
        return TrainedModel(average, state.batch_stats)
    return TrainedModel(average, recompute_batch_stats(config, average, state.batch_stats, X_train,
                                                       batches=batches, batch_size=batch_size))


def recompute_batch_stats(config: TrainConfig, params, batch_stats, X_train, *, batches: int = 50,
                          batch_size: int = 256, seed: int = 0) -> list:
    """Each batch normalisation layer's (mean, variance) of `params`' activations, averaged over
    `batches` random batches of X_train (M, n_0) (seeded: the same result every time); the
    state's frozen entries (a whitening layer's) as they are in batch_stats."""
    X_train = np.asarray(X_train)
    rows = np.random.default_rng(seed).choice(X_train.shape[0], (batches, min(batch_size, X_train.shape[0])))

    @jax.jit
    def batch_statistics(X, key):
        return config.network.batch_statistics(params, batch_stats, X, key)

    key = jax.random.key(seed)
    total = None
    for b, index in enumerate(rows):
        stats = batch_statistics(jnp.asarray(X_train[index]), jax.random.fold_in(key, b))
        total = stats if total is None else jax.tree_util.tree_map(jnp.add, total, stats)
    # a frozen entry (a whitening layer's kernels) is kept as it was, not summed and divided
    return [tuple(a / batches for a in stats) if running else kept
            for stats, kept, running in zip(total, batch_stats, config.network.running_statistics, strict=True)]
