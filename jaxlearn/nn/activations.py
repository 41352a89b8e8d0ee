"""Activations by name, their derivatives (written as the lecture does) and the output layer."""

import jax
import jax.numpy as jnp

from jaxlearn._validation import check_option

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,   # σ(z) = 1 / (1 + e^{−z})
    "tanh": jnp.tanh,
    "identity": lambda z: z,
}
OUTPUTS = (*ACTIVATIONS, "softmax")


def activation_derivative(name: str, z, a):
    """σ'(z), written with the already computed a = σ(z) where the lecture does."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        return a * (1 - a)                 # σ' = σ(1 − σ)  (eq. 27)
    if name == "tanh":
        return 1 - a**2
    if name == "identity":
        return jnp.ones_like(z)
    raise ValueError(f"no element-wise derivative for activation {name!r}")


def apply_output(z, output: str):
    """a^L = σ^L(z^L) for an output activation name (softmax over the last axis)."""
    check_option(output, "output", OUTPUTS)
    return jax.nn.softmax(z, axis=-1) if output == "softmax" else ACTIVATIONS[output](z)
