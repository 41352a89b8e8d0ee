"""TensorBoard event files for a run: each epoch's metrics as scalars, under run_dir/tensorboard.

    jaxlearn train --tensorboard --out runs/a      then      tensorboard --logdir runs

The scalars are loss/train, loss/val, accuracy/train and accuracy/val at step = epoch; a resumed
run appends its epochs to the same folder. Written through tensorboardX, the maintained writer
that needs neither TensorFlow nor PyTorch: the optional extra `pip install 'jaxlearn[tensorboard]'`.
The run folder's metrics.json is written either way.
"""

from pathlib import Path

FOLDER = "tensorboard"
SCALARS = {"train_loss": "loss/train", "val_loss": "loss/val", "train_accuracy": "accuracy/train",
           "val_accuracy": "accuracy/val"}


class EpochWriter:
    """Call with an epoch's record ({"epoch", "train_loss", …}) to write its scalars; close() at the end."""

    def __init__(self, run_dir):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError("--tensorboard needs tensorboardX: pip install 'jaxlearn[tensorboard]' (or "
                              "pip install tensorboardX)") from None
        self.folder = Path(run_dir) / FOLDER
        self._writer = SummaryWriter(str(self.folder))

    def __call__(self, record: dict) -> None:
        for key, tag in SCALARS.items():
            if key in record:
                self._writer.add_scalar(tag, float(record[key]), int(record["epoch"]))
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
