"""One minibatch update and the jitted scan over an epoch's batches.

Per epoch: shuffle, split into batches, per batch forward / backward / update. The batches run
as a few jitted `lax.scan` calls (a handful of dispatches per epoch, for the progress bar), with
the data on the device. Epoch e's order comes from the NumPy stream (seed, 1, e) (`epoch_batches`), so
a resumed run sees the same batches as an uninterrupted one.
"""

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlearn._validation import check_scalar
from jaxlearn.nn.network import Network
from jaxlearn.parallel import batch_rows
from jaxlearn.training.config import TrainConfig

PROGRESS_UPDATES_PER_EPOCH = 8


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    batch_stats: Any = ()       # the network's state (`Network.init_state`): batch normalisation's
                                # running statistics, () for a network without
    ema: Any = ()               # (updates so far, the moving average of params) when config.ema_decay > 0


class TrainedModel(NamedTuple):
    """A trained network as `evaluate` and `predict` take it, like a TrainState: its parameters and
    its state (a file's `load_model`; the weight average of `jaxlearn.training.ema.ema_model`)."""

    params: Any
    batch_stats: Any = ()


def ema_decay_at(decay, count):
    """d_t = min(d, (1 + t)/(10 + t)) for the update after t earlier ones (TensorFlow's
    ExponentialMovingAverage with num_updates): early on the average follows the weights instead
    of staying near the initialisation, which a run of a few hundred steps would otherwise keep."""
    return jnp.minimum(decay, (1.0 + count) / (10.0 + count))


def ema_update(ema, params, decay):
    """(t, θ_ema) → (t + 1, d_t θ_ema + (1 − d_t) θ), leaf by leaf in each leaf's dtype, with d_t of
    `ema_decay_at`. From θ_ema = θ_0, after n steps θ_ema = Π_t d_t θ_0 + Σ_k (1 − d_k) Π_{t>k} d_t θ_k."""
    count, average = ema

    def step(e, p):
        d = ema_decay_at(jnp.asarray(decay, p.dtype), count.astype(p.dtype))     # in the leaf's precision
        return d * e + (1 - d) * p

    return count + 1, jax.tree_util.tree_map(step, average, params)


def make_step(config: TrainConfig, optimizer: optax.GradientTransformation, *, network: Network | None = None
              ) -> Callable:
    """One minibatch update: (state, X_batch, Y_batch[, key[, dropout[, rows, epoch]]]) → (state, (loss, correct)).

    network: the network the step trains (default config.network; a sweep passes the variant
    that runs fastest for stacked models, `Network.for_stacked_models`).
    key: for the data step (the network's `augment`, e.g. a CNN's images transformed on the
    device) and the network's own noise (dropout; its masks from fold_in(key, 1)).
    dropout: the MLP's dropout rate, traced (a sweep's per-model rate); default the network's.
    rows, epoch: the batch's indices in the training set and the epoch, for the data step
    (alternating flips).
    """
    net = config.network if network is None else network

    def loss_and_logits(params, net_state, X, Y, key, dropout):
        z, net_state = net.apply(params, net_state, X, training=True, key=key, dropout=dropout)
        loss = net.loss_value(z, Y)
        if config.lam:          # λ = 0 adds nothing to the program (a resumed run compiles the same)
            loss = loss + penalty(params)
        return loss, (z, net_state)

    def penalty(params):
        """λ/2 Σ_l ‖W^l‖² over the weights (a leaf W of two or more axes; biases, γ and β are not
        penalised)."""
        return 0.5 * config.lam * sum(jnp.sum(W * W) for W, _ in params if W.ndim >= 2)

    def penalty_gradient(grads, params):
        if not config.lam:
            return grads
        return [(gW + config.lam * W if W.ndim >= 2 else gW, gb) for (gW, gb), (W, _) in zip(grads, params)]

    def smoothed(Y):
        """Label smoothing: (1 − ε) y + ε/K, the targets of the loss and of its gradient (by hand too:
        δ^L = softmax(z^L) − the target)."""
        if not config.label_smoothing:     # ε = 0 adds nothing to the program
            return Y
        eps = jnp.asarray(config.label_smoothing, Y.dtype)
        return (1 - eps) * Y + eps / Y.shape[-1]

    def step(state: TrainState, X, Y, key=None, dropout=None, rows=None, epoch=None):
        labels, Y = Y, smoothed(Y)
        if key is not None:
            X = net.augment(key, X, rows=rows, epoch=epoch)
        noise_key = None if key is None else jax.random.fold_in(key, 1)
        if config.gradient == "autodiff":
            (loss, (z, net_state)), grads = jax.value_and_grad(loss_and_logits, has_aux=True)(
                state.params, state.batch_stats, X, Y, noise_key, dropout)
        else:
            loss, (z, net_state) = loss_and_logits(state.params, state.batch_stats, X, Y, noise_key, dropout)
            grads = penalty_gradient(net.hand_gradient(state.params, state.batch_stats, X, Y, key=noise_key,
                                                       dropout=dropout), state.params)
        # optax mixes Python floats with int32 step counts, which strict dtype promotion
        # (equinox-style test settings, or a user's) refuses; its own code is standard-safe.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        correct = jnp.sum(jnp.argmax(z, axis=1) == jnp.argmax(labels, axis=1))
        ema = ema_update(state.ema, params, jnp.asarray(config.ema_decay)) if config.ema_decay else state.ema
        return TrainState(params, opt_state, net_state, ema), (loss, correct)

    return step


def fresh_state(config: TrainConfig, optimizer: optax.GradientTransformation, seed, n_features: int,
                n_classes: int, sample=None) -> "TrainState":
    """The state a run starts from: the network's parameters from fold_in(key(seed), 0), the
    optimizer's zero state, the network's own state (from sample, the first
    `Network.state_sample` training rows, where it needs data) and (ema_decay > 0) the weight
    average at its start. seed may be traced. `fit` and the sweeps both start here, so that a
    sweep's model is `fit`'s with the same config."""
    net = config.network
    params = net.init(jax.random.fold_in(jax.random.key(seed), 0), n_features, n_classes)
    return TrainState(params, optimizer.init(params), net.init_state() if sample is None else net.init_state(sample),
                      (jnp.zeros((), jnp.int32), params) if config.ema_decay else ())


def make_run_batches(step: Callable, mesh=None, *, per_step: bool = False) -> Callable:
    """Jitted: run `step` over a (n_batches, batch_size) block of sample indices under lax.scan.

    mesh: a data-parallel mesh (`jaxlearn.parallel`): each batch's rows are split over
    its devices (the state and data replicated), and XLA reduces the gradient across them.
    per_step: one jitted step per batch, dispatched from Python, instead of one scan
    (`Network.step_by_step`: convolutions, which XLA:CPU runs about 5× slower inside a loop);
    same results.
    """
    def gather(A, idx):
        rows = A[idx]
        return rows if mesh is None else jax.lax.with_sharding_constraint(rows, batch_rows(mesh))

    def one(state, X, Y, idx, key, b, dropout, epoch):
        # key (augmentation, dropout): batch b of the epoch draws from fold_in(key, b), however
        # the epoch is split into blocks
        batch_key = None if key is None else jax.random.fold_in(key, b)
        return step(state, gather(X, idx), gather(Y, idx), batch_key, dropout, idx, epoch)

    if per_step:
        jitted = jax.jit(one)
        # Several CPU devices: one step in flight at a time. XLA:CPU's in-process all-reduce waits
        # for every device's thread; with steps queued asynchronously, threads busy in the next
        # step's rendezvous can starve this one's (seen: a 4-device CNN aborted after 40 s).
        wait = mesh is not None and mesh.devices.size > 1 and mesh.devices.flat[0].platform == "cpu"

        def run_batches(state, X, Y, batch_indices, key=None, first_batch=0, dropout=None, epoch=0):
            losses, correct = [], []
            for i, idx in enumerate(batch_indices):
                state, (loss, right) = jitted(state, X, Y, idx, key, first_batch + i, dropout, epoch)
                if wait:
                    jax.block_until_ready(state)
                losses.append(loss)
                correct.append(right)
            return state, jnp.sum(jnp.stack(losses)), jnp.sum(jnp.stack(correct))

        return run_batches

    @jax.jit
    def run_batches(state, X, Y, batch_indices, key=None, first_batch=0, dropout=None, epoch=0):
        def body(state, inputs):
            idx, b = inputs
            return one(state, X, Y, idx, key, b, dropout, epoch)

        numbers = first_batch + jnp.arange(batch_indices.shape[0])
        state, (losses, correct) = jax.lax.scan(body, state, (batch_indices, numbers))
        return state, jnp.sum(losses), jnp.sum(correct)

    return run_batches


# The shuffles' NumPy stream: (seed, SHUFFLE_STREAM, epoch). Parameters come from the JAX key
# fold_in(key(seed), 0) and dropout/augmentation from fold_in(key(seed), NOISE_STREAM), so 1 stays
# the shuffles'.
SHUFFLE_STREAM, NOISE_STREAM = 1, 2


def epoch_key(seed, epoch):
    """Epoch e's key for augmentation and dropout, fold_in(fold_in(key(seed), NOISE_STREAM), e);
    batch b of the epoch draws from fold_in(that, b) (`make_run_batches`). seed and epoch may be
    traced (a sweep derives each model's key from its data seed inside its program)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.key(seed), NOISE_STREAM), epoch)


def epoch_batches(seed: int, epoch: int, n_samples: int, batch_size: int) -> np.ndarray:
    """Shuffled sample indices of one epoch as (n_batches, batch_size) int32; the last partial
    batch is dropped (each epoch drops different samples).

    The order is NumPy's permutation from the stream (seed, SHUFFLE_STREAM, epoch): drawn on the
    host, so it compiles nothing (an argsort program on the device cost 0.2–0.3 s of compilation
    in every fresh process) and takes about 1 ms for 60 000 samples; a resumed run draws the same
    orders as an uninterrupted one.
    """
    seed = check_scalar(seed, "seed", minimum=0, integer=True)
    order = np.random.default_rng([int(seed), SHUFFLE_STREAM, int(epoch)]).permutation(n_samples)
    n_batches = n_samples // batch_size
    return order[: n_batches * batch_size].reshape(n_batches, batch_size).astype(np.int32)


def progress_blocks(batches: np.ndarray) -> list:
    """Split an epoch's batches into about PROGRESS_UPDATES_PER_EPOCH blocks for the progress bar.

    Equal blocks where a divisor of the batch count allows (one compilation of the scan);
    otherwise the last block is shorter (a second compilation).
    """
    n = batches.shape[0]
    target = n / PROGRESS_UPDATES_PER_EPOCH
    divisors = [d for d in range(max(1, int(target / 2)), int(2 * target) + 1) if n % d == 0]
    size = min(divisors, key=lambda d: abs(d - target)) if divisors else max(1, math.ceil(target))
    return [batches[i:i + size] for i in range(0, n, size)]
