import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads

from jaxlearn import nn
from jaxlearn.nn.backprop import backprop
from tests.conftest import RTOL


def test_the_lectures_worked_example():
    # prediction [0.15, 0.01, 0.04, 0.80] for label 4 (the 4th state, index 3)
    a = jnp.array([[0.15, 0.01, 0.04, 0.80]])
    Y = nn.one_hot(jnp.array([3]), 4, dtype=a.dtype)
    assert float(nn.cross_entropy(a, Y)) == pytest.approx(0.22, abs=0.005)   # −ln 0.8 = 0.223
    # a network whose output layer produces exactly these probabilities (W = 0, b = ln a):
    # the library's softmax gives a back, its prediction is state 4, its loss the same 0.22
    params = [(jnp.zeros((4, 2), a.dtype), jnp.log(a[0]))]
    X = jnp.ones((1, 2), a.dtype)
    np.testing.assert_allclose(nn.forward(params, X), a, rtol=1e-6)
    assert nn.predict(params, X).tolist() == [3]
    assert float(nn.cross_entropy_loss(params, X, Y)) == pytest.approx(-np.log(0.8), rel=1e-6)


def test_cross_entropy_from_logits_equals_the_formula_on_probabilities():
    params = nn.init_mlp(jax.random.key(0), [5, 4, 3], dtype=jnp.float64)
    X = jax.random.normal(jax.random.key(1), (7, 5), jnp.float64)
    Y = nn.one_hot(jnp.arange(7) % 3, 3, dtype=jnp.float64)
    probabilities = nn.forward(params, X)
    np.testing.assert_allclose(nn.cross_entropy_loss(params, X, Y), nn.cross_entropy(probabilities, Y),
                               rtol=1e-12)


def test_huge_logits_give_finite_loss_and_gradients():
    params = [(jnp.array([[1e4], [-1e4]], jnp.float32), jnp.zeros(2, jnp.float32))]
    X = jnp.array([[1.0], [-1.0]], jnp.float32)
    Y = nn.one_hot(jnp.array([1, 0]), 2)   # both samples labelled with the class scored −1e4
    loss, grads = jax.value_and_grad(nn.cross_entropy_loss)(params, X, Y)
    assert np.isfinite(float(loss)) and float(loss) == pytest.approx(2e4, rel=1e-6)
    assert all(np.isfinite(g).all() for g in jax.tree_util.tree_leaves(grads))


def test_init_shapes_and_scales():
    params = nn.init_mlp(jax.random.key(0), [784, 512, 256, 10])
    assert [(W.shape, b.shape) for W, b in params] == [((512, 784), (512,)), ((256, 512), (256,)),
                                                        ((10, 256), (10,))]
    assert all(W.dtype == jnp.float32 for W, _ in params)
    np.testing.assert_allclose(np.std(params[0][0]), np.sqrt(2 / 784), rtol=0.02)   # He
    np.testing.assert_allclose(np.std(params[2][0]), np.sqrt(2 / 266), rtol=0.1)    # Glorot
    tanh = nn.init_mlp(jax.random.key(0), [784, 512, 10], activation="tanh")
    np.testing.assert_allclose(np.std(tanh[0][0]), np.sqrt(2 / (784 + 512)), rtol=0.02)
    assert nn.count_parameters(params) == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10


def test_same_key_same_parameters():
    a = nn.init_mlp(jax.random.key(3), [4, 3, 2])
    b = nn.init_mlp(jax.random.key(3), [4, 3, 2])
    assert all(np.array_equal(x, y) for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def test_forward_is_the_layer_equations():
    params = nn.init_mlp(jax.random.key(0), [3, 4, 2], dtype=jnp.float64)
    X = jax.random.normal(jax.random.key(1), (5, 3), jnp.float64)
    (W1, b1), (W2, b2) = params
    a1 = np.tanh(np.asarray(X) @ np.asarray(W1).T + np.asarray(b1))
    z2 = a1 @ np.asarray(W2).T + np.asarray(b2)
    expected = np.exp(z2) / np.exp(z2).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(nn.forward(params, X, activation="tanh"), expected, rtol=1e-12)
    np.testing.assert_array_equal(nn.predict(params, X, activation="tanh"), expected.argmax(axis=1))


@pytest.mark.parametrize("activation", tuple(nn.ACTIVATIONS))
def test_both_layouts_compute_the_same_logits_and_gradients(activation, dtype):
    params = nn.init_mlp(jax.random.key(2), [6, 5, 4, 3], activation=activation, dtype=dtype)
    X = jax.random.normal(jax.random.key(3), (7, 6), dtype)
    Y = nn.one_hot(jnp.arange(7) % 3, 3, dtype=dtype)
    tol = dict(rtol=RTOL[np.dtype(dtype).type] * 10, atol=RTOL[np.dtype(dtype).type] * 10)
    rows, columns = (nn.logits(params, X, activation=activation, layout=layout) for layout in nn.LAYOUTS)
    assert columns.shape == rows.shape == (7, 3) and columns.dtype == dtype
    np.testing.assert_allclose(columns, rows, **tol)

    def loss(params, layout):
        return nn.loss_from_logits(nn.logits(params, X, activation=activation, layout=layout), Y,
                                   "cross_entropy", "softmax")

    grad = jax.jit(jax.grad(loss), static_argnums=1)
    by_rows, by_columns = (grad(params, layout) for layout in nn.LAYOUTS)
    for g_rows, g_columns in zip(jax.tree_util.tree_leaves(by_rows), jax.tree_util.tree_leaves(by_columns)):
        np.testing.assert_allclose(g_columns, g_rows, **tol)


CASES = [(loss, output) for loss, outputs in
         [("cross_entropy", ["softmax"]), ("quadratic", ["sigmoid", "softmax", "identity", "tanh", "relu"])]
         for output in outputs]


@given(depth=st.integers(1, 4), width=st.integers(1, 8), batch=st.integers(1, 6),
       activation=st.sampled_from(tuple(nn.ACTIVATIONS)), case=st.sampled_from(CASES),
       use_float32=st.booleans(), seed=st.integers(0, 2**16))
def test_backprop_equals_autodiff_leaf_by_leaf(depth, width, batch, activation, case, use_float32, seed):
    loss, output = case
    dtype = jnp.float32 if use_float32 else jnp.float64
    # NumPy draws (no per-shape compilation of JAX's random numbers), biases non-zero
    rng = np.random.default_rng(seed)
    sizes = [3] + [width] * (depth - 1) + [4]
    params = [(jnp.asarray(rng.normal(size=(n_out, n_in)) / np.sqrt(n_in), dtype),
               jnp.asarray(0.1 * rng.normal(size=n_out), dtype)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    X = jnp.asarray(rng.normal(size=(batch, 3)), dtype)
    Y = nn.one_hot(jnp.asarray(rng.integers(0, 4, size=batch)), 4, dtype=dtype)
    loss_fn = nn.make_loss(loss, activation=activation, output=output)
    auto = jax.jit(jax.grad(loss_fn))(params, X, Y)
    hand = jax.jit(lambda p, X, Y: backprop(p, X, Y, activation=activation, loss=loss, output=output))(params, X, Y)
    for layer, ((dW, db), (gW, gb)) in enumerate(zip(hand, auto), start=1):
        assert dW.shape == gW.shape and db.shape == gb.shape and dW.dtype == dtype
        tol = dict(rtol=RTOL[np.dtype(dtype).type] * 10, atol=RTOL[np.dtype(dtype).type] * 10)
        np.testing.assert_allclose(dW, gW, err_msg=f"∂L/∂W^{layer}", **tol)
        np.testing.assert_allclose(db, gb, err_msg=f"∂L/∂b^{layer}", **tol)


@pytest.mark.parametrize("loss, output", CASES)
def test_losses_pass_finite_differences(loss, output):
    activation = "tanh"  # smooth, so that finite differences apply
    params = nn.init_mlp(jax.random.key(0), [3, 5, 4], activation=activation, dtype=jnp.float64)
    X = jax.random.normal(jax.random.key(1), (6, 3), jnp.float64)
    Y = nn.one_hot(jnp.arange(6) % 4, 4, dtype=jnp.float64)
    loss_fn = nn.make_loss(loss, activation=activation, output=output)
    check_grads(lambda p: loss_fn(p, X, Y), (params,), order=2, modes=["rev"])


def test_quadratic_loss_is_the_formula():
    params = nn.init_mlp(jax.random.key(0), [2, 3], dtype=jnp.float64)
    X = jnp.array([[1.0, 2.0], [0.0, -1.0]])
    Y = nn.one_hot(jnp.array([0, 2]), 3, dtype=jnp.float64)
    a = np.asarray(nn.forward(params, X, output="sigmoid"))
    np.testing.assert_allclose(nn.quadratic_loss(params, X, Y), ((a - np.asarray(Y)) ** 2).sum() / 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.init_mlp(jax.random.key(0), [784, 0, 10]), ValueError, r"sizes\[1\] must be ≥ 1, got 0"),
    (lambda: nn.init_mlp(jax.random.key(0), [784]), ValueError, "at least an input and an output size"),
    (lambda: nn.init_mlp(jax.random.key(0), [4, 2], activation="gelu"), ValueError,
     "unknown activation 'gelu'; valid options are 'relu', 'sigmoid', 'tanh', 'identity'"),
    (lambda: nn.make_loss("hinge"), ValueError, "unknown loss 'hinge'; valid options are 'cross_entropy', 'quadratic'"),
    (lambda: nn.make_loss("cross_entropy", output="sigmoid"), ValueError, "needs output='softmax'"),
    (lambda: nn.forward(nn.init_mlp(jax.random.key(0), [4, 3, 2]), jnp.ones((5, 6))), ValueError,
     "layer 1: W expects 4 inputs but X has 6"),
    (lambda: nn.forward([(jnp.ones((3, 4)), jnp.ones(3)), (jnp.ones((2, 5)), jnp.ones(2))], jnp.ones((1, 4))),
     ValueError, "layer 2: W expects 5 inputs but layer 1 outputs 3"),
    (lambda: nn.forward(nn.init_mlp(jax.random.key(0), [4, 2]), jnp.ones((5, 4)), output="max"), ValueError,
     "unknown output 'max'"),
    (lambda: nn.logits(nn.init_mlp(jax.random.key(0), [4, 2]), jnp.ones((5, 4)), layout="cols"), ValueError,
     "unknown layout 'cols'; valid options are 'rows', 'columns'"),
    (lambda: nn.one_hot(jnp.array([0, 10]), 10), ValueError, r"labels must lie in 0 … 9, found 10"),
    (lambda: nn.one_hot(jnp.array([0.5]), 10), TypeError, "labels must be integers"),
    (lambda: backprop(nn.init_mlp(jax.random.key(0), [4, 2]), jnp.ones((5, 4)), jnp.ones((5, 2)), loss="l1"),
     ValueError, "unknown loss 'l1'"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
