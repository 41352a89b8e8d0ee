"""What the estimators share: scikit-learn's warnings, the bias column, the dtype rule, the
classifier base classes.

The dtype rule (the scikit-learn user's default is float64 NumPy data with JAX's x64 off):
the estimators compute in the precision JAX has. With x64 on, float64 input is computed in
float64; with x64 off (JAX's default) it is computed in float32, JAX's only float then. Either
way, what an estimator returns (transforms, predictions, probabilities, scores) has the
input's dtype, as scikit-learn's own estimators do, and no dtype warnings are printed. The
estimators never switch x64 on themselves. Enable it (`jax.config.update("jax_enable_x64",
True)` at start-up) for float64 results to float64 precision.
"""

import functools
import warnings

import jax
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import check_scalar

FLOATS = [np.float64, np.float32]


def _sklearn_warnings(fit):
    """Re-issue jaxlearn's ConvergenceWarning as scikit-learn's, which its tools expect and filter."""
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fit(self, *args, **kwargs)
        for w in caught:
            category = SklearnConvergenceWarning if issubclass(w.category, ConvergenceWarning) else w.category
            warnings.warn(str(w.message), category, stacklevel=2)
        return result

    return wrapper


def jax_dtype(dtype) -> np.dtype:
    """The floating dtype JAX computes in for input of `dtype`: float64 only while x64 is on."""
    dtype = np.dtype(dtype)
    return dtype if dtype == np.float32 or jax.config.jax_enable_x64 else np.dtype(np.float32)


def in_jax_precision(X: np.ndarray) -> np.ndarray:
    """X in `jax_dtype(X.dtype)`: handing JAX a dtype it has, so it never warns about truncating."""
    return X.astype(jax_dtype(X.dtype), copy=False)


def check_hyperparameters(estimator, **rules) -> None:
    """Check the estimator's own parameters by the names its users set them with (C, alpha, …),
    before they are translated into the lecture's (λ, η, …). rules: name → check_scalar's
    keyword arguments."""
    for name, rule in rules.items():
        try:
            check_scalar(getattr(estimator, name), name, **rule)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{type(estimator).__name__}: {err}") from None


POSITIVE = dict(minimum=0, strict=True)
NON_NEGATIVE = dict(minimum=0)
COUNT = dict(minimum=1, integer=True)


def _with_bias(X):
    return np.column_stack([np.ones(X.shape[0], X.dtype), X])


class _Classifier(ClassifierMixin, BaseEstimator):
    def _targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=FLOATS)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {len(self.classes_)} class")
        return X, encoded

    def _X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=FLOATS)

    def predict(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class _LinearClassifier(_Classifier):
    """Scores X wᵀ + b from coef_ (K or 1, N) and intercept_; C validated like scikit-learn's."""

    def decision_function(self, X):
        X = self._X(X)
        scores = X @ self.coef_.T.astype(X.dtype) + self.intercept_.astype(X.dtype)
        return scores[:, 0] if len(self.classes_) == 2 else scores
