import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics.pairwise import laplacian_kernel, polynomial_kernel, rbf_kernel, sigmoid_kernel
from sklearn.svm import SVC

from jaxlearn import ConvergenceWarning, kernels, svm
from jaxlearn.kernels import gram, make_kernel, polynomial_feature_map

SKLEARN_NAME = {"linear": "linear", "polynomial": "poly", "rbf": "rbf", "sigmoid": "sigmoid"}


def moons(seed=0, M=90):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(M, 2))
    y = np.where(X[:, 0] ** 2 + X[:, 1] + 0.3 * rng.normal(size=M) > 0.5, 1.0, -1.0)
    return X, y


# --- kernels --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, reference", [
    ("linear", lambda A, B: A @ B.T),
    ("polynomial", lambda A, B: polynomial_kernel(A, B, degree=3, gamma=0.4, coef0=1.5)),
    ("rbf", lambda A, B: rbf_kernel(A, B, gamma=0.4)),
    ("sigmoid", lambda A, B: sigmoid_kernel(A, B, gamma=0.4, coef0=1.5)),
    ("laplacian", lambda A, B: laplacian_kernel(A, B, gamma=0.4)),
])
def test_gram_matches_scikit_learn_in_blocks(name, reference):
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(23, 5)), rng.normal(size=(11, 5))
    kernel = make_kernel(name, gamma=0.4, coef0=1.5, degree=3)
    for block in (1, 4, 23, None):
        np.testing.assert_allclose(gram(kernel, A, B, block=block), reference(A, B), rtol=1e-10, atol=1e-12)


def test_rbf_gram_is_never_negative_or_above_one():
    X = np.full((4, 3), 1e4, np.float32) + np.arange(4, dtype=np.float32)[:, None] * 1e-3
    K = np.asarray(gram(make_kernel("rbf", gamma=1.0), X))
    assert (K >= 0).all() and (K <= 1).all() and np.allclose(np.diag(K), 1)


def test_lectures_degree_2_feature_map():
    x = np.array([[3.0, 5.0]])
    np.testing.assert_allclose(polynomial_feature_map(x, 2), [[9.0, np.sqrt(2) * 15, 25.0]])


@pytest.mark.parametrize("N, d", [(2, 2), (3, 2), (4, 3), (2, 5)])
def test_feature_map_inner_product_is_the_kernel(N, d):
    X = np.random.default_rng(N * d).normal(size=(6, N))
    phi = polynomial_feature_map(X, d)
    np.testing.assert_allclose(phi @ phi.T, (X @ X.T) ** d, rtol=1e-10, atol=1e-12)   # eq. 44


def test_resolve_gamma_like_scikit_learn():
    X = np.random.default_rng(0).normal(size=(10, 4)) * 3
    assert kernels.resolve_gamma("scale", X) == pytest.approx(1 / (4 * X.var()))
    assert kernels.resolve_gamma("auto", X) == 0.25


# --- the dual solver against libsvm ------------------------------------------------------------------

# the two solvers; the working set small, so that a fit takes many outer iterations
SOLVERS = [dict(solver="gram"), dict(solver="working_set", working_set_size=8)]


@pytest.mark.parametrize("name", ["linear", "polynomial", "rbf", "sigmoid"])
@pytest.mark.parametrize("C", [0.5, 10.0])
@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: s["solver"])
def test_kernel_svm_matches_libsvm(name, C, solver):
    X, y = moons()
    options = dict(gamma=0.5, coef0=-1.0 if name == "sigmoid" else 1.0, degree=3)
    reference = SVC(C=C, kernel=SKLEARN_NAME[name], tol=1e-8, **options).fit(X, y)
    model = svm.fit_kernel_svm(X, y, name, C, tol=1e-8, **options, **solver)
    assert np.array_equal(model.support, np.sort(reference.support_))            # same support vectors
    order = np.argsort(reference.support_)
    np.testing.assert_allclose(model.dual_coef[:, 0], reference.dual_coef_[0][order], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.intercept[0], reference.intercept_[0], atol=1e-5)
    np.testing.assert_allclose(svm.decision_function(model, X), reference.decision_function(X), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(svm.predict(model, X), reference.predict(X))
    assert np.all(np.abs(model.dual_coef) <= C + 1e-12)                             # 0 ≤ a ≤ C


@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: s["solver"])
def test_multiclass_one_vs_one_matches_libsvm(solver):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=160)
    X = rng.normal(size=(160, 3)) + labels[:, None]
    y = np.array(["ant", "bee", "cat", "dog"])[labels]
    reference = SVC(C=2.0, gamma="scale", tol=1e-6).fit(X, y)
    model = svm.fit_kernel_svm(X, y, "rbf", 2.0, tol=1e-6, **solver)
    assert list(model.classes) == ["ant", "bee", "cat", "dog"] and len(model.pairs) == 6
    assert np.array_equal(model.support, np.sort(reference.support_))
    np.testing.assert_array_equal(svm.predict(model, X), reference.predict(X))
    Xt = rng.normal(size=(50, 3)) + 1.5
    np.testing.assert_array_equal(svm.predict(model, Xt), reference.predict(Xt))
    np.testing.assert_allclose(svm.decision_function(model, Xt, block=7), svm.decision_function(model, Xt),
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["linear", "polynomial", "rbf", "sigmoid", "laplacian"])
@pytest.mark.parametrize("q", [5, 6, 10**6])
def test_working_set_solver_finds_the_gram_solvers_solution(name, q):
    """Every kernel (the Laplacian's rows in blocks), an odd q, and a q beyond the problem (clipped
    to it); 90 samples pad to 128, and no padded entry becomes a support vector."""
    X, y = moons(4)
    options = dict(gamma=0.5, coef0=-1.0 if name == "sigmoid" else 1.0, degree=3, tol=1e-9)
    gram_fit = svm.fit_kernel_svm(X, y, name, 3.0, solver="gram", **options)
    model = svm.fit_kernel_svm(X, y, name, 3.0, solver="working_set", working_set_size=q, **options)
    assert np.array_equal(model.support, gram_fit.support) and model.support.max() < len(y)
    np.testing.assert_allclose(model.dual_coef, gram_fit.dual_coef, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.intercept, gram_fit.intercept, atol=1e-6)
    assert model.converged.all() and (model.kkt_gap <= 1e-9).all()


def test_working_set_solver_reports_progress_and_warns_at_max_iter(capsys):
    X, y = moons()
    svm.fit_kernel_svm(X, y, "rbf", 1.0, solver="working_set", working_set_size=4, progress=True)
    assert "KKT violation" in capsys.readouterr().err
    with pytest.warns(ConvergenceWarning, match=r"SMO reached max_iter=3 .* KKT violation .* > tol"):
        model = svm.fit_kernel_svm(X, y, "rbf", 1.0, solver="working_set", max_iter=3)
    assert not model.converged.any() and (model.n_iter == 3).all()


def test_auto_takes_the_working_set_beyond_its_memory_bound(monkeypatch):
    from jaxlearn.svm import kernel as kernel_module

    used = []
    solve = kernel_module._fit_working_set
    monkeypatch.setattr(kernel_module, "_fit_working_set", lambda *args: used.append(args[-2]) or solve(*args))
    X, y = moons()
    svm.fit_kernel_svm(X, y)
    assert used == []                                            # 90² entries: the Gram matrix
    monkeypatch.setattr(kernel_module, "AUTO_GRAM_BYTES", 90 * 90 * 8 - 1)
    svm.fit_kernel_svm(X, y)
    assert used == [128]                                         # q = 512 clipped to the 128 padded samples
    monkeypatch.setattr(kernel_module, "GRAM_LIMIT_BYTES", 1000)
    with pytest.raises(ValueError, match=r"Gram matrix would need .* GiB .*use solver='working_set'"):
        svm.fit_kernel_svm(X, y, solver="gram")
    monkeypatch.setattr(kernel_module, "KERNEL_ROWS_LIMIT_BYTES", 1000)
    with pytest.raises(ValueError, match=r"kernel rows would need .* \(q = 16 rows of n = 128 samples; limit"):
        svm.fit_kernel_svm(X, y, solver="working_set", working_set_size=16)


def test_linear_kernel_dual_and_primal_hinge_fit_agree():
    X, y = moons(1, M=60)
    X[:, 1] -= 0.5
    C = 5.0
    M = len(y)
    dual = svm.fit_kernel_svm(X, y, "linear", C / M, tol=1e-10)                   # eq. 36's dual: box C/M
    w_dual = np.asarray(dual.dual_coef[:, 0] @ dual.support_vectors)
    primal = svm.fit_linear_svm(X, y, C)
    np.testing.assert_allclose(primal.theta.w, w_dual, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(primal.theta.b, dual.intercept[0], atol=1e-3)
    # duality gap ≈ 0: the primal objective at w equals the dual objective
    a = np.abs(np.asarray(dual.dual_coef[:, 0]))
    K = np.asarray(dual.support_vectors @ dual.support_vectors.T)
    ya = np.asarray(dual.dual_coef[:, 0])
    dual_objective = a.sum() - 0.5 * ya @ K @ ya
    primal_objective = float(svm.hinge_objective(jnp.asarray(w_dual), dual.intercept[0], X, y, C)) * M / C
    assert primal_objective * C / M == pytest.approx(dual_objective, rel=1e-6, abs=1e-8)


def test_large_C_approaches_the_hard_margin():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0], [4.0, 4.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    model = svm.fit_linear_svm(X, y, C=1e4)
    margins = y * (X @ np.asarray(model.theta.w) + float(model.theta.b))
    np.testing.assert_allclose(margins.min(), 1.0, atol=1e-3)                   # support vectors on the margin
    np.testing.assert_allclose(np.linalg.norm(model.theta.w), 1 / np.sqrt(2), rtol=1e-3)   # margin 2/‖w‖ = 2√2


def test_hinge_subgradient_is_autodiff_away_from_the_kink():
    X, y = moons(2, M=30)
    w, b, C = np.array([0.7, -0.2]), 0.1, 3.0
    assert np.min(np.abs(y * (X @ w + b) - 1)) > 1e-3                          # no sample on the kink
    auto_w, auto_b = jax.grad(svm.hinge_objective, argnums=(0, 1))(w, b, X, y, C)
    hand_w, hand_b = svm.hinge_subgradient(w, b, X, y, C)
    np.testing.assert_allclose(hand_w, auto_w, rtol=1e-12)
    np.testing.assert_allclose(hand_b, auto_b, rtol=1e-12)


def test_hitting_max_iter_warns_with_the_kkt_violation():
    X, y = moons()
    with pytest.warns(ConvergenceWarning, match=r"SMO reached max_iter=3 .* KKT violation .* > tol"):
        svm.fit_kernel_svm(X, y, "rbf", 1.0, max_iter=3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: svm.fit_kernel_svm(*moons(), "rbf", C=0.0), ValueError, "C must be > 0"),
    (lambda: svm.fit_kernel_svm(*moons(), "rbf", gamma=-1.0), ValueError, "gamma must be > 0"),
    (lambda: svm.fit_kernel_svm(*moons(), "rbf", gamma="big"), ValueError,
     "gamma must be a positive number, 'scale' or 'auto'"),
    (lambda: svm.fit_kernel_svm(*moons(), "cosine"), ValueError,
     "unknown kernel 'cosine'; valid options are 'linear', 'polynomial', 'rbf', 'sigmoid', 'laplacian'"),
    (lambda: svm.fit_kernel_svm(*moons(), "polynomial", degree=2.5), TypeError, "degree must be an integer"),
    (lambda: svm.fit_kernel_svm(*moons(), "sigmoid", coef0="1"), TypeError, "coef0 must be a real number"),
    (lambda: svm.fit_kernel_svm(moons()[0], np.ones(90)), ValueError, "y holds 1 class"),
    (lambda: svm.fit_kernel_svm(*moons(), solver="smo"), ValueError,
     "unknown solver 'smo'; valid options are 'auto', 'gram', 'working_set'"),
    (lambda: svm.fit_kernel_svm(*moons(), working_set_size=1), ValueError, "working_set_size must be ≥ 2"),
    (lambda: svm.fit_kernel_svm(*moons(), working_set_size=8.5), TypeError, "working_set_size must be an integer"),
    (lambda: svm.fit_kernel_svm(*moons(), progress="yes"), TypeError, "progress must be"),
    (lambda: svm.fit_kernel_svm(moons()[0], np.ones(10)), ValueError,
     r"y has 10 labels but X has 90 rows; they must match"),
    (lambda: svm.fit_kernel_svm(moons()[0], np.ones((90, 1))), ValueError,
     r"y must be \(M,\) = \(90,\), got shape \(90, 1\)"),
    (lambda: svm.fit_kernel_svm(np.full((3, 2), np.inf), np.array([1, -1, 1])), ValueError, "X contains 6 NaN or inf"),
    (lambda: svm.decision_function(svm.fit_kernel_svm(*moons()), np.ones((2, 3))), ValueError,
     "X has 3 features but the SVM was fitted on 2"),
    (lambda: svm.fit_linear_svm(moons()[0], (moons()[1] > 0).astype(float)), ValueError,
     r"y must hold the labels −1 and \+1, found \[0.0, 1.0\]"),
    (lambda: svm.fit_linear_svm(*moons(), C=-1.0), ValueError, "C must be > 0"),
    (lambda: gram("rbf", np.ones((2, 2))), TypeError, "kernel must be a jaxlearn.kernels.Kernel"),
    (lambda: gram(make_kernel("rbf"), np.ones((2, 2)), np.ones((2, 3))), ValueError, "X2 has 3 features but X1 has 2"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_predict_takes_plain_lists_and_reports_convergence_per_pair():
    X, y = moons()
    model = svm.fit_kernel_svm(X, y, "rbf", C=1.0)
    assert model.converged.all() and (model.kkt_gap <= 1e-3).all() and (model.n_iter > 0).all()
    as_list = np.asarray(X[:5]).tolist()
    np.testing.assert_array_equal(svm.predict(model, as_list), svm.predict(model, X[:5]))
    np.testing.assert_allclose(svm.decision_function(model, as_list), svm.decision_function(model, X[:5]))


def test_linear_svm_reports_its_real_iterations():
    X, y = moons()
    result = svm.fit_linear_svm(X, y, C=1.0, tol=1e-4, loss="hinge", intercept_scaling=1.0)   # the estimator's
    assert result.converged and 0 < result.n_iter < 7 * 2000                                 # default tol
    from jaxlearn.estimators import LinearSVC
    labels = (np.asarray(y) > 0).astype(int)
    estimator = LinearSVC(C=1.0 / len(labels), loss="hinge", max_iter=2000).fit(np.asarray(X), labels)   # C·M = 1
    assert estimator.n_iter_ == result.n_iter
    np.testing.assert_allclose(estimator.coef_[0], result.theta.w, rtol=1e-6, atol=1e-8)


def test_one_vs_rest_problems_solved_together_equal_each_alone():
    X, y = moons()
    Y = np.stack([np.asarray(y), -np.asarray(y)], axis=1)
    together = svm.fit_linear_svm(X, Y, C=1.0).theta
    alone = svm.fit_linear_svm(X, y, C=1.0).theta
    np.testing.assert_allclose(together.w[0], alone.w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(together.b[0], alone.b, rtol=1e-4, atol=1e-6)
