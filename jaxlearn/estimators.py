"""scikit-learn-compatible estimators over jaxlearn's functional core (no maths of their own).

Swap the import and keep the code:

    from jaxlearn.estimators import Ridge, LogisticRegression, SVC, MLPClassifier

Parameters keep scikit-learn's names and meanings; each docstring gives the relation to the
lecture's symbols. Inputs are checked with scikit-learn's own `validate_data` (its errors and
wording), fitted attributes are NumPy arrays ending in `_`, and the estimators pickle.
"""

import functools
import warnings

import jax
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn import logistic, nn, svm
from jaxlearn._errors import ConvergenceWarning
from jaxlearn.features import Standardizer, fit_standardizer, polynomial_features, standardize, unstandardize
from jaxlearn.linear import solve
from jaxlearn.train import TrainConfig
from jaxlearn.train import fit as train_mlp
from jaxlearn.train import predict as predict_mlp


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


def _with_bias(X):
    return np.column_stack([np.ones(X.shape[0], X.dtype), X])


def _float(X):
    return X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float64)


class _LinearRegressor(RegressorMixin, BaseEstimator):
    """Shared fit/predict of LinearRegression and Ridge: θ = solve([1, X], y, λ)."""

    def _lam(self, n_samples):
        return 0.0

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        design = _with_bias(X) if self.fit_intercept else X
        theta = np.asarray(solve(design, y.astype(X.dtype), lam=self._lam(X.shape[0]), method=self.solver,
                                 penalize_bias=not self.fit_intercept))
        self.coef_ = theta[1:] if self.fit_intercept else theta
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_.astype(X.dtype) + self.intercept_


class LinearRegression(_LinearRegressor):
    """Ordinary least squares, θ minimising (1/2M)‖Xθ − y‖² (lecture eqs. 7, 15).

    Parameters:
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

    Parameters:
        alpha: α ≥ 0; solver: a `jaxlearn.solve` method; fit_intercept: unpenalised bias.

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
        if not np.isscalar(self.alpha) or self.alpha < 0:
            raise ValueError(f"alpha must be a number ≥ 0, got {self.alpha!r}")
        return float(self.alpha) / n_samples


class PolynomialFeatures(TransformerMixin, BaseEstimator):
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
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.n_output_features_ = polynomial_features(X[:1], self.degree, self.include_bias).shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return np.asarray(polynomial_features(X, self.degree, self.include_bias))


class StandardScaler(TransformerMixin, BaseEstimator):
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
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        scaler = fit_standardizer(X, keep_constant=False)
        self.mean_ = np.asarray(scaler.mean) if self.with_mean else np.zeros(X.shape[1], X.dtype)
        self.scale_ = np.asarray(scaler.scale) if self.with_std else np.ones(X.shape[1], X.dtype)
        return self

    def _scaler(self):
        return Standardizer(self.mean_, self.scale_)

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return np.asarray(standardize(self._scaler(), X))

    def inverse_transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return np.asarray(unstandardize(self._scaler(), X))


class _Classifier(ClassifierMixin, BaseEstimator):
    def _targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"The number of classes has to be greater than one; got {len(self.classes_)} class")
        return X, encoded

    def _X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def predict(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class _LinearClassifier(_Classifier):
    """Scores X wᵀ + b from coef_ (K or 1, N) and intercept_; C validated like scikit-learn's."""

    def _check_C(self):
        if not np.isscalar(self.C) or self.C <= 0:
            raise ValueError(f"C must be a number > 0, got {self.C!r}")

    def decision_function(self, X):
        X = self._X(X)
        scores = X @ self.coef_.T.astype(X.dtype) + self.intercept_.astype(X.dtype)
        return scores[:, 0] if len(self.classes_) == 2 else scores


class LogisticRegression(_LinearClassifier):
    """Logistic regression, binary (sigmoid) or multinomial (softmax), L2-penalised.

    scikit-learn's objective C·Σ loss + ½‖w‖² is the lecture's (1/M)Σ loss + λ/2‖w‖² with
    λ = 1/(C·M); the intercept is not penalised.

    Parameters:
        C: inverse regularisation strength > 0; tol: gradient tolerance; max_iter: iterations.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LogisticRegression
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array(["no", "no", "yes", "yes"])
        >>> LogisticRegression().fit(X, y).predict(np.array([[-3.0], [3.0]])).tolist()
        ['no', 'yes']
    """

    def __init__(self, C=1.0, *, tol=1e-4, max_iter=100):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        self._check_C()
        lam, design = 1.0 / (self.C * X.shape[0]), _with_bias(X)
        if len(self.classes_) == 2:
            result = logistic.fit(design, encoded.astype(X.dtype), lam, penalize_bias=False, tol=self.tol,
                                  max_iter=self.max_iter)
            theta = np.asarray(result.theta)[:, None]
        else:
            result = logistic.fit_softmax(design, encoded, lam, penalize_bias=False, tol=self.tol,
                                          max_iter=self.max_iter)
            theta = np.asarray(result.theta)
        self.intercept_, self.coef_ = theta[0], theta[1:].T
        self.n_iter_ = np.array([result.n_iter])
        return self

    def predict_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = np.asarray(logistic.sigmoid(scores))
            return np.column_stack([1 - p, p])
        return np.asarray(jax.nn.softmax(scores, axis=1))


class LinearSVC(_LinearClassifier):
    """Linear SVM with the hinge loss, one-vs-rest for more than two classes.

    Minimises ½‖w‖² + C Σ max(0, 1 − y(wᵀx + b)) with an unpenalised b: the lecture's eq. 36 with
    its C equal to C·M here. (scikit-learn's LinearSVC defaults to the squared hinge and
    penalises the intercept; this one is the lecture's SVM.)

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LinearSVC
        >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0], [4.0, 4.0]]); y = np.array([0, 0, 1, 1])
        >>> LinearSVC(C=10.0).fit(X, y).predict(np.array([[0.5, 0.0], [3.5, 4.0]])).tolist()
        [0, 1]
    """

    def __init__(self, C=1.0, *, max_iter=2000):
        self.C = C
        self.max_iter = max_iter

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        self._check_C()
        problems = [1] if len(self.classes_) == 2 else range(len(self.classes_))
        models = [svm.fit_linear_svm(X, np.where(encoded == k, 1.0, -1.0).astype(X.dtype), self.C * X.shape[0],
                                     max_iter=self.max_iter) for k in problems]
        self.coef_ = np.stack([np.asarray(m.w) for m in models])
        self.intercept_ = np.array([float(m.b) for m in models])
        self.n_iter_ = self.max_iter  # L-BFGS iterations per smoothing stage, at most
        return self


class SVC(_Classifier):
    """Kernel SVM solved in the dual by SMO (`jaxlearn.svm.fit_kernel_svm`), one-vs-one.

    Parameters as scikit-learn's SVC: C (the box 0 ≤ a ≤ C), kernel ("linear", "poly",
    "rbf", "sigmoid", or "laplacian"), degree, gamma ("scale", "auto" or a number), coef0,
    tol, max_iter (−1: libsvm's default limit). decision_function_shape "ovr" (scikit-learn's
    default transformation of the one-vs-one scores) or "ovo".

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import SVC
        >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.9]]); y = np.array([0, 0, 1, 1])
        >>> SVC(C=1.0).fit(X, y).predict(np.array([[0.1, 0.0], [3.0, 3.1]])).tolist()
        [0, 1]
    """

    def __init__(self, C=1.0, *, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3, max_iter=-1,
                 decision_function_shape="ovr"):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        kernel = {"poly": "polynomial"}.get(self.kernel, self.kernel)
        model = svm.fit_kernel_svm(X, encoded, kernel, self.C, gamma=self.gamma, coef0=self.coef0,
                                   degree=self.degree, tol=self.tol,
                                   max_iter=None if self.max_iter == -1 else self.max_iter)
        self.model_ = model
        self.support_ = np.asarray(model.support)
        self.support_vectors_ = np.asarray(model.support_vectors)
        self.dual_coef_ = np.asarray(model.dual_coef).T      # (P, S): a_m y_m per class-pair problem
        self.intercept_ = np.asarray(model.intercept)
        self.n_iter_ = np.asarray(model.n_iter)
        return self

    def decision_function(self, X):
        X = self._X(X)
        scores = np.asarray(svm.decision_function(self.model_, X))
        if scores.ndim == 1 or self.decision_function_shape == "ovo":
            return scores
        return np.asarray(svm.ovr_decision_function(self.model_, scores))

    def predict(self, X):
        X = self._X(X)
        return self.classes_[np.asarray(svm.predict(self.model_, X))]


class MLPClassifier(_Classifier):
    """A multilayer perceptron trained by `jaxlearn.train.fit` (jitted epochs, softmax cross-entropy).

    Parameters as scikit-learn's: hidden_layer_sizes, activation ("relu", "logistic", "tanh",
    "identity"), solver ("adam", "sgd"), learning_rate_init, batch_size ("auto" = min(200, M)),
    max_iter (epochs), random_state (seed; None = 0, runs are always reproducible).
    Differences: no L2 penalty (alpha) and no early stopping; the last partial batch of each
    (shuffled) epoch is dropped.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import MLPClassifier
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10); y = np.array([0, 1, 1, 0] * 10)
        >>> MLPClassifier((16,), learning_rate_init=0.05, max_iter=200, random_state=0).fit(X, y).score(X, y)
        1.0
    """

    def __init__(self, hidden_layer_sizes=(100,), *, activation="relu", solver="adam", learning_rate_init=1e-3,
                 batch_size="auto", max_iter=200, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state

    def _config(self, n_samples, dtype):
        batch = min(200, n_samples) if self.batch_size == "auto" else min(int(self.batch_size), n_samples)
        return TrainConfig(hidden=tuple(np.atleast_1d(self.hidden_layer_sizes).tolist()),
                           activation={"logistic": "sigmoid"}.get(self.activation, self.activation),
                           optimizer=self.solver, learning_rate=self.learning_rate_init, schedule="constant",
                           batch_size=batch, epochs=self.max_iter,
                           seed=0 if self.random_state is None else int(self.random_state),
                           dtype=np.dtype(dtype).name)

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        self.config_ = self._config(X.shape[0], X.dtype)
        state, history = train_mlp(self.config_, X, encoded.astype(np.int32), n_classes=len(self.classes_),
                                   progress=False)
        self.coefs_ = [np.asarray(W).T for W, _ in state.params]       # scikit-learn's (n_in, n_out)
        self.intercepts_ = [np.asarray(b) for _, b in state.params]
        self.loss_curve_ = [h["train_loss"] for h in history]
        self.n_iter_ = len(history)
        return self

    def _params(self):
        return [(W.T, b) for W, b in zip(self.coefs_, self.intercepts_)]

    def predict_proba(self, X):
        X = self._X(X)
        return np.asarray(nn.forward(self._params(), X.astype(self.coefs_[0].dtype),
                                     activation=self.config_.activation))

    def predict(self, X):
        X = self._X(X)
        return self.classes_[predict_mlp(self._params(), X.astype(self.coefs_[0].dtype), self.config_)]
