"""Convolutional layers as pure functions, in the lecture's notation with a spatial extent.

A feature map a^{l−1} is (M, n_{l−1}, H, W): M samples, n_{l−1} channels (NCHW). A convolution
layer has W^l of shape (n_l, n_{l−1}, k_h, k_w), the dense layer's (n_l, n_{l−1}) with a
k_h × k_w window, and b^l (n_l,):

    z^l[m, o, i, j] = Σ_c Σ_p Σ_q W^l[o, c, p, q] · ā[m, c, s·i + p, s·j + q] + b^l[o]      (z = W ∗ a + b)

where ā is a^{l−1} with its zero padding and s the stride (a cross-correlation, as every deep
learning library computes "convolution"). Max pooling takes the largest value of each
window; `flatten` turns (M, n, H, W) into the (M, n·H·W) rows of a dense layer. The hand
backward passes are in `jaxlearn.nn.conv_backprop`.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._validation import as_float_array, check_scalar
from jaxlearn.nn import conv_gradient
from jaxlearn.nn.conv_gradient import CHANNELS_LAST, output_size  # noqa: F401 (the CNN's layout, re-exported)

DIMENSIONS = ("NCHW", "OIHW", "NCHW")     # feature maps, kernels, outputs
# The CNN's layers run on channels-last maps (M, H, W, C) with the same kernels: XLA:CPU's
# convolutions are about 1.6× faster a training step in that layout (63 against 101 ms for the
# default CNN here), and their ∂W has a faster formula for most shapes (`conv_gradient`). The
# public functions take and return NCHW, the lecture's layout.


def padding_pairs(padding, size: tuple[int, int], kernel: tuple[int, int],
                  stride: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zero padding of an H × W input: "VALID" (none), "SAME"
    (output ⌈H/s⌉ × ⌈W/s⌉, padded as XLA and TensorFlow do, the odd row or column at the end),
    or an integer p on every side."""
    if isinstance(padding, str):
        if padding == "VALID":
            return (0, 0), (0, 0)
        if padding != "SAME":
            raise ValueError(f"padding must be 'VALID', 'SAME' or an integer ≥ 0, got {padding!r}")
        return tuple(tuple(pair) for pair in jax.lax.padtype_to_pads(size, kernel, (stride, stride), "SAME"))
    p = check_scalar(padding, "padding", minimum=0, integer=True)
    return (p, p), (p, p)


def check_feature_map(a, name: str = "a"):
    """a as a float (M, C, H, W) array."""
    a = as_float_array(a, name)
    if a.ndim != 4:
        hint = " (a single image: add the sample axis, a[None])" if a.ndim == 3 else ""
        raise ValueError(f"{name} must be (M, channels, height, width), got shape {tuple(a.shape)}{hint}")
    return a


def check_conv(W, b, a, stride: int, padding, layer: str = "the convolution"):
    """Shapes of a convolution: W (n_l, n_{l−1}, k_h, k_w), b (n_l,), a (M, n_{l−1}, H, W) and a
    non-empty output; returns (W, b, a) in a's dtype and the padding pairs."""
    a = check_feature_map(a)
    W = as_float_array(W, "W").astype(a.dtype)
    b = as_float_array(b, "b").astype(a.dtype)
    stride = check_scalar(stride, "stride", minimum=1, integer=True)
    if W.ndim != 4:
        raise ValueError(f"{layer}: W must be (out channels, in channels, k_h, k_w), got shape {tuple(W.shape)}")
    if b.shape != (W.shape[0],):
        raise ValueError(f"{layer}: b must be ({W.shape[0]},), one bias per output channel, got shape "
                         f"{tuple(b.shape)}")
    if a.shape[1] != W.shape[1]:
        raise ValueError(f"{layer}: the input has {a.shape[1]} channel(s) but W expects {W.shape[1]} "
                         f"(expected input (M, {W.shape[1]}, H, W), got {tuple(a.shape)})")
    pads = padding_pairs(padding, tuple(a.shape[2:]), tuple(W.shape[2:]), stride)
    sizes = [output_size(n, k, stride, p, padding) for n, k, p in zip(a.shape[2:], W.shape[2:], pads)]
    if min(sizes) < 1:
        raise ValueError(f"{layer}: a {W.shape[2]}×{W.shape[3]} kernel with stride {stride} and padding {padding!r} "
                         f"leaves an empty feature map on a {a.shape[2]}×{a.shape[3]} input")
    return W, b, a, pads


def conv2d(W: ArrayLike, b: ArrayLike, a: ArrayLike, *, stride: int = 1, padding="SAME") -> jax.Array:
    """z = W ∗ a + b (module docstring). W: (n_l, n_{l−1}, k_h, k_w); b: (n_l,); a: (M, n_{l−1}, H, W).

    Returns z: (M, n_l, H', W'), H' = ⌊(H + pads − k_h)/s⌋ + 1 (⌈H/s⌉ for padding "SAME").
    """
    W, b, a, pads = check_conv(W, b, a, stride, padding)
    return _conv(W, b, a, stride, pads)


def _conv(W, b, a, stride: int, pads, channels_last: bool = False):
    """W ∗ a (+ b, unless b is None)."""
    if channels_last:           # the CNN's layers: ∂W by the faster formula for the shape
        z = conv_gradient.conv(W, a, stride, pads)
    else:
        z = jax.lax.conv_general_dilated(a, W, (stride, stride), pads, dimension_numbers=DIMENSIONS)
    if b is None:
        return z
    return z + (b[None, None, None, :] if channels_last else b[None, :, None, None])


def max_pool(a: ArrayLike, size: int = 2) -> jax.Array:
    """The largest value of each size × size window, windows side by side (stride = size); rows and
    columns past the last whole window are dropped. a: (M, C, H, W) → (M, C, ⌊H/size⌋, ⌊W/size⌋)."""
    a = check_feature_map(a)
    size = check_scalar(size, "size", minimum=1, integer=True)
    if a.shape[2] < size or a.shape[3] < size:
        raise ValueError(f"max_pool: a {size}×{size} window does not fit a {a.shape[2]}×{a.shape[3]} feature map")
    return _max_pool(a, size)


def _max_pool(a, size: int, channels_last: bool = False):
    if not channels_last:
        # reduce_window: its gradient routes ties to the first entry, as `max_pool_backward`
        return jax.lax.reduce_window(a, -jnp.inf, jax.lax.max, (1, 1, size, size), (1, 1, size, size), "VALID")
    # the CNN's layout: the windows as axes of their own, then their max. Same values; the
    # gradient of this one (which splits ties evenly, where the reduce_window's takes the first)
    # runs several times faster on XLA:CPU than select-and-scatter (65 against 114 ms a training
    # step of the default CNN). Ties that carry a gradient need equal nonzero maxima.
    _, H, W, C = a.shape
    windows = a[:, :H // size * size, :W // size * size, :].reshape(a.shape[0], H // size, size, W // size, size, C)
    return jnp.max(windows, axis=(2, 4))


def flatten(a: ArrayLike) -> jax.Array:
    """(M, n, H, W) → (M, n·H·W): the rows a dense layer takes (channel-major, as PyTorch flattens)."""
    a = check_feature_map(a)
    return a.reshape(a.shape[0], -1)


def init_conv(key, n_out: int, n_in: int, kernel: int = 3, *, dtype=jnp.float32):
    """(W, b) of a convolution layer: He initialisation for ReLU, W ~ N(0, 2/(n_in·k²)), b = 0."""
    n_out = check_scalar(n_out, "n_out", minimum=1, integer=True)
    n_in = check_scalar(n_in, "n_in", minimum=1, integer=True)
    kernel = check_scalar(kernel, "kernel", minimum=1, integer=True)
    fan_in = n_in * kernel * kernel
    W = jax.random.normal(key, (n_out, n_in, kernel, kernel), dtype) * np.sqrt(2.0 / fan_in).astype(dtype)
    return W, jnp.zeros(n_out, dtype)


def dirac(W):
    """W (C_out, C_in, 3, 3) with its first n = min(C_out, C_in) kernels the identity, W[i, i, 1, 1] = 1
    and 0 elsewhere (airbench's dirac init; the other kernels unchanged)."""
    n = min(W.shape[0], W.shape[1])
    index = jnp.arange(n)
    return W.at[:n].set(0).at[index, index, 1, 1].set(1)
