"""Many MLPs trained side by side; moved to `jaxlearn.sweeps.mlp` (this name keeps working)."""

from jaxlearn.sweeps.mlp import CPU_CHUNK_BYTES, Sweep, models_per_chunk, train_many

__all__ = ["CPU_CHUNK_BYTES", "Sweep", "models_per_chunk", "train_many"]
