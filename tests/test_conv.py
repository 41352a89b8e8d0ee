"""Convolution layers (`jaxlearn.nn.conv`) against direct loops, and their hand backward passes
(`jaxlearn.nn.conv_backprop`) against jax.grad, leaf by leaf."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn.nn import conv2d, conv2d_backward, flatten, init_conv, max_pool, max_pool_backward

# (M, in channels, out channels, H, W, kernel, stride, padding)
SHAPES = [(2, 3, 4, 7, 6, 3, 1, "SAME"), (2, 3, 4, 7, 6, 3, 2, "SAME"), (1, 2, 3, 8, 8, 2, 2, "VALID"),
          (3, 1, 2, 9, 7, 4, 3, 1), (2, 2, 2, 5, 5, 5, 1, "VALID"), (2, 3, 2, 6, 9, 3, 2, 2),
          (1, 1, 1, 4, 4, 1, 3, "SAME")]
TOLERANCE = {np.float32: 1e-4, np.float64: 1e-12}


def direct_conv(W, b, a, stride, pads):
    """z[m,o,i,j] = Σ_{c,p,q} W[o,c,p,q] ā[m,c,s·i+p,s·j+q] + b[o], by loops."""
    padded = np.pad(a, ((0, 0), (0, 0), *pads))
    M, C, Hp, Wp = padded.shape
    n_out, _, kh, kw = W.shape
    Ho, Wo = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    z = np.zeros((M, n_out, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = padded[:, :, stride * i:stride * i + kh, stride * j:stride * j + kw]
            z[:, :, i, j] = np.einsum("mcpq,ocpq->mo", window, W) + b
    return z


def pads_of(padding, H, W, k, stride):
    from jaxlearn.nn.conv import padding_pairs

    return padding_pairs(padding, (H, W), (k, k), stride)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_conv2d_is_the_lectures_sum(shape):
    M, Ci, Co, H, W, k, s, padding = shape
    rng = np.random.default_rng(0)
    a, Wt, b = rng.normal(size=(M, Ci, H, W)), rng.normal(size=(Co, Ci, k, k)), rng.normal(size=Co)
    z = conv2d(Wt, b, a, stride=s, padding=padding)
    np.testing.assert_allclose(z, direct_conv(Wt, b, a, s, pads_of(padding, H, W, k, s)), rtol=1e-12, atol=1e-12)
    if padding == "SAME":
        assert z.shape[2:] == (-(-H // s), -(-W // s))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_conv2d_backward_is_autodiff(shape, dtype):
    M, Ci, Co, H, W, k, s, padding = shape
    rng = np.random.default_rng(1)
    a, Wt, b = (rng.normal(size=shape).astype(dtype) for shape in ((M, Ci, H, W), (Co, Ci, k, k), (Co,)))
    delta = rng.normal(size=conv2d(Wt, b, a, stride=s, padding=padding).shape).astype(dtype)
    auto = jax.grad(lambda W, b, a: jnp.sum(conv2d(W, b, a, stride=s, padding=padding) * delta), argnums=(0, 1, 2))
    by_hand = conv2d_backward(Wt, a, delta, stride=s, padding=padding)
    for hand, reference, name in zip(by_hand, auto(Wt, b, a), ("dW", "db", "da")):
        assert hand.dtype == dtype and hand.shape == reference.shape, name
        np.testing.assert_allclose(hand, reference, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype], err_msg=name)


def test_the_kernel_gradient_is_the_correlation_of_the_input_with_delta():
    """∂L/∂W[o,c,p,q] = Σ_{m,i,j} δ[m,o,i,j] ā[m,c,s·i+p,s·j+q], by loops (stride 2, padding 1)."""
    rng = np.random.default_rng(2)
    a, W, delta = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 3)), None
    delta = rng.normal(size=conv2d(W, np.zeros(3), a, stride=2, padding=1).shape)
    padded = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros_like(W)
    for p in range(3):
        for q in range(3):
            window = padded[:, :, p:p + 2 * delta.shape[2]:2, q:q + 2 * delta.shape[3]:2]
            expected[:, :, p, q] = np.einsum("moij,mcij->oc", delta, window)
    np.testing.assert_allclose(conv2d_backward(W, a, delta, stride=2, padding=1)[0], expected, rtol=1e-12)


@pytest.mark.parametrize("H, W, size", [(4, 4, 2), (5, 7, 2), (9, 9, 3), (6, 6, 1)])
def test_max_pool_and_its_backward(H, W, size):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 3, H, W))
    pooled = max_pool(a, size)
    Ho, Wo = H // size, W // size
    expected = a[:, :, :Ho * size, :Wo * size].reshape(2, 3, Ho, size, Wo, size).max(axis=(3, 5))
    np.testing.assert_array_equal(pooled, expected)
    delta = rng.normal(size=pooled.shape)
    auto = jax.grad(lambda a: jnp.sum(max_pool(a, size) * delta))(a)
    np.testing.assert_array_equal(max_pool_backward(a, delta, size), auto)


def test_max_pool_routes_ties_to_the_first_entry_as_autodiff_does():
    a = np.zeros((1, 1, 4, 4))                    # after a ReLU, whole windows are often 0
    delta = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    routed = np.asarray(max_pool_backward(a, delta, 2))[0, 0]
    np.testing.assert_array_equal(routed, np.asarray(jax.grad(lambda a: jnp.sum(max_pool(a, 2) * delta))(a))[0, 0])
    assert routed.sum() == 10 and np.count_nonzero(routed) == 4


def test_a_small_cnn_trains_on_its_hand_gradient():
    """conv → ReLU → pool → flatten → dense, gradients chained by hand, equal to jax.grad; and
    they are gradients: a few steps lower the loss."""
    from jaxlearn import losses
    from jaxlearn.nn.activations import activation_derivative

    rng = np.random.default_rng(4)
    X = rng.normal(size=(8, 1, 6, 6))
    Y = np.eye(3)[rng.integers(0, 3, size=8)]
    (W1, b1) = init_conv(jax.random.key(0), 4, 1, 3, dtype=jnp.float64)
    W2, b2 = jnp.asarray(rng.normal(size=(3, 4 * 3 * 3)) * 0.1), jnp.zeros(3)

    def loss(params):
        (W1, b1), (W2, b2) = params
        z1 = conv2d(W1, b1, X)
        h = flatten(max_pool(jax.nn.relu(z1), 2))
        return losses.softmax_cross_entropy(h @ W2.T + b2[None, :], Y)

    def hand(params):
        (W1, b1), (W2, b2) = params
        z1 = conv2d(W1, b1, X)
        r = jax.nn.relu(z1)
        pooled = max_pool(r, 2)
        h = flatten(pooled)
        delta2 = losses.softmax_cross_entropy_grad(h @ W2.T + b2[None, :], Y)  # (a^L − y)/M
        dW2, db2 = delta2.T @ h, delta2.sum(axis=0)
        dh = (delta2 @ W2).reshape(pooled.shape)                              # Wᵀδ, back to the maps
        delta1 = max_pool_backward(r, dh, 2) * activation_derivative("relu", z1, r)   # eq. 2
        dW1, db1, _ = conv2d_backward(W1, X, delta1)
        return [(dW1, db1), (dW2, db2)]

    params = [(W1, b1), (W2, b2)]
    for hand_leaf, auto_leaf in zip(jax.tree.leaves(hand(params)), jax.tree.leaves(jax.grad(loss)(params))):
        np.testing.assert_allclose(hand_leaf, auto_leaf, rtol=1e-10, atol=1e-12)
    start = loss(params)
    for _ in range(20):
        params = jax.tree.map(lambda p, g: p - 0.5 * g, params, hand(params))
    assert loss(params) < 0.8 * start


@pytest.mark.jax_defaults
def test_conv2d_runs_under_jit_and_keeps_float32():
    a, (W, b) = jnp.ones((2, 1, 5, 5), jnp.float32), init_conv(jax.random.key(1), 2, 1, 3)
    z = jax.jit(lambda W, b, a: conv2d(W, b, a, stride=2))(W, b, a)
    assert z.shape == (2, 2, 3, 3) and z.dtype == jnp.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: conv2d(np.ones((4, 3, 3, 3)), np.zeros(4), np.ones((2, 1, 8, 8))), ValueError,
     r"the input has 1 channel\(s\) but W expects 3 \(expected input \(M, 3, H, W\), got \(2, 1, 8, 8\)\)"),
    (lambda: conv2d(np.ones((4, 1, 5, 5)), np.zeros(4), np.ones((2, 1, 3, 3)), padding="VALID"), ValueError,
     "a 5×5 kernel with stride 1 and padding 'VALID' leaves an empty feature map on a 3×3 input"),
    (lambda: conv2d(np.ones((4, 1, 3, 3)), np.zeros(4), np.ones((1, 8, 8))), ValueError,
     r"a must be \(M, channels, height, width\), got shape \(1, 8, 8\) \(a single image: add the sample axis"),
    (lambda: conv2d(np.ones((4, 1, 3, 3)), np.zeros(4), np.ones((1, 1, 8, 8)), padding="FULL"), ValueError,
     "padding must be 'VALID', 'SAME' or an integer ≥ 0, got 'FULL'"),
    (lambda: conv2d(np.ones((4, 1, 3, 3)), np.zeros(3), np.ones((1, 1, 8, 8))), ValueError,
     r"b must be \(4,\), one bias per output channel"),
    (lambda: conv2d(np.ones((4, 1, 3, 3)), np.zeros(4), np.ones((1, 1, 8, 8)), stride=0), ValueError,
     "stride must be ≥ 1"),
    (lambda: max_pool(np.ones((1, 1, 3, 3)), 4), ValueError, "a 4×4 window does not fit a 3×3 feature map"),
    (lambda: conv2d_backward(np.ones((4, 1, 3, 3)), np.ones((1, 1, 8, 8)), np.ones((1, 4, 7, 7))), ValueError,
     r"delta must have the shape of z, \(1, 4, 8, 8\), got \(1, 4, 7, 7\)"),
    (lambda: max_pool_backward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 4, 4))), ValueError,
     r"delta must have the pooled shape \(1, 1, 2, 2\)"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- the CNN as a whole ---------------------------------------------------------------------------

# Every architecture at least once, and each activation (its derivative is elementwise, the same
# after any layer) with convolutions, pooling, batch norm, dropout and dense layers: 9 programs, not 7 × 3.
ARCHITECTURE_ACTIVATIONS = [
    ("c4-p-d8", "relu"), ("c2-p-p-d5-d4", "relu"), ("c4bn-p-drop0.3-c3bn-d6bn", "relu"),
    ("c3-c5-p-c4-p", "tanh"), ("c3-drop0.5-p-d5-drop0.2", "tanh"), ("drop0.1-c2bn-c3-p-d4bn-drop0.4-d3", "tanh"),
    ("d6", "sigmoid"), ("c4bn-p-drop0.3-c3bn-d6bn", "sigmoid"), ("c3-drop0.5-p-d5-drop0.2", "sigmoid")]


@pytest.mark.parametrize("architecture, activation", ARCHITECTURE_ACTIVATIONS)
def test_cnn_backprop_is_autodiff(architecture, activation):
    """Every layer kind, in training mode (batch statistics, the dropout masks of the key)."""
    from jaxlearn import losses
    from jaxlearn.nn.cnn import cnn_apply, cnn_backprop, init_batch_stats, init_cnn

    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(5, 2, 9, 8)), np.eye(3)[rng.integers(0, 3, size=5)]
    params = init_cnn(jax.random.key(1), architecture, (2, 9, 8), 3, dtype=jnp.float64)
    # γ, β away from 1, 0 (and b away from 0), so that every term of the backward pass counts
    params = jax.tree.map(lambda v: v + 0.3 * rng.normal(size=v.shape), params)
    stats, key = init_batch_stats(architecture, dtype=jnp.float64), jax.random.key(3)

    def loss(p):
        z, _ = cnn_apply(p, X, architecture, batch_stats=stats, training=True, key=key, activation=activation)
        return losses.softmax_cross_entropy(z, Y)

    # Each side is one compiled program: op by op, the 7 relu cases took 62.6 s, 51.7 s of it compiling.
    hand = jax.jit(lambda p: cnn_backprop(p, X, Y, architecture, batch_stats=stats, key=key,
                                          activation=activation))(params)
    assert jax.tree.structure(hand) == jax.tree.structure(params)
    for hand_leaf, auto_leaf in zip(jax.tree.leaves(hand), jax.tree.leaves(jax.jit(jax.grad(loss))(params))):
        np.testing.assert_allclose(hand_leaf, auto_leaf, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_channels_last_layers_compute_the_same(shape):
    """The CNN runs its maps channels-last (M, H, W, C): the same convolution, backward pass and pooling."""
    from jaxlearn.nn.conv import _conv, _max_pool, padding_pairs
    from jaxlearn.nn.conv_backprop import _conv_backward, _max_pool_backward

    M, n_in, n_out, H, W_, k, stride, padding = shape
    rng = np.random.default_rng(2)
    W, b, a = rng.normal(size=(n_out, n_in, k, k)), rng.normal(size=n_out), rng.normal(size=(M, n_in, H, W_))
    pads = padding_pairs(padding, (H, W_), (k, k), stride)
    last = a.transpose(0, 2, 3, 1)
    z = _conv(W, b, a, stride, pads)
    np.testing.assert_allclose(_conv(W, b, last, stride, pads, channels_last=True).transpose(0, 3, 1, 2), z,
                               rtol=1e-12, atol=1e-12)
    delta = rng.normal(size=z.shape)
    dW, db, da = _conv_backward(W, last, delta.transpose(0, 2, 3, 1), stride, pads, channels_last=True)
    for got, want in zip((dW, db, da.transpose(0, 3, 1, 2)), _conv_backward(W, a, delta, stride, pads)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if min(H, W_) >= 2:
        pooled = _max_pool(last, 2, channels_last=True)
        np.testing.assert_array_equal(pooled.transpose(0, 3, 1, 2), _max_pool(a, 2))
        back = rng.normal(size=pooled.shape)
        np.testing.assert_array_equal(_max_pool_backward(last, back, 2, channels_last=True).transpose(0, 3, 1, 2),
                                      _max_pool_backward(a, back.transpose(0, 3, 1, 2), 2))


@pytest.mark.jax_defaults
def test_cnn_shapes_and_parameters():
    from jaxlearn.nn.cnn import cnn_logits, init_cnn, layer_shapes, parse_architecture

    architecture = parse_architecture("c32-c32-p-c64-c64-p-d128")
    assert layer_shapes(architecture, (1, 28, 28))[-2:] == [(64, 7, 7), (128,)]
    params = init_cnn(jax.random.key(0), architecture)
    assert [W.shape for W, _ in params] == [(32, 1, 3, 3), (32, 32, 3, 3), (64, 32, 3, 3), (64, 64, 3, 3),
                                            (128, 64 * 7 * 7), (10, 128)]
    z = jax.jit(lambda p, X: cnn_logits(p, X, architecture))(params, jnp.ones((3, 1, 28, 28)))
    assert z.shape == (3, 10) and z.dtype == jnp.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.parse_architecture("c32-x-d10"), ValueError,
     r"layer 2 \('x'\) is not a layer; valid layers are w \(first layer: frozen 2×2 patch whitening\), "
     r"c<channels> \(3×3 convolution\), p \(2×2 max pooling\), "
     r"r<channels> \(residual block; r<channels>s2 halves the size\), gap \(global average pooling\), "
     r"d<units> \(dense\), a 'bn' suffix"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.parse_architecture("c4bn-drop1.5-d10"), ValueError,
     r"layer 2 \('drop1.5'\): the dropout rate must be in \[0, 1\)"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.parse_architecture("c4-dropx"), ValueError,
     r"layer 2 \('dropx'\): .*could not convert"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.cnn_logits(
        __import__("jaxlearn.nn.cnn").nn.cnn.init_cnn(jax.random.key(0), "c4bn-d8"), np.ones((2, 1, 8, 8)), "c4bn-d8"),
     ValueError, r"the architecture has 1 batch normalisation layer\(s\), so batch_stats needs 1 \(running mean, "
                 r"running variance\) pairs \(init_batch_stats\), got 0"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.cnn_apply(
        __import__("jaxlearn.nn.cnn").nn.cnn.init_cnn(jax.random.key(0), "c4-drop0.5-d8"), np.ones((2, 1, 8, 8)),
        "c4-drop0.5-d8", training=True), ValueError, "training with dropout needs a key"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.parse_architecture("d10-c4"), ValueError,
     "convolution, pooling, residual and gap layers must come before the dense layers"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.init_cnn(jax.random.key(0), "c4-p-p-p-p-p", (1, 28, 28)),
     ValueError, r"layer 6 \(pool\): a 2×2 window does not fit the 1×1 feature map it receives"),
    (lambda: __import__("jaxlearn.nn.cnn").nn.cnn.cnn_logits(
        __import__("jaxlearn.nn.cnn").nn.cnn.init_cnn(jax.random.key(0), "c4-d8"), np.ones((2, 3, 28, 28)), "c4-d8"),
     ValueError, r"X has 3 channel\(s\) but the network's first convolution expects 1"),
])
def test_bad_architectures_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- augmentation ---------------------------------------------------------------------------------

def test_shift_moves_each_image_by_at_most_max_shift_and_keeps_it():
    from jaxlearn.nn.augment import random_shift

    images = np.zeros((50, 1, 12, 12), np.float32)
    images[:, 0, 5, 6] = 1.0
    shifted = np.asarray(random_shift(jax.random.key(0), images, 2))
    assert shifted.dtype == np.float32 and shifted.sum() == 50           # the pixel never leaves the image
    where = np.argwhere(shifted[:, 0] == 1.0)[:, 1:]
    assert (np.abs(where - [5, 6]) <= 2).all() and len({tuple(w) for w in where}) > 10
    np.testing.assert_array_equal(shifted, random_shift(jax.random.key(0), images, 2))      # keyed
    assert not np.array_equal(shifted, random_shift(jax.random.key(1), images, 2))


@pytest.mark.jax_defaults
def test_flip_mirrors_about_half_and_erase_blanks_a_rectangle():
    from jaxlearn.nn.augment import augment, random_erasing, random_flip

    images = np.random.default_rng(0).uniform(0.5, 1.0, size=(200, 1, 10, 10)).astype(np.float32)
    flipped = np.asarray(random_flip(jax.random.key(0), images))
    mirrored = np.array([np.array_equal(f, i[..., ::-1]) for f, i in zip(flipped, images)])
    kept = np.array([np.array_equal(f, i) for f, i in zip(flipped, images)])
    assert (mirrored | kept).all() and 60 < mirrored.sum() < 140
    erased = np.asarray(random_erasing(jax.random.key(0), images))
    blank = (erased == 0).reshape(200, -1).sum(axis=1)
    assert 60 < (blank > 0).sum() < 140 and blank.max() <= 0.2 * 100 * 1.5 + 1
    for e, i in zip(erased, images):                                   # zeros form one rectangle
        rows, cols = np.nonzero(e[0] == 0)
        if len(rows):
            assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        np.testing.assert_array_equal(e[e != 0], i[e != 0])
    out = jax.jit(lambda k, x: augment(k, x, ("shift", "flip", "erase")))(jax.random.key(2), images)
    assert out.shape == images.shape and out.dtype == images.dtype


@pytest.mark.parametrize("names, dataset, message", [
    (("shift", "rotate"), None, "unknown augmentation 'rotate'; valid options are 'shift', 'flip', 'erase'"),
    (("flip",), "mnist", "augmentation 'flip' on mnist: digits are not mirror-symmetric"),
])
def test_bad_augmentations_are_named(names, dataset, message):
    from jaxlearn.nn.augment import check_augmentations

    with pytest.raises(ValueError, match=message):
        check_augmentations(names, dataset)


@pytest.mark.parametrize("shape", SHAPES)
def test_shifted_products_are_the_weight_gradient(shape, dtype):
    """∂W of the CNN's convolution by k² shifted products (`nn.conv_gradient`) equals jax.grad of
    the plain convolution, and ∂a stays autodiff's: channels-last, every padding and stride."""
    from jaxlearn.nn import conv_gradient
    from jaxlearn.nn.conv import padding_pairs

    M, n_in, n_out, H, W_, k, stride, padding = shape
    rng = np.random.default_rng(sum(shape[:-1]))
    a = rng.normal(size=(M, H, W_, n_in)).astype(dtype)
    W = rng.normal(size=(n_out, n_in, k, k)).astype(dtype)
    pads = padding_pairs(padding, (H, W_), (k, k), stride)
    z = conv_gradient._plain(W, a, stride, pads)
    R = rng.normal(size=z.shape).astype(dtype)
    shifted = jax.grad(lambda W, a: jnp.sum(conv_gradient._shifted_conv(W, a, stride, pads) * R), (0, 1))(W, a)
    plain = jax.grad(lambda W, a: jnp.sum(conv_gradient._plain(W, a, stride, pads) * R), (0, 1))(W, a)
    np.testing.assert_allclose(conv_gradient._shifted_conv(W, a, stride, pads), z, rtol=0)
    for got, want in zip(shifted, plain):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_the_weight_gradients_formula_is_a_rule_on_the_shape():
    """The measured choice (benchmarks/conv_backward.py) as a rule, the same in every process."""
    from jaxlearn.nn.conv_gradient import use_shifted

    assert jax.default_backend() == "cpu"
    # (n_in, kernel, stride, output rows, output columns): the recipe's layers take shifted products …
    for layer in [(1, 3, 1, 28, 28), (32, 3, 1, 28, 28), (32, 3, 2, 14, 14), (32, 1, 2, 14, 14), (64, 3, 1, 14, 14),
                  (64, 1, 2, 7, 7)]:
        assert use_shifted(*layer)
    # … autodiff stays where it measured faster: few channels at full size, small maps with many channels
    for layer in [(16, 3, 1, 28, 28), (16, 3, 1, 14, 14), (128, 3, 1, 7, 7)]:
        assert not use_shifted(*layer)


@pytest.mark.jax_defaults
def test_the_cnns_gradient_through_shifted_products_is_jax_grads_of_the_plain_network():
    """A whole residual network (strided and 1×1 convolutions: shifted products) differentiated
    by jax.grad with the library's convolution equals jax.grad with the plain one (x64 off)."""
    from jaxlearn import nn
    from jaxlearn.nn import conv_gradient

    architecture = "c4bn-r4-r8s2-gap"
    params = nn.init_cnn(jax.random.key(0), architecture, (1, 14, 14), 3)
    stats = nn.init_batch_stats(architecture)
    X = jax.random.normal(jax.random.key(1), (8, 1, 14, 14))
    Y = jax.nn.one_hot(jnp.arange(8) % 3, 3)

    def loss(p):
        z, _ = nn.cnn_apply(p, X, architecture, batch_stats=stats, training=True)
        return nn.loss_from_logits(z, Y, "cross_entropy", "softmax")

    tuned = jax.jit(jax.grad(loss))(params)         # one program each: op by op it took 40 s
    original = conv_gradient.use_shifted
    try:
        conv_gradient.use_shifted = lambda *args: False
        plain = jax.jit(jax.grad(loss))(params)
    finally:
        conv_gradient.use_shifted = original
    for got, want in zip(jax.tree_util.tree_leaves(tuned), jax.tree_util.tree_leaves(plain)):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-6)
