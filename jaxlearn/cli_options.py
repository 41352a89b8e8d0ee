"""The options of `jaxlearn train` and `jaxlearn sweep` that describe the data and the model: one
per TrainConfig field, generated from the dataclass so that the two cannot drift apart (tested)."""

import argparse
import dataclasses
from pathlib import Path

# the exit codes of the jaxlearn command (cli.py and cli_study.py)
EXIT_FAILED, EXIT_USAGE, EXIT_STALLED, EXIT_INTERRUPTED = 1, 2, 3, 130

# TrainConfig field → its command-line option (the others are spelt as the field).
OPTION_NAMES = {"learning_rate": "lr"}
# Options that describe the data rather than the model; a resumed run keeps these too.
DATA_OPTIONS = ("dataset", "validation_size", "train_size", "raw_pixels")


def _option(field: str) -> str:
    return "--" + OPTION_NAMES.get(field, field).replace("_", "-")


def _config_fields() -> list[str]:
    from jaxlearn.training.config import TrainConfig

    return [f.name for f in dataclasses.fields(TrainConfig)]


def _given(args) -> dict:
    """The TrainConfig fields set on the command line (their options default to 'not given')."""
    return {field: getattr(args, field) for field in _config_fields() if hasattr(args, field)}


def _names(text: str) -> tuple:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _positive_ints(text: str) -> tuple:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 512,512, got {text!r}") from None
    if any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError(f"hidden layer sizes must be > 0, got {text!r}")
    return sizes


def add_data_options(p) -> None:
    """--dataset, --data-dir, --train-size, --validation-size, --raw-pixels (train and sweep)."""
    not_given = argparse.SUPPRESS
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=not_given, help="(default: mnist)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder with the IDX files (default: $JAXLEARN_DATA_DIR, the cache, or download)")
    p.add_argument("--train-size", type=int, default=not_given, metavar="N",
                   help="train on a seeded subset of N of the training images (quick studies; default: all)")
    p.add_argument("--validation-size", type=int, default=not_given,
                   help="training images held out for validation (default 5000)")
    p.add_argument("--raw-pixels", action="store_true", default=not_given,
                   help="feed 0–255 pixels instead of [0, 1]")


def add_config_options(p, skip=()) -> None:
    """One option per TrainConfig field (but those in skip), absent from args unless given."""
    from jaxlearn import nn, training
    from jaxlearn.training.config import MODELS

    defaults = training.TrainConfig()
    not_given = argparse.SUPPRESS
    # one option per TrainConfig field, so that the two cannot drift apart (tested)
    choices = {"activation": list(nn.ACTIVATIONS), "loss": list(nn.LOSSES), "output": list(nn.OUTPUTS),
               "optimizer": list(training.OPTIMIZERS), "schedule": list(training.SCHEDULES),
               "gradient": list(training.GRADIENTS), "dtype": list(training.DTYPES), "model": list(MODELS),
               "init": list(nn.mlp.INITS), "conv_init": list(training.config.CONV_INITS)}
    helps = {"hidden": "hidden layer sizes", "learning_rate": "learning rate η (peak, for the cosine schedule)",
             "output": "output activation (default: softmax for cross_entropy, sigmoid for quadratic)",
             "momentum": "for --optimizer momentum or nesterov", "epochs": "passes over the training set",
             "gradient": "autodiff (jax.grad) or backprop (the lecture's equations by hand)",
             "model": "mlp (dense layers, --hidden) or cnn (convolutions, --architecture)",
             "architecture": f"the CNN's layers joined by '-': {nn.cnn.LAYER_HELP}",
             "image_shape": "channels,height,width of the CNN's input images",
             "augment": "CNN only, on the device: any of shift,flip,erase (comma-separated; no flip on mnist)",
             "lam": "L2 penalty λ/2 Σ‖W‖² on the weights", "weight_decay": "decoupled weight decay (AdamW)",
             "init": "MLP initialisation (he, or scikit-learn's glorot_uniform)",
             "label_smoothing": "label smoothing ε: targets (1 − ε) y + ε/K (cross-entropy)",
             "warmup_epochs": "epochs of linear learning-rate warm-up from 0 before the schedule",
             "test_flip": "CNN: test-time augmentation, the mean logits of each image and its mirror (not on mnist)",
             "ema_decay": "d > 0: an exponential moving average of the weights, tested and saved as the model",
             "dropout": "MLP: dropout rate p of the hidden units while training (a CNN's is in --architecture)",
             "bn_momentum": "CNN: batch normalisation's momentum m, μ_run ← m μ_run + (1 − m) μ (PyTorch's: 1 − m)",
             "bn_bias_lr": "CNN: the learning-rate factor of batch normalisation's shifts β",
             "conv_init": "CNN: he, or dirac (each 3×3 convolution starts as the identity on its first channels)",
             "lookahead": "k > 0: Lookahead, the slow weights move every k steps and the weights jump to them",
             "lookahead_alpha": "Lookahead's α: the fraction of the way the slow weights move",
             "test_shift": "CNN: test-time views shifted by one pixel, 0.5 x + 0.25 each shift (with --test-flip: "
                           "each view mirrored too)"}
    for field in dataclasses.fields(training.TrainConfig):
        if field.name in skip:
            continue
        default = getattr(defaults, field.name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        kind = {"hidden": _positive_ints, "learning_rate": float, "momentum": float, "lam": float,
                "weight_decay": float, "batch_size": int, "label_smoothing": float, "warmup_epochs": int,
                "ema_decay": float, "dropout": float, "bn_momentum": float, "bn_bias_lr": float,
                "lookahead": int, "lookahead_alpha": float,
                "epochs": int, "seed": int, "image_shape": _positive_ints, "augment": _names}.get(field.name)
        help_text = helps.get(field.name, field.name.replace("_", " "))
        if field.name != "output":
            help_text += f" (default: {shown})"
        if isinstance(default, bool):    # a switch: --test-flip / --no-test-flip
            p.add_argument(_option(field.name), dest=field.name, action=argparse.BooleanOptionalAction,
                           default=not_given, help=help_text)
            continue
        p.add_argument(_option(field.name), dest=field.name, type=kind, choices=choices.get(field.name),
                       default=not_given, help=help_text)
