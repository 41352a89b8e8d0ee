"""LinearSVC (primal hinge loss) and SVC (SMO in the dual) over `jaxlearn.svm`."""

import numpy as np

from jaxlearn import svm
from jaxlearn.estimators._base import (
    COUNT,
    POSITIVE,
    _Classifier,
    _LinearClassifier,
    _sklearn_warnings,
    check_hyperparameters,
)


class LinearSVC(_LinearClassifier):
    """Linear SVM with the hinge loss, one-vs-rest for more than two classes.

    Minimises ½‖w‖² + C Σ max(0, 1 − y(wᵀx + b)) with an unpenalised b: the lecture's eq. 36 with
    its C equal to C·M here. (scikit-learn's LinearSVC defaults to the squared hinge and
    penalises the intercept; this one is the lecture's SVM.)

    Parameters:
        C: > 0. tol: each smoothing stage's tolerance on ‖∇(J/C)‖_∞ (`jaxlearn.svm.fit_linear_svm`),
        1e-4 in both dtypes (scikit-learn's default tol). max_iter: L-BFGS iterations per stage.

    Attributes: coef_, intercept_, n_iter_ (the L-BFGS iterations taken, all stages together).

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LinearSVC
        >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0], [4.0, 4.0]]); y = np.array([0, 0, 1, 1])
        >>> LinearSVC(C=10.0).fit(X, y).predict(np.array([[0.5, 0.0], [3.5, 4.0]])).tolist()
        [0, 1]
    """

    def __init__(self, C=1.0, *, tol=1e-4, max_iter=2000):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, C=POSITIVE, max_iter=COUNT)
        check_hyperparameters(self, tol=POSITIVE)
        # two classes: one problem, y ±1 (M,); more: all one-vs-rest problems in one solve, y (M, K)
        targets = (np.where(encoded == 1, 1.0, -1.0) if len(self.classes_) == 2 else
                   np.stack([np.where(encoded == k, 1.0, -1.0) for k in range(len(self.classes_))], axis=1))
        result = svm.fit_linear_svm(X, targets.astype(X.dtype), self.C * X.shape[0], tol=self.tol,
                                    max_iter=self.max_iter)
        self.coef_ = np.asarray(result.theta.w).reshape(-1, X.shape[1])
        self.intercept_ = np.asarray(result.theta.b).reshape(-1)
        self.n_iter_ = result.n_iter  # L-BFGS iterations over all smoothing stages
        return self


class SVC(_Classifier):
    """Kernel SVM solved in the dual by SMO (`jaxlearn.svm.fit_kernel_svm`), one-vs-one.

    Parameters as scikit-learn's SVC: C (the box 0 ≤ a ≤ C), kernel ("linear", "poly",
    "rbf", "sigmoid", or "laplacian"), degree, gamma ("scale", "auto" or a number), coef0,
    tol, max_iter (−1: libsvm's default limit). decision_function_shape "ovr" (scikit-learn's
    default transformation of the one-vs-one scores) or "ovo". solver: "auto" (default), "gram"
    (the whole kernel matrix) or "working_set" (q = working_set_size kernel rows at a time, for
    any number of samples); see `jaxlearn.svm.fit_kernel_svm`.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import SVC
        >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.9]]); y = np.array([0, 0, 1, 1])
        >>> SVC(C=1.0).fit(X, y).predict(np.array([[0.1, 0.0], [3.0, 3.1]])).tolist()
        [0, 1]
    """

    def __init__(self, C=1.0, *, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3, max_iter=-1,
                 decision_function_shape="ovr", solver="auto", working_set_size=512):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.solver = solver
        self.working_set_size = working_set_size

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, C=POSITIVE, tol=POSITIVE, degree=COUNT, coef0={})
        if self.max_iter != -1:
            check_hyperparameters(self, max_iter=COUNT)
        kernel = {"poly": "polynomial"}.get(self.kernel, self.kernel)
        model = svm.fit_kernel_svm(X, encoded, kernel, self.C, gamma=self.gamma, coef0=self.coef0,
                                   degree=self.degree, tol=self.tol,
                                   max_iter=None if self.max_iter == -1 else self.max_iter, solver=self.solver,
                                   working_set_size=self.working_set_size)
        # NumPy, not JAX arrays: a pickled float64 model must load as float64 whatever x64 is then
        self.model_ = model._replace(support_vectors=np.asarray(model.support_vectors),
                                     dual_coef=np.asarray(model.dual_coef), intercept=np.asarray(model.intercept))
        self.support_ = np.asarray(model.support)
        self.support_vectors_ = np.asarray(model.support_vectors)
        self.dual_coef_ = np.asarray(model.dual_coef).T      # (P, S): a_m y_m per class-pair problem
        self.intercept_ = np.asarray(model.intercept)
        self.n_iter_ = np.asarray(model.n_iter)
        return self

    def decision_function(self, X):
        X = self._X(X)
        scores = np.asarray(svm.decision_function(self.model_, X), X.dtype)
        if scores.ndim == 1 or self.decision_function_shape == "ovo":
            return scores
        return np.asarray(svm.ovr_decision_function(self.model_, scores), X.dtype)

    def predict(self, X):
        X = self._X(X)
        return self.classes_[np.asarray(svm.predict(self.model_, X))]
