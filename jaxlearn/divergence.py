"""When has training diverged? The lecture's curve C (η too large), not only NaN.

An epoch's mean training loss L_e has diverged when

    L_e is NaN or ±inf,   or   L_e > max(GROWTH · L_best, L_0),

where L_0 is the loss of the initial parameters (on at most INITIAL_LOSS_SAMPLES training
samples) and L_best = min(L_0, L_1, …, L_{e−1}) the lowest loss so far. In words: the loss
grew to GROWTH = 100 times its best (the start counts) and is worse than the untrained model.
A learning rate far too large shows it in the first epoch (Adam with η = 10⁴ on MNIST: L_1 ≈
10⁹ against L_0 ≈ 2.3); one that was fine until the loss blew up later shows it when the
loss passes L_0 again after falling a hundred-fold, or climbs past 100 × L_best.
The factor is large on purpose: training on unscaled inputs with a large but workable η is
chaotic, and its epoch loss can jump ten-fold (measured: 0.9 → 9.1 on inputs around 100)
and then recover; that is not divergence.
"""

import numpy as np

__all__ = ["loss_limit", "has_diverged", "describe"]

GROWTH = 100.0
INITIAL_LOSS_SAMPLES = 2048


def loss_limit(initial_loss, best_loss):
    """max(GROWTH · L_best, L_0): a finite epoch loss above this has diverged (arrays work too)."""
    return np.maximum(GROWTH * np.minimum(best_loss, initial_loss), initial_loss)


def has_diverged(loss, initial_loss, best_loss):
    """True where the loss is NaN/inf or above `loss_limit` (element-wise for arrays)."""
    loss = np.asarray(loss, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(loss) | (loss > loss_limit(initial_loss, best_loss))


def describe(loss, epoch: int, initial_loss: float, best_loss: float) -> str:
    """What happened, in words, for an error message."""
    if not np.isfinite(loss):
        return f"the training loss became {loss} in epoch {epoch}"
    return (f"the training loss grew to {loss:.4g} in epoch {epoch}, above "
            f"max({GROWTH:g} × best {min(best_loss, initial_loss):.4g}, start {initial_loss:.4g})")
