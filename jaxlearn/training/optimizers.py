"""The optimizers of a training run, by name, with the learning-rate schedule: the one factory
used by `jaxlearn.training.fit` and by `jaxlearn.sweeps.train_many`.

    "sgd"       θ ← θ − η_t ∇L                 the lecture's rule (optax.sgd)
    "momentum"  v ← β v + ∇L, θ ← θ − η_t v     (optax.sgd with momentum β)
    "nesterov"  v ← β v + ∇L, θ ← θ − η_t (∇L + β v)   (Nesterov's momentum: the step looks ahead)
    "adam"      optax.adam (AdamW with weight_decay > 0)

η_t is the peak learning rate, constant, decayed to 0 along a cosine over the run, or triangular
(airbench's: from 0.2 η up to η over the first 20 % of the steps, then linearly down to 0); with
warmup_epochs = w it first rises linearly from 0 to the peak over w epochs (the cosine then spans
the remaining steps), which keeps the first steps of a large learning rate (and of Adam's
still-noisy second moments) from throwing the network off.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxlearn.training.config import TrainConfig

# the triangular schedule (Keller Jordan's airbench): η_t starts at TRIANGLE_START η, peaks at η
# after TRIANGLE_PEAK of the run's steps, and falls linearly to 0 at the end
TRIANGLE_START, TRIANGLE_PEAK = 0.2, 0.2


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int, peak=None):
    """η_t: `peak` (default config.learning_rate; may be a traced array), constant or cosine-decayed
    to 0 over config.epochs × steps_per_epoch steps, after a linear warm-up from 0 over
    config.warmup_epochs × steps_per_epoch steps when there is one."""
    peak = config.learning_rate if peak is None else peak
    total, warmup = config.epochs * steps_per_epoch, config.warmup_epochs * steps_per_epoch
    if config.schedule == "cosine":
        after = optax.cosine_decay_schedule(peak, total - warmup)
    elif config.schedule == "triangular":
        rise = max(1, round(TRIANGLE_PEAK * total))
        return optax.join_schedules([optax.linear_schedule(TRIANGLE_START * peak, peak, rise),
                                     optax.linear_schedule(peak, 0.0, max(1, total - rise))], [rise])
    else:
        after = peak if not warmup else optax.constant_schedule(peak)
    if not warmup:
        return after
    return optax.join_schedules([optax.linear_schedule(0.0, peak, warmup), after], [warmup])


def make_optimizer(config: TrainConfig, steps_per_epoch: int, *, learning_rate=None, weight_decay=None,
                   momentum=None) -> optax.GradientTransformation:
    """config's optimizer with its learning-rate schedule and decoupled weight decay.

    Args:
        config: the run's `TrainConfig` (optimizer, momentum, weight_decay, schedule, epochs,
            learning_rate).
        steps_per_epoch: minibatches per epoch (the cosine schedule's length is epochs × this).
        learning_rate: the peak rate instead of config.learning_rate: a number, a traced array,
            or "state" for an optimizer whose peak rate, weight decay and momentum are leaves of
            its state (`optax.inject_hyperparams`): models stacked along a leading axis of their
            states then train under vmap with values each (`jaxlearn.sweeps.train_many`); its init
            takes the params and the values are set with `with_hyperparameters`.
        weight_decay, momentum: instead of config's (numbers or traced arrays).

    Decoupled weight decay w (AdamW's, Loshchilov & Hutter): each step also moves θ by −η_t w θ,
    outside the gradient's moments; "adam" with w > 0 is AdamW, "sgd"/"momentum" add w θ to the
    update. w = 0 adds nothing to the program.

    bn_bias_lr ≠ 1 scales the updates of the batch normalisations' shifts β
    (`Network.batch_norm_shifts`); lookahead = k > 0 wraps it all in `lookahead`.
    """
    if isinstance(learning_rate, str):
        if learning_rate != "state":
            raise ValueError(f"learning_rate must be a number, an array or 'state', got {learning_rate!r}")

        def build(peak, weight_decay, momentum):
            return make_optimizer(config, steps_per_epoch, learning_rate=peak, weight_decay=weight_decay,
                                  momentum=momentum)

        return optax.inject_hyperparams(build)(peak=config.learning_rate, weight_decay=config.weight_decay,
                                               momentum=config.momentum)
    optimizer = _base_optimizer(config, steps_per_epoch, learning_rate, weight_decay, momentum)
    if config.bn_bias_lr != 1:      # the batch normalisations' β move bn_bias_lr times as far (1: nothing added)
        optimizer = optax.chain(optimizer, optax.masked(optax.scale(config.bn_bias_lr),
                                                        config.network.batch_norm_shifts))
    if config.lookahead:
        optimizer = lookahead(optimizer, config.lookahead, config.lookahead_alpha, config.epochs * steps_per_epoch)
    return optimizer


def _base_optimizer(config: TrainConfig, steps_per_epoch: int, learning_rate, weight_decay, momentum):
    """The named optimizer with its schedule and decoupled weight decay (`make_optimizer`)."""
    rate = learning_rate_schedule(config, steps_per_epoch, learning_rate)
    decay = config.weight_decay if weight_decay is None else weight_decay
    beta = config.momentum if momentum is None else momentum
    decayed = not isinstance(decay, int | float) or decay > 0       # traced (a sweep) or positive
    if config.optimizer == "adam":
        return optax.adamw(rate, weight_decay=decay) if decayed else optax.adam(rate)
    nesterov = config.optimizer == "nesterov"
    base = optax.sgd(rate, momentum=None if config.optimizer == "sgd" else beta, nesterov=nesterov)
    if not decayed:
        return base
    # −η_t (g + w θ), g through the momentum trace: w θ enters outside it
    return optax.chain(optax.add_decayed_weights(decay), optax.sgd(rate)) if config.optimizer == "sgd" else \
        optax.chain(optax.trace(decay=beta, nesterov=nesterov), optax.add_decayed_weights(decay),
                    optax.scale_by_learning_rate(rate))


def with_peak_learning_rate(opt_state, rate):
    """An `optax.inject_hyperparams` state (make_optimizer(..., learning_rate="state")) with its peak rate set."""
    return with_hyperparameters(opt_state, peak=rate)


def with_hyperparameters(opt_state, **values):
    """An `optax.inject_hyperparams` state with some of peak, weight_decay, momentum set."""
    unknown = set(values) - set(opt_state.hyperparams)
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {sorted(unknown)}; the state has {sorted(opt_state.hyperparams)}")
    return opt_state._replace(hyperparams={**opt_state.hyperparams, **values})


class LookaheadState(NamedTuple):
    inner: Any          # the inner (fast) optimizer's state
    slow: Any           # the slow weights φ
    count: Any          # steps taken


def lookahead(inner: optax.GradientTransformation, sync_period: int, alpha: float,
              total_steps: int | None = None) -> optax.GradientTransformation:
    """Lookahead (Zhang et al. 2019): the inner optimizer takes fast steps θ; after every
    sync_period = k of them (and after the run's last, total_steps) the slow weights move a
    fraction α of the way, φ ← φ + α (θ − φ), and the parameters jump back to them, θ ← φ.

    optax.lookahead holds the parameters as a (fast, slow) pair, which would change what every
    layer above the optimizer holds; here the slow weights live in the optimizer's state, so the
    parameters stay the network's own and a run ends on the slow weights.
    """
    def init(params):
        return LookaheadState(inner.init(params), params, jnp.zeros((), jnp.int32))

    def update(grads, state, params):
        updates, inner_state = inner.update(grads, state.inner, params)
        fast = optax.apply_updates(params, updates)
        count = state.count + 1
        sync = count % sync_period == 0
        if total_steps is not None:
            sync = sync | (count == total_steps)

        def slow_step(phi, theta):
            return jnp.where(sync, phi + jnp.asarray(alpha, phi.dtype) * (theta - phi), phi)

        slow = jax.tree_util.tree_map(slow_step, state.slow, fast)
        updates = jax.tree_util.tree_map(lambda u, phi, p: jnp.where(sync, phi - p, u), updates, slow, params)
        return updates, LookaheadState(inner_state, slow, count)

    return optax.GradientTransformation(init, update)
