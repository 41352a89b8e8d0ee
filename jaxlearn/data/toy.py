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
