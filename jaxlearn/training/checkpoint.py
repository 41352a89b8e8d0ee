"""Parameters and training checkpoints as .npz files (never pickle), written atomically.

A checkpoint holds the parameters, the optimizer state's leaves, the batch normalisation's
running statistics (a CNN with bn layers), the number of finished epochs and the metrics so far.
A parameter file holds [(W^1, b^1), …] as W1, b1, … (a batch normalisation's (γ, β) as its
layer's W and b) and, where the network has them, the running statistics as stats_0, stats_1, ….

Each file is written to a temporary file in the same folder and renamed into place
(`jaxlearn._files`), so an interrupted write never leaves a half-written checkpoint. A damaged
file (truncated, empty, random bytes, pickled data) raises `CheckpointError` naming it, never an
error from inside zipfile or NumPy.
"""

import json
import zipfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._files import atomic_write
from jaxlearn.nn.network import layer_mismatch
from jaxlearn.training.step import TrainedModel, TrainState


class CheckpointError(ValueError):
    """A parameter or checkpoint file cannot be read: missing, damaged or not written by jaxlearn."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint does not fit the architecture or optimizer it is loaded into."""


def _atomic_savez(path, arrays: dict) -> Path:
    path = Path(path)
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise NotADirectoryError(f"cannot write {path}: {blocking} is a file, not a folder; choose another path")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder; give a file name such as {path / 'params.npz'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def _read_npz(path) -> dict:
    """All arrays of an .npz file, read eagerly; damage becomes a `CheckpointError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("a single .npy array, not an .npz archive")
            return {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as err:
        reason = "it is empty" if path.stat().st_size == 0 else f"{type(err).__name__}: {err}"
        raise CheckpointError(f"{path} is damaged and cannot be read ({reason}); restore it from a copy "
                              "or delete it") from None


def _params_arrays(params) -> dict:
    if not isinstance(params, list | tuple) or not all(
            isinstance(layer, list | tuple) and len(layer) == 2 for layer in params):
        got = type(params).__name__ if not isinstance(params, list | tuple) else "a sequence of other items"
        raise TypeError(f"params must be a list of (W, b) pairs, one per layer, as init_mlp and fit return; "
                        f"got {got}")
    arrays = {}
    for layer, (W, b) in enumerate(params, start=1):
        arrays[f"W{layer}"], arrays[f"b{layer}"] = np.asarray(W), np.asarray(b)
    return arrays


def _params_from(arrays: dict, path) -> list:
    layers = sorted(int(k[1:]) for k in arrays if k.startswith("W") and k[1:].isdigit())
    if not layers or layers != list(range(1, len(layers) + 1)) or any(f"b{n}" not in arrays for n in layers):
        raise CheckpointError(f"{path}: no complete W1, b1, W2, b2, … arrays in this file; it was not written "
                              "by jaxlearn.training.checkpoint")
    return [(jnp.asarray(arrays[f"W{n}"]), jnp.asarray(arrays[f"b{n}"])) for n in layers]


def _stats_arrays(batch_stats) -> dict:
    return {f"stats_{i}": np.asarray(leaf) for i, leaf in enumerate(jax.tree_util.tree_leaves(batch_stats))}


def _stats_from(arrays: dict) -> list:
    """[(μ_run, σ²_run), …] from stats_0, stats_1, … ([] when the file has none)."""
    leaves = [jnp.asarray(arrays[f"stats_{i}"]) for i in range(len([k for k in arrays if k.startswith("stats_")]))]
    return [(leaves[i], leaves[i + 1]) for i in range(0, len(leaves) - 1, 2)]


def save_params(path, params, batch_stats=()) -> Path:
    """Write [(W^1, b^1), …] as W1, b1, W2, b2, … in an .npz file, and batch_stats (a CNN's
    batch normalisation statistics) as stats_0, stats_1, …."""
    return _atomic_savez(path, _params_arrays(params) | _stats_arrays(batch_stats))


def load_params(path) -> list:
    """Read parameters written by `save_params` (or a checkpoint) as [(W^1, b^1), …].

    Raises:
        CheckpointError: the file is missing, damaged or holds no W1, b1, … arrays.
    """
    return _params_from(_read_npz(path), path)


def load_model(path) -> TrainedModel:
    """(params, batch_stats) from a file of `save_params` (or a checkpoint), as a `TrainedModel`
    that `evaluate` and `predict` take; batch_stats is [] for a network without batch normalisation."""
    arrays = _read_npz(path)
    return TrainedModel(_params_from(arrays, path), _stats_from(arrays))


def save_checkpoint(path, state: TrainState, epoch: int, history: list) -> Path:
    """Write params, optimizer state, batch statistics, finished epochs and metrics to `path`
    (.npz), atomically."""
    arrays = _params_arrays(state.params) | _stats_arrays(state.batch_stats)
    for i, leaf in enumerate(jax.tree_util.tree_leaves(state.opt_state)):
        arrays[f"opt_{i}"] = np.asarray(leaf)
    for i, leaf in enumerate(jax.tree_util.tree_leaves(state.ema)):     # the weight average (ema_decay > 0)
        arrays[f"ema_{i}"] = np.asarray(leaf)
    arrays["epoch"] = np.array(epoch)
    arrays["history"] = np.array(json.dumps(history))
    return _atomic_savez(path, arrays)


def _optimizer_leaves(arrays: dict, template_leaves, path) -> list:
    """The stored optimizer arrays, each checked against the template's leaf: count, shape, dtype."""
    stored = sorted((k for k in arrays if k.startswith("opt_")), key=lambda k: int(k[4:]))
    if len(stored) != len(template_leaves):
        raise CheckpointMismatchError(
            f"{path}: the checkpoint's optimizer state has {len(stored)} arrays but the configured "
            f"optimizer needs {len(template_leaves)}: it was saved by another optimizer")
    leaves = []
    for i, (name, leaf) in enumerate(zip(stored, template_leaves)):
        value, expected = arrays[name], np.asarray(leaf)
        if name != f"opt_{i}" or value.shape != expected.shape or value.dtype != expected.dtype:
            raise CheckpointMismatchError(
                f"{path}: optimizer array {i} is {value.dtype}{list(value.shape)} in the checkpoint but the "
                f"configured optimizer needs {expected.dtype}{list(expected.shape)}: it was saved by "
                "another optimizer or dtype")
        leaves.append(jnp.asarray(value))
    return leaves


def load_checkpoint(path, template: TrainState):
    """Read a checkpoint into the structure of `template` (a freshly initialised state).

    Returns:
        (state, epoch, history).

    Raises:
        CheckpointError: the file is missing or damaged.
        CheckpointMismatchError: the layers or any optimizer array differ in number, shape or
        dtype from the template's (naming the first that does not fit).
    """
    arrays = _read_npz(path)
    params = _params_from(arrays, path)
    wrong = layer_mismatch(params, template.params, given_name="the checkpoint", expected_name="the architecture")
    if wrong:
        raise CheckpointMismatchError(f"{path}: {wrong}")
    template_leaves, treedef = jax.tree_util.tree_flatten(template.opt_state)
    opt_state = jax.tree_util.tree_unflatten(treedef, _optimizer_leaves(arrays, template_leaves, path))
    # the network's state (batch normalisation's running statistics) in the template's structure
    net_state, stored = stored_tree(arrays, "stats_", template.batch_stats)
    if net_state is None:
        expected = len(jax.tree_util.tree_leaves(template.batch_stats))
        raise CheckpointMismatchError(f"{path}: the checkpoint holds {stored} arrays of network state (batch "
                                      f"normalisation's running means and variances, a whitening layer's "
                                      f"kernels), the network {expected}")
    try:
        epoch, history = int(arrays["epoch"]), json.loads(str(arrays["history"]))
    except (KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: the epoch count or metrics are missing or damaged ({err}); restore the "
                              "file from a copy or delete it") from None
    if not isinstance(history, list) or len(history) != epoch:
        raise CheckpointError(f"{path}: the metrics do not match the epoch count {epoch}; the file is damaged")
    return TrainState(params, opt_state, net_state, _ema_from(arrays, template.ema, path)), epoch, history


def _ema_from(arrays: dict, template, path):
    """The weight average in the structure of template.ema (() when the run keeps none)."""
    tree, stored = stored_tree(arrays, "ema_", template)
    if tree is None:
        raise CheckpointMismatchError(f"{path}: the checkpoint holds {stored} arrays of a weight average "
                                      f"(ema_decay), the run expects {len(jax.tree_util.tree_leaves(template))}: "
                                      "was it written with another ema_decay?")
    return tree


def stored_tree(arrays: dict, prefix: str, template) -> tuple:
    """(the arrays named prefix0, prefix1, … in the structure and dtypes of `template`, or None when
    their number or shapes do not fit it; how many were stored)."""
    leaves, treedef = jax.tree_util.tree_flatten(template)
    stored = sorted((k for k in arrays if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))
    if len(stored) != len(leaves) or any(arrays[k].shape != np.shape(t) for k, t in zip(stored, leaves)):
        return None, len(stored)
    return jax.tree_util.tree_unflatten(treedef, [jnp.asarray(arrays[k], np.asarray(t).dtype)
                                                  for k, t in zip(stored, leaves)]), len(stored)
