"""Run folders; moved to `jaxlearn.training.runs` (this name is deprecated and warns)."""

from jaxlearn._errors import warn_moved
from jaxlearn.training.runs import (
    CHECKPOINT,
    CONFIG,
    METRICS,
    PARAMS,
    RUN_KEYS,
    RunFolderError,
    evaluate_run,
    prepare_data,
    read_run_config,
    train_and_evaluate,
)

__all__ = ["CHECKPOINT", "CONFIG", "METRICS", "PARAMS", "RUN_KEYS", "RunFolderError", "evaluate_run", "prepare_data",
           "read_run_config", "train_and_evaluate"]

warn_moved("jaxlearn.runs", "jaxlearn.training.runs")
