"""Estimators that behave like scikit-learn's: MLPClassifier's defaults, stopping and warnings,
advice in the estimator's own parameter names, set_output, SVC(probability=True),
LogisticRegression(class_weight=…), MLPClassifier(alpha=…), unknown parameters named; and the
rule for what predict returns (the functional API JAX arrays, the estimators NumPy)."""

import warnings

import jax
import numpy as np
import pytest
from sklearn import linear_model as sk_linear
from sklearn import neural_network as sk_nn
from sklearn import svm as sk_svm
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score

from jaxlearn import estimators as est
from jaxlearn import svm, training

DIGITS = load_digits(return_X_y=True)


@pytest.mark.parametrize("max_iter", [10, 50])
def test_mlp_scores_on_digits_match_scikit_learns(max_iter):
    """Mean 3-fold score over seeds 0–2, hidden (32,), scikit-learn's defaults otherwise. Measured
    here: max_iter=10 scikit-learn 0.47–0.64, jaxlearn 0.52–0.60; 50: 0.87–0.91 and 0.87–0.89."""
    X, y = DIGITS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = np.mean([cross_val_score(est.MLPClassifier((32,), max_iter=max_iter, random_state=s), X, y, cv=3)
                        for s in range(3)])
        theirs = np.mean([cross_val_score(sk_nn.MLPClassifier((32,), max_iter=max_iter, random_state=s), X, y, cv=3)
                          for s in range(3)])
    assert ours > theirs - 0.05, (ours, theirs)


def test_mlp_warns_when_max_iter_ends_training_and_stops_by_tol():
    X, y = DIGITS
    with pytest.warns(ConvergenceWarning, match=r"MLPClassifier: max_iter=5 epochs ended training.*raise max_iter") \
            as seen:
        est.MLPClassifier((16,), max_iter=5).fit(X, y)
    assert seen[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = est.MLPClassifier((16,), max_iter=1000, tol=1e-2, n_iter_no_change=3).fit(X, y)
    assert model.n_iter_ < 1000 and len(model.loss_curve_) == model.n_iter_


def test_mlp_alpha_is_the_l2_penalty():
    X, y = make_classification(300, 10, random_state=0)
    norms = [sum(np.sum(W ** 2) for W in est.MLPClassifier((16,), alpha=alpha, max_iter=100, random_state=0)
                 .fit(X, y).coefs_) for alpha in (0.0, 10.0)]
    assert norms[1] < 0.8 * norms[0]


def test_logistic_advice_speaks_of_C_at_the_users_line():
    X, y = make_classification(60, 4, random_state=0)
    with pytest.warns(ConvergenceWarning) as seen:
        est.LogisticRegression(max_iter=1).fit(X, y)
    assert seen[0].filename == __file__
    assert "lam" not in str(seen[0].message) and "C" in str(seen[0].message)


def test_set_output_gives_data_frames():
    import pandas as pd

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 2)), columns=["a", "b"])
    scaled = est.StandardScaler().set_output(transform="pandas").fit_transform(frame)
    assert isinstance(scaled, pd.DataFrame) and list(scaled.columns) == ["a", "b"]
    poly = est.PolynomialFeatures(2).set_output(transform="pandas").fit_transform(frame)
    assert list(poly.columns) == ["1", "a", "b", "a^2", "a b", "b^2"]


@pytest.mark.parametrize("name", ["iris", "binary"])
def test_svc_probability_is_libsvms(name):
    X, y = load_iris(return_X_y=True) if name == "iris" else make_classification(200, 5, random_state=0)
    ours = est.SVC(probability=True, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)       # scikit-learn 1.9 deprecates its own option
        theirs = sk_svm.SVC(probability=True, random_state=0).fit(X, y)
        expected = theirs.predict_proba(X)
    p = ours.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-10)
    assert np.abs(p - expected).max() < 0.05 and (p.argmax(1) == expected.argmax(1)).mean() > 0.97
    assert not hasattr(est.SVC(), "predict_proba") and hasattr(ours, "predict_proba")


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 5.0}])
def test_class_weight_matches_scikit_learn(class_weight):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 1.0).astype(int)
    ours = est.LogisticRegression(class_weight=class_weight, tol=1e-8).fit(X, y)
    theirs = sk_linear.LogisticRegression(class_weight=class_weight, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-6)


@pytest.mark.parametrize("make, words", [
    (lambda: est.LogisticRegression(multi_class="ovr"), "LogisticRegression: 'multi_class' is not a parameter of "
                                                        "jaxlearn's LogisticRegression .*: penalty, C, l1_ratio"),
    (lambda: est.MLPClassifier(n_jobs=2), "'n_jobs' is not a parameter.*: hidden_layer_sizes"),
    (lambda: est.SVC(nu=0.5), "'nu' is not a parameter.*probability"),
])
def test_an_unsupported_parameter_names_the_supported_ones(make, words):
    with pytest.raises(TypeError, match=words):
        make()


def test_predict_returns_jax_arrays_in_the_functional_api_and_numpy_in_the_estimators():
    X, y = make_classification(100, 4, random_state=0)
    model = svm.fit_kernel_svm(X, y)
    assert isinstance(svm.predict(model, X), jax.Array)
    config = training.TrainConfig(hidden=(4,), epochs=1, batch_size=20)
    state, _ = training.fit(config, X, y, progress=False)
    assert isinstance(training.predict(state.params, X, config), jax.Array)
    assert isinstance(training.predict_proba(state.params, X, config), jax.Array)
    assert type(est.SVC().fit(X, y).predict(X)) is np.ndarray
    assert type(est.MLPClassifier((4,), max_iter=300).fit(X, y).predict_proba(X)) is np.ndarray
