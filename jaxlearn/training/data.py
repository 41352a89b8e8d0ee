"""The training data checked once, at the entry, and the lecture's train/validation/test split."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._errors import UnscaledInputWarning, warn
from jaxlearn._validation import (  # noqa: F401 (check_validation_data re-exported)
    check_every_class_present,
    check_labels,
    check_matrix,
    check_validation_data,
)
from jaxlearn.data.mnist import flatten_images, load_mnist
from jaxlearn.training.config import TrainConfig


def split_indices(key, n_samples: int, fractions=(0.6, 0.2, 0.2)) -> list[np.ndarray]:
    """Shuffled index sets in the given proportions (the lecture's 60/20/20 by default).

    Sizes are rounded down except the last part, which takes the rest.
    """
    fractions = tuple(float(f) for f in fractions)
    if any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be positive and sum to 1, got {fractions}")
    order = np.asarray(jax.random.permutation(key, n_samples))
    bounds = np.cumsum([int(f * n_samples) for f in fractions[:-1]])
    return np.split(order, bounds)


def check_training_data(config: TrainConfig, X, labels, *, n_classes: int | None = None, names=("X_train", "y_train"),
                        to_host: bool = False):
    """Inputs X (M, n_0), finite, in config.dtype, and labels (M,) integers 0 … K−1, with
    config.batch_size ≤ M. Returns (X, labels, K) as JAX arrays (to_host=True: NumPy arrays, for
    data that is padded on the host first) and an int."""
    x_name, y_name = names
    if np.ndim(X) != 2:
        raise ValueError(f"{x_name} must be (M, n_features) (flatten images with "
                         f"jaxlearn.data.flatten_images), got shape {np.shape(X)}")
    X = check_matrix(X, x_name, to_host=to_host).astype(jnp.dtype(config.dtype), copy=False)
    given = n_classes is not None
    labels, n_classes = check_labels(labels, X.shape[0], y_name, n_classes=n_classes, x_name=x_name)
    if not given:
        check_every_class_present(labels, n_classes, y_name)
    warn_if_unscaled(X, x_name)
    present = np.unique(labels)
    if present.size < 2:
        raise ValueError(f"{y_name} holds a single class ({int(present[0])}); a classifier needs at least two "
                         "classes in its training data")
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size={config.batch_size} is larger than the training set ({X.shape[0]} samples)")
    return X, (labels if to_host else jnp.asarray(labels)), n_classes


# Inputs "look unscaled" when a column's spread is far beyond unit scale (0–255 pixels: up to 110),
# or the columns' scales differ by orders of magnitude (metres next to micrometres). Scaled data
# stay far from both: pixels in [0, 1] have column standard deviations ≤ 0.5, standardised ones 1.
LARGEST_SCALE = 20.0
SCALE_SPREAD = 1e3


def warn_if_unscaled(X, name: str = "X") -> None:
    """An `UnscaledInputWarning` when X's columns look unscaled (see LARGEST_SCALE, SCALE_SPREAD)."""
    scales = np.std(np.asarray(X, dtype=np.float32), axis=0)
    scales = scales[scales > 0]
    if not scales.size:
        return
    largest, typical = float(scales.max()), float(np.median(scales))
    if largest <= LARGEST_SCALE and largest <= SCALE_SPREAD * typical:
        return
    why = (f"a column's standard deviation is {largest:.3g} (far beyond unit scale)" if largest > LARGEST_SCALE
           else f"the columns' standard deviations range from {typical:.3g} (median) to {largest:.3g}")
    warn(f"{name} looks unscaled: {why}. Gradient-based training works poorly on such inputs (the lecture: "
         "scaling is very important). Scale images to [0, 1] with jaxlearn.data.flatten_images (the CLI's "
         "default), or standardise with jaxlearn.fit_standardizer / sklearn's StandardScaler. To silence this: "
         "warnings.filterwarnings('ignore', category=jaxlearn.UnscaledInputWarning)", UnscaledInputWarning)


def prepare_data(dataset: str, data_dir=None, *, validation_size: int = 5000, seed: int = 0,
                 scale: bool = True, dtype="float32", train_size: int | None = None) -> dict:
    """Flattened, scaled MNIST-style data with a seeded validation part carved from training.

    train_size: train on that many of the remaining training images only (a seeded subset, the
    same for the same seed: quick studies); None, all of them. The test set is always whole.
    """
    data = load_mnist(dataset, data_dir)
    X = flatten_images(data.train_images, scale=scale, dtype=np.dtype(dtype))
    y = data.train_labels.astype(np.int32)
    if isinstance(validation_size, bool) or not isinstance(validation_size, int | np.integer):
        raise TypeError(f"validation_size must be an integer, got {validation_size!r}")
    if not 0 <= validation_size < X.shape[0]:
        raise ValueError(f"validation_size must be in [0, {X.shape[0]}), got {validation_size}")
    if train_size is not None and (isinstance(train_size, bool) or not isinstance(train_size, int | np.integer)
                                   or not 1 <= train_size <= X.shape[0] - validation_size):
        raise ValueError(f"train_size must be an integer in [1, {X.shape[0] - validation_size}] (the training "
                         f"images left after validation_size={validation_size}), got {train_size!r}")
    # one seeded order: the first validation_size images validate, the next train_size train
    order = np.asarray(jax.random.permutation(jax.random.fold_in(jax.random.key(seed), 2), X.shape[0]))
    val, train = order[:validation_size], order[validation_size:]
    if train_size is not None:
        train = train[:train_size]
    return {"X_train": X[train], "y_train": y[train], "X_val": X[val] if validation_size else None,
            "y_val": y[val] if validation_size else None,
            "X_test": flatten_images(data.test_images, scale=scale, dtype=np.dtype(dtype)),
            "y_test": data.test_labels.astype(np.int32), "test_images": data.test_images,
            "class_names": data.class_names, "source": str(data.source)}
