"""Parameters and training checkpoints as .npz files (never pickle), written atomically.

A checkpoint holds the parameters, the optimizer state's leaves, the number of finished
epochs and the metrics so far. It is written to a temporary file in the same folder and
renamed into place, so an interrupted write never leaves a half-written checkpoint.
"""

import json
import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn.train import TrainState


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the architecture it is loaded into."""


def _atomic_savez(path: Path, arrays: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)
    return path


def _params_arrays(params) -> dict:
    arrays = {}
    for layer, (W, b) in enumerate(params, start=1):
        arrays[f"W{layer}"], arrays[f"b{layer}"] = np.asarray(W), np.asarray(b)
    return arrays


def save_params(path, params) -> Path:
    """Write [(W^1, b^1), …] as W1, b1, W2, b2, … in an .npz file."""
    return _atomic_savez(path, _params_arrays(params))


def load_params(path) -> list:
    """Read parameters written by `save_params` (or a checkpoint) as [(W^1, b^1), …]."""
    with np.load(path, allow_pickle=False) as data:
        layers = sorted(int(k[1:]) for k in data.files if k.startswith("W") and k[1:].isdigit())
        if not layers:
            raise CheckpointMismatchError(f"{path}: no W1, b1, … arrays in this file")
        return [(jnp.asarray(data[f"W{n}"]), jnp.asarray(data[f"b{n}"])) for n in layers]


def save_checkpoint(path, state: TrainState, epoch: int, history: list) -> Path:
    """Write params, optimizer state, finished epochs and metrics to `path` (.npz), atomically."""
    arrays = _params_arrays(state.params)
    for i, leaf in enumerate(jax.tree_util.tree_leaves(state.opt_state)):
        arrays[f"opt_{i}"] = np.asarray(leaf)
    arrays["epoch"] = np.array(epoch)
    arrays["history"] = np.array(json.dumps(history))
    return _atomic_savez(path, arrays)


def load_checkpoint(path, template: TrainState):
    """Read a checkpoint into the structure of `template` (a freshly initialised state).

    Returns:
        (state, epoch, history).

    Raises:
        CheckpointMismatchError: the layers or optimizer state differ from the template's,
        naming the first layer that does not fit.
    """
    params = load_params(path)
    expected = template.params
    if len(params) != len(expected):
        raise CheckpointMismatchError(f"{path}: the checkpoint has {len(params)} layers, the architecture "
                                      f"{len(expected)}")
    for layer, ((W, b), (W0, b0)) in enumerate(zip(params, expected), start=1):
        if W.shape != W0.shape or b.shape != b0.shape:
            raise CheckpointMismatchError(
                f"{path}: layer {layer} has W {W.shape}, b {b.shape} in the checkpoint but the "
                f"architecture needs W {W0.shape}, b {b0.shape}")
        if W.dtype != W0.dtype:
            raise CheckpointMismatchError(f"{path}: layer {layer} is {W.dtype}, the run uses {W0.dtype}")
    leaves, treedef = jax.tree_util.tree_flatten(template.opt_state)
    with np.load(path, allow_pickle=False) as data:
        stored = [data[f"opt_{i}"] for i in range(len(leaves)) if f"opt_{i}" in data.files]
        if len(stored) != len(leaves) or any(s.shape != np.shape(l) for s, l in zip(stored, leaves)):
            raise CheckpointMismatchError(f"{path}: the optimizer state does not match the configured optimizer")
        epoch, history = int(data["epoch"]), json.loads(str(data["history"]))
    opt_state = jax.tree_util.tree_unflatten(treedef, [jnp.asarray(s, np.asarray(l).dtype)
                                                       for s, l in zip(stored, leaves)])
    return TrainState(params, opt_state), epoch, history
