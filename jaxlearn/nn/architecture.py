"""The CNN's architecture language: a string of layers separated by "-", parsed and checked.

    c32      a 3×3 convolution to 32 channels ("SAME" padding, stride 1), then the activation
    c32bn    the same convolution, then batch normalisation, then the activation
    p        2×2 max pooling
    r32      a residual block keeping 32 channels: two 3×3 convolutions with batch
             normalisation and an identity skip (`jaxlearn.nn.residual`)
    r64s2    a residual block to 64 channels at half the size: stride 2, the skip projected by a
             1×1 convolution
    gap      global average pooling: each channel's map to its mean (the maps become a vector)
    d128     a dense layer of 128 units, then the activation (the feature maps are flattened first)
    d128bn   the same with batch normalisation before the activation
    drop0.5  dropout of the units with probability 0.5 (training only)
    w        (first layer only) a frozen 2×2 patch-whitening convolution from the training images'
             patches, 8 kernels per input channel, then the activation (`jaxlearn.nn.whitening`)

Parsed, each layer is a pair (kind, size): ("conv", 32), ("batchnorm", 32), ("pool", 2),
("residual", 32), ("residual2", 64), ("gap", 0), ("dense", 128), ("dropout", 0.5), ("whiten", 2).
"""

import re

from jaxlearn.nn.dropout import check_rate

KERNEL, POOL = 3, 2
LAYER_KINDS = {"c": "conv", "d": "dense"}
LAYER_HELP = ("w (first layer: frozen 2×2 patch whitening), c<channels> (3×3 convolution), "
              "p (2×2 max pooling), r<channels> (residual block; r<channels>s2 "
              "halves the size), gap (global average pooling), d<units> (dense), a 'bn' suffix on c or d (batch "
              "normalisation before the activation: c32bn), and drop<rate> (dropout, e.g. drop0.25)")
SPATIAL = ("conv", "pool", "residual", "residual2", "whiten")       # layers on feature maps


def parse_architecture(spec: str) -> tuple:
    """"c32bn-p-drop0.25-d128" → (("conv", 32), ("batchnorm", 32), ("pool", 2), ("dropout", 0.25),
    ("dense", 128)); checked."""
    if not isinstance(spec, str) or not spec.strip():
        raise TypeError(f"architecture must be a string such as 'c32-p-d128', got {spec!r}")
    layers = []
    for i, token in enumerate(spec.strip().split("-")):
        where = f"architecture {spec!r}: layer {i + 1} ({token!r})"
        if token == "w":
            if i:
                raise ValueError(f"{where}: the whitening layer w is computed from the input images' patches, so it "
                                 "must be the first layer")
            layers.append(("whiten", 2))
            continue
        if token in ("p", "gap"):
            layers.append(("pool", POOL) if token == "p" else ("gap", 0))
            continue
        if token.startswith("drop"):
            try:
                rate = check_rate(float(token[4:]), "the dropout rate")
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
            layers.append(("dropout", rate))
            continue
        residual = re.fullmatch(r"r(\d+)(s2)?", token)
        if residual:
            size = int(residual.group(1))
            if size < 1:
                raise ValueError(f"{where} needs at least 1 channel")
            layers.append(("residual2" if residual.group(2) else "residual", size))
            continue
        match = re.fullmatch(r"(c|d)(\d+)(bn)?", token)
        if not match:
            raise ValueError(f"{where} is not a layer; valid layers are {LAYER_HELP}")
        size = int(match.group(2))
        if size < 1:
            raise ValueError(f"{where} needs at least 1 channel or unit")
        layers.append((LAYER_KINDS[match.group(1)], size))
        if match.group(3):
            layers.append(("batchnorm", size))
    kinds = [kind for kind, _ in layers if kind in (*SPATIAL, "gap", "dense")]
    flat = next((i for i, kind in enumerate(kinds) if kind in ("gap", "dense")), len(kinds))
    if any(kind in (*SPATIAL, "gap") for kind in kinds[flat + 1:]):
        raise ValueError(f"architecture {spec!r}: convolution, pooling, residual and gap layers must come before the "
                         "dense layers (and nothing on feature maps after gap)")
    return tuple(layers)


def layer_shapes(architecture: tuple, input_shape: tuple) -> list:
    """The shape (channels, H, W) or (units,) after each layer; an empty feature map names its layer."""
    shape, shapes = tuple(input_shape), []
    for i, (kind, size) in enumerate(architecture, start=1):
        if kind == "conv":
            shape = (size, *shape[1:])
        elif kind == "whiten":      # 2·C·size² kernels of size × size, no padding
            if min(shape[1:]) < size:
                raise ValueError(f"layer {i} (w): a {size}×{size} patch does not fit the {shape[1]}×{shape[2]} images")
            shape = (2 * shape[0] * size * size, shape[1] - size + 1, shape[2] - size + 1)
        elif kind == "pool":
            if min(shape[1:]) < size:
                raise ValueError(f"layer {i} (pool): a {size}×{size} window does not fit the {shape[1]}×{shape[2]} "
                                 "feature map it receives; remove a pooling layer or use larger images")
            shape = (shape[0], shape[1] // size, shape[2] // size)
        elif kind == "residual":
            if shape[0] != size:
                raise ValueError(f"layer {i} (r{size}): a residual block with an identity skip keeps its channels, "
                                 f"but it receives {shape[0]}; use r{size}s2 (which projects the skip) or a "
                                 f"c{size} layer before it")
        elif kind == "residual2":
            shape = (size, -(-shape[1] // 2), -(-shape[2] // 2))          # SAME padding, stride 2: ⌈H/2⌉
        elif kind == "gap":
            shape = (shape[0],)
        elif kind == "dense":
            shape = (size,)
        shapes.append(shape)
    return shapes
