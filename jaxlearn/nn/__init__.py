"""Neural networks as pure functions of a list of (W^l, b^l) (lecture eqs. 47–52).

    mlp.py          init_mlp, logits (rows or columns layout), forward, predict
    activations.py  activations by name, their derivatives, the output layer
    losses.py       cross-entropy and L_Q on the last layer, one-hot targets, losses by name
    backprop.py     the four backpropagation equations by hand
"""

from jaxlearn.nn.activations import ACTIVATIONS, OUTPUTS, activation_derivative, apply_output
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

__all__ = ["ACTIVATIONS", "OUTPUTS", "activation_derivative", "apply_output", "LOSSES", "check_targets",
           "cross_entropy", "cross_entropy_loss", "default_output", "loss_from_logits", "make_loss", "one_hot",
           "quadratic_loss", "LAYOUTS", "check_params", "count_parameters", "forward", "init_mlp", "logits",
           "predict"]
