"""Linear and logistic regression over `jaxlearn.linear`, `jaxlearn.logistic` and `jaxlearn.sweeps`."""

import numbers

import jax
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn import logistic, sweeps
from jaxlearn._validation import check_grid
from jaxlearn.estimators._base import (
    COUNT,
    FLOATS,
    NON_NEGATIVE,
    POSITIVE,
    _InputPrecision,
    _LinearClassifier,
    _sklearn_warnings,
    _with_bias,
    check_hyperparameters,
)
from jaxlearn.linear import solve


class _LinearRegressor(_InputPrecision, RegressorMixin, BaseEstimator):
    """Shared fit/predict of LinearRegression and Ridge: θ = solve([1, X], y, λ)."""

    def _lam(self, n_samples):
        return 0.0

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=FLOATS)
        if y.dtype.kind not in "iufb":
            raise ValueError(f"y must hold numbers (regression targets), got dtype {y.dtype}")
        design = _with_bias(X) if self.fit_intercept else X
        theta = np.asarray(solve(design, y.astype(X.dtype), lam=self._lam(X.shape[0]), method=self.solver,
                                 penalize_bias=not self.fit_intercept))
        self.coef_ = theta[1:] if self.fit_intercept else theta
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        return X @ self.coef_.astype(X.dtype) + self.intercept_


class LinearRegression(_LinearRegressor):
    """Ordinary least squares, θ minimising (1/2M)‖Xθ − y‖² (lecture eqs. 7, 15).

    Args:
        solver: a `jaxlearn.solve` method ("auto", "svd", "qr", "cholesky", "lu", "normal",
            "pinv", "gd").
        fit_intercept: add a bias θ₀ (not penalised).

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LinearRegression
        >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
        >>> model = LinearRegression().fit(X, y)
        >>> np.round(model.coef_, 6).tolist(), round(model.intercept_, 6)
        ([2.0], 1.0)
    """

    def __init__(self, *, solver="auto", fit_intercept=True):
        self.solver = solver
        self.fit_intercept = fit_intercept


class Ridge(_LinearRegressor):
    """Ridge regression: minimises ‖y − Xw − b‖² + α‖w‖² (scikit-learn's objective).

    In the lecture's form (1/2M)‖Xθ − y‖² + λ/2‖θ‖² this is λ = α / M.

    Args:
        alpha: α ≥ 0.
        solver: a `jaxlearn.solve` method.
        fit_intercept: add an unpenalised bias.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import Ridge
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 2.0, 3.0])
        >>> round(float(Ridge(alpha=1.0).fit(X, y).coef_[0]), 6)
        0.833333
    """

    def __init__(self, alpha=1.0, *, solver="auto", fit_intercept=True):
        self.alpha = alpha
        self.solver = solver
        self.fit_intercept = fit_intercept

    def _lam(self, n_samples):
        check_hyperparameters(self, alpha=NON_NEGATIVE)
        return float(self.alpha) / n_samples


class LogisticRegression(_LinearClassifier):
    """Logistic regression, binary (sigmoid) or multinomial (softmax), L2-penalised.

    scikit-learn's objective C·Σ loss + ½‖w‖² is the lecture's (1/M)Σ loss + λ/2‖w‖² with
    λ = 1/(C·M); the intercept is not penalised.

    Args:
        C: inverse regularisation strength > 0.
        tol: gradient tolerance.
        max_iter: iterations.
        class_weight: None, "balanced" (n_samples / (n_classes · count of the class)) or
            {class: weight}, as scikit-learn's: sample m's loss is weighted by its class's weight
            (`jaxlearn.logistic.fit(..., sample_weight=...)`); fit's sample_weight multiplies in.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LogisticRegression
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array(["no", "no", "yes", "yes"])
        >>> LogisticRegression().fit(X, y).predict(np.array([[-3.0], [3.0]])).tolist()
        ['no', 'yes']
    """

    # the solvers' advice speaks of the lecture's λ = 1/(C·M); a user of this class sets C
    _ADVICE = {"add regularisation (lam > 0;": "regularise more (a smaller C;",
               "use lam > 0": "use a finite C (smaller is stronger regularisation)", "lam = 0": "C = inf"}

    def __init__(self, C=1.0, *, tol=1e-4, max_iter=100, class_weight=None):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight

    @_sklearn_warnings
    def fit(self, X, y, sample_weight=None):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, C=POSITIVE, tol=NON_NEGATIVE, max_iter=COUNT)
        return self._fit_with_C(X, encoded, float(self.C), self._sample_weight(y, sample_weight, X.shape[0]))

    def _sample_weight(self, y, sample_weight, n_samples):
        """class_weight (scikit-learn's own computation) times fit's sample_weight; None for neither."""
        from sklearn.utils.class_weight import compute_sample_weight
        from sklearn.utils.validation import _check_sample_weight

        if getattr(self, "class_weight", None) is None and sample_weight is None:
            return None
        weight = np.ones(n_samples)
        if getattr(self, "class_weight", None) is not None:
            weight = weight * compute_sample_weight(self.class_weight, np.asarray(y).ravel())
        if sample_weight is not None:
            weight = weight * _check_sample_weight(sample_weight, np.ones((n_samples, 1)))
        return weight

    def _fit_with_C(self, X, encoded, C, sample_weight=None):
        lam, design = 1.0 / (C * X.shape[0]), _with_bias(X)
        if len(self.classes_) == 2:
            result = logistic.fit(design, encoded.astype(X.dtype), lam, penalize_bias=False, tol=self.tol,
                                  max_iter=self.max_iter, sample_weight=sample_weight)
            theta = np.asarray(result.theta)[:, None]
        else:
            result = logistic.fit_softmax(design, encoded, lam, penalize_bias=False, tol=self.tol,
                                          max_iter=self.max_iter, sample_weight=sample_weight)
            theta = np.asarray(result.theta)
        self.intercept_, self.coef_ = theta[0], theta[1:].T
        self.n_iter_ = np.array([result.n_iter])
        return self

    def predict_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = np.asarray(logistic.sigmoid(scores), scores.dtype)
            return np.column_stack([1 - p, p])
        return np.asarray(jax.nn.softmax(scores, axis=1), scores.dtype)


class RidgeCV(_LinearRegressor):
    """Ridge regression with α chosen by cross-validation, every α of the grid at once.

    cv=None (the default, as scikit-learn's): exact leave-one-out, from one SVD without
    refits (`jaxlearn.sweeps.ridge_loo_path`), scored by the mean squared error. cv=k or a
    scikit-learn splitter: one vmapped `ridge_path` per fold, scored by R² (scikit-learn's
    default scoring there). α is scikit-learn's: λ = α / M in the lecture's form.

    Attributes: alpha_, best_score_ (−MSE for leave-one-out, mean R² for cv), coef_, intercept_.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import RidgeCV
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(30, 3)); y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.normal(size=30)
        >>> model = RidgeCV(alphas=[0.01, 1.0, 100.0]).fit(X, y)
        >>> model.alpha_, model.coef_.astype(float).round(2).tolist()
        (0.01, [1.02, -2.0, 0.43])
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, cv=None):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.cv = cv

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=FLOATS)
        if y.dtype.kind not in "iufb":
            raise ValueError(f"y must hold numbers (regression targets), got dtype {y.dtype}")
        y = y.astype(X.dtype)
        alphas = check_grid(self.alphas, "alphas", strictly_positive=True)
        design, penalize_bias = (_with_bias(X), False) if self.fit_intercept else (X, True)
        if self.cv is None:
            if X.shape[0] < 2:
                raise ValueError(f"leave-one-out cross-validation needs at least 2 samples, got {X.shape[0]} sample")
            path = sweeps.ridge_loo_path(design, y, alphas / X.shape[0], penalize_bias=penalize_bias)
            best = path.best()
            self.best_score_ = -float(path.validation[best])
            theta = np.asarray(path.thetas[best])
        else:
            scores = []
            for train, test in check_cv(self.cv).split(X, y):
                thetas = sweeps.ridge_path(design[train], y[train], alphas / len(train),
                                           penalize_bias=penalize_bias).thetas
                predictions = design[test] @ np.asarray(thetas).T                  # (test samples, α)
                scores.append([r2_score(y[test], predicted) for predicted in predictions.T])
            best = int(np.argmax(np.mean(scores, axis=0)))
            self.best_score_ = float(np.mean(scores, axis=0)[best])
            theta = np.asarray(sweeps.ridge_path(design, y, alphas[best:best + 1] / X.shape[0],
                                                 penalize_bias=penalize_bias).thetas[0])
        self.alpha_ = float(alphas[best])
        self.coef_ = theta[1:] if self.fit_intercept else theta
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return self


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression with C chosen by cross-validated accuracy, every C of a fold at once.

    Per fold, all C are one vmapped computation (`jaxlearn.sweeps.logistic_path`, Newton, for
    two classes; `softmax_path`, L-BFGS, for more); the best mean accuracy picks C, and the
    model is refitted with it on all the data. As scikit-learn's: Cs (an int: that many values
    in logspace(−4, 4)), cv (None: 5 stratified folds), tol, max_iter.

    Attributes: Cs_, C_ (one value per class, as scikit-learn's), scores_ ({class: (folds, Cs)}),
    coef_, intercept_, n_iter_ (of the refit).

    Example:
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.pipeline import make_pipeline
        >>> from jaxlearn.estimators import LogisticRegressionCV, StandardScaler
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[0.01, 1.0, 100.0])).fit(X, y)
        >>> model[-1].C_.tolist(), model[-1].scores_[1].mean(axis=0).astype(float).round(3).tolist()
        ([1.0], [0.949, 0.981, 0.963])
    """

    def __init__(self, Cs=10, *, cv=None, tol=1e-4, max_iter=100):
        self.Cs = Cs
        self.cv = cv
        self.tol = tol
        self.max_iter = max_iter

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, tol=NON_NEGATIVE, max_iter=COUNT)
        Cs = (np.logspace(-4, 4, self.Cs) if isinstance(self.Cs, numbers.Integral) and self.Cs >= 1
              else check_grid(self.Cs, "Cs", strictly_positive=True))
        design, K = _with_bias(X), len(self.classes_)
        scores = []
        for train, test in check_cv(self.cv, encoded, classifier=True).split(X, encoded):
            lams = 1.0 / (Cs * len(train))
            if K == 2:
                path = sweeps.logistic_path(design[train], encoded[train].astype(X.dtype), lams, design[test],
                                            encoded[test].astype(X.dtype), penalize_bias=False, tol=self.tol,
                                            max_iter=self.max_iter)
            else:
                path = sweeps.softmax_path(design[train], encoded[train], lams, design[test], encoded[test],
                                           n_classes=K, penalize_bias=False, tol=self.tol, max_iter=self.max_iter)
            scores.append(np.asarray(path.validation))
        scores = np.array(scores)
        self.Cs_ = Cs
        self.C_ = np.full(1 if K == 2 else K, Cs[int(np.argmax(scores.mean(axis=0)))])
        self.scores_ = {label: scores for label in (self.classes_[1:] if K == 2 else self.classes_)}
        return self._fit_with_C(X, encoded, float(self.C_[0]))
