"""Bad input over the public API: each case, the exception type and the words of its message.

Every case runs twice: under the strict test settings (x64 on, strict promotion) and under
JAX's defaults, as a user runs it (`jax_defaults`). The run-folder and CLI cases are in
test_run_folder.py, the solvers' singularity cases in test_condition.py.
"""

import jax
import numpy as np
import pytest

from jaxlearn import (
    SingularMatrixError,
    back_substitution,
    fit_standardizer,
    gradient_descent,
    least_squares_loss,
    logistic,
    nn,
    solve,
    standardize,
    svm,
    sweeps,
    training,
    vandermonde,
)
from jaxlearn import estimators as est
from jaxlearn.data.idx import IDXFormatError, parse_idx, read_idx
from jaxlearn.kernels import Kernel, gram, resolve_gamma
from jaxlearn.nn.backprop import backprop
from jaxlearn.training.checkpoint import save_params

RNG = np.random.default_rng(0)
X2 = RNG.normal(size=(20, 2))
Y_PM = np.array([-1.0, 1.0] * 10)
Y_01 = np.array([0, 1] * 10)
X_HUGE = (RNG.normal(size=(50, 3)) * 1e30).astype(np.float32)
Y_HUGE = np.where(X_HUGE[:, 0] > 0, 1.0, -1.0).astype(np.float32)
TINY_CONFIG = training.TrainConfig(hidden=(4,), epochs=1, batch_size=5)


def mlp():
    return nn.init_mlp(jax.random.key(0), [784, 16, 10])


def with_nan_label():
    y = Y_PM.copy()
    y[3] = np.nan
    return y


def lecture_batch():
    return RNG.normal(size=(10, 784)).astype(np.float32)


CASES = {
    # one-hot targets: the lecture's batch of 10 with 10 classes would broadcast integer labels
    "cross_entropy_loss with labels": (lambda: nn.cross_entropy_loss(mlp(), lecture_batch(), np.arange(10)),
                                       ValueError, r"Y must be one-hot targets of shape \(M, n_L\) = \(10, 10\), got "
                                                   r"shape \(10,\); for integer class labels y use "
                                                   r"jaxlearn.nn.one_hot"),
    "quadratic_loss with labels": (lambda: nn.quadratic_loss(mlp(), lecture_batch(), np.arange(10)),
                                   ValueError, r"Y must be one-hot targets"),
    "backprop with labels": (lambda: backprop(mlp(), lecture_batch(), np.arange(10)),
                             ValueError, r"Y must be one-hot targets of shape \(M, n_L\) = \(10, 10\)"),
    "backprop with too few classes": (lambda: backprop(mlp(), lecture_batch(), np.eye(10, 3)),
                                      ValueError, r"got shape \(10, 3\)"),
    # kernels
    "fit_kernel_svm with a NaN label": (lambda: svm.fit_kernel_svm(X2, with_nan_label()),
                                        ValueError, r"y contains 1 NaN or inf label\(s\), the first at index 3"),
    "Kernel with a misspelt name": (lambda: gram(Kernel("polynomal"), X2),
                                    ValueError, "unknown kernel 'polynomal'; valid options are 'linear', 'polynomial'"),
    "Kernel with gamma < 0": (lambda: gram(Kernel("rbf", gamma=-1.0), X2), ValueError, "gamma must be > 0, got -1"),
    "fit_kernel_svm with a bad Kernel": (lambda: svm.fit_kernel_svm(X2, Y_PM, kernel=Kernel("rbf", gamma=0.0)),
                                         ValueError, "gamma must be > 0, got 0"),
    "gram with block=0": (lambda: gram(Kernel("laplacian"), X2, block=0), ValueError, "block must be ≥ 1, got 0"),
    # overflow
    "fit_linear_svm near 1e30": (lambda: svm.fit_linear_svm(X_HUGE, Y_HUGE), ValueError,
                                 r"X holds values up to \S+e\+30, too large for float32 arithmetic "
                                 r".*scale the features"),
    "logistic.fit near 1e30": (lambda: logistic.fit(np.column_stack([np.ones(50, np.float32), X_HUGE]),
                                                    (Y_HUGE > 0).astype(np.float32)),
                               ValueError, "too large for float32 arithmetic"),
    "fit_softmax near 1e30": (lambda: logistic.fit_softmax(X_HUGE, (Y_HUGE > 0).astype(np.int32)),
                              ValueError, "too large for float32 arithmetic"),
    "fit_kernel_svm near 1e30": (lambda: svm.fit_kernel_svm(X_HUGE, Y_HUGE), ValueError,
                                 "too large for float32 arithmetic"),
    "solve cholesky near 1e30": (lambda: solve(X_HUGE, Y_HUGE, method="cholesky"), ValueError,
                                 "too large for float32 arithmetic"),
    "vandermonde overflowing": (lambda: vandermonde(np.array([1e20, 2.0], np.float32), 3), ValueError,
                                r"x\*\*3 overflows float32 for \|x\| up to 1e\+20; scale x first"),
    # silently wrong before
    "logistic.predict with a NaN theta": (lambda: logistic.predict(np.array([np.nan, 1.0]), X2), ValueError,
                                          r"theta contains 1 NaN or inf value\(s\).*did its fit diverge"),
    "hinge_objective with 0/1 labels": (lambda: svm.hinge_objective(np.ones(2), 0.0, X2, Y_01.astype(float), 1.0),
                                        ValueError, r"y must hold the labels −1 and \+1, found \[0.0, 1.0\]"),
    "hinge_subgradient with 0/1 labels": (lambda: svm.hinge_subgradient(np.ones(2), 0.0, X2, Y_01.astype(float), 1.0),
                                          ValueError, "y must hold the labels −1 and"),
    "back_substitution with a zero pivot": (lambda: back_substitution(np.array([[1.0, 2.0], [0.0, 0.0]]), np.ones(2)),
                                            SingularMatrixError, r"R has a zero on its diagonal \(R\[1, 1\] = 0\)"),
    "solve with penalize_bias='no'": (lambda: solve(X2, Y_PM, 0.1, penalize_bias="no"), TypeError,
                                      "penalize_bias must be True or False, got str 'no'"),
    "least_squares_loss with penalize_bias=1": (lambda: least_squares_loss(np.ones(2), X2, Y_PM, penalize_bias=1),
                                                TypeError, "penalize_bias must be True or False, got int 1"),
    "ridge_path with a zero bias column": (lambda: sweeps.ridge_path(np.column_stack([np.zeros(20), X2]), Y_PM,
                                                                     [0.1, 1.0], penalize_bias=False),
                                           ValueError, r"X\[:, 0\] is all zero; make it a column of ones"),
    "training.fit on a single class": (lambda: training.fit(TINY_CONFIG, X2, np.zeros(20, np.int32), progress=False),
                                    ValueError, r"y_train holds a single class \(0\); a classifier needs at least two"),
    "train_many on a single class": (lambda: sweeps.train_many(TINY_CONFIG, X2, np.ones(20, np.int32), seeds=[0],
                                                               n_classes=2, progress=False),
                                     ValueError, r"y holds a single class \(1\)"),
    # wrong types
    "gradient_descent with eta='0.1'": (lambda: gradient_descent(least_squares_loss, np.zeros(2), X2, Y_PM, eta="0.1"),
                                        TypeError, "eta .* must be a number or a 1-D array of numbers, got str '0.1'"),
    "solve gd with eta='0.1'": (lambda: solve(X2, Y_PM, method="gd", eta="0.1"), TypeError,
                                "eta must be a real number, got str"),
    "fit with n_classes=2.5": (lambda: training.fit(TINY_CONFIG, X2, Y_01, n_classes=2.5, progress=False), TypeError,
                               "n_classes must be an integer, got 2.5"),
    "fit_softmax with n_classes=2.5": (lambda: logistic.fit_softmax(X2, Y_01, n_classes=2.5), TypeError,
                                       "n_classes must be an integer, got 2.5"),
    "TrainConfig(hidden=5)": (lambda: training.TrainConfig(hidden=5), TypeError,
                              r"hidden must be a sequence of hidden layer sizes such as \(5,\), got int 5"),
    "TrainConfig(hidden=None)": (lambda: training.TrainConfig(hidden=None), TypeError,
                                 "hidden must be a sequence of hidden layer sizes, got NoneType"),
    "init_mlp(key=0)": (lambda: nn.init_mlp(0, [2, 3, 2]), TypeError,
                        r"key must be a jax.random key such as jax.random.key\(0\), got int 0"),
    "init_mlp(sizes=5)": (lambda: nn.init_mlp(jax.random.key(0), 5), TypeError,
                          "sizes must be a list of layer sizes"),
    "svm.decision_function with block=0": (lambda: svm.decision_function(svm.fit_kernel_svm(X2, Y_PM), X2, block=0),
                                           ValueError, "block must be ≥ 1, got 0"),
    "training.evaluate with block=0": (lambda: training.evaluate(nn.init_mlp(jax.random.key(0), [2, 3, 2]),
                                                           X2.astype(np.float32), Y_01, TINY_CONFIG, block=0),
                                    ValueError, "block must be ≥ 1, got 0"),
    "solve with float16": (lambda: solve(X2.astype(np.float16), Y_PM.astype(np.float16), method="qr"), TypeError,
                           r"X has dtype float16; the factorizations need float32 or float64: pass X.astype"),
    "ridge_path with float16": (lambda: sweeps.ridge_path(X2.astype(np.float16), Y_PM, [1.0]), TypeError,
                                "X has dtype float16"),
    "polynomial_features with include_bias='yes'": (lambda: __import__("jaxlearn").polynomial_features(
        X2, 2, include_bias="yes"), TypeError, "include_bias must be True or False"),
    # found by the sweep (python -m tests.sweep_bad_inputs)
    "solve with X=None": (lambda: solve(None, Y_PM), TypeError, "X must be an array of numbers, got NoneType None"),
    "least_squares_loss with theta=None": (lambda: least_squares_loss(None, X2, Y_PM), TypeError,
                                           "theta must be an array of numbers, got NoneType"),
    "back_substitution with NaN in R": (lambda: back_substitution(np.array([[1.0, np.nan], [0.0, 2.0]]), np.ones(2)),
                                        ValueError, r"R contains 1 NaN or inf value\(s\).*no meaningful solution"),
    "logistic.predict with a column theta": (lambda: logistic.predict(np.ones((2, 1)), X2), ValueError,
                                             r"theta must be 1-D \(N,\), got shape \(2, 1\)"),
    "fit_linear_svm with float16": (lambda: svm.fit_linear_svm(X2.astype(np.float16), Y_PM), TypeError,
                                    "X has dtype float16; the fits need float32 or float64"),
    "logistic_path with float16": (lambda: sweeps.logistic_path(X2.astype(np.float16), (Y_PM > 0) * 1.0, [1.0]),
                                   TypeError, "X has dtype float16"),
    "hinge_objective with a column y": (lambda: svm.hinge_objective(np.ones(2), 0.0, X2, Y_PM[:, None], 1.0),
                                        ValueError, r"y must be 1-D, got shape \(20, 1\)"),
    "hinge_objective with inf in X": (lambda: svm.hinge_objective(np.ones(2), 0.0, np.where(X2 > 1, np.inf, X2),
                                                                  Y_PM, 1.0), ValueError, "X contains .* NaN or inf"),
    "cross_entropy_loss with NaN targets": (lambda: nn.cross_entropy_loss(
        mlp(), lecture_batch(), np.full((10, 10), np.nan)), ValueError, "Y contains 100 NaN or inf"),
    "one_hot of strings": (lambda: nn.one_hot(np.array(["a", "b"]), 2), TypeError,
                           r"labels must be integers 0 … 1, got <U1"),
    "training.evaluate with NaN inputs": (lambda: training.evaluate(nn.init_mlp(jax.random.key(0), [2, 3, 2]),
                                                              np.full((4, 2), np.nan, np.float32), Y_01[:4],
                                                              TINY_CONFIG), ValueError, "X contains 8 NaN or inf"),
    "ridge_path with complex lams": (lambda: sweeps.ridge_path(X2, Y_PM, [1.0 + 1j]), TypeError,
                                     "lams must be a non-empty 1-D list of real numbers"),
    "train_many with complex learning rates": (lambda: sweeps.train_many(TINY_CONFIG, X2, Y_01, learning_rates=[1j],
                                                                         progress=False),
                                               TypeError, "learning_rates must be a non-empty 1-D list of real"),
    "gradient_descent from NaN": (lambda: gradient_descent(least_squares_loss, np.full(2, np.nan), X2, Y_PM,
                                                           eta=0.1), ValueError,
                                  r"theta0 contains 2 NaN or inf value\(s\).*start from finite parameters"),
    "Ridge with string targets": (lambda: est.Ridge().fit(X2, np.array(["a"] * 20)), ValueError,
                                  "y must hold numbers \\(regression targets\\), got dtype <U1"),
    "SVC with one class": (lambda: est.SVC().fit(X2, np.array(["a"] * 20)), ValueError,
                           "y holds a single class \\('a'\\); a classifier needs two or more"),
    # estimators: their own parameter names, not the lecture's
    "SVC(C=nan)": (lambda: est.SVC(C=np.nan).fit(X2, Y_01), ValueError, "SVC: C must be finite, got nan"),
    "LinearSVC(C=nan)": (lambda: est.LinearSVC(C=np.nan).fit(X2, Y_01), ValueError, "LinearSVC: C must be finite"),
    "LogisticRegression(C=nan)": (lambda: est.LogisticRegression(C=np.nan).fit(X2, Y_01), ValueError,
                                  "LogisticRegression: C must be a number \\(inf allowed\\), got nan"),
    "Ridge(alpha='1')": (lambda: est.Ridge(alpha="1").fit(X2, Y_PM), TypeError,
                         "Ridge: alpha must be a real number, got str"),
    "MLPClassifier(batch_size='big')": (lambda: est.MLPClassifier(batch_size="big").fit(X2, Y_01), ValueError,
                                        "MLPClassifier: batch_size must be 'auto' or an integer ≥ 1, got 'big'"),
    "MLPClassifier(learning_rate_init=0)": (lambda: est.MLPClassifier(learning_rate_init=0).fit(X2, Y_01),
                                            ValueError, "MLPClassifier: learning_rate_init must be > 0"),
    "MLPClassifier(hidden_layer_sizes=(0,))": (lambda: est.MLPClassifier(hidden_layer_sizes=(0,)).fit(X2, Y_01),
                                               ValueError, "MLPClassifier: hidden_layer_sizes must be positive"),
    "LogisticRegressionCV(max_iter=0)": (lambda: est.LogisticRegressionCV(max_iter=0).fit(X2, Y_01), ValueError,
                                         "LogisticRegressionCV: max_iter must be ≥ 1"),
    "RidgeCV(alphas='1')": (lambda: est.RidgeCV(alphas="1").fit(X2, Y_PM), TypeError,
                            "alphas must be a non-empty 1-D list of real numbers, got str '1'"),
    "SVC(degree=2.5)": (lambda: est.SVC(degree=2.5).fit(X2, Y_01), TypeError, "SVC: degree must be an integer"),
    # files and small helpers
    "save_params inside a file": (lambda: save_params(_a_file() / "params.npz", mlp()), NotADirectoryError,
                                  r"cannot write .*params.npz: .*a-file is a file, not a folder"),
    "save_params(params=None)": (lambda: save_params(_a_file().with_name("p.npz"), None), TypeError,
                                 r"params must be a list of \(W, b\) pairs, one per layer.*got NoneType"),
    "one_hot(num_classes='10')": (lambda: nn.one_hot(np.arange(3), num_classes="10"), TypeError,
                                  "num_classes must be a real number, got str"),
    "standardize(None, X)": (lambda: standardize(None, X2), TypeError,
                             "scaler must be a Standardizer from fit_standardizer"),
    "init_mlp(dtype=int32)": (lambda: nn.init_mlp(jax.random.key(0), [3, 2], dtype=np.int32), TypeError,
                              "dtype must be a floating dtype such as jnp.float32 .*got int32"),
    "read_idx of a missing file": (lambda: read_idx(_a_file().with_name("missing.gz")), FileNotFoundError,
                                   r"missing.gz does not exist$"),
    "parse_idx with 2³¹ × 2³¹ × 2³¹ elements": (lambda: parse_idx(_huge_idx_header(), "huge"), IDXFormatError,
                                                r"huge: truncated: 16 bytes, but the header \(shape \(2147483648, "
                                                r"2147483648, 2147483648\), uint8\) needs "
                                                r"9903520314283042199192993808"),
}


def _a_file():
    """A regular file in a fresh temporary folder (a path 'inside' it cannot be a folder)."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "a-file"
    path.write_text("not a folder")
    return path


def _huge_idx_header() -> bytes:
    import struct

    return struct.pack(">HBB3I", 0, 0x08, 3, 2**31, 2**31, 2**31)


def run_case(name):
    call, error, message = CASES[name]
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_named(name):
    run_case(name)


@pytest.mark.jax_defaults
@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_named_under_jax_defaults(name):
    run_case(name)


# --- corrected results ------------------------------------------------------------------------------

def test_the_standardizer_scales_features_near_the_float32_limit():
    scaler = fit_standardizer(X_HUGE)
    scaled = np.asarray(standardize(scaler, X_HUGE))
    assert np.isfinite(scaled).all()
    np.testing.assert_allclose(scaled.std(axis=0), 1, rtol=1e-3)
    reference = (X_HUGE.astype(np.float64) - X_HUGE.astype(np.float64).mean(0)) / X_HUGE.astype(np.float64).std(0)
    np.testing.assert_allclose(scaled, reference, rtol=1e-3, atol=1e-4)


@pytest.mark.jax_defaults
def test_standard_scaler_near_the_float32_limit_under_jax_defaults():
    scaled = est.StandardScaler().fit_transform(X_HUGE)
    np.testing.assert_allclose(scaled.std(axis=0), 1, rtol=1e-3)


@pytest.mark.parametrize("method", ["auto", "qr", "svd", "pinv"])
def test_the_orthogonal_solvers_handle_features_near_the_float32_limit(method):
    theta = np.array([1e-30, 2e-30, -1e-30])
    y = (X_HUGE.astype(np.float64) @ theta).astype(np.float32)
    np.testing.assert_allclose(np.asarray(solve(X_HUGE, y, method=method), np.float64), theta, rtol=1e-5)


def test_gamma_scale_does_not_overflow_to_zero():
    gamma = resolve_gamma("scale", X_HUGE)
    expected = 1 / (3 * np.var(X_HUGE.astype(np.float64)))
    assert gamma > 0 and gamma == pytest.approx(expected)


def test_a_numerically_singular_system_warns_with_its_rank():
    """Kahan's matrix (n = 100, cond ≈ 1e17): the minimum-norm θ, and a warning naming the rank."""
    n = 100
    c, s = np.cos(1.2), np.sin(1.2)
    kahan = np.diag(s ** np.arange(n)) @ (np.eye(n) - c * np.triu(np.ones((n, n)), 1))
    with pytest.warns(np.exceptions.RankWarning, match=r"effective rank 99 of 100 \(singular values below "
                                                      r"rcond·s_max = 2.22e-14.*θ is the minimum-norm least-squares "
                                                      r"solution, but it is not unique") as caught:
        solve(kahan, kahan @ np.ones(n))
    assert caught[0].filename == __file__


def test_a_well_conditioned_system_does_not_warn():
    import warnings

    X = RNG.normal(size=(40, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("auto", "svd", "pinv"):
            solve(X, X @ np.ones(4), method=method)


def test_svm_predict_takes_a_list():
    model = svm.fit_kernel_svm(X2, Y_PM)
    assert svm.predict(model, [[0.0, 1.0], [1.0, 0.0]]).shape == (2,)
