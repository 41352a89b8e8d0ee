"""Shape buckets: the sample axis padded up to a few sizes, so that one compiled program serves
many data sets.

A jitted program is compiled for each new shape. Cross-validation folds (M·(k−1)/k ± 1
samples), grid-search refits and every new data set bring new M, and on small data that
compilation costs 10–100× the arithmetic. So the fitting and predicting functions pad the
samples to `bucket(M)` rows and mask the padded rows out (a weight of zero in every loss and
statistic, never a support vector, never in a batch), and the programs see only bucket sizes.

The bucket rule: four sizes per octave, on a grid of at most 1024,

    bucket(M) = ⌈M / s⌉ · s,   s = min(2^(⌈log₂ M⌉ − 3), 1024),   and at least 8,

so 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, … 1024, 1280, 1536, 1792, 2048, 2560, … 8192,
9216, 10240, … Padding adds less than 25 % rows (just above a power of two, M ≤ 8192) and less
than 1024 / M beyond: 10 000 → 10 240 (2.4 %), 60 000 → 60 416 (0.7 %).
"""

import math

import jax.numpy as jnp
import numpy as np

SMALLEST = 8
LARGEST_STEP = 1024


def bucket(m: int) -> int:
    """The padded size for m samples (see the module docstring); bucket(m) ≥ m."""
    m = int(m)
    if m <= SMALLEST:
        return SMALLEST
    step = min(2 ** max(math.ceil(math.log2(m)) - 3, 0), LARGEST_STEP)
    return -(-m // step) * step


def pad_rows(array, size: int):
    """array with zero rows appended along axis 0 up to `size` rows (NumPy in, NumPy out; JAX likewise)."""
    missing = size - array.shape[0]
    if missing < 0:
        raise ValueError(f"cannot pad {array.shape[0]} rows down to {size}")
    if missing == 0:
        return array
    widths = [(0, missing)] + [(0, 0)] * (array.ndim - 1)
    return np.pad(array, widths) if isinstance(array, np.ndarray) else jnp.pad(array, widths)


def sample_weights(m: int, size: int, dtype) -> np.ndarray:
    """(size,) weights 1/m on the m real samples and 0 on the padding: a mean over the real
    samples is Σ w_i ℓ_i over all rows."""
    weights = np.zeros(size, dtype)
    weights[:m] = 1.0 / m
    return weights


def unpad_rows(array, m: int):
    """The first m rows of a program's padded output. Sliced on the host: an eager slice of a
    JAX array would itself compile a program for every (bucket, m) pair."""
    if array.shape[0] == m:
        return array
    return jnp.asarray(np.asarray(array)[:m])


def on_bucket(program, X, *args):
    """program(X padded to bucket(M) rows, *args), cut back to M rows: for row-wise programs
    (transforms, predictions), whose padded rows do not touch the real ones."""
    X = np.asarray(X)
    return unpad_rows(program(pad_rows(X, bucket(X.shape[0])), *args), X.shape[0])
