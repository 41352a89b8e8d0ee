"""Design matrices and feature scaling (lecture: polynomial regression, eqs. 4 and 35)."""

from functools import partial
from itertools import combinations_with_replacement
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._validation import as_float_array, check_bool, check_finite, check_matrix, check_scalar
from jaxlearn.buckets import map_row_blocks, pad_samples

__all__ = ["vandermonde", "polynomial_features", "Standardizer", "fit_standardizer", "standardize",
           "unstandardize"]


def vandermonde(x: ArrayLike, degree: int) -> jax.Array:
    """The Vandermonde design matrix of one feature (eq. 4).

    X[m, j] = x_m ** j for j = 0 … degree, so that X θ = θ₀ + θ₁x + … + θ_d x^d.

    Args:
        x: (M,) sample values.
        degree: polynomial degree d ≥ 0.

    Returns:
        (M, d + 1) array, columns x⁰ … x^d, in the floating dtype of x.

    Example:
        >>> import jax.numpy as jnp
        >>> vandermonde(jnp.array([2.0, 3.0]), 2).tolist()
        [[1.0, 2.0, 4.0], [1.0, 3.0, 9.0]]
    """
    degree = check_scalar(degree, "degree", minimum=0, integer=True)
    x = as_float_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D (M,), got shape {x.shape}")
    check_finite(x, "x")
    X = jnp.vander(x, degree + 1, increasing=True)
    if not isinstance(X, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(X))):
        largest = float(jnp.max(jnp.abs(x)))
        raise ValueError(f"x**{degree} overflows {x.dtype} for |x| up to {largest:.3g}; scale x first (e.g. to "
                         "[-1, 1]) or use a lower degree")
    return X


def polynomial_features(X: ArrayLike, degree: int, include_bias: bool = True) -> jax.Array:
    """All monomials of the N features up to total degree d.

    For N = 2, d = 2 the columns are [1, x₁, x₂, x₁², x₁x₂, x₂²]: the order of
    scikit-learn's `PolynomialFeatures`, grouped by degree, lexicographic within.

    Args:
        X: (M, N) samples.
        degree: total degree d ≥ 0.
        include_bias: keep the constant column of ones.

    Returns:
        (M, C(N + d, d)) array (one column fewer without the bias).
    """
    degree = check_scalar(degree, "degree", minimum=0, integer=True)
    check_bool(include_bias, "include_bias")
    X = check_matrix(X)
    columns = []
    for d in range(0 if include_bias else 1, degree + 1):
        idx = np.array(list(combinations_with_replacement(range(X.shape[1]), d)), dtype=np.int32)
        if d == 0:
            columns.append(jnp.ones((X.shape[0], 1), X.dtype))
        else:
            columns.append(jnp.prod(X[:, idx], axis=2))  # (M, n_d, d) → (M, n_d)
    if not columns:
        raise ValueError("degree=0 with include_bias=False leaves no feature")
    return jnp.concatenate(columns, axis=1)


class Standardizer(NamedTuple):
    """Per-feature mean μ (N,) and scale σ (N,) learnt from training data."""

    mean: jnp.ndarray
    scale: jnp.ndarray


def fit_standardizer(X: ArrayLike, *, keep_constant: bool = True) -> Standardizer:
    """Learn feature scaling x_sc = (x − μ) / σ (eq. 35) from training data only.

    μ and σ are the per-column mean and (population) standard deviation. A
    constant column (σ = 0, such as a bias column of ones) gets μ = 0 and σ = 1,
    so it passes through unchanged instead of turning into NaN; keep_constant=False
    centres it instead (μ kept, σ = 1), as scikit-learn's StandardScaler does.

    Args:
        X: (M, N) training samples.
        keep_constant: leave constant columns as they are (True) or centre them.

    Returns:
        A `Standardizer` with fields mean (N,) and scale (N,).
    """
    X = check_matrix(X)
    check_bool(keep_constant, "keep_constant")
    X_padded, weights = pad_samples(X)
    mean, scale = _fit_standardizer(X_padded, weights, keep_constant)
    return Standardizer(mean=mean, scale=scale)


@partial(jax.jit, static_argnames="keep_constant")
def _fit_standardizer(X, weights, keep_constant: bool):
    """μ = Σ w_m x_m and σ² = Σ w_m (x_m − μ)² with weights w (`jaxlearn.buckets.sample_weights`:
    1/M on the samples, 0 on the padding rows, whose zeros do not change max|x_j| either)."""
    # Computed on X / max|x_j| and scaled back, so that features near the dtype's limit (1e30 in
    # float32) give their true μ and σ instead of overflowing x² to inf.
    magnitude = jnp.max(jnp.abs(X), axis=0)
    magnitude = jnp.where(magnitude > 0, magnitude, 1)
    unit = X / magnitude[None, :]
    unit_mean = weights @ unit
    mean = unit_mean * magnitude
    std = jnp.sqrt(weights @ (unit - unit_mean[None, :]) ** 2) * magnitude
    # "Constant" relative to the column's magnitude: rounding leaves std ≈ eps·|μ|.
    constant = std <= 10 * jnp.finfo(X.dtype).eps * jnp.maximum(jnp.abs(mean), 1)
    if keep_constant:
        mean = jnp.where(constant, 0, mean)
    return mean, jnp.where(constant, 1, std)


def _check_scaler_input(scaler: Standardizer, X, name: str):
    if not isinstance(scaler, Standardizer):
        raise TypeError(f"scaler must be a Standardizer from fit_standardizer(X_train), got {type(scaler).__name__}")
    X = check_matrix(X, name)
    if X.shape[1] != scaler.mean.shape[0]:
        raise ValueError(
            f"{name} has {X.shape[1]} features but the standardizer was fitted on {scaler.mean.shape[0]}")
    return X


def standardize(scaler: Standardizer, X: ArrayLike) -> jax.Array:
    """Apply x_sc = (x − μ) / σ (eq. 35) with a fitted `Standardizer`. X: (M, N) → (M, N)."""
    X = _check_scaler_input(scaler, X, "X")
    mean, scale = np.asarray(scaler.mean, X.dtype), np.asarray(scaler.scale, X.dtype)
    return jax.device_put(map_row_blocks(lambda rows: _standardize(rows, mean, scale), X))


def unstandardize(scaler: Standardizer, X_scaled: ArrayLike) -> jax.Array:
    """Invert the scaling: x = σ x_sc + μ. X_scaled: (M, N) → (M, N)."""
    X_scaled = _check_scaler_input(scaler, X_scaled, "X_scaled")
    mean, scale = np.asarray(scaler.mean, X_scaled.dtype), np.asarray(scaler.scale, X_scaled.dtype)
    return jax.device_put(map_row_blocks(lambda rows: _unstandardize(rows, mean, scale), X_scaled))


@jax.jit
def _standardize(X, mean, scale):
    return (X - mean[None, :]) / scale[None, :]


@jax.jit
def _unstandardize(X_scaled, mean, scale):
    return X_scaled * scale[None, :] + mean[None, :]
