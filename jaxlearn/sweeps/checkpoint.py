"""A sweep's checkpoint: after each epoch, the stacked training states of all models and their
curves so far, so that an interrupted `train_many` (Ctrl-C, a reboot) continues where it stopped
and ends with the parameters of an uninterrupted sweep, bit for bit: epoch e's batches depend only
on (data seed, e), and the states are saved exactly.

The file also holds the sweep's signature (its settings, configuration and data shape): a
checkpoint of another sweep is refused, never silently continued.
"""

import json

import jax
import numpy as np

from jaxlearn.training.checkpoint import CheckpointError, _atomic_savez, _read_npz, stored_tree

__all__ = ["save_sweep", "load_sweep", "CURVES"]

# the per-model arrays the loop keeps between epochs
CURVES = ("losses", "accuracy", "val_loss", "val_accuracy", "diverged", "start_losses", "best_losses")


def signature(config, settings: dict, data_shape) -> str:
    return json.dumps({"config": config.signature_dict(), "data": list(data_shape),
                       "settings": {k: np.asarray(v).tolist() for k, v in settings.items()}}, sort_keys=True)


def save_sweep(path, states, epoch: int, curves: dict, sign: str):
    """Write the states (any pytree of arrays, stacked over models), the finished epochs and the curves."""
    leaves = jax.tree_util.tree_leaves(jax.device_get(states))
    arrays = {f"state_{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    arrays |= {f"curve_{name}": np.asarray(curves[name]) for name in CURVES}
    arrays |= {"epoch": np.array(epoch), "signature": np.array(sign)}
    return _atomic_savez(path, arrays)


def load_sweep(path, template, sign: str):
    """(states in the structure of `template`, finished epochs, curves) of a checkpoint of this sweep."""
    arrays = _read_npz(path)
    if str(arrays.get("signature", "")) != sign:
        raise ValueError(f"{path} is the checkpoint of another sweep (other settings, configuration or data); "
                         "delete it or choose another folder")
    states, _ = stored_tree(arrays, "state_", template)
    if states is None:
        raise CheckpointError(f"{path}: its states do not fit the sweep's models; the file is damaged")
    return states, int(arrays["epoch"]), {name: arrays[f"curve_{name}"].copy() for name in CURVES}
