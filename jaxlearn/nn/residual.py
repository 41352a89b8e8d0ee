"""Residual blocks and global average pooling, the layers of a small ResNet, with their backward
passes by hand (`jaxlearn.nn.cnn` strings them together: "c32bn-r32-r64s2-r64-gap").

    r64     u = BN₂(W₂ ∗ σ(BN₁(W₁ ∗ a))) + a,                 out = σ(u)
    r64s2   u = BN₂(W₂ ∗ σ(BN₁(W₁ ∗₂ a))) + (W_p ∗₂ a + b_p),  out = σ(u)
    gap     the mean of each channel's map: (M, H, W, C) → (M, C)

Two 3×3 convolutions with batch normalisation and an identity skip; in the strided form the first
convolution has stride 2 and a 1×1 convolution of stride 2 projects the skip to the new size and
channels (He et al., 2016). The convolutions before batch normalisation have no bias (β is the
shift). The backward pass: with δ_u = ∂L/∂out ∘ σ'(u), the main path is undone as c-bn layers
are (`batch_norm_backward`, then `conv2d_backward`, through σ' between them), and the skip adds
its gradient to the block's input: ∂L/∂a = ∂a_main + δ_u (identity) or + the projection's ∂a.

    gap backward: ∂L/∂a_{m,h,w,c} = δ_{m,c} / (H·W)

Feature maps are channels-last (M, H, W, C) inside, as everywhere in `jaxlearn.nn.cnn`.
"""

import jax
import jax.numpy as jnp

from jaxlearn.nn.activations import activation_derivative
from jaxlearn.nn.batchnorm import MOMENTUM, _batch_norm, _batch_norm_backward, init_batch_norm
from jaxlearn.nn.conv import _conv, init_conv, padding_pairs
from jaxlearn.nn.conv_backprop import _conv_backward

KINDS = {"residual": 1, "residual2": 2}     # the block kinds and their strides
NORMS = 2                                   # batch normalisations (running statistics) per block


def pairs(kind: str) -> int:
    """The (W, b) / (γ, β) pairs of a block: conv, bn, conv, bn, and the projection when strided."""
    return 4 + (KINDS[kind] > 1)


def init_block(key, kind: str, n_in: int, n_out: int, dtype) -> list:
    """The block's pairs: He-initialised 3×3 convolutions without bias, γ = 1, β = 0, and for the
    strided block a 1×1 projection (W_p, b_p = 0)."""
    k1, k2, k3 = jax.random.split(key, 3)
    (gamma, beta), _ = init_batch_norm(n_out, dtype=dtype)
    W1, b = init_conv(k1, n_out, n_in, 3, dtype=dtype)
    W2, _ = init_conv(k2, n_out, n_out, 3, dtype=dtype)
    block = [(W1, b[:0]), (gamma, beta), (W2, b[:0]), (gamma, beta)]
    if KINDS[kind] > 1:
        block.append(init_conv(k3, n_out, n_in, 1, dtype=dtype))
    return block


def init_block_stats(n_out: int, dtype) -> list:
    return [init_batch_norm(n_out, dtype=dtype)[1] for _ in range(NORMS)]


def _pads(W, a, stride):
    return padding_pairs("SAME", a.shape[1:3], W.shape[2:], stride)


def block_forward(block, stats, a, kind: str, sigma, training: bool, momentum: float = MOMENTUM):
    """(out, cache for the backward pass, new running statistics) of one block on maps a (M, H, W, C);
    momentum: the batch normalisations' (`jaxlearn.nn.batchnorm`)."""
    stride = KINDS[kind]
    (W1, _), (g1, b1), (W2, _), (g2, b2) = block[:4]
    z1 = _conv(W1, None, a, stride, _pads(W1, a, stride), channels_last=True)
    n1, s1 = _batch_norm(g1, b1, z1, stats[0], training, momentum=momentum)
    h1 = sigma(n1)
    z2 = _conv(W2, None, h1, 1, _pads(W2, h1, 1), channels_last=True)
    n2, s2 = _batch_norm(g2, b2, z2, stats[1], training, momentum=momentum)
    if stride == 1:
        skip = a
    else:
        Wp, bp = block[4]
        skip = _conv(Wp, bp, a, stride, _pads(Wp, a, stride), channels_last=True)
    u = n2 + skip
    out = sigma(u)
    return out, (z1, n1, h1, z2, u, out), [s1, s2]


def block_backward(block, a, cache, d_out, kind: str, activation: str):
    """(the block's gradients, pair by pair as `block`, and ∂L/∂a) from d_out = ∂L/∂out."""
    stride = KINDS[kind]
    (W1, b_none), (g1, _), (W2, _), (g2, _) = block[:4]
    z1, n1, h1, z2, u, out = cache
    delta_u = d_out * activation_derivative(activation, u, out)                      # ∂L/∂u
    d_g2, d_b2, d_z2 = _batch_norm_backward(g2, z2, delta_u)
    dW2, _, d_h1 = _conv_backward(W2, h1, d_z2, 1, _pads(W2, h1, 1), channels_last=True)
    d_n1 = d_h1 * activation_derivative(activation, n1, h1)                           # through σ'
    d_g1, d_b1, d_z1 = _batch_norm_backward(g1, z1, d_n1)
    dW1, _, d_a = _conv_backward(W1, a, d_z1, stride, _pads(W1, a, stride), channels_last=True)
    grads = [(dW1, b_none), (d_g1, d_b1), (dW2, b_none), (d_g2, d_b2)]
    if stride == 1:
        return grads, d_a + delta_u                                                 # the identity skip
    Wp, _ = block[4]
    dWp, dbp, d_skip = _conv_backward(Wp, a, delta_u, stride, _pads(Wp, a, stride), channels_last=True)
    return grads + [(dWp, dbp)], d_a + d_skip


def gap(a):
    """Global average pooling: (M, H, W, C) → (M, C)."""
    return jnp.mean(a, axis=(1, 2))


def gap_backward(a, delta):
    """∂L/∂a (M, H, W, C) of `gap` from δ (M, C): δ spread evenly over each map."""
    H, W = a.shape[1:3]
    return jnp.broadcast_to((delta / (H * W))[:, None, None, :], a.shape)
