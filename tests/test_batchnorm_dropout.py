"""Batch normalisation (`jaxlearn.nn.batchnorm`) against its formulas, its hand backward pass
against jax.grad, and dropout (`jaxlearn.nn.dropout`): keyed, unbiased, its backward pass."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn.nn import batch_norm, batch_norm_backward, dropout, dropout_backward, init_batch_norm


@pytest.mark.parametrize("shape", [(6, 4), (5, 3, 4, 2)])
def test_batch_norm_is_its_formula_in_training_and_inference(shape):
    rng = np.random.default_rng(0)
    z = rng.normal(2.0, 3.0, size=shape)
    gamma, beta = rng.normal(size=shape[1]), rng.normal(size=shape[1])
    stats = (rng.normal(size=shape[1]), rng.uniform(0.5, 2, size=shape[1]))
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    view = (1, -1) if len(shape) == 2 else (1, -1, 1, 1)
    mean, var = z.mean(axis=axes), z.var(axis=axes)
    out, new_stats = batch_norm(gamma, beta, z, stats, training=True)
    want = gamma.reshape(view) * (z - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-5) + beta.reshape(view)
    np.testing.assert_allclose(out, want, rtol=1e-10)
    np.testing.assert_allclose(new_stats[0], 0.9 * stats[0] + 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(new_stats[1], 0.9 * stats[1] + 0.1 * var, rtol=1e-12)
    out, same = batch_norm(gamma, beta, z, stats, training=False)
    want = (gamma.reshape(view) * (z - stats[0].reshape(view)) / np.sqrt(stats[1].reshape(view) + 1e-5)
            + beta.reshape(view))
    np.testing.assert_allclose(out, want, rtol=1e-10)
    assert same is stats


@pytest.mark.parametrize("shape", [(7, 3), (4, 2, 3, 5)])
def test_batch_norm_backward_is_autodiff(shape):
    rng = np.random.default_rng(1)
    z, delta = rng.normal(size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[1]), rng.normal(size=shape[1])
    stats = init_batch_norm(shape[1], dtype=jnp.float64)[1]

    def weighted(gamma, beta, z):
        return jnp.sum(delta * batch_norm(gamma, beta, z, stats, training=True)[0])

    for hand, auto in zip(batch_norm_backward(gamma, z, delta), jax.grad(weighted, argnums=(0, 1, 2))(gamma, beta, z)):
        np.testing.assert_allclose(hand, auto, rtol=1e-10, atol=1e-12)


@pytest.mark.jax_defaults
def test_batch_norm_keeps_float32_and_jits():
    (gamma, beta), stats = init_batch_norm(3)
    z = jnp.ones((4, 3, 2, 2), jnp.float32) * jnp.arange(4.0)[:, None, None, None]
    out, new = jax.jit(lambda z, s: batch_norm(gamma, beta, z, s, training=True))(z, stats)
    assert out.dtype == jnp.float32 and new[0].dtype == jnp.float32
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, rtol=1e-4)


def test_dropout_is_keyed_unbiased_and_its_backward_uses_the_same_mask():
    a = jnp.ones((200, 50))
    out = dropout(jax.random.key(0), a, 0.3)
    kept = np.asarray(out) != 0
    assert abs(kept.mean() - 0.7) < 0.02                                  # P(keep) = 1 − p
    np.testing.assert_allclose(np.asarray(out)[kept], 1 / 0.7, rtol=1e-6)  # scaled up: E[out] = a
    np.testing.assert_array_equal(out, dropout(jax.random.key(0), a, 0.3))
    assert not np.array_equal(out, dropout(jax.random.key(1), a, 0.3))
    np.testing.assert_array_equal(dropout(jax.random.key(0), a, 0.0), a)
    delta = jax.random.normal(jax.random.key(2), a.shape)
    auto = jax.grad(lambda a: jnp.sum(delta * dropout(jax.random.key(0), a, 0.3)))(a)
    np.testing.assert_allclose(dropout_backward(jax.random.key(0), delta, 0.3), auto, rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: dropout(jax.random.key(0), np.ones(3), 1.0), r"rate must be in \[0, 1\)"),
    (lambda: dropout(jax.random.key(0), np.ones(3), -0.1), "rate must be ≥ 0"),
    (lambda: batch_norm(np.ones(3), np.zeros(3), np.ones((4, 2)), (np.zeros(3), np.ones(3)), training=True),
     r"gamma must have shape \(2,\), one value per unit of z's axis 1, got \(3,\)"),
    (lambda: batch_norm(np.ones(2), np.zeros(2), np.ones((4, 2)), (np.zeros(2), np.ones(5)), training=False),
     r"running variance must have shape \(2,\)"),
    (lambda: batch_norm(np.ones(2), np.zeros(2), np.ones(4), (np.zeros(2), np.ones(2)), training=False),
     r"z must be \(M, n\) rows or \(M, C, H, W\) maps"),
    (lambda: batch_norm_backward(np.ones(2), np.ones((4, 2)), np.ones((3, 2))), r"delta must have z's shape \(4, 2\)"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("activation, loss", [("relu", "cross_entropy"), ("sigmoid", "cross_entropy"),
                                              ("tanh", "quadratic")])
def test_the_mlps_dropout_backprop_is_autodiff(activation, loss):
    """a^l = σ(z^l) ∘ m^l/(1 − p) on the hidden layers: the lecture's backprop with the masks equals
    jax.grad of the same training-mode network (float64, leaf by leaf), in both layouts."""
    from jaxlearn import nn
    from jaxlearn.nn.backprop import backprop

    params = nn.init_mlp(jax.random.key(0), [5, 7, 6, 3], activation=activation, dtype=jnp.float64)
    X = jax.random.normal(jax.random.key(1), (11, 5), jnp.float64)
    Y = jax.nn.one_hot(jnp.arange(11) % 3, 3, dtype=jnp.float64)
    key, output = jax.random.key(2), nn.default_output(loss)

    def L(p):
        z = nn.logits(p, X, activation=activation, key=key, dropout=0.4)
        return nn.loss_from_logits(z, Y, loss, output)

    auto = jax.grad(L)(params)
    hand = backprop(params, X, Y, activation=activation, loss=loss, key=key, dropout=0.4)
    for a, h in zip(jax.tree_util.tree_leaves(auto), jax.tree_util.tree_leaves(hand)):
        np.testing.assert_allclose(h, a, rtol=1e-10, atol=1e-14)
    rows = nn.logits(params, X, activation=activation, key=key, dropout=0.4)
    np.testing.assert_allclose(nn.logits(params, X, activation=activation, key=key, dropout=0.4, layout="columns"),
                               rows, rtol=1e-12)
    assert not np.allclose(rows, nn.logits(params, X, activation=activation))      # units were dropped
    # without a key (inference) nothing is dropped; a traced rate of 0 drops nothing either
    np.testing.assert_array_equal(nn.logits(params, X, activation=activation, dropout=0.4),
                                  nn.logits(params, X, activation=activation))
    traced = jax.jit(lambda p, r: nn.logits(p, X, activation=activation, key=key, dropout=r))(params, 0.0)
    np.testing.assert_array_equal(traced, nn.logits(params, X, activation=activation))


def test_the_mlps_dropout_masks_are_keyed_and_unbiased():
    from jaxlearn import nn

    params = nn.init_mlp(jax.random.key(0), [4, 400, 3])
    masks = nn.mlp.dropout_masks(jax.random.key(5), 0.25, params, 300)
    assert len(masks) == 1 and masks[0].shape == (300, 400) and masks[0].dtype == jnp.float32
    kept = np.asarray(masks[0]) != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(np.asarray(masks[0])[kept], 1 / 0.75, rtol=1e-6)
    assert nn.mlp.dropout_masks(None, 0.25, params, 300) is None
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        nn.logits(params, np.ones((2, 4)), key=jax.random.key(0), dropout=1.0)
