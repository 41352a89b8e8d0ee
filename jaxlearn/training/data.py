"""The training data checked once, at the entry, and the lecture's train/validation/test split."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._validation import check_labels, check_matrix, check_validation_data  # noqa: F401 (re-exported)
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
    labels, n_classes = check_labels(labels, X.shape[0], y_name, n_classes=n_classes, x_name=x_name)
    present = np.unique(labels)
    if present.size < 2:
        raise ValueError(f"{y_name} holds a single class ({int(present[0])}); a classifier needs at least two "
                         "classes in its training data")
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size={config.batch_size} is larger than the training set ({X.shape[0]} samples)")
    return X, (labels if to_host else jnp.asarray(labels)), n_classes
