"""Convolutional networks as pure functions of a list of (W^l, b^l), as the MLP (`jaxlearn.nn.mlp`).

An architecture is a string of layers separated by "-" (`jaxlearn.nn.architecture`): c32, c32bn,
p, r32, r64s2, gap, d128, d128bn, drop0.5; the output layer (n_L = the number of classes, no
activation: logits) is added at the end. "c32bn-c32bn-p-drop0.25-c64bn-c64bn-p-drop0.25-d256bn-drop0.5"
is a small VGG-style network, "c32bn-r32-r64s2-r64-r128s2-gap" a small ResNet.

params holds one pair per c, d and bn layer and the output layer: (W, b) with W (n_l, n_{l−1}, 3, 3)
for a convolution, (n_l, n_{l−1}) for a dense layer, and (γ, β) of a batch normalisation
(`jaxlearn.nn.batchnorm`). A c or d layer followed by bn has no bias, b of shape (0,): the
normalisation would subtract it again, β is the shift (its gradient would be rounding noise,
which Adam scales up to full-size steps). Its running statistics are not parameters but a separate state,
batch_stats: one (μ_run, σ²_run) per bn layer, passed in and returned (`cnn_apply`). Dropout
draws its masks from an explicit key. `cnn_backprop` is the backward pass by hand, layer by
layer, for every layer kind (`jaxlearn.nn.conv_backprop`, `batchnorm`, `dropout`, and the
dense equations of `jaxlearn.nn.backprop`).

Images come in as (M, C, H, W), the lecture's layout; inside, the feature maps are channels-last
(M, H, W, C), which XLA:CPU convolves faster (`jaxlearn.nn.conv.CHANNELS_LAST`). The maps are
flattened channel-major, (C, H, W), as PyTorch does, whatever the layout inside.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import losses
from jaxlearn._validation import check_scalar
from jaxlearn.nn import residual, whitening
from jaxlearn.nn.activations import ACTIVATIONS, activation_derivative
from jaxlearn.nn.architecture import KERNEL, LAYER_HELP, layer_shapes, parse_architecture  # noqa: F401 (re-exported)
from jaxlearn.nn.batchnorm import MOMENTUM, _batch_norm, _batch_norm_backward, init_batch_norm
from jaxlearn.nn.conv import _conv, _max_pool, check_feature_map, init_conv, padding_pairs
from jaxlearn.nn.conv_backprop import _conv_backward, _max_pool_backward
from jaxlearn.nn.dropout import _dropout


def _parsed(architecture) -> tuple:
    return parse_architecture(architecture) if isinstance(architecture, str) else tuple(architecture)


def init_cnn(key, architecture, input_shape=(1, 28, 28), n_classes: int = 10, *, dtype=jnp.float32) -> list:
    """params [(W, b) or (γ, β), …] for the c, bn and d layers and the output layer: He
    initialisation, b = 0; γ = 1, β = 0. architecture: a string (see the module docstring) or
    its parsed tuple; input_shape: (channels, H, W) of one image. The batch normalisation's
    running statistics are `init_batch_stats`."""
    architecture = _parsed(architecture)
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (channels, height, width), got {input_shape}")
    n_classes = check_scalar(n_classes, "n_classes", minimum=2, integer=True)
    shapes = layer_shapes(architecture, input_shape)
    params, shape = [], tuple(input_shape)
    keys = jax.random.split(key, len(architecture) + 1)
    for i, ((kind, size), k, out_shape) in enumerate(zip(architecture, keys, shapes)):
        if kind in residual.KINDS:
            params.extend(residual.init_block(k, kind, shape[0], size, dtype))
        elif kind in ("conv", "dense"):
            W, b = (init_conv(k, size, shape[0], KERNEL, dtype=dtype) if kind == "conv"
                    else _init_dense(k, size, int(np.prod(shape)), dtype))
            params.append((W, b[:0] if _normalised(architecture, i) else b))
        elif kind == "batchnorm":
            params.append(init_batch_norm(size, dtype=dtype)[0])
        shape = out_shape
    params.append(_init_dense(keys[-1], n_classes, int(np.prod(shape)), dtype))
    return params


def init_batch_stats(architecture, *, dtype=jnp.float32, channels: int = 1, images=None) -> list:
    """batch_stats, the network's state: [(μ_run = 0, σ²_run = 1), …], one per bn layer ([]
    without batch normalisation), and first, for a whitening layer w, its (E, λ)
    (`jaxlearn.nn.whitening`): of images (M, channels, H, W) when given, else placeholders."""
    stats = []
    for kind, size in _parsed(architecture):
        if kind == "whiten":
            stats.append(whitening.placeholder_statistics(channels, dtype) if images is None else
                         tuple(v.astype(dtype) for v in whitening.patch_statistics(jnp.asarray(images, dtype))))
        elif kind == "batchnorm":
            stats.append(init_batch_norm(size, dtype=dtype)[1])
        elif kind in residual.KINDS:
            stats.extend(residual.init_block_stats(size, dtype))
    return stats


def state_kinds(architecture) -> tuple:
    """What each entry of the state (`init_batch_stats`) holds, in order: "batchnorm" (running
    statistics, updated by training) or "whiten" (the frozen whitening layer's (E, λ))."""
    kinds = []
    for kind, _ in _parsed(architecture):
        if kind in ("whiten", "batchnorm"):
            kinds.append(kind)
        elif kind in residual.KINDS:
            kinds.extend(["batchnorm"] * residual.NORMS)
    return tuple(kinds)


def _init_dense(key, n_out: int, n_in: int, dtype):
    W = jax.random.normal(key, (n_out, n_in), dtype) * np.sqrt(2.0 / n_in).astype(dtype)
    return W, jnp.zeros(n_out, dtype)


def _check_input(params, X, architecture, batch_stats):
    X = check_feature_map(X, "X")
    first = next((W for W, _ in params if W.ndim == 4), None)
    if first is not None and architecture[0][0] != "whiten" and X.shape[1] != first.shape[1]:
        raise ValueError(f"X has {X.shape[1]} channel(s) but the network's first convolution expects "
                         f"{first.shape[1]}: X must be (M, {first.shape[1]}, H, W)")
    n_param_layers = sum(residual.pairs(kind) if kind in residual.KINDS else kind in ("conv", "dense", "batchnorm")
                         for kind, _ in architecture) + 1
    if len(params) != n_param_layers:
        raise ValueError(f"params has {len(params)} pairs but the architecture needs {n_param_layers}")
    n_norms = sum(residual.NORMS if kind in residual.KINDS else kind == "batchnorm" for kind, _ in architecture)
    n_state = n_norms + sum(kind == "whiten" for kind, _ in architecture)
    if batch_stats is None or len(batch_stats) != n_state:
        given = "none" if batch_stats is None else len(batch_stats)
        whiten = " and the whitening layer's (E, λ)" if n_state > n_norms else ""
        raise ValueError(f"the architecture has {n_norms} batch normalisation layer(s), so batch_stats needs "
                         f"{n_norms} (running mean, running variance) pairs{whiten} (init_batch_stats), got {given}")
    return X.astype(params[0][0].dtype)


def cnn_apply(params, X, architecture, *, batch_stats=(), training: bool = False, key=None,
              activation: str = "relu", bn_momentum: float = MOMENTUM):
    """(z^L (M, n_classes), new batch_stats) of images X (M, channels, H, W).

    training=True: batch normalisation uses the batch's statistics and updates batch_stats (with
    momentum bn_momentum, `jaxlearn.nn.batchnorm`), and dropout draws its masks from key
    (required when the architecture has dropout); False (the default): the running statistics,
    no dropout, batch_stats returned as they are.
    """
    architecture = _parsed(architecture)
    X = _check_input(params, X, architecture, batch_stats)
    if training and key is None and any(kind == "dropout" for kind, _ in architecture):
        raise ValueError("training with dropout needs a key (jax.random.key) for its masks")
    trace, stats = _forward(params, batch_stats, X, architecture, activation, training, key, bn_momentum)
    return trace[-1][1], stats


def cnn_logits(params, X, architecture, *, batch_stats=(), activation: str = "relu") -> jax.Array:
    """z^L (M, n_classes) of images X (M, channels, H, W), for inference (`cnn_apply` with training=False)."""
    return cnn_apply(params, X, architecture, batch_stats=batch_stats, activation=activation)[0]


def _normalised(architecture, i: int) -> bool:
    """Is layer i followed by a batch normalisation?"""
    return i + 1 < len(architecture) and architecture[i + 1][0] == "batchnorm"


def _activated(architecture, i: int) -> bool:
    """Is the activation applied after layer i? After c and d layers, or after their batch normalisation."""
    kind = architecture[i][0]
    return kind in ("batchnorm", "whiten") or (kind in ("conv", "dense") and not _normalised(architecture, i))


def _plus_bias(z, b):
    """z + b of a dense layer; b of shape (0,) is no bias."""
    return z + b[None, :] if b.shape[0] else z


def _bias_gradient(delta, b):
    """Σ_m δ of a dense layer; nothing for a layer without bias."""
    return jnp.sum(delta, axis=0) if b.shape[0] else b


def _rows(a):
    """Feature maps (M, H, W, C) → rows (M, C·H·W) in (C, H, W) order; rows stay rows."""
    return a.transpose(0, 3, 1, 2).reshape(a.shape[0], -1) if a.ndim == 4 else a


def _unrows(d, shape):
    """The inverse of `_rows`: rows back to the (M, H, W, C) maps of `shape` (or rows)."""
    if len(shape) != 4:
        return d
    M, H, W, C = shape
    return d.reshape(M, C, H, W).transpose(0, 2, 3, 1)


def _same_pads(W, a):
    return padding_pairs("SAME", a.shape[1:3], W.shape[2:], 1)


def _forward(params, batch_stats, X, architecture, activation, training, key, bn_momentum=MOMENTUM):
    """The layers on channels-last maps: ([(input, pre-activation z, output) per layer, then
    (input, z^L, z^L) of the output layer], new batch_stats)."""
    sigma = ACTIVATIONS[activation]
    a = X.transpose(0, 2, 3, 1)
    trace, new_stats = [], []
    layer_params, stats = iter(params), iter(batch_stats)
    for i, (kind, size) in enumerate(architecture):
        a_in = a
        if kind == "whiten":        # frozen: its kernels come from the state, which training keeps
            E, eigenvalues = next(stats)
            z = _conv(whitening.whitening_kernels(E, eigenvalues), None, a, 1, ((0, 0), (0, 0)), channels_last=True)
            new_stats.append((E, eigenvalues))
        elif kind == "pool":
            z = _max_pool(a, size, channels_last=True)
        elif kind == "dropout":
            z = _dropout(jax.random.fold_in(key, i), a, size) if training else a
        elif kind == "batchnorm":
            gamma, beta = next(layer_params)
            z, layer_stats = _batch_norm(gamma, beta, a, next(stats), training, momentum=bn_momentum)
            new_stats.append(layer_stats)
        elif kind == "conv":
            W, b = next(layer_params)
            z = _conv(W, b if b.shape[0] else None, a, 1, _same_pads(W, a), channels_last=True)
        elif kind in residual.KINDS:      # z: what the block's backward pass needs
            block = [next(layer_params) for _ in range(residual.pairs(kind))]
            a, z, block_stats = residual.block_forward(block, [next(stats), next(stats)], a, kind, sigma, training,
                                                       bn_momentum)
            new_stats.extend(block_stats)
            trace.append((a_in, z, a))
            continue
        elif kind == "gap":
            z = residual.gap(a)
        else:
            W, b = next(layer_params)
            z = _plus_bias(_rows(a) @ W.T, b)
        a = sigma(z) if _activated(architecture, i) else z
        trace.append((a_in, z, a))
    W, b = next(layer_params)
    z = _rows(a) @ W.T + b[None, :]          # the output layer
    trace.append((a, z, z))
    return trace, new_stats


def cnn_backprop(params, X, Y, architecture, *, batch_stats=(), key=None, activation: str = "relu"):
    """∂L/∂params of the softmax cross-entropy of the training-mode network (`cnn_apply` with
    training=True and the same key), by hand, from the last layer back:

        δ^L = (softmax(z^L) − y)/M;  dense: ∂W = δᵀa, ∂b = Σδ, ∂a = δW;
        convolution: `conv2d_backward` (correlation, full convolution); pooling: arg-max routing;
        residual block: its main path as c-bn layers, the skip adding its gradient; gap: δ/(H·W);
        batch normalisation: `batch_norm_backward`; dropout: the same mask;
        through the activation: δ = σ'(z) ∘ ∂a (eq. 2).

    X: (M, channels, H, W); Y: (M, n_classes) one-hot. Returns [(∂W, ∂b) or (∂γ, ∂β), …] like params.
    """
    architecture = _parsed(architecture)
    X = _check_input(params, X, architecture, batch_stats)
    if key is None and any(kind == "dropout" for kind, _ in architecture):
        raise ValueError("the backward pass through dropout needs the key of the forward pass")
    Y = jnp.asarray(Y, X.dtype)
    trace, _ = _forward(params, batch_stats, X, architecture, activation, True, key)
    a_last, z_last, _ = trace[-1]
    W, _ = params[-1]
    delta = losses.softmax_cross_entropy_grad(z_last, Y)                 # (1) with softmax and L_CE
    grads = [(delta.T @ _rows(a_last), jnp.sum(delta, axis=0))]
    d_a = _unrows(delta @ W, a_last.shape)                               # ∂L/∂a of the last hidden layer
    layer_params = list(params[:-1])
    for i in range(len(architecture) - 1, -1, -1):
        kind, size = architecture[i]
        a_in, z, a_out = trace[i]
        # (2): δ = ∂L/∂z = σ'(z) ∘ ∂L/∂a where the layer has its activation
        delta = d_a * activation_derivative(activation, z, a_out) if _activated(architecture, i) else d_a
        if kind == "whiten":        # the first layer, not trained: nothing to pass back
            d_a = None
        elif kind == "pool":
            d_a = _max_pool_backward(a_in, delta, size, channels_last=True)
        elif kind == "dropout":
            d_a = _dropout(jax.random.fold_in(key, i), delta, size)
        elif kind == "batchnorm":
            gamma, _ = layer_params.pop()
            d_gamma, d_beta, d_a = _batch_norm_backward(gamma, a_in, delta)
            grads.append((d_gamma, d_beta))
        elif kind == "conv":
            W, b = layer_params.pop()
            dW, db, d_a = _conv_backward(W, a_in, delta, 1, _same_pads(W, a_in), channels_last=True)
            grads.append((dW, db if b.shape[0] else b))
        elif kind in residual.KINDS:      # the block's σ is inside it: delta is ∂L/∂out
            block = [layer_params.pop() for _ in range(residual.pairs(kind))][::-1]
            block_grads, d_a = residual.block_backward(block, a_in, z, delta, kind, activation)
            grads.extend(block_grads[::-1])
        elif kind == "gap":
            d_a = residual.gap_backward(a_in, delta)
        else:
            W, b = layer_params.pop()
            grads.append((delta.T @ _rows(a_in), _bias_gradient(delta, b)))
            d_a = _unrows(delta @ W, a_in.shape)
    return grads[::-1]
