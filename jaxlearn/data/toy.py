"""Small synthetic data sets in the spirit of the lecture's figures.

The lecture's regression figures use a 25-sample, one-feature data set on which
a straight line underfits, a parabola fits and a degree-20 polynomial overfits.
Its values are not published with the slides, so `lecture_regression_data`
draws a stand-in with that behaviour: a parabola plus Gaussian noise.
"""

import jax
import jax.numpy as jnp

from jaxlearn._validation import check_scalar

# f(x) = 1 + x − 2x² on [−1, 1]: clearly curved, so the straight line underfits.
_TRUE_THETA = (1.0, 1.0, -2.0)


def true_regression_function(x):
    """f(x) = 1 + x − 2x², the noise-free curve behind `lecture_regression_data`. x: (M,) → (M,)."""
    x = jnp.asarray(x)
    return _TRUE_THETA[0] + _TRUE_THETA[1] * x + _TRUE_THETA[2] * x**2


def lecture_regression_data(key, M: int = 25, noise: float = 0.25, dtype=jnp.float32):
    """M samples x ~ U(−1, 1), y = f(x) + ε with ε ~ N(0, noise²) and f = `true_regression_function`.

    Args:
        key: a `jax.random` key; the same key gives the same data.
        M: number of samples (the lecture's figures use 25).
        noise: standard deviation of ε (≥ 0).
        dtype: floating dtype of the arrays (float64 needs jax_enable_x64).

    Returns:
        x (M,) sorted ascending, y (M,).
    """
    M = check_scalar(M, "M", minimum=1, integer=True)
    check_scalar(noise, "noise", minimum=0)
    key_x, key_noise = jax.random.split(key)
    x = jnp.sort(jax.random.uniform(key_x, (M,), dtype, minval=-1.0, maxval=1.0))
    y = true_regression_function(x) + noise * jax.random.normal(key_noise, (M,), dtype)
    return x, y


def _check_sample_count(M):
    return check_scalar(M, "M", minimum=2, integer=True)


def two_blobs(key, M: int = 100, separation: float = 3.0, dtype=jnp.float32):
    """Two Gaussian clouds in 2-D, linearly separable for large separation. Returns X (M, 2), y (M,) in {0, 1}."""
    M = _check_sample_count(M)
    k_x, k_y = jax.random.split(key)
    y = (jax.random.uniform(k_y, (M,)) < 0.5).astype(jnp.int32)
    centres = jnp.where(y[:, None] == 1, separation / 2, -separation / 2) * jnp.array([[1.0, 0.6]], dtype)
    return centres + jax.random.normal(k_x, (M, 2), dtype), y


def circles(key, M: int = 200, noise: float = 0.1, dtype=jnp.float32):
    """An inner disc (class 1) inside a ring (class 0): not linearly separable, separable in x₁², x₂²."""
    M = _check_sample_count(M)
    k_angle, k_noise, k_y = jax.random.split(key, 3)
    y = (jax.random.uniform(k_y, (M,)) < 0.5).astype(jnp.int32)
    radius = jnp.where(y == 1, 0.4, 1.0).astype(dtype)
    angle = jax.random.uniform(k_angle, (M,), dtype, 0, 2 * jnp.pi)
    X = radius[:, None] * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    return X + noise * jax.random.normal(k_noise, (M, 2), dtype), y


def xor(key, M: int = 200, noise: float = 0.15, dtype=jnp.float32):
    """Four clusters at (±1, ±1), class 1 where x₁x₂ > 0: the XOR problem."""
    M = _check_sample_count(M)
    k_c, k_noise = jax.random.split(key)
    corners = jnp.sign(jax.random.uniform(k_c, (M, 2), dtype, -1, 1))
    y = (corners[:, 0] * corners[:, 1] > 0).astype(jnp.int32)
    return corners + noise * jax.random.normal(k_noise, (M, 2), dtype), y


def moons(key, M: int = 200, noise: float = 0.15, dtype=jnp.float32):
    """Two interleaving half circles (as scikit-learn's make_moons)."""
    M = _check_sample_count(M)
    k_t, k_noise, k_y = jax.random.split(key, 3)
    y = (jax.random.uniform(k_y, (M,)) < 0.5).astype(jnp.int32)
    t = jax.random.uniform(k_t, (M,), dtype, 0, jnp.pi)
    upper = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=1)
    lower = jnp.stack([1 - jnp.cos(t), 0.5 - jnp.sin(t)], axis=1)
    X = jnp.where(y[:, None] == 1, lower, upper)
    return X + noise * jax.random.normal(k_noise, (M, 2), dtype), y
