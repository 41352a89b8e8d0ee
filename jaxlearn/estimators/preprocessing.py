"""PolynomialFeatures and StandardScaler over `jaxlearn.features`.

Both name their output columns (`get_feature_names_out`), so scikit-learn's `set_output` works:
`StandardScaler().set_output(transform="pandas")` returns DataFrames (pandas installed).
"""

import numpy as np
from sklearn import preprocessing as sklearn_preprocessing
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn.estimators._base import FLOATS, _InputPrecision
from jaxlearn.features import Standardizer, fit_standardizer, polynomial_features, standardize, unstandardize


class PolynomialFeatures(_InputPrecision, TransformerMixin, BaseEstimator):
    """All monomials up to `degree`, in scikit-learn's column order (`jaxlearn.polynomial_features`).

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import PolynomialFeatures
        >>> PolynomialFeatures(degree=2).fit_transform(np.array([[2.0, 3.0]])).tolist()
        [[1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]
    """

    def __init__(self, degree=2, *, include_bias=True):
        self.degree = degree
        self.include_bias = include_bias

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=FLOATS)
        self.n_output_features_ = polynomial_features(X[:1], self.degree, self.include_bias).shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        return np.asarray(polynomial_features(X, self.degree, self.include_bias), X.dtype)

    def get_feature_names_out(self, input_features=None):
        """The monomials' names ("x0", "x0^2", "x0 x1", …): scikit-learn's, whose column order
        these are."""
        check_is_fitted(self)
        names = sklearn_preprocessing.PolynomialFeatures(self.degree, include_bias=self.include_bias)
        return names.fit(np.zeros((1, self.n_features_in_))).get_feature_names_out(
            input_features if input_features is not None else getattr(self, "feature_names_in_", None))


class StandardScaler(_InputPrecision, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Feature scaling x_sc = (x − μ) / σ (lecture eq. 35), fitted on training data only.

    As in scikit-learn, a constant column is centred and keeps σ = 1 (the library function
    `jaxlearn.fit_standardizer` leaves constant columns untouched by default instead).

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import StandardScaler
        >>> StandardScaler().fit_transform(np.array([[0.0], [2.0]])).ravel().tolist()
        [-1.0, 1.0]
    """

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=FLOATS)
        scaler = fit_standardizer(X, keep_constant=False)
        self.mean_ = np.asarray(scaler.mean, X.dtype) if self.with_mean else np.zeros(X.shape[1], X.dtype)
        self.scale_ = np.asarray(scaler.scale, X.dtype) if self.with_std else np.ones(X.shape[1], X.dtype)
        return self

    def _scaler(self, dtype):
        return Standardizer(self.mean_.astype(dtype), self.scale_.astype(dtype))

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        return np.asarray(standardize(self._scaler(X.dtype), X), X.dtype)

    def inverse_transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        return np.asarray(unstandardize(self._scaler(X.dtype), X), X.dtype)
