"""The one place that reads which network a `TrainConfig` describes: `network(config)` builds it
once, as a `jaxlearn.nn.network` object (`MLP` or `CNN`), and checks the settings that only
one kind of network takes. Everything above (the step, the epoch loop, evaluation, checkpoints,
figures, sweeps) works through that object and never asks config.model again.

Adding a kind of network: a subclass of `jaxlearn.nn.network.Network`, and one entry in
NETWORKS here (docs/guide/training.md, "Adding a network").
"""

from jaxlearn.nn.architecture import layer_shapes, parse_architecture
from jaxlearn.nn.network import CNN, MLP, Network

# the defaults of the CNN-only settings (an MLP refuses any other value)
_CNN_ONLY = {"bn_momentum": (0.9, "sets batch normalisation's momentum"),
             "bn_bias_lr": (1.0, "scales batch normalisation's shifts"),
             "conv_init": ("he", "initialises convolutions")}


def _mlp(config) -> MLP:
    if config.augment:
        raise ValueError(f"augment={config.augment} needs model='cnn' (the MLP sees flat rows, not images)")
    if config.test_flip:
        raise ValueError("test_flip mirrors images: it needs model='cnn' (the MLP sees flat rows)")
    if config.test_shift:
        raise ValueError("test_shift translates images: it needs model='cnn' (the MLP sees flat rows)")
    for name, (default, what) in _CNN_ONLY.items():
        if getattr(config, name) != default:
            raise ValueError(f"{name}={getattr(config, name)!r} {what}: it needs model='cnn' (the MLP has none)")
    if config.dropout and not config.hidden:
        raise ValueError(f"dropout={config.dropout} drops hidden units, but hidden=() has no hidden layer")
    return MLP(loss=config.loss, output=config.output_activation, dtype=config.dtype, hidden=config.hidden,
               activation=config.activation, weight_init=config.init, dropout=config.dropout)


def _cnn(config) -> CNN:
    if config.init != "he":
        raise ValueError(f"init={config.init!r} is for the MLP; a CNN is initialised as jaxlearn.nn.init_cnn does")
    if config.dropout:
        raise ValueError(f"dropout={config.dropout} is the MLP's; a CNN's dropout is a layer of its architecture "
                         "(e.g. '…-d128-drop0.5')")
    layer_shapes(parse_architecture(config.architecture), config.image_shape)   # no empty feature map
    if config.loss != "cross_entropy":
        raise ValueError(f"the CNN is trained with the cross-entropy loss, got loss={config.loss!r}")
    return CNN(loss=config.loss, output=config.output_activation, dtype=config.dtype,
               architecture=config.architecture, image_shape=config.image_shape, activation=config.activation,
               augmentations=config.augment, test_flip=config.test_flip, test_shift=config.test_shift,
               bn_momentum=config.bn_momentum, conv_init=config.conv_init)


# config.model → the function that builds (and checks) that network from the config
NETWORKS = {"mlp": _mlp, "cnn": _cnn}


def network(config) -> Network:
    """The network of a `TrainConfig` (hashable: the static argument of the programs that run it)."""
    return NETWORKS[config.model](config)
