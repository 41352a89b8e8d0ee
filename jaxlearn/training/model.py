"""The network a `TrainConfig` describes, as three functions of its parameters: initialise,
logits and the hand-written gradient. The trainer, the evaluation and the run folders go
through these, so that the MLP and the CNN share everything else.

    mlp: params [(W, b), …] of `jaxlearn.nn.mlp`, inputs (M, n_0)
    cnn: params of `jaxlearn.nn.cnn` for config.architecture; inputs are the same flat rows
         (M, C·H·W), seen as images (M, C, H, W) of config.image_shape

A CNN with batch normalisation also has batch_stats, its running statistics (() for every
other network), which training updates and evaluation reads; a network with dropout or
augmentation draws from a key in each training step (`needs_key`).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxlearn import nn
from jaxlearn.nn.backprop import backprop
from jaxlearn.training.config import TrainConfig


class Network(NamedTuple):
    """What evaluation and prediction need of a config (a static argument: programs are shared
    by every config with the same network, whatever its learning rate or epochs)."""

    model: str
    activation: str
    loss: str
    output_activation: str
    architecture: str
    image_shape: tuple
    test_flip: bool = False


def network(config: TrainConfig) -> Network:
    cnn = config.model == "cnn"
    return Network(config.model, config.activation, config.loss, config.output_activation,
                   config.architecture if cnn else "", config.image_shape if cnn else (),
                   bool(cnn and config.test_flip))


def init_params(config: TrainConfig, key, n_features: int, n_classes: int):
    """Fresh parameters of the configured network."""
    dtype = jnp.dtype(config.dtype)
    if config.model == "cnn":
        check_image_rows(config, n_features)
        return nn.init_cnn(key, config.architecture, config.image_shape, n_classes, dtype=dtype)
    return nn.init_mlp(key, [n_features, *config.hidden, n_classes], activation=config.activation, dtype=dtype,
                       init=config.init)


def init_batch_stats(config: TrainConfig):
    """The running statistics of the network's batch normalisation layers ([] or () without)."""
    if config.model == "cnn":
        return nn.init_batch_stats(config.architecture, dtype=jnp.dtype(config.dtype))
    return ()


def needs_key(config: TrainConfig) -> bool:
    """Does a training step draw random numbers (augmentation, dropout)?"""
    if config.model == "mlp":
        return config.dropout > 0
    return bool(config.augment) or any(kind == "dropout" for kind, _ in nn.parse_architecture(config.architecture))


def check_image_rows(config: TrainConfig, n_features: int) -> None:
    channels, height, width = config.image_shape
    if n_features != channels * height * width:
        raise ValueError(f"the CNN sees each input row as an image of shape {config.image_shape} "
                         f"({channels * height * width} values), but the rows have {n_features}; set image_shape")


def _images(config, X):
    return X.reshape(X.shape[0], *config.image_shape)


def logits(config: TrainConfig | Network, params, X, *, layout: str = "rows", batch_stats=()):
    """z^L (M, K) of flat input rows X (M, n_0), for inference (batch normalisation by its running statistics)."""
    if config.model == "cnn":
        images = _images(config, X)
        z = nn.cnn_logits(params, images, config.architecture, batch_stats=batch_stats, activation=config.activation)
        if config.test_flip:      # test-time augmentation: the mean of the logits of x and of its mirror
            mirrored = nn.cnn_logits(params, jnp.flip(images, axis=-1), config.architecture, batch_stats=batch_stats,
                                     activation=config.activation)
            z = (z + mirrored) / 2
        return z
    return nn.logits(params, X, activation=config.activation, layout=layout)


def training_logits(config: TrainConfig, params, X, *, layout: str = "rows", batch_stats=(), key=None,
                    dropout=None):
    """(z^L, new batch_stats) of a training step: batch statistics, dropout masks from key.

    dropout: the MLP's rate (default config.dropout; a sweep passes each model's, traced)."""
    if config.model == "cnn":
        return nn.cnn_apply(params, _images(config, X), config.architecture, batch_stats=batch_stats,
                            training=True, key=key, activation=config.activation)
    rate = config.dropout if dropout is None else dropout
    return nn.logits(params, X, activation=config.activation, layout=layout, key=key, dropout=rate), batch_stats


def hand_gradient(config: TrainConfig, params, X, Y, *, batch_stats=(), key=None, dropout=None):
    """∂L/∂params by the lecture's backpropagation (the CNN's: `jaxlearn.nn.cnn.cnn_backprop`), of
    the training-mode network with the same key (and dropout rate) as `training_logits`."""
    if config.model == "cnn":
        return nn.cnn_backprop(params, _images(config, X), Y, config.architecture, batch_stats=batch_stats,
                               key=key, activation=config.activation)
    return backprop(params, X, Y, activation=config.activation, loss=config.loss, output=config.output_activation,
                    key=key, dropout=config.dropout if dropout is None else dropout)


def check_params(config: TrainConfig, params, n_features: int) -> None:
    """params must be the configured network's for inputs of n_features (a checkpoint of another
    model is named as such)."""
    if config.model == "mlp":
        if any(jnp.ndim(W) != 2 for W, _ in params):
            raise ValueError("these parameters belong to a CNN (they have convolution kernels), not an MLP")
        nn.check_params(params, n_features)
        return
    expected = jax.eval_shape(lambda: init_params(config, jax.random.key(0), n_features, params[-1][0].shape[0]))
    shapes = [(tuple(W.shape), tuple(b.shape)) for W, b in params]
    if shapes != [(tuple(W.shape), tuple(b.shape)) for W, b in expected]:
        kind = "an MLP" if all(jnp.ndim(W) == 2 for W, _ in params) else "another CNN"
        raise ValueError(f"these parameters belong to {kind}, not the CNN {config.architecture!r} on "
                         f"{config.image_shape} images")


def check_batch_stats(config: TrainConfig, batch_stats) -> None:
    """batch_stats must be the configured network's running statistics (none without batch normalisation)."""
    expected = jax.eval_shape(lambda: init_batch_stats(config))
    shapes = [tuple(jnp.shape(v)) for v in jax.tree_util.tree_leaves(batch_stats)]
    if shapes != [tuple(v.shape) for v in jax.tree_util.tree_leaves(expected)]:
        n = len(expected)
        need = (f"its {n} batch normalisation layer(s) need batch_stats: {n} (running mean, running variance) "
                "pairs (TrainState.batch_stats)" if n else "it has no batch normalisation, so batch_stats must be ()")
        raise ValueError(f"batch_stats do not fit the network {config.architecture if config.model == 'cnn' else 'MLP'}"
                         f": {need}, got {len(shapes)} array(s)")
