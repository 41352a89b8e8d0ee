"""A channels-last convolution whose ∂W is computed by the faster of two formulas for its shape.

For z = W ∗ a (W (n_l, n_{l−1}, k, k), a (M, H, W, n_{l−1}) zero-padded to ā, stride s) and
δ = ∂L/∂z, the lecture's

    ∂L/∂W[o, c, p, q] = Σ_{m,i,j} δ[m, i, j, o] · ā[m, s·i + p, s·j + q, c]

is, for each kernel position (p, q), one matrix product δᵀ · ā_{p,q} (n_l × K)·(K × n_{l−1})
over K = M·H'·W' rows, ā_{p,q} the input shifted by (p, q). On XLA:CPU these k² "shifted
products" (each summed over SHIFTED_BLOCKS blocks of the samples) beat autodiff's transposed
convolution for most layer shapes, by up to 6× (`benchmarks/conv_backward.py` prints both per
shape); autodiff stays faster for a few channels at full resolution and for small maps with many
channels. `use_shifted` is that per-shape choice, measured once on this project's CPU and
remembered here as a rule on the shape alone: a rule, not a timing at run time, so that every
process of a run and every resumed run computes the same program (bit-identical resume, equal
replicas). ∂a is autodiff's either way (a convolution as fast as the forward one). Off the CPU
(cuDNN tunes its own convolutions) the convolution is plain `lax.conv_general_dilated`.
"""

import math
from functools import partial

import jax
import jax.numpy as jnp

__all__ = ["conv", "output_size", "use_shifted", "shifted_weight_gradient", "SHIFTED_BLOCKS", "CHANNELS_LAST"]

CHANNELS_LAST = ("NHWC", "OIHW", "NHWC")
SHIFTED_BLOCKS = 32          # of the samples, summed after the batched products (4 and 32 were fastest of 4, 32, 128)


def output_size(size: int, k: int, stride: int, pad: tuple[int, int], padding) -> int:
    """The output length along one axis: ⌊(size + pad − k)/s⌋ + 1, or ⌈size/s⌉ for SAME."""
    if padding == "SAME":
        return -(-size // stride)
    return (size + pad[0] + pad[1] - k) // stride + 1


def use_shifted(n_in: int, kernel: int, stride: int, out_rows: int, out_cols: int) -> bool:
    """Shifted products for ∂W on the CPU: strided or 1×1 convolutions, the one-channel input
    layer, and ≥ 32 input channels on maps of ≥ 14×14 outputs. Measured at batch 128 on 2 cores
    (ratio of time to autodiff's): 0.16–0.64 for the strided and 1×1 layers of the recipe's
    ResNet, 0.64–0.78 for its 28×28 layers, 0.65 at 14×14 64→64; autodiff kept at 28×28 16→16
    (shifted 1.72×), 14×14 16→32 (0.98, a tie) and 7×7 128→128 (shifted 1.16×)."""
    if jax.default_backend() != "cpu":
        return False
    return stride > 1 or kernel == 1 or n_in == 1 or (n_in >= 32 and out_rows * out_cols >= 14 * 14)


def conv(W, a, stride: int, pads) -> jax.Array:
    """W ∗ a for channels-last a (M, H, W, n_{l−1}) and W (n_l, n_{l−1}, k, k), padding pads
    ((top, bottom), (left, right)); its ∂W by shifted products where `use_shifted` says so."""
    pads = tuple(tuple(int(p) for p in pair) for pair in pads)
    k_h, k_w = W.shape[2:]
    out_rows = output_size(a.shape[1], k_h, stride, pads[0], "VALID")
    out_cols = output_size(a.shape[2], k_w, stride, pads[1], "VALID")
    if use_shifted(W.shape[1], W.shape[2], stride, out_rows, out_cols):
        return _shifted_conv(W, a, stride, pads)
    return _plain(W, a, stride, pads)


def _plain(W, a, stride, pads):
    return jax.lax.conv_general_dilated(a, W, (stride, stride), pads, dimension_numbers=CHANNELS_LAST)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _shifted_conv(W, a, stride, pads):
    return _plain(W, a, stride, pads)


def _forward(W, a, stride, pads):
    return _plain(W, a, stride, pads), (W, a)


def shifted_weight_gradient(W_shape, a, delta, stride: int, pads):
    """∂L/∂W (W_shape) of z = W ∗ a from δ = ∂L/∂z (M, H', W', n_l): Σ over blocks of samples of
    δᵀ · ā_{p,q} for each kernel position (module docstring)."""
    n_out, n_in, k_h, k_w = W_shape
    padded = jnp.pad(a, ((0, 0), pads[0], pads[1], (0, 0)))
    rows, cols = delta.shape[1], delta.shape[2]
    blocks = math.gcd(delta.shape[0], SHIFTED_BLOCKS)
    d = delta.reshape(blocks, -1, n_out)
    products = []
    for p in range(k_h):
        for q in range(k_w):
            shifted = padded[:, p:p + stride * (rows - 1) + 1:stride, q:q + stride * (cols - 1) + 1:stride, :]
            products.append(jnp.einsum("bko,bki->boi", d, shifted.reshape(blocks, -1, n_in)).sum(axis=0))
    return jnp.stack(products, axis=-1).reshape(W_shape)


def _backward(stride, pads, residuals, delta):
    W, a = residuals
    _, input_gradient = jax.vjp(lambda a: _plain(W, a, stride, pads), a)
    return shifted_weight_gradient(W.shape, a, delta, stride, pads), input_gradient(delta)[0]


_shifted_conv.defvjp(_forward, _backward)
