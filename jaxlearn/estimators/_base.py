"""What the estimators share: scikit-learn's warnings, the bias column, the dtype rule, the
classifier base classes.

The dtype rule (the scikit-learn user's default is float64 NumPy data with JAX's x64 off):
an estimator computes in the precision of the data it is given, as scikit-learn does. Given
float64 (or integers, or lists, which scikit-learn turns into float64), its public methods run
inside a scoped `jax.enable_x64(True)` context, which is restored when the method returns and
changes nothing global; given float32, they compute in float32. A model fitted on float64
keeps predicting in float64. What an estimator returns (transforms, predictions,
probabilities, scores) has the input's dtype, and no dtype warnings are printed.

The same methods compile with jaxlearn's persistent compilation cache (`jaxlearn.compilation_cache`).
"""

import contextlib
import functools
import inspect
import warnings

import jax
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn._errors import ConvergenceWarning, warn
from jaxlearn._validation import check_scalar
from jaxlearn.compilation_cache import library_cache

FLOATS = [np.float64, np.float32]


def _sklearn_warnings(fit):
    """Re-issue jaxlearn's ConvergenceWarning as scikit-learn's, which its tools expect and filter,
    in the estimator's own parameter names (`_ADVICE`: C, not the lecture's λ) and at the
    caller's line (the first frame outside jaxlearn), not inside this wrapper."""
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fit(self, *args, **kwargs)
        for w in caught:
            category = SklearnConvergenceWarning if issubclass(w.category, ConvergenceWarning) else w.category
            message = str(w.message)
            for lecture, own in getattr(self, "_ADVICE", {}).items():
                message = message.replace(lecture, own)
            warn(message, category)
        return result

    return wrapper


# The methods that take data and run in the data's precision (see the module docstring).
PRECISION_METHODS = ("fit", "predict", "predict_proba", "decision_function", "transform", "inverse_transform",
                     "predict_gradient", "sample_y")


def _given_float64(X) -> bool:
    """scikit-learn's validation makes float64 of everything but float32 input (FLOATS)."""
    dtype = getattr(X, "dtype", None)
    return dtype is None or np.dtype(dtype) != np.float32


def _in_input_precision(method, fitting: bool):
    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        float64 = _given_float64(X) or (not fitting and getattr(self, "_fitted_in_float64", False))
        if fitting:
            self._fitted_in_float64 = float64
        with library_cache():
            if not float64 or jax.config.jax_enable_x64:
                return method(self, X, *args, **kwargs)
            with jax.enable_x64(True):   # scoped: x64 is as it was once the method returns
                return method(self, X, *args, **kwargs)

    wrapper._in_input_precision = True
    return wrapper


def in_fitted_precision(estimator):
    """A context in which the estimator computes in the precision it was fitted in: scoped x64 for
    a model fitted on float64 (for methods that take no X, such as a log likelihood at θ)."""
    if getattr(estimator, "_fitted_in_float64", False) and not jax.config.jax_enable_x64:
        return jax.enable_x64(True)
    return contextlib.nullcontext()


def _named_parameters(init, cls):
    """__init__ with an unknown keyword answered by the parameters this estimator has (scikit-learn's
    estimator may have more); functools.wraps keeps the signature scikit-learn's get_params reads."""
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        known = list(inspect.signature(init).parameters)[1:]
        unknown = [k for k in kwargs if k not in known]
        if unknown:
            raise TypeError(f"{cls.__name__}: {', '.join(map(repr, unknown))} is not a parameter of jaxlearn's "
                            f"{cls.__name__} (scikit-learn's may have it; jaxlearn implements only these): "
                            f"{', '.join(known)}")
        init(self, *args, **kwargs)

    return wrapper


class _InputPrecision:
    """Mixin: wraps each class's own PRECISION_METHODS so that they run in the data's precision,
    and its __init__ so that an unknown parameter is named with the supported ones."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _named_parameters(cls.__dict__["__init__"], cls)
        for name in PRECISION_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "_in_input_precision", False):
                setattr(cls, name, _in_input_precision(method, fitting=name == "fit"))


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


def linear_scores(X, coef, intercept, n_classes: int) -> np.ndarray:
    """A linear classifier's scores X wᵀ + b (NumPy): (M,) for two classes, else (M, K)."""
    scores = X @ coef.T.astype(X.dtype) + np.asarray(intercept, X.dtype)   # intercept 0.0: liblinear without one
    return scores[:, 0] if n_classes == 2 else scores


def predicted_classes(classes, scores) -> np.ndarray:
    """The labels that scores pick: classes[1] where a (M,) score is > 0, else the arg-max class."""
    if scores.ndim == 1:
        return classes[(scores > 0).astype(int)]
    return classes[np.argmax(scores, axis=1)]


class _Classifier(_InputPrecision, ClassifierMixin, BaseEstimator):
    def _targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=FLOATS)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds a single class ({self.classes_[0].item()!r}); a classifier needs two or more: "
                             f"The number of classes has to be greater than one; got {len(self.classes_)} class")
        return X, encoded

    def _X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=FLOATS)

    def predict(self, X):
        scores = self.decision_function(X)          # first: it checks that the model is fitted
        return predicted_classes(self.classes_, scores)


class _LinearClassifier(_Classifier):
    """Scores X wᵀ + b from coef_ (K or 1, N) and intercept_; C validated like scikit-learn's."""

    def decision_function(self, X):
        X = self._X(X)
        return linear_scores(X, self.coef_, self.intercept_, len(self.classes_))
