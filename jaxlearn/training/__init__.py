"""Training MLPs: configuration, optimizers, the jitted step and epoch loop, evaluation,
checkpoints and run folders.

    config.py      TrainConfig: every choice of a run, checked when made
    optimizers.py  make_optimizer: optimizer and learning-rate schedule by name (the one factory)
    step.py        one minibatch update; the jitted scan over an epoch's batches
    evaluate.py    loss and accuracy in blocks; the divergence check between epochs
    data.py        input checks at the entry; the 60/20/20 split
    loop.py        fit: the epochs, progress bar, metrics, resumable
    checkpoint.py  save / load parameters and optimizer state
    runs.py        a run in a folder: config, metrics, checkpoints, figures (the CLI's train/evaluate)
"""

from jaxlearn.training.config import DTYPES, GRADIENTS, OPTIMIZERS, SCHEDULES, TrainConfig
from jaxlearn.training.data import check_training_data, check_validation_data, split_indices
from jaxlearn.training.evaluate import check_not_diverged, evaluate, initial_loss, predict, predict_proba
from jaxlearn.training.loop import fit, init_state
from jaxlearn.training.optimizers import learning_rate_schedule, make_optimizer, with_peak_learning_rate
from jaxlearn.training.step import (
    PROGRESS_UPDATES_PER_EPOCH,
    TrainState,
    epoch_batches,
    make_run_batches,
    make_step,
    progress_blocks,
)

__all__ = ["DTYPES", "GRADIENTS", "OPTIMIZERS", "SCHEDULES", "TrainConfig", "check_training_data",
           "check_validation_data", "split_indices", "check_not_diverged", "evaluate", "initial_loss", "predict",
           "predict_proba", "fit", "init_state", "learning_rate_schedule", "make_optimizer", "with_peak_learning_rate",
           "PROGRESS_UPDATES_PER_EPOCH", "TrainState", "epoch_batches", "make_run_batches", "make_step",
           "progress_blocks"]
