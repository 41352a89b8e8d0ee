"""Shape buckets: the sample axis padded up to a few sizes, so that one compiled program serves
many data sets.

A jitted program is compiled for each new shape. Cross-validation folds (M·(k−1)/k ± 1
samples), grid-search refits and every new data set bring new M, and on small data that
compilation costs 10–100× the arithmetic. So the fitting and predicting functions pad the
samples to `bucket(M)` rows and mask the padded rows out (a weight of zero in every loss and
statistic, never a support vector, never in a batch), and the programs see only bucket sizes.

The bucket rule: a power of two up to 512 rows (at least 16), then four sizes per octave on
a grid of at most 1024,

    bucket(M) = max(16, 2^⌈log₂ M⌉)                                  for M ≤ 512,
    bucket(M) = ⌈M / s⌉ · s,   s = min(2^(⌈log₂ M⌉ − 3), 1024)       beyond,

so 16, 32, 64, 128, 256, 512, 640, 768, 896, 1024, 1280, … 8192, 9216, 10240, … Below 512
rows a fit's arithmetic is nothing beside a compilation (0.3–1.5 s), so a few sizes there
serve every small data set, cross-validation fold and gallery example (up to twice the rows);
beyond, padding adds less than 25 % rows (just above a power of two, M ≤ 8192) and less than
1024 / M beyond: 10 000 → 10 240 (2.4 %), 60 000 → 60 416 (0.7 %).

The feature axis of a linear model is padded too, on small problems only (`feature_bucket`,
`pad_problem`): zero columns whose coefficients stay exactly 0.
"""

import math

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

SMALLEST = 16
POWERS_OF_TWO_UP_TO = 512
LARGEST_STEP = 1024


def bucket(m: int) -> int:
    """The padded size for m samples (see the module docstring); bucket(m) ≥ m."""
    m = int(m)
    if m <= POWERS_OF_TWO_UP_TO:
        return max(SMALLEST, 2 ** math.ceil(math.log2(max(m, 1))))
    step = min(2 ** (math.ceil(math.log2(m)) - 3), LARGEST_STEP)
    return -(-m // step) * step


def padded_size(m: int, n_devices: int = 1) -> int:
    """bucket(m), rounded up to a multiple of n_devices (so that its rows split evenly over them)."""
    return -(-bucket(m) // n_devices) * n_devices


def pad_rows(array: np.ndarray, size: int) -> np.ndarray:
    """array (NumPy) with zero rows appended along axis 0 up to `size` rows. On the host: an eager
    jnp.pad would itself compile a program for every shape. The new array is 64-byte aligned,
    which lets JAX's CPU client take it without a copy (`jax.device_put`: 9 against 90 ms for
    MNIST's 190 MB)."""
    missing = size - array.shape[0]
    if missing < 0:
        raise ValueError(f"cannot pad {array.shape[0]} rows down to {size}")
    if missing == 0:
        return array
    padded = aligned_empty((size, *array.shape[1:]), array.dtype)
    padded[:array.shape[0]] = array         # written once (np.zeros, then a copy: its pages twice, ~3× slower)
    padded[array.shape[0]:] = 0
    return padded


ALIGNMENT = 64      # bytes: what XLA:CPU wants of a host buffer it uses in place


def aligned_empty(shape, dtype) -> np.ndarray:
    """An uninitialised NumPy array whose data starts on an ALIGNMENT-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + ALIGNMENT, np.uint8)
    offset = -raw.ctypes.data % ALIGNMENT
    return raw[offset:offset + nbytes].view(dtype).reshape(shape)


def sample_weights(m: int, size: int, dtype) -> np.ndarray:
    """(size,) weights 1/m on the m real samples and 0 on the padding: a mean over the real
    samples is Σ w_i ℓ_i over all rows."""
    weights = np.zeros(size, dtype)
    weights[:m] = 1.0 / m
    return weights


def pad_samples(X, *targets):
    """X (M, …) and the targets (M, …), on the host in X's dtype, padded with zero rows to
    bucket(M), and the sample weights that mask the padding out: (X, *targets, weights). A fit
    on them minimises the same mean objective, with one compiled program per bucket."""
    X = np.asarray(X)
    size = bucket(X.shape[0])
    return (pad_rows(X, size), *(pad_rows(np.asarray(t, X.dtype), size) for t in targets),
            sample_weights(X.shape[0], size, X.dtype))


FEATURE_PADDING_LIMIT = 64     # features; beyond, the padding's arithmetic outweighs a compilation


def feature_bucket(n: int) -> int:
    """The padded number of features for n: bucket(n) up to FEATURE_PADDING_LIMIT, n beyond.
    Small problems (where compiling costs 10–100× the arithmetic) then share one program for
    1…8 features, 9…10, …; larger ones keep their width (MNIST's 785 would grow by 14 %)."""
    return bucket(n) if n <= FEATURE_PADDING_LIMIT else int(n)


def pad_columns(array: np.ndarray, size: int) -> np.ndarray:
    """array (NumPy, ≥ 1-D) with zeros appended along its last axis up to `size` (on the host)."""
    array = np.asarray(array)
    missing = size - array.shape[-1]
    if missing < 0:
        raise ValueError(f"cannot pad {array.shape[-1]} columns down to {size}")
    if missing == 0:
        return array
    return np.concatenate([array, np.zeros((*array.shape[:-1], missing), array.dtype)], axis=-1)


def pad_problem(X, *targets):
    """`pad_samples`, and X's columns (features) padded with zeros to `feature_bucket(N)`:
    (X, *targets, weights). A linear model's padded coefficients have zero gradient (the column is
    0 and the penalty λθ is 0 at θ = 0), so a solver started at 0 there leaves them exactly 0 and
    the real ones minimise the same objective; cut them off with `theta[:N]` (on the host)."""
    X, *rest = pad_samples(X, *targets)
    return (pad_columns(X, feature_bucket(X.shape[1])), *rest)


def map_row_blocks(program, X, block: int | None = None, *, mesh=None):
    """program(rows) over X (M, …) in row blocks of at most `block` rows (default: all at once),
    each block padded to its bucket (and, with a data-parallel `mesh`, to a multiple of its
    devices, over which its rows are then split); the outputs (an array, or a tuple of arrays, one row per
    input row) are cut back and joined on the host, as NumPy: for row-wise programs
    (transforms, predictions), whose padded rows do not touch the real ones. Cutting on the host
    matters: an eager slice of a JAX array compiles a program for every (bucket, M) pair."""
    X = np.asarray(X)
    block = X.shape[0] if block is None else block
    parts = []
    for start in range(0, X.shape[0], block):
        rows = X[start:start + block]
        n = rows.shape[0]
        padded = pad_rows(rows, padded_size(n, 1 if mesh is None else mesh.devices.size))
        if mesh is not None:      # rows split over the mesh's (first) axis
            padded = jax.device_put(padded, NamedSharding(mesh, PartitionSpec(mesh.axis_names[0])))
        parts.append(jax.tree.map(lambda out, n=n: np.asarray(out)[:n], program(padded)))
    return parts[0] if len(parts) == 1 else jax.tree.map(lambda *outs: np.concatenate(outs), *parts)
