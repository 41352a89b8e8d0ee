"""Residual blocks (r64, r64s2) and global average pooling (gap): the architecture language, the
hand backward pass against jax.grad leaf by leaf (float64, several networks) and through
`jaxlearn.gradcheck`, and training through the same trainer with a bit-identical continuation."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn import losses, nn
from jaxlearn.gradcheck import check_gradient
from jaxlearn.nn.architecture import layer_shapes, parse_architecture
from jaxlearn.training import TrainConfig, fit

NETWORKS = ["c4bn-r4-r8s2-gap", "c4bn-r4-p-r6s2-r6-gap-d5-drop0.3", "r3s2-r3-gap", "c2-r2-r2-d4"]


def problem(architecture, activation="relu", shape=(2, 9, 9), M=5, K=3):
    params = nn.init_cnn(jax.random.key(0), architecture, shape, K, dtype=jnp.float64)
    stats = nn.init_batch_stats(architecture, dtype=jnp.float64)
    X = jax.random.normal(jax.random.key(1), (M, *shape), jnp.float64)
    Y = jax.nn.one_hot(jnp.arange(M) % K, K, dtype=jnp.float64)
    key = jax.random.key(2)

    @jax.jit            # one compiled program each: op-by-op dispatch of a deep network is slow
    def loss(p, X, Y):
        z, _ = nn.cnn_apply(p, X, architecture, batch_stats=stats, training=True, key=key, activation=activation)
        return losses.softmax_cross_entropy(z, Y)

    @jax.jit
    def hand(p, X, Y):
        return nn.cnn_backprop(p, X, Y, architecture, batch_stats=stats, key=key, activation=activation)

    return loss, hand, params, X, Y


@pytest.mark.parametrize("architecture", NETWORKS)
def test_the_hand_backward_pass_is_jax_grad_leaf_by_leaf(architecture):
    loss, hand, params, X, Y = problem(architecture)
    auto = jax.grad(loss)(params, X, Y)
    by_hand = hand(params, X, Y)
    assert jax.tree.structure(auto) == jax.tree.structure(by_hand)
    for i, (a, h) in enumerate(zip(jax.tree.leaves(auto), jax.tree.leaves(by_hand))):
        assert a.shape == h.shape
        np.testing.assert_allclose(h, a, rtol=1e-10, atol=1e-13, err_msg=f"{architecture}: leaf {i}")


def test_the_gradient_verification_tool_agrees():
    loss, hand, params, X, Y = problem("c3bn-r3-r4s2-gap", activation="tanh", shape=(1, 6, 6))
    check_gradient(loss, hand, params, X, Y).assert_ok()


def test_a_broken_skip_is_caught():
    """Dropping the skip's gradient (∂a = ∂a_main only) must not pass."""
    from jaxlearn.nn import residual

    loss, hand, params, X, Y = problem("c3bn-r3-gap", activation="tanh", shape=(1, 6, 6))
    original = residual.block_backward

    def without_skip(block, a, cache, d_out, kind, activation):
        grads, d_a = original(block, a, cache, d_out, kind, activation)
        z1, n1, h1, z2, u, out = cache
        return grads, d_a - d_out * nn.activation_derivative(activation, u, out)

    residual.block_backward = without_skip
    try:
        report = check_gradient(loss, hand, params, X, Y)
    finally:
        residual.block_backward = original
    assert not report.ok
    ok = [leaf.ok for leaf in report.leaves]        # W, b (none), γ, β of c3bn, then the block's own
    assert not ok[0] and not ok[2] and not ok[3]     # the layers before the block miss the skip's share


def test_shapes_and_parameters():
    architecture = parse_architecture("c8bn-r8-r16s2-gap")
    assert architecture == (("conv", 8), ("batchnorm", 8), ("residual", 8), ("residual2", 16), ("gap", 0))
    assert layer_shapes(architecture, (1, 28, 28)) == [(8, 28, 28), (8, 28, 28), (8, 28, 28), (16, 14, 14), (16,)]
    assert layer_shapes(parse_architecture("r4s2"), (1, 7, 7)) == [(4, 4, 4)]            # ⌈7/2⌉
    params = nn.init_cnn(jax.random.key(0), "c8bn-r8-r16s2-gap", (1, 28, 28), 10)
    # c8 (W, no b), bn; r8: 2 × (conv, bn); r16s2: 2 × (conv, bn) + the 1×1 projection; the output layer
    assert [W.shape for W, _ in params] == [(8, 1, 3, 3), (8,), (8, 8, 3, 3), (8,), (8, 8, 3, 3), (8,),
                                            (16, 8, 3, 3), (16,), (16, 16, 3, 3), (16,), (16, 8, 1, 1), (10, 16)]
    assert len(nn.init_batch_stats("c8bn-r8-r16s2-gap")) == 5


@pytest.mark.parametrize("spec, message", [
    ("c8-r16", r"layer 2 \(r16\): a residual block with an identity skip keeps its channels, but it receives 8; "
               r"use r16s2"),
    ("c8-gap-c8", "nothing on feature maps after gap"),
    ("c8-d4-r8", "must come before the dense layers"),
    ("r0", r"layer 1 \('r0'\) needs at least 1 channel"),
])
def test_bad_architectures_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(model="cnn", architecture=spec)


@pytest.mark.parametrize("gradient", ["autodiff", "backprop"])
def test_a_residual_network_trains_and_continues_bit_identically(gradient):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(96, 64)).astype(np.float32)
    y = (X[:, :32].mean(1) > X[:, 32:].mean(1)).astype(np.int32)
    config = TrainConfig(model="cnn", architecture="c4bn-r4-r8s2-gap", image_shape=(1, 8, 8), epochs=3, batch_size=16,
                         learning_rate=3e-3, augment=("flip", "erase"), gradient=gradient, warmup_epochs=1,
                         label_smoothing=0.1)
    whole, history = fit(config, X, y, progress=False)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    first, part = fit(config, X, y, progress=False, on_epoch_end=lambda epoch, state, history: len(history) == 1)
    assert len(part) == 1
    resumed, _ = fit(config, X, y, state=first, start_epoch=1, history=part, progress=False)
    for a, b in zip(jax.tree.leaves((whole.params, whole.batch_stats)), jax.tree.leaves((resumed.params,
                                                                                           resumed.batch_stats))):
        np.testing.assert_array_equal(a, b)
    assert dataclasses.replace(config, test_flip=True).test_flip      # the recipe's TTA applies to it too
