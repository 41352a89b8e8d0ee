"""When is training not learning? A plateau at chance, which the divergence rule cannot see.

A learning rate too large for ReLUs can push every hidden unit's input below 0 for every sample
in the first epoch (SGD with η = 10, Adam with η = 1 on MNIST): the units are dead, no gradient
reaches them again, and the network predicts one class for every input. Its loss settles at the
cross-entropy of the class shares, about ln K, and never grows, so `jaxlearn.divergence` is
silent. An epoch e is *at chance* when

    acc_e ≤ chance + max(SAMPLES / n,     chance = the largest class's share of the labels,
                         BATCH_SAMPLES / B)  n = the samples the epoch's accuracy counts, B the
                                          batch size, and
    |L_e − H(p)| ≤ LOSS_TOLERANCE · ln K  (cross-entropy only) H(p) = −Σ_k p_k ln p_k, the loss
                                          of predicting the class shares p (ln K when balanced);
                                          with an L2 penalty the epoch loss holds λ/2 ‖W‖² too,
                                          and the accuracy alone decides

and a run has *stalled* once STALLED_EPOCHS epochs in a row are at chance, after at least
MIN_STEPS optimizer steps (a run of a few dozen small steps may not have moved yet). The accuracy allows
a few samples' worth above chance, not a percentage: a network that has learned anything at all
is far above that. Half a sample per batch on top: a network stuck on one class per batch, its
bias moved by every step, can follow the class shares from batch to batch a little (measured:
Adam with η = 1 on 2 000 MNIST images, batches of 50: 11.8 % against a chance of 11.2 %). Where
that tolerance exceeds MAX_TOLERANCE (fewer than 100 samples, batches of fewer than 10) no epoch
is called at chance: a few samples would be a large share of them. A healthy run is far above
chance after its first epoch (2 000 MNIST images, Adam with η = 10⁻³: 60 % against 11 %). A stall
is reported by a `StalledTrainingWarning`, not an error: the run's state is kept, and a run may
still recover; the CLI exits with status 3 when the run ends stalled, after writing its folder.
"""

import numpy as np

from jaxlearn._errors import StalledTrainingWarning

SAMPLES = 5
BATCH_SAMPLES = 0.5
MAX_TOLERANCE = 0.05
LOSS_TOLERANCE = 0.1
STALLED_EPOCHS = 2
MIN_STEPS = 100

__all__ = ["SAMPLES", "BATCH_SAMPLES", "MAX_TOLERANCE", "LOSS_TOLERANCE", "STALLED_EPOCHS", "MIN_STEPS",
           "StalledTrainingWarning", "class_shares", "loss_kind", "at_chance", "stalled", "describe"]


def class_shares(y, n_classes: int) -> np.ndarray:
    """p_k: the share of each class 0 … K−1 among the labels y (M,); (K,)."""
    return np.bincount(np.asarray(y).astype(np.int64).ravel(), minlength=n_classes)[:n_classes] / np.size(y)


def loss_kind(config) -> str:
    """What `at_chance` compares the epoch loss with: the config's loss, or "penalised" when the
    epoch loss is not the plain loss of the labels (an L2 penalty λ/2 ‖W‖² adds to it, or label
    smoothing changes its targets): then the accuracy alone tells a stall."""
    return config.loss if not (config.lam or config.label_smoothing) else "penalised"


def at_chance(loss, accuracy, shares: np.ndarray, n_counted: int, batch_size: int,
              loss_name: str = "cross_entropy"):
    """Whether an epoch's (mean training loss, training accuracy) is at chance (element-wise)."""
    shares = np.asarray(shares, dtype=float)
    tolerance = max(SAMPLES / max(int(n_counted), 1), BATCH_SAMPLES / max(int(batch_size), 1))
    if tolerance > MAX_TOLERANCE:           # too few samples, or batches too small, to tell
        return np.zeros(np.broadcast(np.asarray(loss), np.asarray(accuracy)).shape, bool)
    result = np.asarray(accuracy, dtype=float) <= shares.max() + tolerance
    if loss_name == "cross_entropy":
        with np.errstate(invalid="ignore"):
            result &= np.abs(np.asarray(loss, dtype=float) - _entropy(shares)) <= LOSS_TOLERANCE * np.log(len(shares))
    return result


def stalled(chance_flags, steps_per_epoch: int = MIN_STEPS) -> np.ndarray:
    """Whether the last STALLED_EPOCHS epochs were all at chance, with MIN_STEPS steps taken by
    then; chance_flags (..., epochs) bool."""
    flags = np.asarray(chance_flags, dtype=bool)
    if flags.shape[-1] < STALLED_EPOCHS or flags.shape[-1] * steps_per_epoch < MIN_STEPS:
        return np.zeros(flags.shape[:-1], bool)
    return flags[..., -STALLED_EPOCHS:].all(axis=-1)


def describe(history: list, shares: np.ndarray, learning_rate: float, learning_rate_name: str = "learning rate",
             loss_name: str = "cross_entropy", activation: str = "relu") -> str:
    """The warning's text for a stalled run, from its epoch records (train_loss, train_accuracy)."""
    last = history[-STALLED_EPOCHS:]
    epochs = f"epochs {last[0]['epoch']}–{last[-1]['epoch']}"
    losses = ", ".join(f"{h['train_loss']:.3f}" for h in history)
    level = (f"the loss sits at the entropy of the class shares ({_entropy(shares):.3f}; ln K = "
             f"{np.log(len(shares)):.3f}) and " if loss_name == "cross_entropy" else "")
    first = history[0]["train_loss"]
    large = loss_name == "cross_entropy" and first > 1.5 * np.log(len(shares))
    dead = " (dead ReLUs: every unit's input below 0 for every sample, so no gradient reaches them)" \
        if activation == "relu" else ""
    cause = (f"The first epoch's loss ({first:.3g}) shows a step far too large{dead}. Try a {learning_rate_name} "
             f"10 to 100 times smaller than {learning_rate:g}."
             if large else
             f"Likely causes: a step too large{dead} or too small to move; inputs that are not scaled; labels that "
             f"do not depend on the inputs. Try a {learning_rate_name} 10 times smaller than {learning_rate:g}, "
             "then larger ones.")
    return (f"training is not learning: in {epochs} {level}the training accuracy stays at chance "
            f"({100 * last[-1]['train_accuracy']:.1f} %, the largest class's share being {100 * shares.max():.1f} %): "
            f"the network predicts the same class for every input. Losses per epoch: {losses}. "
            f"{learning_rate_name} = {learning_rate:g}. {cause}")


def _entropy(shares) -> float:
    p = np.asarray(shares, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))
