"""LinearSVC (primal hinge loss) and SVC (SMO in the dual) over `jaxlearn.svm`."""

from itertools import combinations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

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
    """Linear SVM in the primal, one-vs-rest for more than two classes: scikit-learn 1.9's
    parameters, liblinear's objective.

    Minimises ½‖w̃‖² + C Σ_m c_m ℓ(y_m (wᵀx_m + b)) with ℓ the squared hinge max(0, 1 − t)²
    (loss="squared_hinge", scikit-learn's default) or the hinge max(0, 1 − t) (loss="hinge", the
    lecture's eq. 36 with its C equal to C·M here), c_m the class weight of sample m. As
    liblinear, the intercept is the weight of a synthetic feature of value intercept_scaling,
    penalised with the others: w̃ = (w, b / intercept_scaling). penalty="l1" replaces ½‖w̃‖² by
    ‖w̃‖₁ (sparse weights; squared hinge only). `jaxlearn.svm.fit_linear_svm` solves it:
    L-BFGS on the squared hinge (FISTA for "l1"), and on the hinge smoothed stage by stage.

    Args:
        penalty: "l2" or "l1" (with loss="squared_hinge" and dual=False, as scikit-learn).
        loss: "squared_hinge" or "hinge".
        dual: "auto", True or False: accepted with scikit-learn's rules (dual=True with "l1",
            and dual=False with "hinge", are refused as there); jaxlearn solves the primal,
            whose solution is the dual's.
        tol: each stage's tolerance on ‖∇(J/(C·M))‖_∞, 1e-4 in both dtypes.
        C: > 0.
        multi_class: "ovr" (one-vs-rest); "crammer_singer" is not implemented.
        fit_intercept, intercept_scaling: as liblinear (above).
        class_weight: None, "balanced" or {class: weight}, as liblinear weighs them: for two
            classes each sample by its class's weight; for more, one-vs-rest problem k weighs
            class k by its weight and the other samples by 1 (then solved one by one).
        verbose, random_state: accepted; they change nothing (the solver is deterministic).
        max_iter: iterations per stage.

    Attributes:
        coef_: (n_classes or 1, N) weights.
        intercept_: the biases (0.0 without fit_intercept, as scikit-learn's).
        n_iter_: the solver's iterations, all stages together.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import LinearSVC
        >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0], [4.0, 4.0]]); y = np.array([0, 0, 1, 1])
        >>> LinearSVC(C=10.0).fit(X, y).predict(np.array([[0.5, 0.0], [3.5, 4.0]])).tolist()
        [0, 1]
    """

    def __init__(self, penalty="l2", loss="squared_hinge", *, dual="auto", tol=1e-4, C=1.0, multi_class="ovr",
                 fit_intercept=True, intercept_scaling=1, class_weight=None, verbose=0, random_state=None,
                 max_iter=1000):
        self.penalty = penalty
        self.loss = loss
        self.dual = dual
        self.tol = tol
        self.C = C
        self.multi_class = multi_class
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.verbose = verbose
        self.random_state = random_state
        self.max_iter = max_iter

    def _check_options(self):
        """scikit-learn's rules for penalty, loss and dual, in its words and with what to use."""
        if self.penalty not in ("l1", "l2"):
            raise ValueError(f"LinearSVC: unknown penalty {self.penalty!r}; valid options are 'l1', 'l2'")
        if self.loss not in ("hinge", "squared_hinge"):
            raise ValueError(f"LinearSVC: unknown loss {self.loss!r}; valid options are 'hinge', 'squared_hinge'")
        if self.dual not in ("auto", True, False):
            raise ValueError(f"LinearSVC: dual must be 'auto', True or False, got {self.dual!r}")
        if self.multi_class != "ovr":
            raise ValueError(f"LinearSVC: multi_class={self.multi_class!r} is not implemented; use 'ovr' "
                             "(one-vs-rest), or SVC(kernel='linear') for one-vs-one")
        if self.penalty == "l1" and self.loss == "hinge":
            raise ValueError("LinearSVC: penalty='l1' with loss='hinge' is not supported (as in scikit-learn); "
                             "use loss='squared_hinge'")
        if self.penalty == "l1" and self.dual is True:
            raise ValueError("LinearSVC: penalty='l1' needs dual=False (or 'auto'), as in scikit-learn")
        if self.loss == "hinge" and self.dual is False:
            raise ValueError("LinearSVC: loss='hinge' needs dual=True (or 'auto'), as in scikit-learn")

    @_sklearn_warnings
    def fit(self, X, y, sample_weight=None):
        X, encoded = self._targets(X, y)
        check_hyperparameters(self, C=POSITIVE, max_iter=COUNT, tol=POSITIVE, intercept_scaling=POSITIVE)
        self._check_options()
        K = len(self.classes_)
        base = _check_sample_weight(sample_weight, np.ones((X.shape[0], 1)))
        class_weights = None if self.class_weight is None else compute_class_weight(
            self.class_weight, classes=self.classes_, y=np.asarray(y).ravel())
        if self.class_weight is None or K == 2:
            # two classes: one problem, y ±1 (M,); more: all one-vs-rest problems in one solve, y (M, K)
            targets = (np.where(encoded == 1, 1.0, -1.0) if K == 2 else
                       np.stack([np.where(encoded == k, 1.0, -1.0) for k in range(K)], axis=1))
            weight = base if class_weights is None else base * class_weights[encoded]
            results = [self._solve(X, targets, weight)]
        else:   # liblinear's one-vs-rest with class weights: problem k weighs class k by its weight, the rest by 1
            results = [self._solve(X, np.where(encoded == k, 1.0, -1.0),
                                   base * np.where(encoded == k, class_weights[k], 1.0)) for k in range(K)]
        self.coef_ = np.concatenate([np.asarray(r.theta.w).reshape(-1, X.shape[1]) for r in results])
        self.intercept_ = (np.concatenate([np.asarray(r.theta.b).reshape(-1) for r in results]) if self.fit_intercept
                           else 0.0)
        self.n_iter_ = sum(r.n_iter for r in results)  # solver iterations over all stages (and problems)
        return self

    def _solve(self, X, targets, weight):
        return svm.fit_linear_svm(X, targets.astype(X.dtype), self.C * X.shape[0], loss=self.loss,
                                  penalty=self.penalty, fit_intercept=self.fit_intercept,
                                  intercept_scaling=float(self.intercept_scaling), sample_weight=weight,
                                  tol=self.tol, max_iter=self.max_iter)


class SVC(_Classifier):
    """Kernel SVM solved in the dual by SMO (`jaxlearn.svm.fit_kernel_svm`), one-vs-one.

    Parameters as scikit-learn's SVC: C (the box 0 ≤ a ≤ C), kernel ("linear", "poly",
    "rbf", "sigmoid", or "laplacian"), degree, gamma ("scale", "auto" or a number), coef0,
    tol, max_iter (−1: libsvm's default limit). decision_function_shape "ovr" (scikit-learn's
    default transformation of the one-vs-one scores) or "ovo". solver: "auto" (default), "gram"
    (the whole kernel matrix) or "working_set" (q = working_set_size kernel rows at a time, for
    any number of samples); see `jaxlearn.svm.fit_kernel_svm`. probability=True adds libsvm's
    `predict_proba`: Platt sigmoids on 5-fold out-of-fold scores, coupled over the class pairs
    (`jaxlearn.svm.platt`; the folds are shuffled with random_state, 0 when None). break_ties:
    predict by the arg-max of the "ovr" scores instead of the vote, as scikit-learn's. shrinking,
    cache_size and verbose are accepted for scikit-learn's signature and change nothing (SMO
    here keeps the whole kernel matrix, or its working set's rows, in memory). class_weight:
    None, "balanced" or {class: weight}, as libsvm's: sample m's box becomes 0 ≤ a_m ≤ C w_m, w_m
    the weight of its class (`class_weight_`). For kernel="linear", coef_ gives the pair
    problems' weights.
    dual_coef_ (pairs, support vectors) and intercept_ carry scikit-learn's signs.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import SVC
        >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.1, 2.9]]); y = np.array([0, 0, 1, 1])
        >>> SVC(C=1.0).fit(X, y).predict(np.array([[0.1, 0.0], [3.0, 3.1]])).tolist()
        [0, 1]
    """

    def __init__(self, C=1.0, *, kernel="rbf", degree=3, gamma="scale", coef0=0.0, probability=False, tol=1e-3,
                 max_iter=-1, decision_function_shape="ovr", random_state=None, solver="auto",
                 working_set_size=512, shrinking=True, cache_size=200, class_weight=None, verbose=False,
                 break_ties=False):
        self.shrinking = shrinking
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.verbose = verbose
        self.break_ties = break_ties
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
        self.class_weight_ = (np.ones(len(self.classes_)) if self.class_weight is None else
                              compute_class_weight(self.class_weight, classes=self.classes_, y=self.classes_[encoded]))
        if np.any(self.class_weight_ <= 0):
            raise ValueError(f"SVC: class_weight gives class {self.classes_[self.class_weight_ <= 0][0].tolist()!r} "
                             "a weight ≤ 0, which leaves its one-vs-one problems without a solution; give every "
                             "class a positive weight, or drop the class")
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("SVC: break_ties must be False when decision_function_shape is 'ovo' (as in "
                             "scikit-learn)")
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
        # (P, S): a_m y_m per class-pair problem. Signs as scikit-learn's: for more than two classes
        # libsvm's, positive towards the pair's first class (jaxlearn's pairs score the second)
        sign = 1.0 if len(self.classes_) == 2 else -1.0
        self.dual_coef_ = sign * np.asarray(model.dual_coef).T
        self.intercept_ = sign * np.asarray(model.intercept)
        self.n_iter_ = np.asarray(model.n_iter)
        return self

    def _fit_model(self, X, encoded):
        weights = None if np.all(self.class_weight_ == 1) else self.class_weight_[encoded]
        return svm.fit_kernel_svm(X, encoded, self.kernel, self.C, gamma=self.gamma, coef0=self.coef0,
                                  degree=self.degree, tol=self.tol,
                                  max_iter=None if self.max_iter == -1 else self.max_iter, solver=self.solver,
                                  working_set_size=self.working_set_size, sample_weight=weights)

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

    @property
    def coef_(self):
        """Weights (pairs, N) of the linear kernel's pair problems, w_p = Σ_s dual_coef_[p, s] x_s.

        Only for kernel='linear', as scikit-learn's.
        """
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel")
        check_is_fitted(self)
        return self.dual_coef_ @ self.support_vectors_

    def decision_function(self, X):
        X = self._X(X)
        scores = np.asarray(svm.decision_function(self.model_, X), X.dtype)
        if scores.ndim == 1 or self.decision_function_shape == "ovo":
            return scores
        return np.asarray(svm.ovr_decision_function(self.model_, scores), X.dtype)

    def predict(self, X):
        if self.break_ties and self.decision_function_shape == "ovr" and len(self.classes_) > 2:
            return self.classes_[np.argmax(self.decision_function(X), axis=1)]   # scikit-learn's break_ties
        X = self._X(X)
        return self.classes_[np.asarray(svm.predict(self.model_, X))]
