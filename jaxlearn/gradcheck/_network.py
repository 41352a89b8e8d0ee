"""One check for every network: its hand backward pass (`Network.hand_gradient`) against
`jax.grad` of its training-mode forward pass (`Network.apply`) and loss, and finite differences.

    report = check_network(net, params, X, Y, key=key)    # net: an MLP, a CNN, …
"""

import jax

from jaxlearn.gradcheck._check import check_gradient
from jaxlearn.gradcheck._report import GradientReport


def network_loss_and_gradient(network, state=None, key=None) -> tuple:
    """(loss(params, X, Y), hand(params, X, Y)) of the network in training mode, with its state
    (default `init_state`) and key (dropout masks) fixed: L = loss(z^L, Y) of
    z^L = apply(params, state, X, training=True, key=key), and its hand-derived ∂L/∂params.
    The state is cast to the parameters' dtype, so that a float64 check sees a float64 network."""
    state = network.init_state() if state is None else state

    def like(params):
        dtype = jax.tree_util.tree_leaves(params)[0].dtype
        return jax.tree_util.tree_map(lambda s: s.astype(dtype), state)

    # each one compiled program: the check calls them once per finite difference, and op by op a
    # deep network's dispatch is slow
    @jax.jit
    def loss(params, X, Y):
        z, _ = network.apply(params, like(params), X, training=True, key=key)
        return network.loss_value(z, Y)

    @jax.jit
    def hand(params, X, Y):
        return network.hand_gradient(params, like(params), X, Y, key=key)

    return loss, hand


def check_network(network, params, X, Y, *, state=None, key=None, **kwargs) -> GradientReport:
    """`check_gradient` of a network's hand backward pass: params [(W^l, b^l), …] of
    network.init, X (M, n_0) flat input rows, Y (M, K) targets, state (default the network's
    initial state), key for its dropout masks; kwargs as `check_gradient` (dtype, rtol, …)."""
    loss, hand = network_loss_and_gradient(network, state, key)
    return check_gradient(loss, hand, params, X, Y, **kwargs)
