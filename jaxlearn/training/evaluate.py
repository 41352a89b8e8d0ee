"""Evaluation of trained parameters, in blocks, and the divergence check between epochs."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import divergence, nn
from jaxlearn._errors import DivergenceError
from jaxlearn._validation import check_labels, check_matrix, check_scalar
from jaxlearn.buckets import bucket, map_row_blocks, pad_rows, padded_size
from jaxlearn.parallel import (
    addressable,
    data_mesh,
    device_count,
    local_mesh,
    put,
    replicated,
    shard_rows,
)
from jaxlearn.training import model
from jaxlearn.training.config import TrainConfig

# Rows per evaluated block. A CNN keeps every layer's activations for the whole block: the
# Fashion-MNIST CNN c32bn-c32bn-p-c64bn-c64bn-p-d256 with test-time flips peaked at 15.8 GB on
# 10 000 test images in one block, and at 2.1 GB (and twice as fast, 10.6 s against 21.0 s here)
# in blocks of 1 000.
MLP_BLOCK, CNN_BLOCK = 10_000, 1_000


def default_block(config) -> int:
    """Rows per evaluated block for the config's network (MLP_BLOCK or CNN_BLOCK)."""
    return CNN_BLOCK if config.model == "cnn" else MLP_BLOCK


@partial(jax.jit, static_argnames=("config",))
def _evaluate_block(params, batch_stats, X, labels, Y, valid, *, config: model.Network):
    """(Σ of the per-sample losses, correct predictions) over the rows marked valid."""
    z = model.logits(config, params, X, batch_stats=batch_stats)
    per_sample = jax.vmap(lambda z_m, y_m: nn.loss_from_logits(z_m[None], y_m[None], config.loss,
                                                               config.output_activation))(z, Y)
    correct = jnp.sum(valid & (jnp.argmax(z, axis=1).astype(labels.dtype) == labels))
    return jnp.sum(jnp.where(valid, per_sample, 0)), correct


def evaluate(params, X: ArrayLike, labels: ArrayLike, config: TrainConfig, block: int | None = None, *,
             devices=None, batch_stats=()) -> dict:
    """Mean loss and accuracy of params on (X (M, n_0), labels (M,)), in blocks of `block` rows
    (default `default_block`: 10 000 for an MLP, 1 000 for a CNN, whose activations are larger).

    Each block is padded to its bucket (`jaxlearn.buckets`; the padding is masked out), so a
    new number of samples compiles nothing new. devices: as `jaxlearn.training.fit` (default:
    every device JAX sees), here splitting each block's rows over them. batch_stats: the
    running statistics of a CNN with batch normalisation (`TrainState.batch_stats`).
    """
    block = check_scalar(default_block(config) if block is None else block, "block", minimum=1, integer=True)
    X = check_matrix(X, to_host=True)
    labels, _ = check_labels(labels, X.shape[0], "labels")
    model.check_batch_stats(config, batch_stats)
    mesh = data_mesh(devices)
    blocks = evaluation_blocks(X, labels, params[-1][0].shape[0], block, mesh)
    return evaluate_blocks(params, blocks, config, mesh, batch_stats=batch_stats)


def evaluation_blocks(X: np.ndarray, labels: np.ndarray, n_classes: int, block: int = MLP_BLOCK, mesh=None) -> list:
    """(X (M, n_0), labels (M,)) (NumPy, checked) as the padded blocks `evaluate_blocks` takes,
    each (its arrays on the devices, its number of real rows). Built once, a training run's
    validation set is evaluated after every epoch without copying, padding or checking it again."""
    blocks = []
    for start in range(0, X.shape[0], block):
        Xb, yb = X[start:start + block], labels[start:start + block]
        size = padded_size(Xb.shape[0], device_count(mesh))
        Y = np.eye(n_classes, dtype=Xb.dtype)[yb]
        valid = np.arange(size) < Xb.shape[0]
        blocks.append(([shard_rows(pad_rows(a, size), mesh) for a in (Xb, yb, Y, valid)], Xb.shape[0]))
    return blocks


def evaluate_blocks(params, blocks: list, config: TrainConfig, mesh=None, *, batch_stats=()) -> dict:
    """Mean loss and accuracy of params over `evaluation_blocks`."""
    params, batch_stats = _placed((params, batch_stats), mesh)
    total_loss, total_correct, total = 0.0, 0, 0
    for rows, n_rows in blocks:
        loss, correct = _evaluate_block(params, batch_stats, *rows, config=model.network(config))
        total_loss += float(loss)
        total_correct += int(correct)
        total += n_rows
    return {"loss": total_loss / total, "accuracy": total_correct / total}


def _placed(tree, mesh):
    """tree on this process's device (one device) or replicated over the mesh."""
    return addressable(tree) if mesh is None else put(tree, replicated(mesh))


@partial(jax.jit, static_argnames=("config",))
def _outputs_block(params, batch_stats, X, *, config: model.Network):
    z = model.logits(config, params, X, batch_stats=batch_stats)
    return jnp.argmax(z, axis=1), nn.apply_output(z, config.output_activation)


def _outputs(params, X, config: TrainConfig, block, devices, batch_stats):
    """(classes (M,), outputs a^L (M, K)) on the host, in blocks padded to buckets (`jaxlearn.buckets`)."""
    block = check_scalar(default_block(config) if block is None else block, "block", minimum=1, integer=True)
    model.check_batch_stats(config, batch_stats)
    mesh = local_mesh(data_mesh(devices))       # every row comes back to this host
    params, batch_stats = _placed((params, batch_stats), mesh)
    program = partial(_outputs_block, params, batch_stats, config=model.network(config))
    return map_row_blocks(program, np.asarray(X, params[0][0].dtype), block, mesh=mesh)


def predict(params, X: ArrayLike, config: TrainConfig, block: int | None = None, *, devices=None,
            batch_stats=()) -> jax.Array:
    """Predicted classes (M,) in blocks (rows split over `devices`, as `evaluate`); a JAX array,
    as the functional API returns (the estimators return NumPy)."""
    return jax.device_put(_outputs(params, X, config, block, devices, batch_stats)[0])


def predict_proba(params, X: ArrayLike, config: TrainConfig, block: int | None = None, *,
                  devices=None, batch_stats=()) -> jax.Array:
    """The network's outputs a^L (M, K) (class probabilities for a softmax output), in blocks;
    a JAX array."""
    return jax.device_put(_outputs(params, X, config, block, devices, batch_stats)[1])


def initial_loss(params, X, Y, config: TrainConfig, *, batch_stats=()) -> float:
    """L_0: the mean loss of the initial parameters on the first `divergence.INITIAL_LOSS_SAMPLES`
    samples of X (M, n_0) with one-hot targets Y (M, K)."""
    rows, n = initial_loss_rows(X, Y)
    loss_sum, _ = _evaluate_block(params, batch_stats, *rows, config=model.network(config))
    return float(loss_sum) / n


def initial_loss_rows(X, Y):
    """((X_0, labels_0, Y_0, valid), n): the first n = min(M, `divergence.INITIAL_LOSS_SAMPLES`)
    rows of X and Y, cut and padded to their bucket on the host (no slicing program per shape,
    one loss program per bucket), as `_evaluate_block` takes them."""
    n = min(X.shape[0], divergence.INITIAL_LOSS_SAMPLES)
    X, Y = np.asarray(X)[:n], np.asarray(Y)[:n]
    size = bucket(n)
    return tuple(pad_rows(a, size) for a in (X, np.argmax(Y, axis=1), Y, np.ones(n, bool))), n


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
