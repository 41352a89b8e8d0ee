"""Backpropagation written out as the lecture's four equations, for a batch of M samples.

    (1) δ^L = ∂L/∂z^L = σ'(z^L) ∘ ∂L/∂a^L      (= a^L − y for L_CE with softmax)
    (2) δ^l = σ'(z^l) ∘ (W^{l+1})ᵀ δ^{l+1}
    (3) ∂L/∂W^l = δ^l (a^{l−1})ᵀ
    (4) ∂L/∂b^l = δ^l

With dropout (a^l = σ(z^l) ∘ s^l, s^l = m^l/(1 − p) the scaled mask of hidden layer l), the
same mask routes the error back: (2) becomes δ^l = σ'(z^l) ∘ s^l ∘ (W^{l+1})ᵀ δ^{l+1}.

With a batch, δ^l is (M, n_l), one row a sample, and (3)–(4) sum over the rows; the 1/M of
the losses (which average over samples) is carried in δ^L. The tests check every leaf
against jax.grad.
"""

import jax.numpy as jnp

from jaxlearn import losses
from jaxlearn._validation import check_matrix, check_option
from jaxlearn.nn.activations import ACTIVATIONS, OUTPUTS, activation_derivative, apply_output
from jaxlearn.nn.losses import LOSSES, check_targets, default_output
from jaxlearn.nn.mlp import check_params, dropout_masks, forward_trace


def backprop(params, X, Y, *, activation: str = "relu", loss: str = "cross_entropy",
             output: str | None = None, key=None, dropout=0.0):
    """∂L/∂(W^l, b^l) for every layer, by the lecture's equations (1)–(4).

    Args:
        params: [(W^1, b^1), …, (W^L, b^L)], W^l (n_l, n_{l−1}), b^l (n_l,).
        X: (M, n_0) inputs; Y: (M, n_L) one-hot targets.
        activation: hidden activation name.
        loss: "cross_entropy" (softmax output) or "quadratic" (L_Q = (1/M) Σ ‖a^L − y‖²).
        output: output activation (default softmax for the cross-entropy, sigmoid for L_Q).
        key, dropout: the gradient of the training-mode network with dropout of rate p on the
            hidden layers, the masks drawn from key as `jaxlearn.nn.logits` draws them.

    Returns:
        Gradients with the structure of params: [(∂L/∂W^1, ∂L/∂b^1), …].
    """
    check_option(loss, "loss", LOSSES)
    check_option(activation, "activation", tuple(ACTIVATIONS))
    output = default_output(loss) if output is None else output
    check_option(output, "output", OUTPUTS)
    if loss == "cross_entropy" and output != "softmax":
        raise ValueError(f"the cross-entropy loss needs output='softmax', got {output!r}")
    X = check_matrix(X)
    check_params(params, X.shape[1])
    Y = check_targets(Y, X.shape[0], params[-1][0].shape[0])
    X = X.astype(params[0][0].dtype)
    sigma = ACTIVATIONS[activation]
    masks = dropout_masks(key, dropout, params, X.shape[0])

    # forward pass (eqs. 47–52), keeping z^l, σ(z^l) and a^l (a^l = σ(z^l) ∘ s^l with dropout)
    pre_activations, unmasked, activations = forward_trace(params, X, sigma, masks)
    z_L = pre_activations[-1]
    a_L = apply_output(z_L, output)

    if loss == "cross_entropy":
        delta = losses.softmax_cross_entropy_grad(z_L, Y)  # (1) with softmax and L_CE: (a^L − y)/M
    else:
        dL_da = losses.quadratic_grad(a_L, Y)              # 2(a^L − y)/M: L_Q has no ½
        if output == "softmax":                            # softmax is not element-wise:
            delta = a_L * (dL_da - jnp.sum(a_L * dL_da, axis=1, keepdims=True))  # Jᵀ ∂L/∂a
        else:
            delta = activation_derivative(output, z_L, a_L) * dL_da              # (1)

    grads = []
    for layer in range(len(params), 0, -1):
        W, _ = params[layer - 1]
        a_prev = activations[layer - 1]
        grads.append((delta.T @ a_prev, jnp.sum(delta, axis=0)))                 # (3), (4)
        if layer > 1:
            z_prev, error = pre_activations[layer - 2], delta @ W
            if masks is not None:                                                   # through the mask
                error = error * masks[layer - 2]
            delta = activation_derivative(activation, z_prev, unmasked[layer - 2]) * error  # (2)
    return grads[::-1]
