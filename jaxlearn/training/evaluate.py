"""Evaluation of trained parameters, in blocks, and the divergence check between epochs."""

import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn import divergence, nn
from jaxlearn._errors import DivergenceError
from jaxlearn._validation import check_labels, check_matrix, check_scalar
from jaxlearn.buckets import bucket, map_row_blocks, pad_rows, padded_size
from jaxlearn.nn.network import Network
from jaxlearn.parallel import (
    addressable,
    data_mesh,
    device_count,
    local_mesh,
    put,
    replicated,
    shard_rows,
)
from jaxlearn.training.config import TrainConfig

# The deprecated keyword's "not given" (evaluate, predict, … take the TrainState instead).
_NOT_GIVEN = object()


def _parts(model, config: TrainConfig, batch_stats, caller: str) -> tuple:
    """(params, the network's state) of what `fit` returned (a TrainState) or of bare parameters
    (a network without state), checked against config.network. batch_stats: the deprecated way to
    pass a CNN's state beside its parameters."""
    params, state = _params_and_state(model, bare=lambda params: (params, ()))
    if batch_stats is not _NOT_GIVEN:
        warnings.warn(f"{caller}(..., batch_stats=...) is deprecated: pass the TrainState that fit returned "
                      f"({caller}(state, ...)) for every kind of network", DeprecationWarning, stacklevel=3)
        state = batch_stats
    config.network.check_state(state)
    return params, state


def _params_and_state(model, bare) -> tuple:
    """(params, state) of a TrainState or TrainedModel; bare(model) of anything else."""
    if hasattr(model, "params") and hasattr(model, "batch_stats"):
        return model.params, model.batch_stats
    return bare(model)


@partial(jax.jit, static_argnames=("network",))
def _evaluate_block(params, state, X, labels, Y, valid, *, network: Network):
    """(Σ of the per-sample losses, correct predictions) over the rows marked valid."""
    z = network.logits(params, state, X)
    per_sample = jax.vmap(lambda z_m, y_m: network.loss_value(z_m[None], y_m[None]))(z, Y)
    correct = jnp.sum(valid & (jnp.argmax(z, axis=1).astype(labels.dtype) == labels))
    return jnp.sum(jnp.where(valid, per_sample, 0)), correct


def evaluate(model, X: ArrayLike, labels: ArrayLike, config: TrainConfig, block: int | None = None, *,
             devices=None, batch_stats=_NOT_GIVEN) -> dict:
    """Mean loss and accuracy of a trained network on (X (M, n_0), labels (M,)), in blocks of
    `block` rows (default the network's `eval_block`: 10 000 for an MLP, 1 000 for a CNN, whose
    activations are larger).

    model: what `fit` returned (its TrainState: parameters and the network's state, such as a
    CNN's batch normalisation statistics), or the bare parameters of a network without state.
    Each block is padded to its bucket (`jaxlearn.buckets`; the padding is masked out), so a
    new number of samples compiles nothing new. devices: as `jaxlearn.training.fit` (default:
    every device JAX sees), here splitting each block's rows over them. batch_stats:
    deprecated (pass the TrainState).
    """
    params, state = _parts(model, config, batch_stats, "evaluate")
    block = check_scalar(config.network.eval_block if block is None else block, "block", minimum=1, integer=True)
    X = check_matrix(X, to_host=True)
    labels, _ = check_labels(labels, X.shape[0], "labels")
    mesh = data_mesh(devices)
    blocks = evaluation_blocks(X, labels, params[-1][0].shape[0], block, mesh)
    return evaluate_blocks((params, state), blocks, config, mesh)


def evaluation_blocks(X: np.ndarray, labels: np.ndarray, n_classes: int, block: int = 10_000, mesh=None) -> list:
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


def evaluate_blocks(model, blocks: list, config: TrainConfig, mesh=None) -> dict:
    """Mean loss and accuracy over `evaluation_blocks` of model: a TrainState, or (params, state)."""
    params, state = _placed(_params_and_state(model, bare=tuple), mesh)
    total_loss, total_correct, total = 0.0, 0, 0
    for rows, n_rows in blocks:
        loss, correct = _evaluate_block(params, state, *rows, network=config.network.for_inference())
        total_loss += float(loss)
        total_correct += int(correct)
        total += n_rows
    return {"loss": total_loss / total, "accuracy": total_correct / total}


def _placed(tree, mesh):
    """tree on this process's device (one device) or replicated over the mesh."""
    return addressable(tree) if mesh is None else put(tree, replicated(mesh))


@partial(jax.jit, static_argnames=("network",))
def _outputs_block(params, state, X, *, network: Network):
    z = network.logits(params, state, X)
    return jnp.argmax(z, axis=1), nn.apply_output(z, network.output)


def _outputs(params, state, X, config: TrainConfig, block, devices):
    """(classes (M,), outputs a^L (M, K)) on the host, in blocks padded to buckets (`jaxlearn.buckets`)."""
    block = check_scalar(config.network.eval_block if block is None else block, "block", minimum=1, integer=True)
    mesh = local_mesh(data_mesh(devices))       # every row comes back to this host
    params, state = _placed((params, state), mesh)
    program = partial(_outputs_block, params, state, network=config.network.for_inference())
    return map_row_blocks(program, np.asarray(X, params[0][0].dtype), block, mesh=mesh)


def predict(model, X: ArrayLike, config: TrainConfig, block: int | None = None, *, devices=None,
            batch_stats=_NOT_GIVEN) -> jax.Array:
    """Predicted classes (M,) of what `fit` returned (as `evaluate`), in blocks (rows split over
    `devices`); a JAX array, as the functional API returns (the estimators return NumPy)."""
    params, state = _parts(model, config, batch_stats, "predict")
    return jax.device_put(_outputs(params, state, X, config, block, devices)[0])


def predict_proba(model, X: ArrayLike, config: TrainConfig, block: int | None = None, *,
                  devices=None, batch_stats=_NOT_GIVEN) -> jax.Array:
    """The network's outputs a^L (M, K) (class probabilities for a softmax output) of what `fit`
    returned (as `evaluate`), in blocks; a JAX array."""
    params, state = _parts(model, config, batch_stats, "predict_proba")
    return jax.device_put(_outputs(params, state, X, config, block, devices)[1])


def initial_loss(model, X, Y, config: TrainConfig, *, batch_stats=_NOT_GIVEN) -> float:
    """L_0: the mean loss of the initial network (a TrainState, or bare parameters, as `evaluate`)
    on the first `divergence.INITIAL_LOSS_SAMPLES` samples of X (M, n_0) with one-hot targets Y (M, K)."""
    params, state = _parts(model, config, batch_stats, "initial_loss")
    rows, n = initial_loss_rows(X, Y)
    loss_sum, _ = _evaluate_block(params, state, *rows, network=config.network.for_inference())
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
