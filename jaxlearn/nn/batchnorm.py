"""Batch normalisation (Ioffe & Szegedy 2015) as pure functions, its running statistics an
explicit state passed in and returned.

Over the M samples of a batch (and, for a feature map, its H × W positions), for each unit or
channel n of z (the pre-activation of a convolution or dense layer):

    μ = mean(z),  σ² = mean((z − μ)²),  ẑ = (z − μ)/√(σ² + ε),  out = γ ∘ ẑ + β       (training)
    out = γ ∘ (z − μ_run)/√(σ²_run + ε) + β                                           (inference)

and the running statistics follow each training batch, μ_run ← m·μ_run + (1 − m)·μ (the same
for σ²; by default m = 0.9, as PyTorch's momentum 0.1). γ (scale) and β (shift) are trained parameters;
(μ_run, σ²_run) are not: they are the state. The backward pass by hand, with δ = ∂L/∂out:

    ∂L/∂β = Σ δ,   ∂L/∂γ = Σ δ ∘ ẑ,   ∂L/∂z = γ/(M′·√(σ² + ε)) ∘ (M′·δ − Σ δ − ẑ ∘ Σ δ ∘ ẑ)

with the sums over the M′ = M (·H·W) values of each unit. The channel axis is 1 ((M, n) rows
or (M, C, H, W) maps), or −1 for the CNN's channels-last maps.
"""

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxlearn._validation import as_float_array, check_scalar

EPSILON = 1e-5
MOMENTUM = 0.9


def init_batch_norm(n: int, *, dtype=jnp.float32):
    """((γ, β), (μ_run, σ²_run)) of n units: γ = 1, β = 0 (the identity at the start), μ_run = 0, σ²_run = 1."""
    n = check_scalar(n, "n", minimum=1, integer=True)
    return (jnp.ones(n, dtype), jnp.zeros(n, dtype)), (jnp.zeros(n, dtype), jnp.ones(n, dtype))


def _reduced_axes(z, axis: int) -> tuple:
    return tuple(i for i in range(z.ndim) if i != axis % z.ndim)


def _broadcast(v, z, axis: int):
    shape = [1] * z.ndim
    shape[axis] = -1
    return v.reshape(shape)


def _check(gamma, beta, z, stats, axis):
    z = as_float_array(z, "z")
    if z.ndim < 2:
        raise ValueError(f"z must be (M, n) rows or (M, C, H, W) maps, got shape {tuple(z.shape)}")
    n = z.shape[axis]
    for name, v in (("gamma", gamma), ("beta", beta), ("running mean", stats[0]), ("running variance", stats[1])):
        if jnp.shape(v) != (n,):
            raise ValueError(f"batch_norm: {name} must have shape ({n},), one value per unit of z's axis {axis}, "
                             f"got {tuple(jnp.shape(v))}")
    return z


def batch_norm(gamma: ArrayLike, beta: ArrayLike, z: ArrayLike, stats, *, training: bool, axis: int = 1,
               momentum: float = MOMENTUM):
    """(out, new_stats): γ ∘ ẑ + β (module docstring) of z, normalised by the batch's statistics
    (training=True, which also updates stats) or by the running ones (training=False, stats
    returned as they are). gamma, beta: (n,); stats: (μ_run, σ²_run), each (n,); z: (M, n) or
    (M, n, H, W) with axis=1. momentum: m of μ_run ← m·μ_run + (1 − m)·μ (PyTorch's momentum is 1 − m)."""
    z = _check(gamma, beta, z, stats, axis)
    momentum = check_scalar(momentum, "momentum", minimum=0)
    if momentum >= 1:
        raise ValueError(f"momentum must be < 1 (m = 1 would never move the running statistics), got {momentum}")
    return _batch_norm(gamma, beta, z, stats, training, axis, momentum)


def _batch_norm(gamma, beta, z, stats, training: bool, axis: int = -1, momentum: float = MOMENTUM):
    running_mean, running_var = stats
    if training:
        axes = _reduced_axes(z, axis)
        mean = jnp.mean(z, axis=axes)
        var = jnp.mean(jnp.square(z - _broadcast(mean, z, axis)), axis=axes)
        stats = (momentum * running_mean + (1 - momentum) * mean, momentum * running_var + (1 - momentum) * var)
    else:
        mean, var = running_mean, running_var
    z_hat = (z - _broadcast(mean, z, axis)) * _broadcast(jax.lax.rsqrt(var + EPSILON), z, axis)
    return _broadcast(gamma, z, axis) * z_hat + _broadcast(beta, z, axis), stats


def batch_norm_backward(gamma: ArrayLike, z: ArrayLike, delta: ArrayLike, *, axis: int = 1):
    """(∂L/∂γ, ∂L/∂β, ∂L/∂z) of the training-mode `batch_norm` from delta = ∂L/∂out (z's shape)."""
    z = _check(gamma, gamma, z, (gamma, gamma), axis)
    delta = as_float_array(delta, "delta").astype(z.dtype)
    if delta.shape != z.shape:
        raise ValueError(f"delta must have z's shape {tuple(z.shape)}, got {tuple(delta.shape)}")
    return _batch_norm_backward(gamma, z, delta, axis)


def _batch_norm_backward(gamma, z, delta, axis: int = -1):
    axes = _reduced_axes(z, axis)
    count = z.size // z.shape[axis]                                                  # M′
    mean = jnp.mean(z, axis=axes)
    inv_std = jax.lax.rsqrt(jnp.mean(jnp.square(z - _broadcast(mean, z, axis)), axis=axes) + EPSILON)
    z_hat = (z - _broadcast(mean, z, axis)) * _broadcast(inv_std, z, axis)
    d_beta = jnp.sum(delta, axis=axes)
    d_gamma = jnp.sum(delta * z_hat, axis=axes)
    scale = _broadcast(gamma * inv_std / count, z, axis)
    d_z = scale * (count * delta - _broadcast(d_beta, z, axis) - z_hat * _broadcast(d_gamma, z, axis))
    return d_gamma, d_beta, d_z
