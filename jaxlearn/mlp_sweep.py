"""Many MLPs trained side by side; moved to `jaxlearn.sweeps.mlp` (this name is deprecated and warns)."""

from jaxlearn._errors import warn_moved
from jaxlearn.sweeps.mlp import CPU_CHUNK_BYTES, Sweep, models_per_chunk, train_many

__all__ = ["CPU_CHUNK_BYTES", "Sweep", "models_per_chunk", "train_many"]

warn_moved("jaxlearn.mlp_sweep", "jaxlearn.sweeps")
