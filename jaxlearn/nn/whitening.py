"""A frozen patch-whitening first layer (Keller Jordan's airbench): a 2×2 convolution whose
kernels are the eigenvectors of the training images' 2×2 patches, scaled to unit variance.

For the patches p (C·2·2 values each) of a sample of training images, with the covariance
Σ = E diag(λ) Eᵀ (E's columns the eigenvectors, λ descending):

    W = [E / √(λ + ε),  −E / √(λ + ε)]ᵀ        2·C·4 kernels of shape (C, 2, 2)

so that W ∗ x gives each patch's coordinates along the principal directions, each of unit
variance over the sample (and their negatives, so that a ReLU after it keeps both signs). The
layer is not trained: (E, λ) are part of the network's state, like batch normalisation's running
statistics, computed once from the data (`patch_statistics`) and kept in checkpoints.
"""

import jax
import jax.numpy as jnp

PATCH, EPSILON = 2, 5e-4


def patches(images) -> jax.Array:
    """The PATCH × PATCH patches of images (N, C, H, W) at every position (stride 1, no padding),
    as rows (N·(H−1)·(W−1), C·PATCH·PATCH) in (channel, row, column) order."""
    N, C, H, W = images.shape
    windows = [images[:, :, i:H - PATCH + 1 + i, j:W - PATCH + 1 + j] for i in range(PATCH) for j in range(PATCH)]
    stacked = jnp.stack(windows, axis=2)                     # (N, C, PATCH², H′, W′)
    return stacked.transpose(0, 3, 4, 1, 2).reshape(-1, C * PATCH * PATCH)


def patch_statistics(images) -> tuple:
    """(E (C·4, C, 2, 2), λ (C·4,)): the eigenvectors (as kernels, largest eigenvalue first) and
    eigenvalues of the covariance of images' 2×2 patches (the mean patch subtracted)."""
    C = images.shape[1]
    rows = patches(images)
    rows = rows - jnp.mean(rows, axis=0)[None, :]
    covariance = rows.T @ rows / rows.shape[0]
    eigenvalues, eigenvectors = jnp.linalg.eigh(covariance)     # ascending
    order = jnp.arange(C * PATCH * PATCH)[::-1]
    return eigenvectors.T[order].reshape(-1, C, PATCH, PATCH), eigenvalues[order]


def placeholder_statistics(channels: int, dtype) -> tuple:
    """(E, λ) of a network not yet fitted to data: the standard basis and unit variances (the
    shapes of `patch_statistics`; a checkpoint or the training data replace them)."""
    n = channels * PATCH * PATCH
    return jnp.eye(n, dtype=dtype).reshape(n, channels, PATCH, PATCH), jnp.ones(n, dtype)


def whitening_kernels(E, eigenvalues) -> jax.Array:
    """W (2·C·4, C, 2, 2) = [E/√(λ + ε), −E/√(λ + ε)] (the module docstring)."""
    scaled = E / jnp.sqrt(eigenvalues + EPSILON)[:, None, None, None]
    return jnp.concatenate([scaled, -scaled])
