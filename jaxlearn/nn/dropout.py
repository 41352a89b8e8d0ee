"""Dropout (Srivastava et al. 2014) with an explicit key, "inverted" as every library does it:

    out = a ∘ m / (1 − p),   m_i ~ Bernoulli(1 − p)  (training);   out = a  (inference)

so that E[out] = a and inference needs no rescaling. The backward pass routes δ through the
same mask: ∂L/∂a = δ ∘ m / (1 − p). The mask depends only on the key and a's shape, so the
hand backward pass draws it again from the key instead of storing it.
"""

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxlearn._validation import as_float_array, check_scalar


def check_rate(rate, name: str = "rate") -> float:
    rate = check_scalar(rate, name, minimum=0)
    if not rate < 1:
        raise ValueError(f"{name} must be in [0, 1) (the dropout rate: the fraction of units set to 0), got {rate}")
    return float(rate)


def dropout(key, a: ArrayLike, rate: float) -> jax.Array:
    """a ∘ m/(1 − p) with the mask m drawn from key (module docstring); rate p in [0, 1)."""
    return _dropout(key, as_float_array(a, "a"), check_rate(rate))


def dropout_backward(key, delta: ArrayLike, rate: float) -> jax.Array:
    """∂L/∂a = δ ∘ m/(1 − p) of `dropout(key, a, rate)`, δ = ∂L/∂out (a's shape)."""
    return _dropout(key, as_float_array(delta, "delta"), check_rate(rate))


def scaled_mask(key, shape, rate, dtype) -> jax.Array:
    """m/(1 − p), m ~ Bernoulli(1 − p) drawn from key: the factor inverted dropout multiplies by.

    rate may be traced (a sweep trains models with different rates in one program; the caller
    checks it); p = 0 gives ones exactly, so such a model trains as without dropout.
    """
    # p in the layer's dtype: the uniform draws (and so the mask) are the same for a Python rate
    # and a traced one, with or without x64
    keep_probability = 1 - jnp.asarray(rate, dtype)
    keep = jax.random.bernoulli(key, keep_probability, shape)
    return jnp.where(keep, 1 / keep_probability, jnp.zeros((), dtype)).astype(dtype)


def _dropout(key, a, rate: float):
    if rate == 0:
        return a
    keep = jax.random.bernoulli(key, 1 - rate, a.shape)
    return jnp.where(keep, a / jnp.asarray(1 - rate, a.dtype), jnp.zeros((), a.dtype))
