"""Convolutional networks as pure functions of a list of (W^l, b^l), as the MLP (`jaxlearn.nn.mlp`).

An architecture is a string of layers separated by "-", read left to right:

    c32   a 3×3 convolution to 32 channels ("SAME" padding, stride 1), then the activation
    p     2×2 max pooling
    d128  a dense layer of 128 units, then the activation (the feature maps are flattened first)

and the output layer (n_L = the number of classes, no activation: logits) is added at the end.
"c32-c32-p-c64-c64-p-d128" is a small VGG-style network. params holds one (W, b) per c and d
layer and the output layer: W (n_l, n_{l−1}, 3, 3) for a convolution, (n_l, n_{l−1}) for a dense
layer. `cnn_backprop` is the backward pass by hand, layer by layer (`jaxlearn.nn.conv_backprop`
and the dense equations of `jaxlearn.nn.backprop`).
"""

import re

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import losses
from jaxlearn._validation import check_scalar
from jaxlearn.nn.activations import ACTIVATIONS, activation_derivative
from jaxlearn.nn.conv import _conv, _max_pool, check_feature_map, init_conv, padding_pairs
from jaxlearn.nn.conv_backprop import _conv_backward, _max_pool_backward

KERNEL, POOL = 3, 2
LAYER_KINDS = {"c": "conv", "p": "pool", "d": "dense"}


def parse_architecture(spec: str) -> tuple:
    """"c32-c32-p-d128" → (("conv", 32), ("conv", 32), ("pool", 2), ("dense", 128)); checked."""
    if not isinstance(spec, str) or not spec.strip():
        raise TypeError(f"architecture must be a string such as 'c32-p-d128', got {spec!r}")
    layers = []
    for i, token in enumerate(spec.strip().split("-")):
        match = re.fullmatch(r"(c|d)(\d+)|p", token)
        if not match:
            raise ValueError(f"architecture {spec!r}: layer {i + 1} is {token!r}; valid layers are c<channels> "
                             "(3×3 convolution), p (2×2 max pooling) and d<units> (dense)")
        if token == "p":
            layers.append(("pool", POOL))
        else:
            size = int(match.group(2))
            if size < 1:
                raise ValueError(f"architecture {spec!r}: layer {i + 1} ({token}) needs at least 1 channel or unit")
            layers.append((LAYER_KINDS[match.group(1)], size))
    kinds = [kind for kind, _ in layers]
    if "dense" in kinds and any(k != "dense" for k in kinds[kinds.index("dense"):]):
        raise ValueError(f"architecture {spec!r}: convolution and pooling layers must come before the dense layers")
    return tuple(layers)


def layer_shapes(architecture: tuple, input_shape: tuple) -> list:
    """The shape (channels, H, W) or (units,) after each layer; an empty feature map names its layer."""
    shape, shapes = tuple(input_shape), []
    for i, (kind, size) in enumerate(architecture, start=1):
        if kind == "conv":
            shape = (size, *shape[1:])
        elif kind == "pool":
            if min(shape[1:]) < size:
                raise ValueError(f"layer {i} (pool): a {size}×{size} window does not fit the {shape[1]}×{shape[2]} "
                                 "feature map it receives; remove a pooling layer or use larger images")
            shape = (shape[0], shape[1] // size, shape[2] // size)
        else:
            shape = (size,)
        shapes.append(shape)
    return shapes


def init_cnn(key, architecture, input_shape=(1, 28, 28), n_classes: int = 10, *, dtype=jnp.float32) -> list:
    """[(W, b), …] for the c and d layers and the output layer: He initialisation, b = 0.

    architecture: a string (see the module docstring) or its parsed tuple; input_shape:
    (channels, H, W) of one image.
    """
    architecture = parse_architecture(architecture) if isinstance(architecture, str) else architecture
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (channels, height, width), got {input_shape}")
    n_classes = check_scalar(n_classes, "n_classes", minimum=2, integer=True)
    shapes = layer_shapes(architecture, input_shape)
    params, shape = [], tuple(input_shape)
    keys = jax.random.split(key, len(architecture) + 1)
    for (kind, size), k, out_shape in zip(architecture, keys, shapes):
        if kind == "conv":
            params.append(init_conv(k, size, shape[0], KERNEL, dtype=dtype))
        elif kind == "dense":
            params.append(_init_dense(k, size, int(np.prod(shape)), dtype))
        shape = out_shape
    params.append(_init_dense(keys[-1], n_classes, int(np.prod(shape)), dtype))
    return params


def _init_dense(key, n_out: int, n_in: int, dtype):
    W = jax.random.normal(key, (n_out, n_in), dtype) * np.sqrt(2.0 / n_in).astype(dtype)
    return W, jnp.zeros(n_out, dtype)


def _check_input(params, X, architecture):
    X = check_feature_map(X, "X")
    first = next((W for W, _ in params if W.ndim == 4), None)
    if first is not None and X.shape[1] != first.shape[1]:
        raise ValueError(f"X has {X.shape[1]} channel(s) but the network's first convolution expects "
                         f"{first.shape[1]}: X must be (M, {first.shape[1]}, H, W)")
    n_param_layers = sum(kind != "pool" for kind, _ in architecture) + 1
    if len(params) != n_param_layers:
        raise ValueError(f"params has {len(params)} (W, b) pairs but the architecture needs {n_param_layers}")
    return X.astype(params[0][0].dtype)


def cnn_logits(params, X, architecture, *, activation: str = "relu") -> jax.Array:
    """z^L (M, n_classes) of images X (M, channels, H, W)."""
    architecture = parse_architecture(architecture) if isinstance(architecture, str) else architecture
    X = _check_input(params, X, architecture)
    return _forward(params, X, architecture, activation)[0][-1]


def _forward(params, X, architecture, activation):
    """(pre-activations z of every layer, activations a: a[0] = X, a[i] after layer i)."""
    sigma = ACTIVATIONS[activation]
    a, zs, acts = X, [], [X]
    layer_params = iter(params)
    for kind, size in architecture:
        if kind == "pool":
            z = _max_pool(a, size)
            a = z
        else:
            W, b = next(layer_params)
            if kind == "conv":
                z = _conv(W, b, a, 1, _same_pads(W, a))
            else:
                z = a.reshape(a.shape[0], -1) @ W.T + b[None, :]
            a = sigma(z)
        zs.append(z)
        acts.append(a)
    W, b = next(layer_params)
    z = a.reshape(a.shape[0], -1) @ W.T + b[None, :]
    zs.append(z)
    return zs, acts


def _same_pads(W, a):
    return padding_pairs("SAME", a.shape[2:], W.shape[2:], 1)


def cnn_backprop(params, X, Y, architecture, *, activation: str = "relu"):
    """∂L/∂(W^l, b^l) of the softmax cross-entropy, by hand, from the last layer back:

        δ^L = (softmax(z^L) − y)/M;  dense: ∂W = δᵀa, ∂b = Σδ, ∂a = δW;
        convolution: `conv2d_backward` (correlation, full convolution); pooling: arg-max routing;
        through the activation: δ = σ'(z) ∘ ∂a (eq. 2).

    X: (M, channels, H, W); Y: (M, n_classes) one-hot. Returns [(∂W, ∂b), …] like params.
    """
    architecture = parse_architecture(architecture) if isinstance(architecture, str) else architecture
    X = _check_input(params, X, architecture)
    Y = jnp.asarray(Y, X.dtype)
    zs, acts = _forward(params, X, architecture, activation)
    grads = []
    W, _ = params[-1]
    delta = losses.softmax_cross_entropy_grad(zs[-1], Y)                 # (1) with softmax and L_CE
    a_prev = acts[-1]
    grads.append((delta.T @ a_prev.reshape(a_prev.shape[0], -1), jnp.sum(delta, axis=0)))
    d_a = (delta @ W).reshape(a_prev.shape)                              # ∂L/∂a of the last hidden layer
    layer_params = list(params[:-1])
    for index in range(len(architecture) - 1, -1, -1):
        kind, size = architecture[index]
        z, a_in = zs[index], acts[index]
        if kind == "pool":
            d_a = _max_pool_backward(a_in, d_a, size)
            continue
        delta = d_a * activation_derivative(activation, z, acts[index + 1])   # (2): σ'(z) ∘ ∂L/∂a
        W, _ = layer_params.pop()
        if kind == "conv":
            dW, db, d_a = _conv_backward(W, a_in, delta, 1, _same_pads(W, a_in))
        else:
            rows = a_in.reshape(a_in.shape[0], -1)
            dW, db, d_a = delta.T @ rows, jnp.sum(delta, axis=0), (delta @ W).reshape(a_in.shape)
        grads.append((dW, db))
    return grads[::-1]
