"""The backward passes of the convolutional layers by hand, beside the dense layers' (`backprop`).

With δ = ∂L/∂z^l (M, n_l, H', W') for z^l = W^l ∗ a^{l−1} + b^l (stride s, zero-padded input ā,
`jaxlearn.nn.conv`):

    ∂L/∂b[o]       = Σ_{m,i,j} δ[m, o, i, j]                                  (the dense eq. 4)
    ∂L/∂W[o,c,p,q] = Σ_{m,i,j} δ[m, o, i, j] · ā[m, c, s·i + p, s·j + q]       (eq. 3: the correlation
                                                                              of the input with δ)
    ∂L/∂ā[m,c,y,x] = Σ_{o,p,q} δ_s[m, o, y − p, x − q] · W[o, c, p, q]        (eq. 2's Wᵀδ: the full
                                                                              convolution of δ with W)

where δ_s is δ with s − 1 zeros between its entries (the stride undone), and ∂L/∂a^{l−1} is
∂L/∂ā without its padding. Max pooling passes each window's gradient to the window's largest
input (the first, on ties) and 0 to the others. All three products are computed as
convolutions (`jax.lax.conv_general_dilated`); the tests check every result against jax.grad.
"""

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxlearn._validation import as_float_array
from jaxlearn.nn.conv import DIMENSIONS, check_conv, check_feature_map


def conv2d_backward(W: ArrayLike, a: ArrayLike, delta: ArrayLike, *, stride: int = 1, padding="SAME"):
    """(∂L/∂W, ∂L/∂b, ∂L/∂a) of z = W ∗ a + b from δ = ∂L/∂z (module docstring).

    W: (n_l, n_{l−1}, k_h, k_w); a: (M, n_{l−1}, H, W), the layer's input; delta: z's shape
    (M, n_l, H', W'). Returns arrays of the shapes of W, b (n_l,) and a.
    """
    W, _, a, pads = check_conv(W, jnp.zeros(jnp.shape(W)[0]), a, stride, padding)
    delta = check_feature_map(as_float_array(delta, "delta").astype(a.dtype), "delta")
    expected = jax.eval_shape(lambda: jax.lax.conv_general_dilated(a, W, (stride, stride), pads,
                                                                   dimension_numbers=DIMENSIONS)).shape
    if delta.shape != expected:
        raise ValueError(f"delta must have the shape of z, {tuple(expected)}, got {tuple(delta.shape)}")
    return _conv_backward(W, a, delta, stride, pads)


def _conv_backward(W, a, delta, stride: int, pads, channels_last: bool = False):
    """(∂W, ∂b, ∂a); a and delta NCHW, or NHWC with channels_last (W is (n_l, n_{l−1}, k_h, k_w) in both)."""
    k_h, k_w = W.shape[2:]
    # the layout as (batch, height, width, channel) axes, and conv_general_dilated's names for
    # the same array read with batch and channel swapped (samples become the summed axis)
    spatial = (1, 2) if channels_last else (2, 3)
    maps = "NHWC" if channels_last else "NCHW"
    swapped = "CHWN" if channels_last else "CNHW"       # ā and δ with M as the channel axis
    padding = [(0, 0)] * 4
    padding[spatial[0]], padding[spatial[1]] = pads
    padded = jnp.pad(a, padding)                                                     # ā
    # ∂L/∂W: correlate ā with δ, summing over samples: ā with its channels as the batch,
    # δ as n_l kernels over M channels, spread out by the stride; the positions past the last
    # window are cut off. The output, named (batch = n_{l−1}, channel = n_l), is read as OIHW.
    dW = jax.lax.conv_general_dilated(padded, delta, (1, 1), "VALID", rhs_dilation=(stride, stride),
                                      dimension_numbers=(swapped, swapped.replace("N", "O").replace("C", "I"),
                                                         "CNHW"))
    dW = dW[:, :, :k_h, :k_w]
    db = jnp.sum(delta, axis=(0, *spatial))
    # ∂L/∂ā: the full convolution of δ_s with W, i.e. δ_s zero-padded by k − 1 and correlated with
    # W flipped in space, its channel axes swapped (read as IOHW); rows of ā no window reached get 0
    covered = [stride * (delta.shape[i] - 1) + k for i, k in zip(spatial, (k_h, k_w))]
    extra = [padded.shape[i] - c for i, c in zip(spatial, covered)]
    flipped = jnp.flip(W, axis=(2, 3))
    d_padded = jax.lax.conv_general_dilated(delta, flipped, (1, 1),
                                            ((k_h - 1, k_h - 1 + extra[0]), (k_w - 1, k_w - 1 + extra[1])),
                                            lhs_dilation=(stride, stride), dimension_numbers=(maps, "IOHW", maps))
    (top, _), (left, _) = pads
    crop = [slice(None)] * 4
    crop[spatial[0]] = slice(top, top + a.shape[spatial[0]])
    crop[spatial[1]] = slice(left, left + a.shape[spatial[1]])
    return dW, db, d_padded[tuple(crop)]


def max_pool_backward(a: ArrayLike, delta: ArrayLike, size: int = 2) -> jax.Array:
    """∂L/∂a of `jaxlearn.nn.conv.max_pool(a, size)` from delta = ∂L/∂(pooled) (M, C, ⌊H/size⌋, ⌊W/size⌋):
    each window's gradient to its largest entry (the first on ties), 0 elsewhere and on the rows
    and columns the pooling dropped."""
    a = check_feature_map(a)
    delta = check_feature_map(as_float_array(delta, "delta").astype(a.dtype), "delta")
    M, C, H, W_ = a.shape
    Ho, Wo = H // size, W_ // size
    if delta.shape != (M, C, Ho, Wo):
        raise ValueError(f"delta must have the pooled shape {(M, C, Ho, Wo)}, got {tuple(delta.shape)}")
    return _max_pool_backward(a, delta, size)


def _max_pool_backward(a, delta, size: int, channels_last: bool = False):
    if channels_last:       # the same routing with the channels moved to axis 1 and back
        routed = _max_pool_backward(a.transpose(0, 3, 1, 2), delta.transpose(0, 3, 1, 2), size)
        return routed.transpose(0, 2, 3, 1)
    M, C, H, W = a.shape
    Ho, Wo = H // size, W // size
    windows = a[:, :, :Ho * size, :Wo * size].reshape(M, C, Ho, size, Wo, size).transpose(0, 1, 2, 4, 3, 5)
    winner = jnp.argmax(windows.reshape(M, C, Ho, Wo, size * size), axis=-1)        # first largest
    routed = jax.nn.one_hot(winner, size * size, dtype=a.dtype) * delta[..., None]
    routed = routed.reshape(M, C, Ho, Wo, size, size).transpose(0, 1, 2, 4, 3, 5).reshape(M, C, Ho * size, Wo * size)
    return jnp.pad(routed, ((0, 0), (0, 0), (0, H - Ho * size), (0, W - Wo * size)))
