"""The optimizers of a training run, by name, with the learning-rate schedule: the one factory
used by `jaxlearn.training.fit` and by `jaxlearn.sweeps.train_many`.

    "sgd"       θ ← θ − η_t ∇L                 the lecture's rule (optax.sgd)
    "momentum"  v ← β v + ∇L, θ ← θ − η_t v     (optax.sgd with momentum β)
    "adam"      optax.adam

η_t is the peak learning rate, constant or decayed to 0 along a cosine over the run.
"""

import optax

from jaxlearn.training.config import TrainConfig


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int, peak=None):
    """η_t: `peak` (default config.learning_rate; may be a traced array), constant or cosine-decayed
    to 0 over config.epochs × steps_per_epoch steps."""
    peak = config.learning_rate if peak is None else peak
    if config.schedule == "cosine":
        return optax.cosine_decay_schedule(peak, config.epochs * steps_per_epoch)
    return peak


def make_optimizer(config: TrainConfig, steps_per_epoch: int, *, learning_rate=None) -> optax.GradientTransformation:
    """config's optimizer with its learning-rate schedule.

    Args:
        config: the run's `TrainConfig` (optimizer, momentum, schedule, epochs, learning_rate).
        steps_per_epoch: minibatches per epoch (the cosine schedule's length is epochs × this).
        learning_rate: the peak rate instead of config.learning_rate: a number, a traced array,
            or "state" for an optimizer whose peak rate is a leaf of its state
            (`optax.inject_hyperparams`): models stacked along a leading axis of their states
            then train under vmap with a rate each (`jaxlearn.sweeps.train_many`); its init
            takes the params and the rate is set with `with_peak_learning_rate`.
    """
    if isinstance(learning_rate, str):
        if learning_rate != "state":
            raise ValueError(f"learning_rate must be a number, an array or 'state', got {learning_rate!r}")
        return optax.inject_hyperparams(lambda peak: make_optimizer(config, steps_per_epoch, learning_rate=peak))(
            peak=config.learning_rate)
    rate = learning_rate_schedule(config, steps_per_epoch, learning_rate)
    if config.optimizer == "sgd":
        return optax.sgd(rate)
    if config.optimizer == "momentum":
        return optax.sgd(rate, momentum=config.momentum)
    return optax.adam(rate)


def with_peak_learning_rate(opt_state, rate):
    """An `optax.inject_hyperparams` state (make_optimizer(..., learning_rate="state")) with its peak rate set."""
    return opt_state._replace(hyperparams={**opt_state.hyperparams, "peak": rate})
