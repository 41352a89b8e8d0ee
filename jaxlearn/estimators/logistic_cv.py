"""LogisticRegressionCV: C (and the elastic-net ratio) by cross-validation over
`LogisticRegression`, every C of a fold in one vmapped solve where the penalty is smooth
(the λ paths of `jaxlearn.sweeps`)."""

import numbers
import warnings

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from jaxlearn import logistic, losses
from jaxlearn._validation import check_grid
from jaxlearn.estimators._base import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    _sklearn_warnings,
    check_hyperparameters,
    linear_scores,
    predicted_classes,
)
from jaxlearn.estimators.logistic import LogisticRegression, _penalty
from jaxlearn.sweeps.classification import lbfgs_path, newton_path


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression with C (and the elastic-net ratio ρ) chosen by cross-validation,
    every C of a fold at once where the penalty is smooth.

    Per fold and ρ: for ρ = 0 (with the default solvers, no class or sample weights) all C are
    one vmapped computation (Newton for two classes, L-BFGS for more, as
    `jaxlearn.sweeps.logistic_path` / `softmax_path`); otherwise the C run from the strongest
    penalty up, each fit warm-started from the one before (FISTA for ρ > 0). The best mean
    score over the folds picks (ρ, C); refit=True refits on all the data with them, refit=False
    averages the folds' best coefficients (as scikit-learn). fit_intercept, dual, penalty,
    solver, tol, max_iter, class_weight, intercept_scaling, random_state, verbose and n_jobs
    mean what they mean in `LogisticRegression`.

    Args:
        Cs: an int (that many values in logspace(−4, 4)) or the values of C.
        l1_ratios: the values of ρ to try; scikit-learn 1.9's default 'warn' (and None) is (0.0,).
        cv: None (5 stratified folds), an int or a scikit-learn splitter.
        scoring: None (accuracy; scikit-learn 1.9's default 'warn' is the same), a scorer name
            ('neg_log_loss', 'roc_auc', …) or a callable scorer(estimator, X, y).
        refit: see above.
        use_legacy_attributes: True (scikit-learn 1.9's default 'warn'): C_ and l1_ratio_ as
            arrays of one value per class, scores_ and coefs_paths_ as {class: array}; False:
            C_ and l1_ratio_ floats, scores_ (folds, ρ, C), coefs_paths_
            (folds, ρ, C, 1 or n_classes, n_features [+ 1]) and n_iter_ (folds, ρ, C).

    Attributes: classes_, Cs_, l1_ratios_, C_, l1_ratio_, scores_, coefs_paths_, n_iter_,
    coef_, intercept_.

    Example:
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.pipeline import make_pipeline
        >>> from jaxlearn.estimators import LogisticRegressionCV, StandardScaler
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[0.01, 1.0, 100.0])).fit(X, y)
        >>> model[-1].C_.tolist(), model[-1].scores_[1].mean(axis=0).astype(float).round(3).tolist()
        ([1.0], [0.949, 0.981, 0.963])
    """

    def __init__(self, *, Cs=10, l1_ratios="warn", fit_intercept=True, cv=None, dual=False, penalty="deprecated",
                 scoring="warn", solver="lbfgs", tol=1e-4, max_iter=100, class_weight=None, n_jobs=None, verbose=0,
                 refit=True, intercept_scaling=1.0, random_state=None, use_legacy_attributes="warn"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes

    def _grid(self):
        """(Cs, ρs), checked against the solver as LogisticRegression's penalty."""
        Cs = (np.logspace(-4, 4, self.Cs) if isinstance(self.Cs, numbers.Integral) and self.Cs >= 1
              else check_grid(self.Cs, "Cs", strictly_positive=True))
        given = self.l1_ratios not in ("warn", None)
        ratios = np.asarray(self.l1_ratios if given else (0.0,), float).ravel()
        if ratios.size == 0:
            raise ValueError("LogisticRegressionCV: l1_ratios must hold at least one value in [0, 1]")
        if self.penalty != "deprecated" and self.penalty != "elasticnet":
            ratios = ratios[:1]
        # each ρ checked against the solver as LogisticRegression checks it (with a finite C: the
        # grid's Cs are checked above, and a ρ is kept for every C)
        ratios = np.array([_penalty(self, rho, C=1.0)[1] for rho in ratios])
        return Cs, ratios, given

    def _scorer(self):
        if self.scoring in ("warn", None, "accuracy"):
            return None
        return check_scoring(self, scoring=self.scoring)

    def _frozen(self, theta, X):
        """A fitted LogisticRegression holding θ, for a scorer to call."""
        model = LogisticRegression(fit_intercept=self.fit_intercept, solver=self.solver,
                                   intercept_scaling=self.intercept_scaling)
        model.classes_, model.n_features_in_ = self.classes_, X.shape[1]
        model._fitted_in_float64 = X.dtype == np.float64
        model.coef_, model.intercept_ = self._coef_intercept(theta, X.shape[1])
        return model

    def _coef_intercept(self, theta, n_features):
        theta = np.asarray(theta)
        theta = theta[:, None] if theta.ndim == 1 else theta
        _, _, scale = self._design(np.zeros((1, n_features)))
        if scale is None:
            return theta.T, np.zeros(theta.shape[1], theta.dtype)
        return theta[1:].T, scale * theta[0]

    def _score(self, theta, X, y, scorer):
        if scorer is not None:
            return float(scorer(self._frozen(theta, X), X, y))
        # accuracy: the classes that the scores X wᵀ + b pick, as predict picks them
        coef, intercept = self._coef_intercept(theta, X.shape[1])
        scores = linear_scores(X, coef, intercept, len(self.classes_))
        return float(np.mean(predicted_classes(self.classes_, scores) == y))

    def _fold_path(self, X, encoded, Cs, rho, sample_weight):
        """θ and iterations for every C of one fold and one ρ: (thetas, n_iters)."""
        design, penalize_bias, _ = self._design(X)
        K = len(self.classes_)
        lams = 1.0 / (Cs * X.shape[0])
        if rho == 0 and sample_weight is None and self.solver != "liblinear":
            d = losses.penalty_mask(design.shape[1] if K == 2 else (design.shape[1], K), X.dtype, penalize_bias)
            tol = np.asarray(self.tol, X.dtype)
            if K == 2:
                thetas, n_iters, _ = newton_path(design, encoded.astype(X.dtype), lams, d, tol, self.max_iter)
            else:
                thetas, n_iters, _ = lbfgs_path(design, np.eye(K, dtype=X.dtype)[encoded], lams, d, tol, self.max_iter)
            return thetas, n_iters
        thetas, n_iters = [None] * len(Cs), np.zeros(len(Cs), int)
        start = None
        for i in np.argsort(Cs):            # strongest penalty first, each fit warm-starting the next
            options = dict(l1_ratio=rho, penalize_bias=penalize_bias, tol=self.tol, max_iter=self.max_iter,
                           sample_weight=sample_weight, theta0=start)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # a path's unconverged C are reported by the refit only
                result = (logistic.fit(design, encoded.astype(X.dtype), lams[i], **options) if K == 2
                          else logistic.fit_softmax(design, encoded, lams[i], n_classes=K, **options))
            thetas[i], n_iters[i], start = np.asarray(result.theta), result.n_iter, result.theta
        return np.stack(thetas), n_iters

    @_sklearn_warnings
    def fit(self, X, y, sample_weight=None):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, tol=NON_NEGATIVE, max_iter=COUNT, intercept_scaling=POSITIVE)
        self._check_liblinear_classes()
        Cs, ratios, ratios_given = self._grid()
        scorer, K = self._scorer(), len(self.classes_)
        weight = self._sample_weight(y, sample_weight, X.shape[0])
        folds = list(check_cv(self.cv, encoded, classifier=True).split(X, encoded))
        n_params = self._design(X[:1])[0].shape[1]
        scores = np.zeros((len(folds), len(ratios), len(Cs)))
        n_iter = np.zeros((len(folds), len(ratios), len(Cs)), int)
        paths = np.zeros((len(folds), len(ratios), len(Cs), n_params, 1 if K == 2 else K), X.dtype)
        for f, (train, test) in enumerate(folds):
            for r, rho in enumerate(ratios):
                thetas, n_iter[f, r] = self._fold_path(X[train], encoded[train], Cs, rho,
                                                       None if weight is None else weight[train])
                paths[f, r] = thetas.reshape(paths.shape[2:])
                scores[f, r] = [self._score(theta, X[test], self.classes_[encoded[test]], scorer) for theta in thetas]
        self.Cs_, self.l1_ratios_ = Cs, ratios
        if self.refit:
            r, c = np.unravel_index(int(np.argmax(scores.mean(axis=0))), scores.shape[1:])
            C, rho = float(Cs[c]), float(ratios[r])
            self._fit_with_C(X, encoded, C, rho, weight)
        else:   # the folds' own best settings, averaged with their coefficients
            best = [np.unravel_index(int(np.argmax(fold)), fold.shape) for fold in scores]
            C, rho = float(np.mean([Cs[c] for _, c in best])), float(np.mean([ratios[r] for r, _ in best]))
            theta = np.mean([paths[f, r, c] for f, (r, c) in enumerate(best)], axis=0)
            self.coef_, self.intercept_ = self._coef_intercept(theta, X.shape[1])
        self._set_cv_attributes(scores, paths, n_iter, C, rho, ratios_given)
        return self

    def _set_cv_attributes(self, scores, paths, n_iter, C, rho, ratios_given):
        """scikit-learn 1.9's two forms of the fitted attributes (see use_legacy_attributes)."""
        K = len(self.classes_)
        n_features = len(self.coef_[0])

        def rows(theta):    # scikit-learn's coefficient rows (classes, dof): the features, then the intercept
            coef, intercept = self._coef_intercept(theta, n_features)
            return np.column_stack([coef, intercept]) if self.fit_intercept else coef

        paths = np.stack([rows(theta) for theta in paths.reshape(-1, *paths.shape[3:])]).reshape(
            *paths.shape[:3], paths.shape[4], -1)                   # (folds, ρ, C, classes, dof)
        if self.use_legacy_attributes is False:
            self.C_, self.l1_ratio_, self.scores_, self.n_iter_, self.coefs_paths_ = C, rho, scores, n_iter, paths
            return
        labels = self.classes_[1:] if K == 2 else self.classes_
        squeeze = (lambda a: a[:, 0]) if not ratios_given else (lambda a: np.moveaxis(a, 1, 2))
        self.C_ = np.full(len(labels), C)
        self.l1_ratio_ = np.full(len(labels), rho) if ratios_given else np.full(len(labels), None, dtype=object)
        self.l1_ratios_ = self.l1_ratios_ if ratios_given else np.array([None], dtype=object)
        self.scores_ = {label: squeeze(scores) for label in labels}
        self.coefs_paths_ = {label: squeeze(paths[..., k, :]) for k, label in enumerate(labels)}
        self.n_iter_ = squeeze(n_iter)[None]
