"""scikit-learn 1.9's parameters, used as its gallery uses them, side by side with scikit-learn: the
logistic regressions' L1 path (plot_logistic_path), elastic net, fit_intercept, warm_start, solver
names, deprecated penalty, LogisticRegressionCV's scoring, l1_ratios and non-legacy attributes;
LinearSVC's losses, penalties, intercept and class weights; SVC's coef_ and break_ties; the
linear regressions' parameters; MLPClassifier's early_stopping and solvers. Small data, float64
as scikit-learn's users pass it."""

import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC, l1_min_c

from jaxlearn import estimators as est
from jaxlearn import logistic, svm


def _iris_binary():
    X, y = datasets.load_iris(return_X_y=True)
    X, y = X[y != 2], y[y != 2]
    return X / X.max(), y


def _iris_scaled():
    X, y = datasets.load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(model, X, y, C, l1_ratio, intercept_scaling=None):
    """scikit-learn's binary objective C Σ ℓ + (1 − ρ)/2‖w‖² + ρ‖w‖₁ at the model's coefficients;
    with liblinear's intercept_scaling s, the synthetic feature's weight b/s is in w."""
    z = X @ model.coef_[0] + model.intercept_[0]
    w = model.coef_[0]
    if intercept_scaling is not None:
        w = np.append(w, model.intercept_[0] / intercept_scaling)
    return C * np.sum(np.logaddexp(0, z) - y * z) + (1 - l1_ratio) / 2 * w @ w + l1_ratio * np.abs(w).sum()


def test_the_l1_path_of_the_gallery_is_liblinears():
    """plot_logistic_path: C from l1_min_c upwards, warm-started, liblinear's penalised intercept.
    Each fit is at least as good as the gallery's liblinear fit by liblinear's own objective, and
    equals liblinear's solution run to tol = 1e-12 (the gallery's, warm-started at tol = 1e-6, drifts
    by up to 3.6 at the largest C: −3.58 where the optimum has 0)."""
    X, y = _iris_binary()
    cs = l1_min_c(X, y, loss="log") * np.logspace(0, 7, 8)
    options = dict(l1_ratio=1, solver="liblinear", tol=1e-6, max_iter=int(1e6), warm_start=True,
                   intercept_scaling=10000.0)
    ours, theirs = est.LogisticRegression(**options), sk.LogisticRegression(**options)
    ours_path, optimum = [], []
    for c in cs:
        ours.set_params(C=c).fit(X, y)
        theirs.set_params(C=c).fit(X, y)
        exact = sk.LogisticRegression(**(options | dict(C=c, tol=1e-12, warm_start=False))).fit(X, y)
        ours_path.append(ours.coef_.ravel().copy())
        optimum.append(exact.coef_.ravel())
        assert _objective(ours, X, y, c, 1, 1e4) <= _objective(theirs, X, y, c, 1, 1e4) * (1 + 1e-9)
    np.testing.assert_allclose(ours_path, optimum, atol=1e-4 * np.abs(optimum).max())
    assert np.abs(ours_path[0]).max() < 1e-12     # at l1_min_c every coefficient is 0 (to rounding: the edge)


@pytest.mark.parametrize("C, l1_ratio", [(0.5, 1.0), (50.0, 0.5)])
def test_saga_l1_and_elastic_net_match_scikit_learn(C, l1_ratio):
    X, y = _iris_binary()
    options = dict(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-10, max_iter=100_000)
    ours = est.LogisticRegression(**options).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # saga's own ConvergenceWarning at this tolerance
        theirs = sk.LogisticRegression(**options).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


def test_multinomial_elastic_net_is_saga_s():
    X, y = _iris_scaled()
    options = dict(C=10.0, l1_ratio=0.3, solver="saga", tol=1e-10, max_iter=100_000)
    ours = est.LogisticRegression(**options).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.LogisticRegression(**options).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=2e-4)
    assert np.array_equal(ours.coef_ == 0, theirs.coef_ == 0)      # the same sparsity pattern


def test_fista_stops_on_the_proximal_gradient_map_and_warns_short_of_it():
    X, y = _iris_binary()
    design = np.column_stack([np.ones(len(y)), X])
    result = logistic.fit(design, y.astype(float), 0.01, l1_ratio=1.0, penalize_bias=False, tol=1e-9,
                          max_iter=10_000)
    assert result.converged and result.grad_norm <= 1e-9
    with pytest.warns(Warning, match="stopped after 3 iterations"):
        logistic.fit(design, y.astype(float), 0.01, l1_ratio=1.0, penalize_bias=False, tol=1e-9, max_iter=3)
    with pytest.raises(ValueError, match="l1_ratio = 1 > 0 adds an L1 penalty, which method='newton' cannot"):
        logistic.fit(design, y.astype(float), 0.01, l1_ratio=1.0, method="newton")
    with pytest.raises(ValueError, match="l1_ratio must be ≤ 1, got 2"):
        logistic.fit(design, y.astype(float), 0.01, l1_ratio=2)


@pytest.mark.parametrize("solver", ["lbfgs", "liblinear", "saga"])
def test_fit_intercept_false_matches_scikit_learn(solver):
    X, y = _iris_binary()
    ours = est.LogisticRegression(fit_intercept=False, solver=solver, tol=1e-10, max_iter=10_000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.LogisticRegression(fit_intercept=False, solver=solver, tol=1e-10, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    assert np.all(ours.intercept_ == 0) and np.shape(ours.intercept_) == np.shape(theirs.intercept_)


def test_warm_start_continues_from_the_previous_fit():
    X, y = _iris_scaled()
    cold = est.LogisticRegression(C=3.0, tol=1e-8, max_iter=1000).fit(X, y)
    warm = est.LogisticRegression(C=3.0, tol=1e-8, max_iter=1000, warm_start=True).fit(X, y)
    again = warm.fit(X, y)
    assert again.n_iter_[0] < cold.n_iter_[0]          # started at the optimum: (almost) nothing to do
    np.testing.assert_allclose(again.coef_, cold.coef_, atol=1e-6)


def test_the_deprecated_penalty_and_an_infinite_C_mean_what_they_mean_in_scikit_learn():
    X, y = _iris_binary()
    with pytest.warns(FutureWarning, match="'penalty' was deprecated in scikit-learn 1.8"):
        l1 = est.LogisticRegression(penalty="l1", solver="saga", C=2.0, tol=1e-8, max_iter=10_000).fit(X, y)
    ratio = est.LogisticRegression(l1_ratio=1.0, solver="saga", C=2.0, tol=1e-8, max_iter=10_000).fit(X, y)
    np.testing.assert_array_equal(l1.coef_, ratio.coef_)
    X_noisy, y_noisy = datasets.make_classification(60, 3, n_informative=2, n_redundant=0, flip_y=0.3,
                                                    random_state=0)
    free = est.LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X_noisy, y_noisy)
    theirs = sk.LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X_noisy, y_noisy)
    np.testing.assert_allclose(free.coef_, theirs.coef_, atol=1e-5)


@pytest.mark.parametrize("options, words", [
    (dict(l1_ratio=1.0), "solver 'lbfgs' supports only the L2 penalty .* use solver='saga'"),
    (dict(l1_ratio=0.5, solver="liblinear"), "solver 'liblinear' supports l1_ratio 0 or 1, got 0.5"),
    (dict(solver="newton"), "unknown solver 'newton'; valid options are 'lbfgs', 'liblinear'"),
    (dict(dual=True), "dual=True is implemented only for the L2 penalty .* solver='liblinear'"),
    (dict(penalty="l3"), "unknown penalty 'l3'"),
])
def test_what_scikit_learn_refuses_is_refused_with_what_to_use(options, words):
    X, y = _iris_binary()
    with pytest.raises(ValueError, match=words), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est.LogisticRegression(**options).fit(X, y)


def test_liblinear_fits_two_classes_only():
    X, y = _iris_scaled()
    with pytest.raises(ValueError, match="solver 'liblinear' fits two classes only, got 3.*OneVsRestClassifier"):
        est.LogisticRegression(solver="liblinear").fit(X, y)


def test_logistic_regression_cv_scoring_l1_ratios_and_the_new_attributes():
    X, y = _iris_scaled()
    options = dict(Cs=[0.1, 1.0, 10.0], l1_ratios=(0.0, 1.0), solver="saga", scoring="neg_log_loss",
                   use_legacy_attributes=False, tol=1e-8, max_iter=100_000)
    ours = est.LogisticRegressionCV(**options).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.LogisticRegressionCV(**options).fit(X, y)
    assert f"{ours.C_:.4f}" == f"{theirs.C_:.4f}" and ours.l1_ratio_ == theirs.l1_ratio_
    for name in ("scores_", "n_iter_", "coefs_paths_"):
        assert getattr(ours, name).shape == getattr(theirs, name).shape, name
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-4)
    np.testing.assert_allclose(ours.coefs_paths_, theirs.coefs_paths_, atol=2e-3)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-3)


def test_logistic_regression_cv_legacy_attributes_and_refit_false():
    X, y = _iris_binary()
    options = dict(Cs=[0.1, 1.0, 10.0], tol=1e-8, max_iter=1000, refit=False, cv=3)
    ours = est.LogisticRegressionCV(**options).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.LogisticRegressionCV(**options).fit(X, y)
    assert ours.C_.shape == theirs.C_.shape == (1,) and ours.C_[0] == pytest.approx(theirs.C_[0])
    assert list(ours.scores_) == list(theirs.scores_) == [1]
    assert ours.coefs_paths_[1].shape == theirs.coefs_paths_[1].shape
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)


@pytest.mark.parametrize("options", [dict(), dict(loss="hinge"), dict(penalty="l1", dual=False, C=0.5),
                                     dict(C=10.0, intercept_scaling=5.0), dict(class_weight="balanced"),
                                     dict(fit_intercept=False)])
def test_linear_svc_is_liblinears(options):
    """LinearSVC's default squared hinge, the hinge, L1, liblinear's penalised intercept and class
    weights (one-vs-rest, three classes): liblinear's coefficients."""
    X, y = _iris_scaled()
    ours = est.LinearSVC(**options, tol=1e-10, max_iter=100_000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = LinearSVC(**options, tol=1e-10, max_iter=100_000).fit(X, y)
    atol = 5e-3 if options.get("loss") == "hinge" else 1e-5       # the hinge: smoothed stage by stage
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=atol)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=atol)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)
    assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.99


def test_linear_svc_refuses_what_scikit_learn_refuses():
    X, y = _iris_scaled()
    for options, words in [(dict(penalty="l1", loss="hinge"), "penalty='l1' with loss='hinge' is not supported"),
                           (dict(penalty="l1", dual=True), "penalty='l1' needs dual=False"),
                           (dict(loss="hinge", dual=False), "loss='hinge' needs dual=True"),
                           (dict(multi_class="crammer_singer"), "'crammer_singer' is not implemented; use 'ovr'")]:
        with pytest.raises(ValueError, match=words):
            est.LinearSVC(**options).fit(X, y)


def test_svc_coef_of_the_linear_kernel_and_break_ties():
    X, y = datasets.load_iris(return_X_y=True)
    ours, theirs = est.SVC(kernel="linear").fit(X, y), SVC(kernel="linear").fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-2)            # SMO's tol = 1e-3
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-2)
    with pytest.raises(AttributeError, match="only available when using a linear kernel"):
        _ = est.SVC().fit(X, y).coef_
    tied = est.SVC(break_ties=True).fit(X, y)
    np.testing.assert_array_equal(tied.predict(X), tied.classes_[np.argmax(tied.decision_function(X), axis=1)])
    np.testing.assert_array_equal(tied.predict(X), SVC(break_ties=True).fit(X, y).predict(X))


@pytest.mark.parametrize("class_weight, solver", [("balanced", "gram"), ({0: 1.0, 1: 8.0, 2: 0.5}, "gram"),
                                                  ({0: 1.0, 1: 8.0, 2: 0.5}, "working_set")])
def test_svc_class_weight_scales_the_box_as_libsvm(class_weight, solver):
    """Imbalanced classes, each sample's box C·w (libsvm's weighted C): the dual coefficients hit
    the classes' own bounds, and the solution is libsvm's to SMO's tol."""
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(1.2, 1, (12, 2)), rng.normal([-1, 1.5], 1, (30, 2))])
    y = np.repeat([0, 1, 2], [60, 12, 30])
    options = dict(C=2.0, class_weight=class_weight)
    ours = est.SVC(**options, solver=solver, working_set_size=16).fit(X, y)
    theirs = SVC(**options).fit(X, y)
    np.testing.assert_allclose(ours.class_weight_, theirs.class_weight_)
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=2e-2)    # SMO's tol = 1e-3
    assert np.mean(ours.predict(X) == theirs.predict(X)) > 0.98
    two = y < 2                 # scikit-learn's dual_coef_ layout equals ours for two classes
    ours, theirs = est.SVC(**options, solver=solver, working_set_size=16).fit(X[two], y[two]), \
        SVC(**options).fit(X[two], y[two])
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, atol=5e-2)      # to tol 1e-3 in the KKT gap
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), atol=2e-2)
    bound = 2.0 * ours.class_weight_[y[two][ours.support_]]          # |a_m y_m| ≤ C w_m, and many at it
    assert np.all(np.abs(ours.dual_coef_) <= bound + 1e-9) and np.isclose(np.abs(ours.dual_coef_), bound).any()
    unweighted = est.SVC(C=2.0).fit(X[two], y[two])
    assert not np.array_equal(unweighted.support_, ours.support_) and np.all(unweighted.class_weight_ == 1)
    with pytest.raises(ValueError, match="class_weight gives class 1 a weight ≤ 0"):
        est.SVC(class_weight={1: 0.0}).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight gives class 1 no weight"):
        svm.fit_kernel_svm(X, y, sample_weight=np.where(y == 1, 0.0, 1.0))


@pytest.mark.parametrize("C", [1.0, 10.0])
def test_svc_on_a_non_psd_kernel_is_at_least_as_good_as_libsvm_by_the_dual_objective(C):
    """The sigmoid kernel is not positive semi-definite: the dual ½aᵀQa − eᵀa may be non-convex, and
    SMO floors a non-positive curvature a_ij at libsvm's TAU. Measured: at C = 1 both stop at the
    same solution; at C = 10 jaxlearn's (−1570) lies below libsvm's (−537)."""
    from sklearn.metrics.pairwise import sigmoid_kernel

    X, y = datasets.make_classification(200, 4, random_state=0)
    gamma = 1 / (X.shape[1] * X.var())

    def dual_objective(model):
        a = model.dual_coef_[0]                             # a_m y_m of the support vectors
        K = sigmoid_kernel(X[model.support_], X[model.support_], gamma=gamma, coef0=0.0)
        return 0.5 * a @ K @ a - np.abs(a).sum()

    ours, theirs = est.SVC(kernel="sigmoid", C=C).fit(X, y), SVC(kernel="sigmoid", C=C).fit(X, y)
    assert dual_objective(ours) <= dual_objective(theirs) + 1e-3 * abs(dual_objective(theirs))


def test_linear_regression_and_ridge_take_scikit_learns_parameters():
    X, y = datasets.load_diabetes(return_X_y=True)
    for options in (dict(tol=1e-8, copy_X=False, n_jobs=2), dict(fit_intercept=False)):
        np.testing.assert_allclose(est.LinearRegression(**options).fit(X, y).coef_,
                                   sk.LinearRegression(**options).fit(X, y).coef_, rtol=1e-9)
    options = dict(alpha=2.0, solver="sag", max_iter=10_000, tol=1e-10, random_state=0)
    np.testing.assert_allclose(est.Ridge(**options).fit(X, y).coef_, sk.Ridge(**options).fit(X, y).coef_,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="positive=True .* is not implemented; use positive=False, or scipy"):
        est.LinearRegression(positive=True).fit(X, y)


@pytest.mark.parametrize("options", [dict(), dict(scoring="neg_mean_absolute_error"), dict(cv=5),
                                     dict(cv=5, scoring="neg_mean_absolute_error"), dict(store_cv_results=True),
                                     dict(store_cv_results=True, scoring="r2"),
                                     dict(gcv_mode="eigen", fit_intercept=False)])
def test_ridge_cv_takes_scikit_learns_scoring_and_cv_results(options):
    X, y = datasets.load_diabetes(return_X_y=True)
    alphas = np.logspace(-3, 3, 13)
    ours, theirs = est.RidgeCV(alphas=alphas, **options).fit(X, y), sk.RidgeCV(alphas=alphas, **options).fit(X, y)
    assert ours.alpha_ == theirs.alpha_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-9)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7, atol=1e-9)
    if options.get("store_cv_results"):      # squared errors, or the predictions when scored
        np.testing.assert_allclose(ours.cv_results_, theirs.cv_results_, rtol=1e-9)
    else:
        assert not hasattr(ours, "cv_results_")


@pytest.mark.parametrize("options, words", [
    (dict(alpha_per_target=True), "alpha_per_target=True is not implemented .* use alpha_per_target=False"),
    (dict(store_cv_results=True, cv=3), "cv!=None and store_cv_results=True are incompatible"),
    (dict(gcv_mode="qr"), "unknown gcv_mode 'qr'; valid options are None, 'auto', 'svd', 'eigen'"),
])
def test_ridge_cv_refuses_what_it_lacks_in_scikit_learns_words(options, words):
    X, y = datasets.load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match=words):
        est.RidgeCV(**options).fit(X, y)


def test_mlp_early_stopping_holds_out_a_split_and_keeps_the_best_epoch():
    X, y = datasets.load_digits(return_X_y=True)
    X, y = X[:600] / 16, y[:600]
    options = dict(hidden_layer_sizes=(16,), early_stopping=True, validation_fraction=0.2, n_iter_no_change=5,
                   max_iter=300, learning_rate_init=0.01, random_state=0)
    ours = est.MLPClassifier(**options).fit(X, y)
    theirs = MLPClassifier(**options).fit(X, y)
    assert ours.n_iter_ < 300 and len(ours.validation_scores_) == ours.n_iter_ == len(ours.loss_curve_)
    assert ours.best_validation_score_ == max(ours.validation_scores_) and ours.best_loss_ is None
    assert abs(ours.best_validation_score_ - theirs.best_validation_score_) < 0.05
    assert abs(ours.score(X, y) - theirs.score(X, y)) < 0.05
    sgd = est.MLPClassifier((16,), solver="sgd", momentum=0.9, nesterovs_momentum=False, max_iter=5).fit(X, y)
    assert sgd.config_.optimizer == "momentum" and sgd.config_.momentum == 0.9


def _sklearn_mlp_objective(model, X, y):
    """scikit-learn's full-batch MLP objective by hand (NumPy): mean cross-entropy + ½(α/M)Σ‖W‖²."""
    A = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        A = np.maximum(A @ W + b, 0)
    z = A @ model.coefs_[-1] + model.intercepts_[-1]
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(y)), y]) + 0.5 * model.alpha / len(y) * sum(np.sum(W**2) for W in model.coefs_)


def test_mlp_lbfgs_minimises_scikit_learns_full_batch_objective():
    X, y = datasets.load_digits(return_X_y=True)
    X, y = X[:500] / 16, y[:500]
    options = dict(solver="lbfgs", hidden_layer_sizes=(16,), alpha=1e-2, tol=1e-5, max_iter=1000, random_state=0)
    ours, theirs = est.MLPClassifier(**options).fit(X, y), MLPClassifier(**options).fit(X, y)
    assert ours.n_iter_ < 1000 and not hasattr(ours, "loss_curve_")
    assert ours.loss_ == pytest.approx(_sklearn_mlp_objective(ours, X, y), rel=1e-9)
    assert ours.loss_ == pytest.approx(theirs.loss_, abs=0.05)       # other starts, other local minima
    assert ours.score(X, y) == 1.0 == theirs.score(X, y)
    heavy = est.MLPClassifier(**{**options, "alpha": 100.0}).fit(X, y)         # the penalty shrinks W
    assert sum(np.sum(W**2) for W in heavy.coefs_) < 0.1 * sum(np.sum(W**2) for W in ours.coefs_)
    with pytest.warns(ConvergenceWarning, match="lbfgs reached max_iter=3 .* raise max_iter"):
        est.MLPClassifier(**{**options, "max_iter": 3}).fit(X, y)
    single = est.MLPClassifier(**{**options, "tol": 1e-3}).fit(X.astype(np.float32), y)    # float32 throughout
    assert single.coefs_[0].dtype == np.float32 and single.score(X.astype(np.float32), y) > 0.99


@pytest.mark.parametrize("options, words", [
    (dict(solver="newton"), "unknown solver 'newton'; valid options are 'adam', 'sgd', 'lbfgs'"),
    (dict(learning_rate="adaptive"), "learning_rate='adaptive' is not implemented; use learning_rate='constant'"),
    (dict(warm_start=True), "warm_start=True is not implemented; use warm_start=False"),
])
def test_mlp_refuses_what_it_lacks_in_scikit_learns_words(options, words):
    X, y = datasets.load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=words):
        est.MLPClassifier(**options).fit(X, y)
