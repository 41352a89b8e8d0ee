"""jaxlearn.gradcheck: a hand gradient against jax.grad and finite differences, and the diagnosis
of each usual mistake, each made on purpose on a lecture formula."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxlearn import gradcheck, linear, logistic, nn
from jaxlearn.gradcheck import assert_gradients_match, check_gradient, check_hessian
from jaxlearn.logistic.model import binary_hessian
from jaxlearn.nn.backprop import backprop

RNG = np.random.default_rng(0)
M, N = 20, 4
X = RNG.normal(size=(M, N)).astype(np.float32)
Y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * RNG.normal(size=M)).astype(np.float32)
THETA = RNG.normal(size=N).astype(np.float32)


def least_squares(theta, X, y, lam=0.0):
    """The lecture's L = 1/(2M) ‖Xθ − y‖² + λ/2 ‖θ‖² (eqs. 17, 20)."""
    return 0.5 * jnp.mean((X @ theta - y) ** 2) + 0.5 * lam * jnp.sum(theta ** 2)


def least_squares_grad(theta, X, y, lam=0.0):
    return X.T @ (X @ theta - y) / X.shape[0] + lam * theta


def mlp(sizes=(N, 6, 3), seed=0):
    params = nn.init_mlp(jax.random.key(seed), list(sizes), dtype=jnp.float32)
    Y_hot = np.eye(sizes[-1], dtype=np.float32)[RNG.integers(0, sizes[-1], M)]
    return params, X[:, :sizes[0]], Y_hot


def one_row(report):
    assert len(report.leaves) == 1
    return report.leaves[0]


# --- right gradients pass, in float32 under JAX's defaults too ------------------------------------

@pytest.mark.jax_defaults
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_float32_users_right_gradient_passes_and_x64_stays_off(dtype):
    report = check_gradient(least_squares, least_squares_grad, THETA, X, Y, 0.3, dtype=dtype)
    assert report.ok, report
    assert not jax.config.jax_enable_x64             # the float64 check's x64 was scoped
    assert "ok" in str(report) and report.dtype == dtype


@pytest.mark.jax_defaults
def test_a_float32_users_wrong_gradient_fails_with_the_diagnosis():
    report = check_gradient(least_squares, lambda t, X, y, lam: least_squares_grad(t, X, y, 0.0), THETA, X, Y, 0.3)
    assert not report.ok
    assert "the regularisation term λ·params is missing from the hand gradient (λ = 0.3)" in one_row(report).diagnosis


def test_the_lecture_backprop_passes_leaf_by_leaf():
    params, X_, Y_ = mlp()
    report = check_gradient(nn.cross_entropy_loss, backprop, params, X_, Y_)
    assert report.ok and [leaf.name for leaf in report.leaves] == ["W1", "b1", "W2", "b2"]


def test_value_and_grad_is_accepted_and_pytrees_of_any_shape():
    params = {"kernel": jnp.asarray(THETA), "bias": jnp.float32(0.5)}

    def loss(p, X, y):
        return least_squares(p["kernel"], X, y - p["bias"])

    report = check_gradient(loss, jax.value_and_grad(loss), params, X, Y)
    assert report.ok and {leaf.name for leaf in report.leaves} == {"['kernel']", "['bias']"}


def test_a_large_leaf_is_probed_along_directions_and_the_worst_entry():
    W = RNG.normal(size=(300, 784)).astype(np.float32) * 0.01
    x = RNG.normal(size=784).astype(np.float32)

    def loss(W, x):
        return jnp.sum(jnp.tanh(W @ x))

    def wrong(W, x):
        g = (1 - jnp.tanh(W @ x) ** 2)[:, None] * x[None, :]
        return g.at[123, 456].add(1.0)                 # one entry wrong

    report = check_gradient(loss, wrong, W, x)
    row = one_row(report)
    assert row.fd_probes == "8 directions + 17 entries" and row.worst_index == (123, 456) and not row.ok
    assert row.fd_hand_error > 1e-3 > row.fd_error


# --- each diagnosis, made on purpose --------------------------------------------------------------

def test_the_wrong_sign():
    def wrong(theta, X, y):        # σ(Xθ) − y written y − σ(Xθ)
        return -logistic.binary_cross_entropy_grad(theta, X, y)

    y01 = (Y > 0).astype(np.float32)
    report = check_gradient(logistic.binary_cross_entropy, wrong, THETA, X, y01)
    assert one_row(report).diagnosis.startswith("the wrong sign (hand ≈ −autodiff)")


@pytest.mark.parametrize("factor, words", [
    (2.0, "hand ≈ 2 × autodiff: the ½ of the loss left out of the gradient?"),
    (0.5, "hand ≈ ½ × autodiff: a factor 2 missing (d/dz z² = 2z)?"),
    (M, f"hand ≈ M × autodiff (M = {M}, the batch size): summed over the batch instead of averaged?"),
    (1 / M, f"hand ≈ autodiff / M (M = {M}, the batch size): averaged twice?"),
    (3.7, "hand ≈ 3.7 × autodiff: a constant factor off"),
])
def test_a_constant_factor(factor, words):
    report = check_gradient(least_squares, lambda *a: factor * least_squares_grad(*a), THETA, X, Y)
    assert one_row(report).diagnosis == words


def test_an_extra_regularisation_term():
    report = check_gradient(least_squares, lambda t, X, y: least_squares_grad(t, X, y, 0.25), THETA, X, Y)
    assert "an extra term λ·params (λ = 0.25)" in one_row(report).diagnosis


def test_a_wrong_shape_is_named_per_leaf():
    params, X_, Y_ = mlp()

    def wrong(p, X, Y):
        grads = backprop(p, X, Y)
        return [(gW, gb[None, :]) if i == 0 else (gW, gb) for i, (gW, gb) in enumerate(grads)]

    report = check_gradient(nn.cross_entropy_loss, wrong, params, X_, Y_)
    assert report["b1"].diagnosis.startswith("hand ∂L/∂b1 has shape (1, 6); b1 is (6,): the values are right")
    assert report["W1"].ok and report["W2"].ok and not report.ok


def test_a_transposed_weight_gradient():
    params, X_, Y_ = mlp()

    def wrong(p, X, Y):
        return [(gW.T, gb) for gW, gb in backprop(p, X, Y)]

    report = check_gradient(nn.cross_entropy_loss, wrong, params, X_, Y_)
    assert "transposed (for W of shape (n_l, n_{l−1}): ∂L/∂W = δ aᵀ, not a δᵀ)" in report["W1"].diagnosis
    assert report["W1"].hand_shape == (4, 6) and "(hand (4, 6))" in str(report)


def test_a_square_transposed_gradient():
    params, X_, Y_ = mlp(sizes=(4, 4, 3))

    def wrong(p, X, Y):
        (gW1, gb1), rest = backprop(p, X, Y)[0], backprop(p, X, Y)[1:]
        return [(gW1.T, gb1), *rest]

    assert check_gradient(nn.cross_entropy_loss, wrong, params, X_, Y_)["W1"].diagnosis.startswith(
        "hand ≈ autodiffᵀ: transposed")


def test_the_gradient_of_another_layer():
    params, X_, Y_ = mlp(sizes=(4, 4, 4, 3))

    def wrong(p, X, Y):
        (gW1, gb1), (gW2, gb2), last = backprop(p, X, Y)
        return [(gW2, gb1), (gW1, gb2), last]          # the layers' weight gradients swapped

    report = check_gradient(nn.cross_entropy_loss, wrong, params, X_, Y_)
    assert report["W1"].diagnosis.startswith("hand ∂L/∂W1 equals autodiff's ∂L/∂W2: the gradient of another leaf")


def test_a_missing_activation_derivative():
    params, X_, Y_ = mlp(sizes=(4, 8, 3), seed=3)

    def wrong(p, X, Y):          # δ¹ = W²ᵀδ² without ⊙ σ'(z¹) (ReLU's 0 where z¹ < 0)
        (W1, b1), (W2, b2) = p
        a1 = jnp.maximum(X @ W1.T + b1[None, :], 0)
        delta2 = (jax.nn.softmax(a1 @ W2.T + b2[None, :]) - Y) / X.shape[0]
        delta1 = delta2 @ W2
        return [(delta1.T @ X, delta1.sum(0)), (delta2.T @ a1, delta2.sum(0))]

    report = check_gradient(nn.cross_entropy_loss, wrong, params, X_, Y_)
    assert report["W2"].ok and report["b2"].ok
    assert "a missing σ'(z^1) in δ^1 = (W^2ᵀ δ^2) ⊙ σ'(z^1)?" in report["W1"].diagnosis
    assert "a missing σ'(z^1)" in report["b1"].diagnosis


def test_an_unused_leaf():
    params = {"theta": jnp.asarray(THETA), "unused": jnp.ones(3, jnp.float32)}

    def loss(p, X, y):
        return least_squares(p["theta"], X, y)

    def wrong(p, X, y):
        return {"theta": least_squares_grad(p["theta"], X, y), "unused": 0.1 * p["unused"]}

    report = check_gradient(loss, wrong, params, X, Y)
    assert report["['unused']"].diagnosis.startswith("the loss does not depend on ['unused']")
    right = check_gradient(loss, lambda p, X, y: wrong(p, X, y) | {"unused": jnp.zeros(3)}, params, X, Y)
    assert right.ok and right["['unused']"].diagnosis.startswith("unused")


def test_a_kink_is_named_when_autodiff_and_the_hand_agree():
    theta = jnp.asarray([0.0, 1.0], jnp.float32)

    def loss(t):
        return jnp.sum(jax.nn.relu(t))             # at 0: autodiff says 0, finite differences ½

    report = check_gradient(loss, jax.grad(loss), theta)
    assert not report.ok and "not differentiable at these parameters" in one_row(report).diagnosis


# --- the Hessian ----------------------------------------------------------------------------------

def test_the_newton_solvers_logistic_hessian():
    y01 = (Y > 0).astype(np.float32)

    def loss(t, X, y):
        return logistic.binary_cross_entropy(t, X, y, 0.1)

    def hessian(t, X, y, lam=0.1):       # H = XᵀSX/M + λD (eq. 27), every coefficient penalised
        return binary_hessian(t, X, X.T, y, jnp.asarray(lam, t.dtype), jnp.ones_like(t))

    report = check_hessian(loss, hessian, THETA, X, y01)
    assert report.ok, report
    wrong = check_hessian(loss, lambda t, X, y: hessian(t, X, y, 0.0), THETA, X, y01)
    assert "the regularisation term λI is missing (λ = 0.1)" in one_row(wrong).diagnosis


# --- assert_gradients_match, and bad input --------------------------------------------------------

def test_assert_gradients_match_raises_with_the_table():
    assert assert_gradients_match(least_squares, least_squares_grad, THETA, X, Y).ok
    with pytest.raises(AssertionError, match=r"(?s)the hand gradient does not match:.*params .*FAIL.*averaged twice"):
        assert_gradients_match(least_squares, lambda *a: least_squares_grad(*a) / M, THETA, X, Y)


@pytest.mark.parametrize("call, error, words", [
    (lambda: check_gradient(least_squares, lambda t, X, y: (t, t), THETA, X, Y), ValueError,
     r"grad returned 2 arrays but params has 1 leaves"),
    (lambda: check_gradient(lambda t, X, y: least_squares(t, X, y) * jnp.nan, least_squares_grad, THETA, X, Y),
     FloatingPointError, r"loss\(params, …\) is nan at the given parameters"),
    (lambda: check_gradient(lambda t, X, y: (X @ t - y) ** 2, least_squares_grad, THETA, X, Y), ValueError,
     r"loss must return a scalar, got shape \(20,\)"),
    (lambda: check_gradient(least_squares, least_squares_grad, np.arange(4), X, Y), TypeError,
     r"params leaf params is int64: gradients need floating parameters"),
    (lambda: check_gradient(least_squares, "grad", THETA, X, Y), TypeError, "grad must be a function"),
    (lambda: check_gradient(least_squares, least_squares_grad, THETA, X, Y, dtype="float16"), ValueError,
     "unknown dtype 'float16'"),
    (lambda: check_hessian(least_squares, lambda t, X, y: X.T @ X, np.ones((2, 2)), X, Y), ValueError,
     r"theta must be a vector"),
])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --- any shape (hypothesis) ----------------------------------------------------------------------

@settings(max_examples=10)      # each example a new shape: a compilation each
@given(st.integers(2, 30), st.integers(1, 6), st.sampled_from([2.0, -1.0, 0.5]))
def test_least_squares_passes_and_a_factor_is_named_for_any_shape(m, n, factor):
    rng = np.random.default_rng(m * 7 + n)
    X_, y_, theta = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
    assert check_gradient(least_squares, least_squares_grad, theta, X_, y_).ok
    wrong = check_gradient(least_squares, lambda *a: factor * least_squares_grad(*a), theta, X_, y_)
    assert not wrong.ok and wrong.leaves[0].diagnosis.startswith(
        {2.0: "hand ≈ 2 ×", -1.0: "the wrong sign", 0.5: "hand ≈ ½ ×"}[factor])


def test_the_library_formulas_in_the_package():
    assert gradcheck.leaf_names([(jnp.ones((2, 3)), jnp.ones(2))]) == ["W1", "b1"]
    assert check_gradient(linear.least_squares_loss, linear.least_squares_grad, THETA, X, Y, 0.2).ok


# --- jaxlearn verify ------------------------------------------------------------------------------

def test_verify_fails_and_names_a_formula_made_wrong(monkeypatch, capsys):
    """The library's least-squares gradient doubled on purpose: verify exits 1 naming the formulas
    built on it (least squares and ridge), and passes the others (.ci/run runs the whole --quick)."""
    from jaxlearn.cli import main
    from jaxlearn.gradcheck import verify

    right = linear.least_squares_grad
    monkeypatch.setattr(linear, "least_squares_grad", lambda *a, **k: 2 * right(*a, **k))
    monkeypatch.setattr(verify, "selected", lambda quick: verify.formulas()[:3])
    assert main(["verify", "--quick"]) == 1
    out, err = capsys.readouterr()
    rows = {line.split("  ")[0]: line for line in out.splitlines()[1:]}
    assert rows["least squares ∂L/∂θ = Xᵀ(Xθ − y)/M"].endswith("FAIL")
    assert rows["ridge ∂L/∂θ = Xᵀ(Xθ − y)/M + λθ"].endswith("FAIL")
    assert rows["logistic cross-entropy ∂L/∂θ = Xᵀ(σ(Xθ) − y)/M + λθ"].endswith("pass")
    assert "1 of 3 formulas pass; FAILED: least squares" in err
    assert "hand ≈ 2 × autodiff: the ½ of the loss left out of the gradient?" in err


def test_verify_writes_markdown(monkeypatch, capsys):
    from jaxlearn.cli import main
    from jaxlearn.gradcheck import verify

    monkeypatch.setattr(verify, "selected", lambda quick: verify.formulas()[:1])
    assert main(["verify", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| formula | eq. | float32 hand vs autodiff |") and "| 17 |" in out and "| pass |" in out
