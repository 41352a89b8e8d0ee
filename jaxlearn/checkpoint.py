"""Checkpoints; moved to `jaxlearn.training.checkpoint` (this name is deprecated and warns)."""

from jaxlearn._errors import warn_moved
from jaxlearn.training.checkpoint import (
    CheckpointError,
    CheckpointMismatchError,
    load_checkpoint,
    load_model,
    load_params,
    save_checkpoint,
    save_params,
)

__all__ = ["CheckpointError", "CheckpointMismatchError", "load_checkpoint", "load_model", "load_params",
           "save_checkpoint", "save_params"]

warn_moved("jaxlearn.checkpoint", "jaxlearn.training.checkpoint")
