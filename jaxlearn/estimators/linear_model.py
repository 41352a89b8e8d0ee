"""Linear and ridge regression over `jaxlearn.linear` and `jaxlearn.sweeps`; the logistic
regressions live in `jaxlearn.estimators.logistic` and `logistic_cv` (re-exported here, where they
were first)."""


import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import check_scoring, r2_score
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn import sweeps
from jaxlearn._validation import check_grid
from jaxlearn.estimators._base import (
    FLOATS,
    NON_NEGATIVE,
    _InputPrecision,
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
        if getattr(self, "positive", False):
            raise ValueError(f"{type(self).__name__}: positive=True (coefficients constrained ≥ 0) is not "
                             "implemented; use positive=False, or scipy.optimize.nnls for non-negative least squares")
        design = _with_bias(X) if self.fit_intercept else X
        theta = np.asarray(solve(design, y.astype(X.dtype), lam=self._lam(X.shape[0]), method=self._method(),
                                 penalize_bias=not self.fit_intercept))
        self.coef_ = theta[1:] if self.fit_intercept else theta
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        return X @ self.coef_.astype(X.dtype) + self.intercept_


    def _method(self):
        """jaxlearn.solve's method for the solver name: scikit-learn's iterative solvers (which reach the
        same least-squares solution) map to 'auto', a direct factorisation."""
        return "auto" if self.solver in SKLEARN_ITERATIVE_SOLVERS else self.solver


# scikit-learn's Ridge solvers that iterate towards the solution the direct ones compute
SKLEARN_ITERATIVE_SOLVERS = ("lsqr", "sparse_cg", "sag", "saga", "lbfgs")


class LinearRegression(_LinearRegressor):
    """Ordinary least squares, θ minimising (1/2M)‖Xθ − y‖² (lecture eqs. 7, 15).

    Args:
        fit_intercept: add a bias θ₀ (not penalised).
        copy_X, tol, n_jobs: scikit-learn's; accepted and change nothing (X is never modified;
            the dense solve is direct, on all cores).
        positive: False; True (non-negative least squares) is refused with what to use.
        solver: a `jaxlearn.solve` method ("auto", "svd", "qr", "cholesky", "lu", "normal",
            "pinv", "gd"), jaxlearn's own parameter.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LinearRegression
        >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
        >>> model = LinearRegression().fit(X, y)
        >>> np.round(model.coef_, 6).tolist(), round(model.intercept_, 6)
        ([2.0], 1.0)
    """

    def __init__(self, *, fit_intercept=True, copy_X=True, tol=1e-6, n_jobs=None, positive=False, solver="auto"):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.tol = tol
        self.n_jobs = n_jobs
        self.positive = positive
        self.solver = solver


class Ridge(_LinearRegressor):
    """Ridge regression: minimises ‖y − Xw − b‖² + α‖w‖² (scikit-learn's objective).

    In the lecture's form (1/2M)‖Xθ − y‖² + λ/2‖θ‖² this is λ = α / M.

    Args:
        alpha: α ≥ 0.
        fit_intercept: add an unpenalised bias.
        copy_X, max_iter, tol, random_state: scikit-learn's; accepted and change nothing (the
            solve is direct: no iterations, nothing drawn).
        solver: a `jaxlearn.solve` method, or scikit-learn's name: "lsqr", "sparse_cg", "sag",
            "saga" and "lbfgs" iterate towards the solution that "auto" computes directly, and
            map to it.
        positive: False; True is refused with what to use.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import Ridge
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 2.0, 3.0])
        >>> round(float(Ridge(alpha=1.0).fit(X, y).coef_[0]), 6)
        0.833333
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None, tol=1e-4, solver="auto",
                 positive=False, random_state=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    def _lam(self, n_samples):
        check_hyperparameters(self, alpha=NON_NEGATIVE)
        self.n_iter_ = None        # a direct solve, as scikit-learn's direct solvers report it
        return float(self.alpha) / n_samples


class _Predictions(RegressorMixin, BaseEstimator):
    """What a scorer calls to score given predictions: predict(P) = P (scikit-learn's _IdentityRegressor)."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return X


GCV_MODES = (None, "auto", "svd", "eigen")


class RidgeCV(_LinearRegressor):
    """Ridge regression with α chosen by cross-validation, every α of the grid at once.

    cv=None (the default, as scikit-learn's): exact leave-one-out, from one SVD without refits
    (`jaxlearn.sweeps.ridge_loo_residuals`): the residuals e_m = y_m − ŷ_{−m} of every α, scored
    by their mean square (scoring=None) or by `scoring` on the leave-one-out predictions y − e.
    cv=k or a scikit-learn splitter: one vmapped `ridge_path` per fold, scored by R² (scoring=None,
    scikit-learn's default there) or `scoring`. α is scikit-learn's: λ = α / M in the lecture's form.

    Args:
        alphas: the grid of α > 0.
        fit_intercept: add an unpenalised bias.
        scoring: None, a scorer name ("neg_mean_absolute_error", "r2", …) or a callable
            scorer(estimator, X, y); higher is better.
        cv: None (leave-one-out), an int or a scikit-learn splitter.
        gcv_mode: scikit-learn's None, "auto", "svd" or "eigen": how its leave-one-out is
            computed; jaxlearn's is always the SVD, whose α and coefficients are the same.
        store_cv_results: keep cv_results_ (M, n_alphas): the squared leave-one-out errors (scoring
            None) or the leave-one-out predictions (with scoring); only with cv=None.
        alpha_per_target: False; True (one α per column of a 2-D y) is refused with what to use.

    Attributes: alpha_, best_score_ (−MSE for leave-one-out without scoring, mean R² over the
    folds for cv, else the score), coef_, intercept_, cv_results_ (store_cv_results).

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import RidgeCV
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(30, 3)); y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.normal(size=30)
        >>> model = RidgeCV(alphas=[0.01, 1.0, 100.0]).fit(X, y)
        >>> model.alpha_, model.coef_.astype(float).round(2).tolist()
        (0.01, [1.02, -2.0, 0.43])
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None, gcv_mode=None,
                 store_cv_results=False, alpha_per_target=False):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target

    def _check_options(self):
        if self.gcv_mode not in GCV_MODES:
            raise ValueError(f"RidgeCV: unknown gcv_mode {self.gcv_mode!r}; valid options are None, 'auto', 'svd', "
                             "'eigen'")
        if self.alpha_per_target:
            raise ValueError("RidgeCV: alpha_per_target=True is not implemented (jaxlearn's RidgeCV fits one target); "
                             "use alpha_per_target=False, or one RidgeCV per column of y")
        if self.store_cv_results and self.cv is not None:
            raise ValueError("RidgeCV: cv!=None and store_cv_results=True are incompatible (as in scikit-learn): "
                             "cv_results_ holds leave-one-out results, which need cv=None")

    def fit(self, X, y):
        self._check_options()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=FLOATS)
        if y.dtype.kind not in "iufb":
            raise ValueError(f"y must hold numbers (regression targets), got dtype {y.dtype}")
        y = y.astype(X.dtype)
        alphas = check_grid(self.alphas, "alphas", strictly_positive=True)
        scorer = None if self.scoring is None else check_scoring(self, scoring=self.scoring)
        design, penalize_bias = (_with_bias(X), False) if self.fit_intercept else (X, True)
        if self.cv is None:
            if X.shape[0] < 2:
                raise ValueError(f"leave-one-out cross-validation needs at least 2 samples, got {X.shape[0]} sample")
            residuals, thetas = sweeps.ridge_loo_residuals(design, y, alphas / X.shape[0],
                                                           penalize_bias=penalize_bias)
            residuals = np.asarray(residuals)                                  # (α, M)
            if scorer is None:
                scores, results = -np.mean(residuals**2, axis=1), residuals.T**2
            else:
                predictions = y[None, :] - residuals
                scores = np.array([scorer(_Predictions(), p, y) for p in predictions])
                results = predictions.T
            best = int(np.argmax(scores))
            theta = np.asarray(thetas[best])
            if self.store_cv_results:
                self.cv_results_ = results
        else:
            scores = np.mean([self._fold_scores(design, y, X, train, test, alphas, penalize_bias, scorer)
                              for train, test in check_cv(self.cv).split(X, y)], axis=0)
            best = int(np.argmax(scores))
            theta = np.asarray(sweeps.ridge_path(design, y, alphas[best:best + 1] / X.shape[0],
                                                 penalize_bias=penalize_bias).thetas[0])
        self.best_score_ = float(scores[best])
        self.alpha_ = float(alphas[best])
        self.coef_ = theta[1:] if self.fit_intercept else theta
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return self

    def _fold_scores(self, design, y, X, train, test, alphas, penalize_bias, scorer):
        """One fold's score of every α: R² of its predictions, or scorer on a Ridge holding θ."""
        thetas = np.asarray(sweeps.ridge_path(design[train], y[train], alphas / len(train),
                                              penalize_bias=penalize_bias).thetas)
        if scorer is None:
            return [r2_score(y[test], predicted) for predicted in (design[test] @ thetas.T).T]
        return [scorer(self._frozen(theta, X.shape[1]), X[test], y[test]) for theta in thetas]

    def _frozen(self, theta, n_features):
        """A fitted Ridge holding θ, for a scorer to call."""
        model = Ridge(fit_intercept=self.fit_intercept)
        model.n_features_in_ = n_features
        model.coef_ = theta[1:] if self.fit_intercept else theta
        model.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return model


from jaxlearn.estimators.logistic import LogisticRegression  # noqa: E402, F401
from jaxlearn.estimators.logistic_cv import LogisticRegressionCV  # noqa: E402, F401
