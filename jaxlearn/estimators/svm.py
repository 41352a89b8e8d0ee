"""LinearSVC (primal hinge loss) and SVC (SMO in the dual) over `jaxlearn.svm`."""

from itertools import combinations

import numpy as np
from sklearn.utils.metaestimators import available_if

from jaxlearn import svm
from jaxlearn.estimators._base import (
    COUNT,
    POSITIVE,
    _Classifier,
    _in_input_precision,
    _LinearClassifier,
    _sklearn_warnings,
    check_hyperparameters,
)
from jaxlearn.svm import platt


class LinearSVC(_LinearClassifier):
    """Linear SVM with the hinge loss, one-vs-rest for more than two classes.

    Minimises ½‖w‖² + C Σ max(0, 1 − y(wᵀx + b)) with an unpenalised b: the lecture's eq. 36 with
    its C equal to C·M here. (scikit-learn's LinearSVC defaults to the squared hinge and
    penalises the intercept; this one is the lecture's SVM.)

    Args:
        C: > 0.
        tol: each smoothing stage's tolerance on ‖∇(J/C)‖_∞ (`jaxlearn.svm.fit_linear_svm`),
            1e-4 in both dtypes (scikit-learn's default tol).
        max_iter: L-BFGS iterations per stage.

    Attributes:
        coef_: (n_classes or 1, N) weights.
        intercept_: the biases.
        n_iter_: the L-BFGS iterations taken, all stages together.

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
    any number of samples); see `jaxlearn.svm.fit_kernel_svm`. probability=True adds libsvm's
    `predict_proba`: Platt sigmoids on 5-fold out-of-fold scores, coupled over the class pairs
    (`jaxlearn.svm.platt`; the folds are shuffled with random_state, 0 when None).

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import SVC
        >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.9]]); y = np.array([0, 0, 1, 1])
        >>> SVC(C=1.0).fit(X, y).predict(np.array([[0.1, 0.0], [3.0, 3.1]])).tolist()
        [0, 1]
    """

    def __init__(self, C=1.0, *, kernel="rbf", degree=3, gamma="scale", coef0=0.0, probability=False, tol=1e-3,
                 max_iter=-1, decision_function_shape="ovr", random_state=None, solver="auto",
                 working_set_size=512):
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
        self.probability = probability
        self.random_state = random_state

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, C=POSITIVE, tol=POSITIVE, degree=COUNT, coef0={})
        if self.max_iter != -1:
            check_hyperparameters(self, max_iter=COUNT)
        model = self._fit_model(X, encoded)
        if self.probability:
            self._fit_probability(X, encoded)
        # NumPy, not JAX arrays: a pickled float64 model must load as float64 whatever x64 is then
        self.model_ = model._replace(support_vectors=np.asarray(model.support_vectors),
                                     dual_coef=np.asarray(model.dual_coef), intercept=np.asarray(model.intercept))
        self.support_ = np.asarray(model.support)
        self.support_vectors_ = np.asarray(model.support_vectors)
        self.dual_coef_ = np.asarray(model.dual_coef).T      # (P, S): a_m y_m per class-pair problem
        self.intercept_ = np.asarray(model.intercept)
        self.n_iter_ = np.asarray(model.n_iter)
        return self

    def _fit_model(self, X, encoded):
        return svm.fit_kernel_svm(X, encoded, self.kernel, self.C, gamma=self.gamma, coef0=self.coef0,
                                  degree=self.degree, tol=self.tol,
                                  max_iter=None if self.max_iter == -1 else self.max_iter, solver=self.solver,
                                  working_set_size=self.working_set_size)

    def _fit_probability(self, X, encoded):
        """libsvm's probability=True (`jaxlearn.svm.platt`): out-of-fold scores of every class pair
        from a stratified 5-fold cross-validation, then one Platt sigmoid per pair (probA_, probB_)."""
        from sklearn.model_selection import StratifiedKFold

        folds = min(5, int(np.bincount(encoded).min()))
        if folds < 2:
            raise ValueError("SVC(probability=True) needs at least 2 samples of every class (its Platt scaling "
                             "cross-validates the scores)")
        if self.random_state is not None:
            check_hyperparameters(self, random_state=dict(minimum=0, integer=True))
        seed = 0 if self.random_state is None else int(self.random_state)     # reproducible either way
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        pairs = np.array(list(combinations(range(len(self.classes_)), 2)))
        scores = np.zeros((X.shape[0], len(pairs)))
        for train, held_out in splitter.split(X, encoded):
            model = self._fit_model(X[train], encoded[train])
            scores[held_out] = np.asarray(svm.decision_function(model, X[held_out]), np.float64).reshape(
                len(held_out), len(pairs))
        self.probA_, self.probB_ = np.zeros(len(pairs)), np.zeros(len(pairs))
        for p, (first, second) in enumerate(pairs):
            members = (encoded == first) | (encoded == second)
            self.probA_[p], self.probB_[p] = platt.fit_sigmoid(scores[members, p], encoded[members] == second)

    def _predict_proba(self, X):
        """P(class | x) (M, K) by Platt scaling and, for K > 2, pairwise coupling (libsvm's; needs
        probability=True). As in scikit-learn, its arg-max can differ from predict's vote."""
        X = self._X(X)
        scores = np.asarray(svm.decision_function(self.model_, X), np.float64).reshape(X.shape[0], -1)
        second = platt.sigmoid_probability(scores, self.probA_[None, :], self.probB_[None, :])
        proba = platt.couple(np.asarray(self.model_.pairs), second, len(self.classes_))
        return proba.astype(X.dtype)

    # only with probability=True, as scikit-learn's (hasattr(svc, "predict_proba") says so)
    predict_proba = available_if(lambda self: self.probability)(_in_input_precision(_predict_proba, fitting=False))

    def decision_function(self, X):
        X = self._X(X)
        scores = np.asarray(svm.decision_function(self.model_, X), X.dtype)
        if scores.ndim == 1 or self.decision_function_shape == "ovo":
            return scores
        return np.asarray(svm.ovr_decision_function(self.model_, scores), X.dtype)

    def predict(self, X):
        X = self._X(X)
        return self.classes_[np.asarray(svm.predict(self.model_, X))]
