"""Checkpoints; moved to `jaxlearn.training.checkpoint` (this name keeps working)."""

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
