"""Kernel ridge regression as scikit-learn's `KernelRidge`, and `KernelRidgeCV` (α, and γ, by exact
leave-one-out), over `jaxlearn.kernel_ridge`."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn import kernel_ridge
from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import check_grid
from jaxlearn.estimators._base import FLOATS, NON_NEGATIVE, _InputPrecision, check_hyperparameters
from jaxlearn.kernels import ALIASES, gram, make_kernel

# scikit-learn's kernel names (pairwise_kernels) that jaxlearn.kernels computes
_KERNEL_NAMES = ("linear", "rbf", "poly", "polynomial", "sigmoid", "laplacian")


def _dual_coef(X, y, alpha: float, kernel):
    """(K + αI)⁻¹ y by Cholesky; where K + αI is not positive definite (a sigmoid kernel, α = 0 with
    repeated rows) the least-squares solution with scikit-learn's warning, as its KernelRidge does."""
    try:
        return np.asarray(kernel_ridge.fit(X, y, alpha / X.shape[0], kernel))
    except SingularMatrixError:
        warnings.warn("Singular matrix in solving dual problem. Using least-squares solution instead.",
                      UserWarning, stacklevel=4)
        K = np.asarray(gram(kernel, X)) + alpha * np.eye(X.shape[0], dtype=X.dtype)
        return np.linalg.lstsq(K, y, rcond=None)[0].astype(X.dtype)


class _KernelRegressor(_InputPrecision, RegressorMixin, BaseEstimator):
    """What KernelRidge and KernelRidgeCV share: the kernel from (kernel, gamma, degree, coef0),
    the data checks and predict f(X) = K(X, X_fit_) dual_coef_."""

    def _kernel(self, n_features, gamma=None):
        name = self.kernel
        if callable(name) or name == "precomputed" or name not in _KERNEL_NAMES:
            known = ", ".join(repr(k) for k in _KERNEL_NAMES)
            raise ValueError(f"{type(self).__name__}: kernel={name!r} is not supported; use one of {known} "
                             "(jaxlearn computes these in blocks on the device; a callable or a precomputed Gram "
                             "matrix is not supported)")
        gamma = self.gamma if gamma is None else gamma
        gamma = 1.0 / n_features if gamma is None else gamma            # scikit-learn's default for gamma=None
        check_hyperparameters(self, degree=dict(minimum=1, integer=True), coef0={})
        return make_kernel(ALIASES.get(name, name), gamma=gamma, coef0=self.coef0, degree=int(self.degree))

    def _data(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True, dtype=FLOATS)
        if y.dtype.kind not in "iufb":
            raise ValueError(f"y must hold numbers (regression targets), got dtype {y.dtype}")
        return X, y.astype(X.dtype)

    def predict(self, X):
        """f(X) = K(X, X_fit_) dual_coef_: (M*,) or (M*, K)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        return np.asarray(kernel_ridge.predict(self.X_fit_.astype(X.dtype), self.dual_coef_.astype(X.dtype), X,
                                               self.kernel_))

    def predict_gradient(self, X):
        """∂f(x)/∂x (M*, N) at each row of X, in closed form (`jaxlearn.kernel_ridge.predict_gradient`);
        one target only."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        if self.dual_coef_.ndim != 1:
            raise ValueError(f"predict_gradient needs a model of one target; this one has {self.dual_coef_.shape[1]}")
        return np.asarray(kernel_ridge.predict_gradient(self.X_fit_.astype(X.dtype), self.dual_coef_.astype(X.dtype),
                                                        X, self.kernel_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = False          # y may be (M, K)
        return tags


class KernelRidge(_KernelRegressor):
    """Kernel ridge regression, as scikit-learn's: dual_coef_ = (K + α I)⁻¹ y, f(x) = Σ_m
    dual_coef_m k(x, x_m).

    In the lecture's form, the ridge loss (1/M) Σ (θᵀφ(x_m) − y_m)² + λ‖θ‖² in the feature space
    of k, this is λ = α / M (`jaxlearn.kernel_ridge.fit` solves (K + λMI)⁻¹ y by Cholesky).

    Args:
        alpha: α > 0 (a number; 0 only where K itself is positive definite).
        kernel: "linear", "rbf", "poly" / "polynomial", "sigmoid" or "laplacian" (scikit-learn's names).
        gamma: γ of rbf, poly, sigmoid, laplacian (default, None: 1 / n_features, as scikit-learn).
        degree, coef0: of poly (γ xᵀx' + coef0)^degree and sigmoid.

    Attributes: dual_coef_ (M,) or (M, K), X_fit_ (M, N), kernel_ (the `jaxlearn.kernels.Kernel`), n_features_in_.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import KernelRidge
        >>> X = np.linspace(0, 3, 20)[:, None]; y = np.sin(2 * X[:, 0])
        >>> model = KernelRidge(alpha=1e-3, kernel="rbf", gamma=2.0).fit(X, y)
        >>> round(float(model.predict([[1.0]])[0]), 2), round(float(np.sin(2.0)), 2)
        (0.91, 0.91)
    """

    def __init__(self, alpha=1.0, *, kernel="linear", gamma=None, degree=3, coef0=1):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0

    def fit(self, X, y):
        X, y = self._data(X, y)
        if not isinstance(self.alpha, numbers.Real):
            raise TypeError(f"KernelRidge: alpha must be one number (per-target alphas are not supported), got "
                            f"{type(self.alpha).__name__}")
        check_hyperparameters(self, alpha=NON_NEGATIVE)
        self.kernel_ = self._kernel(X.shape[1])
        self.dual_coef_ = _dual_coef(X, y, float(self.alpha), self.kernel_)
        self.X_fit_ = X
        return self


class KernelRidgeCV(_KernelRegressor):
    """Kernel ridge regression with α (and, given several, γ) chosen by exact leave-one-out, as
    `RidgeCV` chooses α: every α of the grid from one eigendecomposition of K per γ
    (`jaxlearn.kernel_ridge.loo_grid`), no refits; then one fit with the best pair.

    Args:
        alphas: the α > 0 to try (scikit-learn's α: (K + α I)⁻¹ y, λ = α / M).
        kernel, degree, coef0: as `KernelRidge` (kernel="linear" takes no gamma).
        gamma: one γ, a sequence of γ to try, or None (1 / n_features).

    Attributes: alpha_, gamma_ (None for the linear kernel), best_score_ (−mean squared leave-one-out
    error of the best pair), loo_mse_ (n_γ, n_α), dual_coef_, X_fit_, kernel_.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import KernelRidgeCV
        >>> rng = np.random.default_rng(0)
        >>> X = rng.uniform(0, 3, size=(40, 1)); y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=40)
        >>> model = KernelRidgeCV(alphas=[1e-3, 1e-1, 10.0], kernel="rbf", gamma=[0.1, 1.0, 10.0]).fit(X, y)
        >>> model.alpha_, model.gamma_
        (0.001, 0.1)
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, kernel="rbf", gamma=None, degree=3, coef0=1):
        self.alphas = alphas
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0

    def fit(self, X, y):
        X, y = self._data(X, y)
        if X.shape[0] < 2:
            raise ValueError(f"leave-one-out cross-validation needs at least 2 samples, got {X.shape[0]} sample")
        alphas = check_grid(self.alphas, "alphas", strictly_positive=True)
        M = X.shape[0]
        kernel = self._kernel(X.shape[1], gamma=1.0)                    # name, degree, coef0 checked
        if kernel.name == "linear":
            residuals = np.asarray(kernel_ridge.loo_residuals(gram(kernel, X), y, alphas / M))
            mse, gammas = np.mean(residuals.reshape(len(alphas), M, -1) ** 2, axis=1).sum(axis=1)[None], [None]
        else:
            gammas = [1.0 / X.shape[1]] if self.gamma is None else check_grid(np.atleast_1d(self.gamma), "gamma",
                                                                            strictly_positive=True)
            mse = kernel_ridge.loo_grid(X, y, alphas / M, gammas, kernel).mse
        finite = np.where(np.isfinite(mse), mse, np.inf)
        best_gamma, best_alpha = np.unravel_index(np.argmin(finite), mse.shape)
        self.loo_mse_ = mse
        self.alpha_ = float(alphas[best_alpha])
        self.gamma_ = None if gammas[best_gamma] is None else float(gammas[best_gamma])
        self.best_score_ = -float(mse[best_gamma, best_alpha])
        self.kernel_ = self._kernel(X.shape[1], gamma=1.0 if self.gamma_ is None else self.gamma_)
        self.dual_coef_ = _dual_coef(X, y, self.alpha_, self.kernel_)
        self.X_fit_ = X
        return self


__all__ = ["KernelRidge", "KernelRidgeCV"]
