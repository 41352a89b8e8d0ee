"""Every hand-derived formula of the library as a gradient check: what `jaxlearn verify` runs.

Each `Formula` builds, for a dtype, (loss, hand, params, args) on a small random problem of the
lecture's shapes: X (M, N), θ (N,), W^l (n_l, n_{l−1}), images (M, C, H, W). The data are drawn
away from the kinks (no sample on the hinge's margin, no ReLU input near 0), where a
subgradient is not a gradient and finite differences would straddle the kink.
"""

import dataclasses
from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import linear, logistic, losses, nn, svm
from jaxlearn.gradcheck._network import network_loss_and_gradient
from jaxlearn.logistic.model import binary_hessian
from jaxlearn.nn.batchnorm import batch_norm, batch_norm_backward
from jaxlearn.nn.conv import conv2d, max_pool
from jaxlearn.nn.conv_backprop import conv2d_backward, max_pool_backward
from jaxlearn.nn.dropout import dropout, dropout_backward
from jaxlearn.nn.network import CNN, MLP

M, N, K = 12, 5, 3


@dataclasses.dataclass(frozen=True)
class Formula:
    name: str
    equation: str                   # the lecture's equation number, or ""
    build: Callable                 # dtype → (loss, hand, params, args)
    hessian: bool = False           # check_hessian instead of check_gradient


def _rng(seed=0):
    return np.random.default_rng(seed)


def _linear_problem(dtype, seed=0):
    rng = _rng(seed)
    X = rng.normal(size=(M, N)).astype(dtype)
    return X, (X @ rng.normal(size=N) + 0.1 * rng.normal(size=M)).astype(dtype), rng.normal(size=N).astype(dtype)


def _least_squares(lam):
    def build(dtype):
        X, y, theta = _linear_problem(dtype)
        return (lambda t, X, y: linear.least_squares_loss(t, X, y, lam),
                lambda t, X, y: linear.least_squares_grad(t, X, y, lam), theta, (X, y))
    return build


def _binary(dtype):
    X, y, theta = _linear_problem(dtype, 1)
    y01 = (y > 0).astype(dtype)
    return (lambda t, X, y: logistic.binary_cross_entropy(t, X, y, 0.1),
            lambda t, X, y: logistic.binary_cross_entropy_grad(t, X, y, 0.1), theta, (X, y01))


def _softmax(dtype):
    rng = _rng(2)
    X = rng.normal(size=(M, N)).astype(dtype)
    Y = np.eye(K, dtype=dtype)[rng.integers(0, K, M)]
    Theta = (0.5 * rng.normal(size=(N, K))).astype(dtype)
    return (lambda T, X, Y: logistic.softmax_cross_entropy(T, X, Y, 0.1),
            lambda T, X, Y: logistic.softmax_cross_entropy_grad(T, X, Y, 0.1), Theta, (X, Y))


def _away_from_margin(dtype):
    """(w, b, X, y) with every y f(x) at least 0.2 from the hinge's kink at 1."""
    for seed in range(100):
        X, _, w = _linear_problem(dtype, seed)
        y = np.where(_rng(seed + 1).normal(size=M) > 0, 1.0, -1.0).astype(dtype)
        if np.min(np.abs(1 - y * (X @ w + 0.1))) > 0.2:
            return w, np.asarray(0.1, dtype), X, y
    raise RuntimeError("no problem away from the margin")      # never: the first seeds have one


def _hinge(dtype):
    w, b, X, y = _away_from_margin(dtype)
    return (lambda p, X, y: svm.hinge_objective(p[0], p[1], X, y, 1.0),
            lambda p, X, y: svm.hinge_subgradient(p[0], p[1], X, y, 1.0), (w, b), (X, y))


def _smoothed_hinge(dtype):
    w, b, X, y = _away_from_margin(dtype)
    z = X @ w + b
    return (lambda z, y: losses.smoothed_hinge(z, y, 0.5), lambda z, y: losses.smoothed_hinge_grad(z, y, 0.5),
            z, (y,))


def _logistic_hessian(dtype):
    X, y, theta = _linear_problem(dtype, 3)
    y01 = (y > 0).astype(dtype)
    d = np.ones(N, dtype)
    return (lambda t, X, y: logistic.binary_cross_entropy(t, X, y, 0.1),
            lambda t, X, y: binary_hessian(t, X, X.T, y, jnp.asarray(0.1, X.dtype), d), theta,
            (X, y01))


def _mlp_batch(dtype, gap: float = 0.1):
    """[(W, b)] of a 5-6-4-3 network and a batch of 4 whose layer inputs z all keep |z| > gap: no
    ReLU kink within the finite differences' reach (ε ≈ 0.004 in float32, and a step of W¹ moves
    the output through every layer after it)."""
    for seed in range(5000):
        rng = _rng(seed)
        params = nn.init_mlp(jax.random.key(seed), [N, 6, 4, K], dtype=dtype)
        X = rng.normal(size=(4, N)).astype(dtype)
        a, smallest = X, np.inf
        for W, b in params:                 # the output too: a ReLU output has the same kink
            z = a @ np.asarray(W).T + np.asarray(b)
            smallest, a = min(smallest, np.abs(z).min()), np.maximum(z, 0)
        if smallest > gap:
            return params, X, np.eye(K, dtype=dtype)[rng.integers(0, K, 4)]
    raise RuntimeError("no batch away from the kinks")     # never: about one seed in ten has one


def _backprop(activation, loss, output):
    def build(dtype):
        params, X, Y = _mlp_batch(dtype)
        net = MLP(loss=loss, output=output, hidden=(6, 4), activation=activation)
        return (*network_loss_and_gradient(net), params, (X, Y))
    return build


def _backprop_dropout(dtype):
    """The MLP in training with dropout p = 0.3 on its hidden layers (tanh: smooth, so the masked
    units cannot move a ReLU input across its kink within the finite differences' reach)."""
    params, X, Y = _mlp_batch(dtype)
    net = MLP(hidden=(6, 4), activation="tanh", dropout=0.3)
    return (*network_loss_and_gradient(net, key=jax.random.key(3)), params, (X, Y))


def _with_delta(shape_of_output, dtype, seed):
    """A fixed random δ = ∂L/∂out: the loss Σ out ∘ δ has exactly that gradient at the output."""
    return _rng(seed).normal(size=shape_of_output).astype(dtype)


def _conv(dtype):
    rng = _rng(5)
    a = rng.normal(size=(2, 2, 6, 6)).astype(dtype)
    W, b = (0.3 * rng.normal(size=(3, 2, 3, 3))).astype(dtype), rng.normal(size=3).astype(dtype)
    R = _with_delta((2, 3, 3, 3), dtype, 6)
    return (lambda p, R: jnp.sum(conv2d(p[0], p[1], p[2], stride=2) * R),
            lambda p, R: conv2d_backward(p[0], p[2], R, stride=2), (W, b, a), (R,))


def _pool(dtype):
    a = _rng(7).normal(size=(2, 3, 6, 6)).astype(dtype)
    R = _with_delta((2, 3, 3, 3), dtype, 8)
    return lambda a, R: jnp.sum(max_pool(a) * R), lambda a, R: max_pool_backward(a, R), a, (R,)


def _batch_norm(dtype):
    rng = _rng(9)
    z = rng.normal(size=(8, 3, 2, 2)).astype(dtype)
    gamma, beta = rng.normal(size=3).astype(dtype), rng.normal(size=3).astype(dtype)
    stats = (np.zeros(3, dtype), np.ones(3, dtype))
    R = _with_delta(z.shape, dtype, 10)
    return (lambda p, R: jnp.sum(batch_norm(p[0], p[1], p[2], stats, training=True)[0] * R),
            lambda p, R: batch_norm_backward(p[0], p[2], R), (gamma, beta, z), (R,))


def _dropout(dtype):
    a = _rng(11).normal(size=(6, 5)).astype(dtype)
    R = _with_delta(a.shape, dtype, 12)
    key = jax.random.key(0)
    return (lambda a, R: jnp.sum(dropout(key, a, 0.3) * R),
            lambda a, R: dropout_backward(key, R, 0.3), a, (R,))


def _cnn(dtype, architecture="c3bn-p-drop0.25-d5", activation="relu"):
    rng = _rng(13)
    net = CNN(architecture=architecture, image_shape=(1, 6, 6), activation=activation, dtype=np.dtype(dtype).name)
    params = net.init(jax.random.key(1), 36, K)
    X = rng.normal(size=(4, 36)).astype(dtype)
    Y = np.eye(K, dtype=dtype)[rng.integers(0, K, 4)]
    return (*network_loss_and_gradient(net, key=jax.random.key(2)), params, (X, Y))


def _backprop_formulas():
    for loss in nn.LOSSES:
        for output in nn.OUTPUTS:
            for activation in nn.ACTIVATIONS:
                try:
                    nn.make_loss(loss, activation=activation, output=output)
                except ValueError:
                    continue                    # a pair the library refuses (cross-entropy needs softmax)
                yield Formula(f"backprop: {activation} hidden, {loss} loss, {output} output", "(1)–(4)",
                              _backprop(activation, loss, output))


def formulas() -> list[Formula]:
    """The library's hand-derived derivatives, in the lecture's order."""
    return [
        Formula("least squares ∂L/∂θ = Xᵀ(Xθ − y)/M", "17", _least_squares(0.0)),
        Formula("ridge ∂L/∂θ = Xᵀ(Xθ − y)/M + λθ", "20", _least_squares(0.3)),
        Formula("logistic cross-entropy ∂L/∂θ = Xᵀ(σ(Xθ) − y)/M + λθ", "34", _binary),
        Formula("logistic Hessian XᵀSX/M + λI (Newton)", "27", _logistic_hessian, hessian=True),
        Formula("softmax cross-entropy ∂L/∂Θ = Xᵀ(softmax(XΘ) − Y)/M + λΘ", "", _softmax),
        Formula("hinge subgradient (away from the kink)", "36", _hinge),
        Formula("smoothed hinge ∂/∂z", "", _smoothed_hinge),
        *_backprop_formulas(),
        Formula("convolution: ∂W (correlation), ∂b, ∂a (full convolution)", "", _conv),
        Formula("max pooling: δ to each window's arg-max", "", _pool),
        Formula("batch normalisation: ∂γ, ∂β, ∂z", "", _batch_norm),
        Formula("dropout: the forward mask, scaled", "", _dropout),
        Formula("backprop with dropout p = 0.3 (tanh hidden): the mask routes δ back", "(2)", _backprop_dropout),
        Formula("whole CNN c3bn-p-drop0.25-d5", "", _cnn),
        # tanh: smooth, so that finite differences never step across a ReLU's kink in the 8-layer block stack
        Formula("residual network c3bn-r3-r4s2-gap (tanh): the skip adds its gradient", "",
                partial(_cnn, architecture="c3bn-r3-r4s2-gap", activation="tanh")),
    ]
