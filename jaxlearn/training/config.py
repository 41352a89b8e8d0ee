"""The configuration of a training run: every choice that defines it, checked when it is made."""

import dataclasses
import functools

from jaxlearn import nn
from jaxlearn._validation import check_option, check_scalar
from jaxlearn.nn.augment import check_augmentations
from jaxlearn.nn.network import Network
from jaxlearn.training import model

OPTIMIZERS = ("adam", "momentum", "nesterov", "sgd")
SCHEDULES = ("cosine", "constant", "triangular")
GRADIENTS = ("autodiff", "backprop")
DTYPES = ("float32", "float64")
CONV_INITS = ("he", "dirac")
# fields added after 0.1, whose default leaves a run as 0.1 trained it: a saved signature (a
# sweep's checkpoint) leaves them out at their defaults, so that 0.1's checkpoints still fit
ADDED_SINCE_0_1 = ("bn_momentum", "bn_bias_lr", "conv_init", "test_shift", "lookahead", "lookahead_alpha")
MODELS = tuple(model.NETWORKS)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (saved with it, so that it can be reproduced)."""

    hidden: tuple = (512, 512)
    activation: str = "relu"
    loss: str = "cross_entropy"
    output: str | None = None           # default: softmax for cross-entropy, sigmoid for quadratic
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    schedule: str = "cosine"            # cosine decay to 0 over the run, constant, or triangular (optimizers.py)
    momentum: float = 0.9               # for optimizer="momentum" or "nesterov"
    batch_size: int = 128
    epochs: int = 10
    seed: int = 0
    gradient: str = "autodiff"          # or "backprop": the lecture's equations by hand
    dtype: str = "float32"
    model: str = "mlp"                  # or "cnn": `architecture` then replaces `hidden`
    architecture: str = "c16bn-c16bn-p-c32bn-c32bn-p-d128-drop0.5"   # the CNN's layers (jaxlearn.nn.cnn)
    image_shape: tuple = (1, 28, 28)    # (channels, H, W) the CNN sees each flattened input row as
    augment: tuple = ()                 # CNN only: "shift", "flip", "erase" (jaxlearn.nn.augment)
    lam: float = 0.0                    # L2 penalty λ/2 Σ_l ‖W^l‖² on the weights (not the biases)
    weight_decay: float = 0.0           # decoupled weight decay w: −η_t w θ each step (AdamW; optimizers.py)
    init: str = "he"                    # MLP only: "he" or scikit-learn's "glorot_uniform" (nn.init_mlp)
    label_smoothing: float = 0.0        # ε: train on targets (1 − ε) y + ε/K (cross-entropy only)
    warmup_epochs: int = 0              # η rises linearly from 0 to its peak over these epochs, then the schedule
    test_flip: bool = False             # CNN: predict from the mean logits of each image and its mirror (TTA)
    ema_decay: float = 0.0              # d > 0: keep θ_ema ← d θ_ema + (1 − d) θ after each step, the model saved
    dropout: float = 0.0                # MLP: inverted dropout of rate p on every hidden layer while training
    bn_momentum: float = 0.9            # CNN: m of batch normalisation's μ_run ← m μ_run + (1 − m) μ
    bn_bias_lr: float = 1.0             # CNN: the batch normalisations' shifts β move this many times as far
    conv_init: str = "he"               # CNN: "he", or "dirac" (3×3 convolutions start as the identity)
    test_shift: bool = False            # CNN: test-time views shifted by one pixel (nn.network.CNN.logits)
    lookahead: int = 0                  # k > 0: Lookahead, the slow weights step every k steps (optimizers.py)
    lookahead_alpha: float = 0.5        # α: the slow weights move α of the way to the fast ones

    def __post_init__(self):
        if isinstance(self.hidden, str) or not hasattr(self.hidden, "__iter__"):
            hint = f" such as ({self.hidden},)" if isinstance(self.hidden, int) else ""
            raise TypeError(f"hidden must be a sequence of hidden layer sizes{hint}, got "
                            f"{type(self.hidden).__name__} {self.hidden!r}")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for i, n in enumerate(self.hidden):
            check_scalar(n, f"hidden[{i}] (a hidden layer size)", minimum=1, integer=True)
        check_option(self.activation, "activation", tuple(nn.ACTIVATIONS))
        check_option(self.loss, "loss", nn.LOSSES)
        nn.make_loss(self.loss, activation=self.activation, output=self.output)  # validates the pair
        check_option(self.optimizer, "optimizer", OPTIMIZERS)
        check_scalar(self.learning_rate, "learning_rate", minimum=0, strict=True)
        check_option(self.schedule, "schedule", SCHEDULES)
        check_scalar(self.momentum, "momentum", minimum=0)
        check_scalar(self.batch_size, "batch_size", minimum=1, integer=True)
        check_scalar(self.epochs, "epochs", minimum=1, integer=True)
        check_scalar(self.seed, "seed", minimum=0, integer=True)
        check_option(self.gradient, "gradient", GRADIENTS)
        check_option(self.dtype, "dtype", DTYPES)
        check_option(self.model, "model", MODELS)
        check_scalar(self.lam, "lam", minimum=0)
        check_scalar(self.weight_decay, "weight_decay", minimum=0)
        check_option(self.init, "init", nn.mlp.INITS)
        check_scalar(self.label_smoothing, "label_smoothing", minimum=0)
        if self.label_smoothing >= 1:
            raise ValueError(f"label_smoothing must be < 1 (ε = 1 would leave no label), got {self.label_smoothing}")
        if self.label_smoothing and self.loss != "cross_entropy":
            raise ValueError(f"label_smoothing smooths the targets of the cross-entropy; loss={self.loss!r} "
                             "takes none")
        check_scalar(self.warmup_epochs, "warmup_epochs", minimum=0, integer=True)
        if self.warmup_epochs >= self.epochs:
            raise ValueError(f"warmup_epochs ({self.warmup_epochs}) must be fewer than epochs ({self.epochs}): the "
                             "warm-up would take the whole run")
        check_scalar(self.ema_decay, "ema_decay", minimum=0)
        if self.ema_decay >= 1:
            raise ValueError(f"ema_decay must be < 1 (d = 1 would never move from the initialisation), got "
                             f"{self.ema_decay}")
        check_scalar(self.dropout, "dropout", minimum=0)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be < 1 (the fraction of hidden units dropped; p = 1 would drop them all), "
                             f"got {self.dropout}")
        check_scalar(self.bn_momentum, "bn_momentum", minimum=0)
        if self.bn_momentum >= 1:
            raise ValueError(f"bn_momentum must be < 1 (m = 1 would never move the running statistics), got "
                             f"{self.bn_momentum}")
        check_scalar(self.bn_bias_lr, "bn_bias_lr", minimum=0)
        check_option(self.conv_init, "conv_init", CONV_INITS)
        check_scalar(self.lookahead, "lookahead", minimum=0, integer=True)
        check_scalar(self.lookahead_alpha, "lookahead_alpha", minimum=0, strict=True)
        if self.lookahead_alpha > 1:
            raise ValueError(f"lookahead_alpha must be in (0, 1] (the fraction of the way the slow weights move), "
                             f"got {self.lookahead_alpha}")
        for name in ("test_flip", "test_shift"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.schedule == "triangular" and self.warmup_epochs:
            raise ValueError(f"schedule='triangular' rises from 0.2 η to η by itself over the first 20 % of the "
                             f"steps; warmup_epochs={self.warmup_epochs} would add a second rise: set it to 0")
        object.__setattr__(self, "image_shape", tuple(self.image_shape))
        object.__setattr__(self, "augment", (self.augment,) if isinstance(self.augment, str) else tuple(self.augment))
        check_augmentations(self.augment)
        model.network(self)     # the settings that only one kind of network takes, checked by the one that takes them

    @functools.cached_property
    def network(self) -> Network:
        """The network this config trains (`jaxlearn.training.model.network`), built once."""
        return model.network(self)

    @property
    def output_activation(self) -> str:
        return self.output or nn.default_output(self.loss)

    def signature_dict(self) -> dict:
        """`to_dict` without the fields added since 0.1 that keep their defaults (a saved sweep's
        signature: `jaxlearn.sweeps.checkpoint`)."""
        defaults = TrainConfig()
        return {name: value for name, value in self.to_dict().items()
                if name not in ADDED_SINCE_0_1 or value != getattr(defaults, name)}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"hidden": list(self.hidden), "image_shape": list(self.image_shape),
                                           "augment": list(self.augment)}
