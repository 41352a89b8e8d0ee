"""The loss layer and the linear-model objectives: every hand-derived gradient equals autodiff
and finite differences, in float32 and float64, and the objectives' custom VJP is that gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxlearn import losses
from jaxlearn.gradcheck import assert_gradients_match
from jaxlearn.objectives import linear_objective
from tests.conftest import DTYPES, RTOL

M, K = 7, 3


def targets(name, rng, dtype):
    """Predictions z and targets in the shape and range each loss expects."""
    if name == "softmax_cross_entropy":
        z = rng.normal(size=(M, K)) * 3
        return z.astype(dtype), np.eye(K, dtype=dtype)[rng.integers(0, K, M)]
    if name == "quadratic":
        return rng.uniform(size=(M, K)).astype(dtype), np.eye(K, dtype=dtype)[rng.integers(0, K, M)]
    z = rng.normal(size=M) * 2
    if name == "sigmoid_binary_cross_entropy":
        return z.astype(dtype), rng.integers(0, 2, M).astype(dtype)
    if name == "squared_error":
        return z.astype(dtype), rng.normal(size=M).astype(dtype)
    return z.astype(dtype), rng.choice([-1.0, 1.0], M).astype(dtype)      # hinge, smoothed hinge


# each loss with its hand gradient, and the extra arguments it takes
LOSSES = {
    "squared_error": (losses.squared_error, losses.squared_error_grad, ()),
    "sigmoid_binary_cross_entropy": (losses.sigmoid_binary_cross_entropy, losses.sigmoid_binary_cross_entropy_grad,
                                     ()),
    "softmax_cross_entropy": (losses.softmax_cross_entropy, losses.softmax_cross_entropy_grad, ()),
    "hinge": (losses.hinge, losses.hinge_grad, ()),
    "smoothed_hinge": (losses.smoothed_hinge, losses.smoothed_hinge_grad, (0.5,)),
    "quadratic": (losses.quadratic, losses.quadratic_grad, ()),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LOSSES)
def test_each_hand_gradient_is_autodiff_and_finite_differences(name, dtype):
    loss, grad, extra = LOSSES[name]
    rng = np.random.default_rng(0)
    z, y = targets(name, rng, dtype)
    extra = tuple(np.asarray(e, dtype) for e in extra)
    if name == "hinge":   # keep every sample away from the kink, where the subgradient is the gradient
        z = np.where(np.abs(1 - y * z) < 0.1, z + 0.3 * y, z).astype(dtype)
    np.testing.assert_allclose(grad(z, y, *extra), jax.grad(loss)(jnp.asarray(z), y, *extra),
                               rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 1e-2)
    assert grad(z, y, *extra).dtype == dtype and loss(z, y, *extra).dtype == dtype
    assert_gradients_match(loss, grad, z, y, *extra, dtype="float64" if dtype == np.float64 else "float32")


def test_the_losses_are_the_lecture_formulas():
    z, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    sigma = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(losses.sigmoid_binary_cross_entropy(z, y),
                               -np.mean(y * np.log(sigma) + (1 - y) * np.log(1 - sigma)), rtol=1e-12)
    np.testing.assert_allclose(losses.squared_error(z, y), np.sum((z - y) ** 2) / 6, rtol=1e-12)
    ypm = 2 * y - 1
    np.testing.assert_allclose(losses.hinge(z, ypm), np.mean(np.maximum(0, 1 - ypm * z)), rtol=1e-12)
    # within μ/2 of the hinge everywhere, equal to it where no margin lies within μ of the kink
    for mu in (1.0, 1e-2, 1e-6):
        gap = losses.hinge(z, ypm) - losses.smoothed_hinge(z, ypm, mu)
        assert 0 <= float(gap) <= mu / 2
    Z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    Y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(losses.softmax_cross_entropy(Z, Y), -np.mean(np.log((p * Y).sum(axis=1))), rtol=1e-12)
    np.testing.assert_allclose(losses.quadratic(p, Y), np.mean(((p - Y) ** 2).sum(axis=1)), rtol=1e-12)
    d = losses.penalty_mask(3, np.float64, penalize_bias=False)
    np.testing.assert_allclose(losses.l2_penalty(z, 0.3, d), 0.15 * (1.0 + 4.0), rtol=1e-12)
    np.testing.assert_allclose(losses.l2_penalty_grad(z, 0.3, d), [0.0, -0.3, 0.6], rtol=1e-12)


def test_huge_logits_give_finite_losses_and_gradients():
    z = np.array([1e4, -1e4, 3e3], np.float32)
    y = np.array([0.0, 1.0, 1.0], np.float32)
    for value in (losses.sigmoid_binary_cross_entropy(z, y), losses.sigmoid_binary_cross_entropy_grad(z, y),
                  losses.softmax_cross_entropy(z[None, :], np.eye(3, dtype=np.float32)[1:2]),
                  losses.softmax_cross_entropy_grad(z[None, :], np.eye(3, dtype=np.float32)[1:2])):
        assert np.all(np.isfinite(value))


OBJECTIVES = {
    "least squares": (losses.squared_error, losses.squared_error_grad, "squared_error", ()),
    "logistic": (losses.sigmoid_binary_cross_entropy, losses.sigmoid_binary_cross_entropy_grad,
                 "sigmoid_binary_cross_entropy", ()),
    "softmax": (losses.softmax_cross_entropy, losses.softmax_cross_entropy_grad, "softmax_cross_entropy", ()),
    "smoothed hinge": (losses.smoothed_hinge, losses.smoothed_hinge_grad, "hinge", (0.1,)),
}


@pytest.mark.parametrize("with_transpose", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", OBJECTIVES)
def test_the_objective_differentiates_to_its_hand_gradient(name, dtype, with_transpose):
    """jax.grad of the value (custom VJP) = the hand gradient = jax.grad of the plain formula; the
    derivatives with respect to the data are autodiff's as well (none silently zero)."""
    loss, grad, kind, extra = OBJECTIVES[name]
    objective = linear_objective(loss, grad)
    rng = np.random.default_rng(1)
    z_shape_y = targets(kind, rng, dtype)[1]
    N = 4
    X = rng.normal(size=(M, N)).astype(dtype)
    theta = rng.normal(size=(N,) + z_shape_y.shape[1:]).astype(dtype) * 0.5
    lam, d = np.asarray(0.3, dtype), np.ones(theta.shape, dtype)
    d[0] = 0
    extra = tuple(np.asarray(e, dtype) for e in extra)
    data = (X, X.T.copy() if with_transpose else None, z_shape_y, lam, d, *extra)
    by_hand = objective.grad(theta, *data)
    tolerance = dict(rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 1e-2)
    np.testing.assert_allclose(jax.grad(objective.value)(theta, *data), by_hand, **tolerance)
    np.testing.assert_allclose(jax.grad(objective.formula)(theta, *data), by_hand, **tolerance)
    np.testing.assert_allclose(objective.value(theta, *data), objective.formula(theta, *data), **tolerance)
    for argnum in (1, 3, 4):   # X, λ, d
        np.testing.assert_allclose(jax.grad(objective.value, argnums=argnum)(theta, *data),
                                   jax.grad(objective.formula, argnums=argnum)(theta, *data), **tolerance)
    if dtype == np.float64:
        check_grads(lambda t: objective.value(t, *data), (theta,), order=1, modes=["rev"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["least squares", "logistic", "smoothed hinge"])
def test_the_columns_layout_is_the_rows_layout_transposed(name, dtype):
    """θ (K, N) with y (K, M) gives K problems' L summed and their gradients, as θᵀ (N, K) with yᵀ."""
    loss, grad, kind, extra = OBJECTIVES[name]
    rows, columns = linear_objective(loss, grad), linear_objective(loss, grad, layout="columns")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(M, 4)).astype(dtype)
    Y = np.stack([targets(kind, rng, dtype)[1] for _ in range(K)], axis=1)          # (M, K)
    theta = (rng.normal(size=(4, K)) * 0.5).astype(dtype)
    lam, d = np.asarray(0.3, dtype), np.ones((4, K), dtype)
    d[0] = 0
    extra = tuple(np.asarray(e, dtype) for e in extra)
    by_rows = (X, X.T.copy(), Y, lam, d, *extra)
    by_columns = (X, X.T.copy(), Y.T.copy(), lam, d.T.copy(), *extra)
    tolerance = dict(rtol=RTOL[dtype] * 10, atol=RTOL[dtype] * 1e-2)
    np.testing.assert_allclose(columns.value(theta.T, *by_columns), rows.value(theta, *by_rows), **tolerance)
    np.testing.assert_allclose(columns.grad(theta.T, *by_columns), rows.grad(theta, *by_rows).T, **tolerance)
    np.testing.assert_allclose(jax.grad(columns.value)(theta.T, *by_columns), columns.grad(theta.T, *by_columns),
                               **tolerance)
    np.testing.assert_allclose(jax.grad(columns.formula, argnums=1)(theta.T, *by_columns),
                               jax.grad(columns.value, argnums=1)(theta.T, *by_columns), **tolerance)
