"""Neural networks as pure functions of a list of (W^l, b^l) (lecture eqs. 47–52).

    mlp.py          init_mlp, logits (rows or columns layout), forward, predict
    activations.py  activations by name, their derivatives, the output layer
    losses.py       cross-entropy and L_Q on the last layer, one-hot targets, losses by name
    backprop.py     the four backpropagation equations by hand
    conv.py         convolution (W ∗ a + b), max pooling, flatten, He initialisation
    conv_backprop.py  their backward passes by hand: correlation, full convolution, arg-max routing
    conv_gradient.py  the CNN's channels-last convolution, its ∂W by the faster formula per shape
    batchnorm.py    batch normalisation with its running statistics as explicit state; backward pass
    dropout.py      inverted dropout with an explicit key; backward pass
    cnn.py          convolutional networks from an architecture string ("c32bn-p-drop0.25-d128"); hand backprop
    augment.py      random shifts, flips and erasing of image batches on the device, keyed
    network/        a network as one hashable object (MLP, CNN): init, apply, hand_gradient, state
"""

from jaxlearn.nn.activations import ACTIVATIONS, OUTPUTS, activation_derivative, apply_output
from jaxlearn.nn.augment import AUGMENTATIONS, augment, check_augmentations
from jaxlearn.nn.batchnorm import batch_norm, batch_norm_backward, init_batch_norm
from jaxlearn.nn.cnn import cnn_apply, cnn_backprop, cnn_logits, init_batch_stats, init_cnn, parse_architecture
from jaxlearn.nn.conv import conv2d, flatten, init_conv, max_pool
from jaxlearn.nn.conv_backprop import conv2d_backward, max_pool_backward
from jaxlearn.nn.dropout import dropout, dropout_backward
from jaxlearn.nn.losses import (
    LOSSES,
    check_targets,
    cross_entropy,
    cross_entropy_loss,
    default_output,
    loss_from_logits,
    make_loss,
    one_hot,
    quadratic_loss,
)
from jaxlearn.nn.mlp import LAYOUTS, check_params, count_parameters, forward, init_mlp, logits, predict
from jaxlearn.nn.network import CNN, MLP, Network

__all__ = ["ACTIVATIONS", "OUTPUTS", "activation_derivative", "apply_output", "LOSSES", "check_targets",
           "cross_entropy", "cross_entropy_loss", "default_output", "loss_from_logits", "make_loss", "one_hot",
           "quadratic_loss", "LAYOUTS", "check_params", "count_parameters", "forward", "init_mlp", "logits",
           "predict", "conv2d", "flatten", "init_conv", "max_pool", "conv2d_backward", "max_pool_backward",
           "AUGMENTATIONS", "augment", "check_augmentations", "cnn_backprop", "cnn_logits", "init_cnn",
           "parse_architecture", "batch_norm", "batch_norm_backward", "init_batch_norm", "cnn_apply",
           "init_batch_stats", "dropout", "dropout_backward", "Network", "MLP", "CNN"]
