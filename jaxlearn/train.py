"""Minibatch training of MLPs; moved to the package `jaxlearn.training`, whose public names this
module re-exports (`from jaxlearn.train import …` is deprecated and warns)."""

from jaxlearn._errors import warn_moved
from jaxlearn.training import (
    DTYPES,
    GRADIENTS,
    OPTIMIZERS,
    PROGRESS_UPDATES_PER_EPOCH,
    SCHEDULES,
    TrainConfig,
    TrainState,
    check_not_diverged,
    check_training_data,
    check_validation_data,
    epoch_batches,
    evaluate,
    fit,
    init_state,
    initial_loss,
    make_optimizer,
    make_run_batches,
    make_step,
    predict,
    progress_blocks,
    split_indices,
)

__all__ = ["DTYPES", "GRADIENTS", "OPTIMIZERS", "PROGRESS_UPDATES_PER_EPOCH", "SCHEDULES", "TrainConfig",
           "TrainState", "check_not_diverged", "check_training_data", "check_validation_data", "epoch_batches",
           "evaluate", "fit", "init_state", "initial_loss", "make_optimizer", "make_run_batches", "make_step",
           "predict", "progress_blocks", "split_indices"]

warn_moved("jaxlearn.train", "jaxlearn.training")
