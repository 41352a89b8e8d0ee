"""How a run reports its progress: a bar where one can be redrawn, one line per epoch elsewhere.

    progress=True     a tqdm bar on a terminal or in a notebook; one line per epoch when the
                      output goes to a file or a pipe (a bar there is one long line of
                      carriage-return frames), as pip, Keras (verbose=2) and Lightning do
    progress="bar"    the bar, wherever the output goes
    progress="lines"  one line per epoch (the CLI's --no-progress)
    progress=False    nothing
"""

import sys

MODES = (True, False, "bar", "lines")


def resolve(progress) -> str:
    """"bar", "lines" or "off" for a fit's `progress` argument."""
    if progress is True:
        interactive = "ipykernel" in sys.modules or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
        return "bar" if interactive else "lines"
    if progress is False or progress is None:
        return "off"
    if progress in ("bar", "lines"):
        return progress
    raise ValueError(f"progress must be True, False, 'bar' or 'lines', got {progress!r}")


def epoch_line(record: dict, epochs: int, seconds: float) -> str:
    """'epoch 2/10  train loss 0.1234 acc 96.31%  val loss 0.0981 acc 97.02%  3.1 s'."""
    line = (f"epoch {record['epoch']}/{epochs}  train loss {record['train_loss']:.4f} "
            f"acc {100 * record['train_accuracy']:.2f}%")
    if "val_loss" in record:
        line += f"  val loss {record['val_loss']:.4f} acc {100 * record['val_accuracy']:.2f}%"
    return line + f"  {seconds:.1f} s" + ("  (stalled)" if record.get("stalled") else "")
