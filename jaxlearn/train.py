"""Minibatch training of MLPs, the lecture's strategy, fast by design.

Per epoch: shuffle, split into batches, per batch forward / backward / update; training and
validation loss per epoch, the test set at the end. The batches of an epoch run as a few
jitted `lax.scan` calls (a handful of dispatches per epoch, for the progress bar), with
the data on the device. Every random choice comes from the config's seed, and epoch e
uses fold_in(seed, e), so a resumed run ends with the same parameters as an uninterrupted one.
"""

import dataclasses
import math
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlearn import divergence, nn
from jaxlearn._errors import DivergenceError
from jaxlearn._validation import check_labels, check_matrix, check_option, check_scalar, check_validation_X
from jaxlearn.backprop import backprop

OPTIMIZERS = ("adam", "momentum", "sgd")
SCHEDULES = ("cosine", "constant")
GRADIENTS = ("autodiff", "backprop")
DTYPES = ("float32", "float64")
PROGRESS_UPDATES_PER_EPOCH = 8


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (saved with it, so that it can be reproduced)."""

    hidden: tuple = (512, 512)
    activation: str = "relu"
    loss: str = "cross_entropy"
    output: str | None = None           # default: softmax for cross-entropy, sigmoid for quadratic
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    schedule: str = "cosine"            # cosine decay to 0 over the run, or constant
    momentum: float = 0.9               # for optimizer="momentum"
    batch_size: int = 128
    epochs: int = 10
    seed: int = 0
    gradient: str = "autodiff"          # or "backprop": the lecture's equations by hand
    dtype: str = "float32"

    def __post_init__(self):
        if isinstance(self.hidden, str) or not hasattr(self.hidden, "__iter__"):
            hint = f" such as ({self.hidden},)" if isinstance(self.hidden, int) else ""
            raise TypeError(f"hidden must be a sequence of hidden layer sizes{hint}, got "
                            f"{type(self.hidden).__name__} {self.hidden!r}")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for i, n in enumerate(self.hidden):
            check_scalar(n, f"hidden[{i}] (a hidden layer size)", minimum=1, integer=True)
        check_option(self.activation, "activation", tuple(nn.ACTIVATIONS))
        check_option(self.loss, "loss", nn.LOSSES)
        nn.make_loss(self.loss, activation=self.activation, output=self.output)  # validates the pair
        check_option(self.optimizer, "optimizer", OPTIMIZERS)
        check_scalar(self.learning_rate, "learning_rate", minimum=0, strict=True)
        check_option(self.schedule, "schedule", SCHEDULES)
        check_scalar(self.momentum, "momentum", minimum=0)
        check_scalar(self.batch_size, "batch_size", minimum=1, integer=True)
        check_scalar(self.epochs, "epochs", minimum=1, integer=True)
        check_scalar(self.seed, "seed", minimum=0, integer=True)
        check_option(self.gradient, "gradient", GRADIENTS)
        check_option(self.dtype, "dtype", DTYPES)

    @property
    def output_activation(self) -> str:
        return self.output or nn.default_output(self.loss)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"hidden": list(self.hidden)}


class TrainState(NamedTuple):
    params: Any
    opt_state: Any


def plain_sgd(learning_rate) -> optax.GradientTransformation:
    """The lecture's rule θ ← θ − η ∇L, written out as an optax transformation.

    learning_rate: a number or a schedule step → η.
    """
    def init(params):
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update(grads, state, params=None):
        eta = learning_rate(state.count) if callable(learning_rate) else learning_rate
        updates = jax.tree_util.tree_map(lambda g: -jnp.asarray(eta, g.dtype) * g, grads)
        return updates, optax.ScaleByScheduleState(count=state.count + 1)

    return optax.GradientTransformation(init, update)


def make_optimizer(config: TrainConfig, steps_per_epoch: int) -> optax.GradientTransformation:
    """The configured optimizer with its learning-rate schedule."""
    rate = (optax.cosine_decay_schedule(config.learning_rate, config.epochs * steps_per_epoch)
            if config.schedule == "cosine" else config.learning_rate)
    if config.optimizer == "sgd":
        return plain_sgd(rate)
    if config.optimizer == "momentum":
        return optax.sgd(rate, momentum=config.momentum)
    return optax.adam(rate)


def make_step(config: TrainConfig, optimizer: optax.GradientTransformation, *, layout: str = "rows") -> Callable:
    """One minibatch update: (state, X_batch, Y_batch) → (state, (loss, correct)).

    layout: how the forward pass runs the batch (`jaxlearn.nn.logits`); same result.
    """
    output = config.output_activation

    def loss_and_logits(params, X, Y):
        z = nn.logits(params, X, activation=config.activation, layout=layout)
        return nn.loss_from_logits(z, Y, config.loss, output), z

    def step(state: TrainState, X, Y):
        if config.gradient == "autodiff":
            (loss, z), grads = jax.value_and_grad(loss_and_logits, has_aux=True)(state.params, X, Y)
        else:
            loss, z = loss_and_logits(state.params, X, Y)
            grads = backprop(state.params, X, Y, activation=config.activation, loss=config.loss,
                             output=output)
        # optax mixes Python floats with int32 step counts, which strict dtype promotion
        # (equinox-style test settings, or a user's) refuses; its own code is standard-safe.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        correct = jnp.sum(jnp.argmax(z, axis=1) == jnp.argmax(Y, axis=1))
        return TrainState(params, opt_state), (loss, correct)

    return step


def make_run_batches(step: Callable) -> Callable:
    """Jitted: run `step` over a (n_batches, batch_size) block of sample indices under lax.scan."""
    @jax.jit
    def run_batches(state, X, Y, batch_indices):
        def body(state, idx):
            return step(state, X[idx], Y[idx])

        state, (losses, correct) = jax.lax.scan(body, state, batch_indices)
        return state, jnp.sum(losses), jnp.sum(correct)

    return run_batches


def epoch_batches(key, epoch: int, n_samples: int, batch_size: int) -> np.ndarray:
    """Shuffled sample indices of one epoch as (n_batches, batch_size); the last partial batch
    is dropped (each epoch drops different samples)."""
    order = np.asarray(jax.random.permutation(jax.random.fold_in(key, epoch), n_samples))
    n_batches = n_samples // batch_size
    return order[: n_batches * batch_size].reshape(n_batches, batch_size)


@partial(jax.jit, static_argnames=("activation", "loss", "output"))
def _evaluate_block(params, X, labels, Y, *, activation, loss, output):
    z = nn.logits(params, X, activation=activation)
    correct = jnp.sum(jnp.argmax(z, axis=1).astype(labels.dtype) == labels)
    return nn.loss_from_logits(z, Y, loss, output) * X.shape[0], correct


def evaluate(params, X, labels, config: TrainConfig, block: int = 10_000) -> dict:
    """Mean loss and accuracy of params on (X (M, n_0), labels (M,)), in blocks of `block` rows."""
    block = check_scalar(block, "block", minimum=1, integer=True)
    X = check_matrix(X)
    labels, _ = check_labels(labels, X.shape[0], "labels")
    labels = jnp.asarray(labels)
    n_classes = params[-1][0].shape[0]
    total_loss, total_correct = 0.0, 0
    for start in range(0, X.shape[0], block):
        Xb, yb = X[start:start + block], labels[start:start + block]
        loss, correct = _evaluate_block(params, Xb, yb, nn.one_hot(yb, n_classes, dtype=Xb.dtype),
                                        activation=config.activation, loss=config.loss,
                                        output=config.output_activation)
        total_loss += float(loss)
        total_correct += int(correct)
    return {"loss": total_loss / X.shape[0], "accuracy": total_correct / X.shape[0]}


def predict(params, X, config: TrainConfig, block: int = 10_000) -> np.ndarray:
    """Predicted classes (M,) in blocks."""
    block = check_scalar(block, "block", minimum=1, integer=True)
    return np.concatenate([np.asarray(nn.predict(params, X[s:s + block], activation=config.activation))
                           for s in range(0, X.shape[0], block)])


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


def initial_loss(params, X, Y, config: TrainConfig) -> float:
    """L_0: the mean loss of the initial parameters on the first `divergence.INITIAL_LOSS_SAMPLES`
    samples of X (M, n_0) with one-hot targets Y (M, K)."""
    n = min(X.shape[0], divergence.INITIAL_LOSS_SAMPLES)
    loss_sum, _ = _evaluate_block(params, X[:n], jnp.argmax(Y[:n], axis=1), Y[:n], activation=config.activation,
                                  loss=config.loss, output=config.output_activation)
    return float(loss_sum) / n


def check_not_diverged(loss: float, epoch: int, start_loss: float, best_loss: float,
                       config: TrainConfig, learning_rate_name: str = "learning rate") -> None:
    """Raise `DivergenceError` when epoch `epoch`'s mean loss has diverged (`jaxlearn.divergence`)."""
    if not divergence.has_diverged(loss, start_loss, best_loss):
        return
    kept = ("the initial parameters were kept (no epoch finished before it)" if epoch == 1
            else f"the parameters of epoch {epoch - 1}, the last good one, were kept")
    raise DivergenceError(
        f"{divergence.describe(loss, epoch, start_loss, best_loss)}: training diverged and stopped; "
        f"{kept}. The {learning_rate_name} {config.learning_rate:g} is too large: try "
        f"{config.learning_rate / 10:g}, or scale the inputs.")


def split_indices(key, n_samples: int, fractions=(0.6, 0.2, 0.2)) -> list[np.ndarray]:
    """Shuffled index sets in the given proportions (the lecture's 60/20/20 by default).

    Sizes are rounded down except the last part, which takes the rest.
    """
    fractions = tuple(float(f) for f in fractions)
    if any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be positive and sum to 1, got {fractions}")
    order = np.asarray(jax.random.permutation(key, n_samples))
    bounds = np.cumsum([int(f * n_samples) for f in fractions[:-1]])
    return np.split(order, bounds)


def init_state(config: TrainConfig, n_features: int, n_classes: int, steps_per_epoch: int):
    """Fresh parameters (from the config's seed) and optimizer state; returns (state, optimizer)."""
    sizes = [n_features, *config.hidden, n_classes]
    params = nn.init_mlp(jax.random.fold_in(jax.random.key(config.seed), 0), sizes,
                         activation=config.activation, dtype=jnp.dtype(config.dtype))
    optimizer = make_optimizer(config, steps_per_epoch)
    return TrainState(params, optimizer.init(params)), optimizer


def check_training_data(config: TrainConfig, X, labels, *, n_classes: int | None = None, names=("X_train", "y_train")):
    """Inputs X (M, n_0), finite, in config.dtype, and labels (M,) integers 0 … K−1, with
    config.batch_size ≤ M. Returns (X, labels, K) as JAX arrays and an int."""
    x_name, y_name = names
    if np.ndim(X) != 2:
        raise ValueError(f"{x_name} must be (M, n_features) (flatten images with "
                         f"jaxlearn.data.flatten_images), got shape {np.shape(X)}")
    X = check_matrix(X, x_name).astype(jnp.dtype(config.dtype))
    labels, n_classes = check_labels(labels, X.shape[0], y_name, n_classes=n_classes, x_name=x_name)
    present = np.unique(labels)
    if present.size < 2:
        raise ValueError(f"{y_name} holds a single class ({int(present[0])}); a classifier needs at least two "
                         "classes in its training data")
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size={config.batch_size} is larger than the training set ({X.shape[0]} samples)")
    return X, jnp.asarray(labels), n_classes


def check_validation_data(X_val, y_val, n_features: int, n_classes: int, dtype):
    """(X_val (M_v, n_0), y_val (M_v,)) checked like the training data, or (None, None)."""
    X_val = check_validation_X(X_val, y_val, n_features, dtype)
    if X_val is None:
        return None, None
    y_val, _ = check_labels(y_val, X_val.shape[0], "y_val", n_classes=n_classes, x_name="X_val")
    return X_val, jnp.asarray(y_val)


def fit(config: TrainConfig, X_train, y_train, X_val=None, y_val=None, *, n_classes: int | None = None,
        state: TrainState | None = None, start_epoch: int = 0, history: list | None = None,
        on_epoch_end: Callable | None = None, progress: bool = True, learning_rate_name: str = "learning rate"):
    """Train an MLP: config.epochs epochs of shuffled minibatches, metrics after each epoch.

    Args:
        config: the run's `TrainConfig`.
        X_train: (M, n_0) finite inputs; y_train: (M,) integer labels 0 … K−1.
        X_val, y_val: optional validation set (both or neither), evaluated after each epoch.
        n_classes: K (default: max label + 1).
        state, start_epoch, history: continue a run (see `jaxlearn.checkpoint`).
        on_epoch_end: called as on_epoch_end(epoch, state, history) after each good epoch
            (checkpointing goes here).
        progress: show a tqdm progress bar with the running loss and accuracy.
        learning_rate_name: what the divergence message calls the learning rate (a wrapper's
            own parameter name, e.g. "learning_rate_init").

    Returns:
        (state, history): the final `TrainState` and one dict of metrics per epoch.

    Raises:
        DivergenceError: the loss became NaN/inf or grew far above its start and its best
        (the rule is in `jaxlearn.divergence`); `.result` holds (state, history) of the
        last good epoch.
    """
    from tqdm.auto import tqdm

    X_train, y_train, n_classes = check_training_data(config, X_train, y_train, n_classes=n_classes)
    Y_train = nn.one_hot(y_train, n_classes, dtype=X_train.dtype)
    X_val, y_val = check_validation_data(X_val, y_val, X_train.shape[1], n_classes, X_train.dtype)
    steps = X_train.shape[0] // config.batch_size
    fresh, optimizer = init_state(config, X_train.shape[1], n_classes, steps)
    state = fresh if state is None else state
    nn.check_params(state.params, X_train.shape[1])
    run_batches = make_run_batches(make_step(config, optimizer))
    history = list(history or [])
    # L_0 from the seeded initial parameters, also when resuming: the same start as the first run
    start_loss = initial_loss(fresh.params, X_train, Y_train, config)
    best_loss = min([start_loss] + [h["train_loss"] for h in history])
    key = jax.random.fold_in(jax.random.key(config.seed), 1)

    bar = tqdm(total=(config.epochs - start_epoch) * steps, unit="batch", disable=not progress,
               dynamic_ncols=True)
    try:
        for epoch in range(start_epoch, config.epochs):
            new_state, loss_sum, correct, seen = state, 0.0, 0, 0
            for block in progress_blocks(epoch_batches(key, epoch, X_train.shape[0], config.batch_size)):
                new_state, block_loss, block_correct = run_batches(new_state, X_train, Y_train, jnp.asarray(block))
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
                metrics = evaluate(state.params, X_val, y_val, config)
                record |= {"val_loss": metrics["loss"], "val_accuracy": metrics["accuracy"]}
                bar.set_postfix_str(f"epoch {epoch + 1}/{config.epochs} loss {train_loss:.4f} "
                                    f"val_acc {metrics['accuracy']:.4f}")
            history.append(record)
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, state, history)
    finally:
        bar.close()
    return state, history
