"""LogisticRegression: scikit-learn 1.9's signature over `jaxlearn.logistic` (Newton, L-BFGS,
and FISTA for the L1 and elastic-net penalties). Its cross-validated form is in
`jaxlearn.estimators.logistic_cv`."""

import warnings

import jax
import numpy as np

from jaxlearn import logistic
from jaxlearn._validation import check_scalar
from jaxlearn.estimators._base import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    _LinearClassifier,
    _sklearn_warnings,
    _with_bias,
    check_hyperparameters,
)

# scikit-learn's solver names, each mapped to the jaxlearn solver that does the same job: the
# smooth penalties (ρ = 0) by Newton (two classes) or L-BFGS (softmax), an L1 part by FISTA. The
# solution is the same optimum; what differs is the path to it. 'liblinear' also keeps its
# penalised intercept (intercept_scaling), which changes the optimum, as in scikit-learn.
SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")
SMOOTH_ONLY_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "sag")
PENALTIES = ("l1", "l2", "elasticnet", None)


def _penalty(estimator, l1_ratio, C=None):
    """(C, ρ) from C (the estimator's own C when not given: LogisticRegressionCV passes one of
    its checked Cs), l1_ratio and scikit-learn's deprecated penalty, checked against the solver
    as scikit-learn checks them."""
    name = type(estimator).__name__
    own_C = C is None
    C, penalty, solver = estimator.C if own_C else C, estimator.penalty, estimator.solver
    if solver not in SOLVERS:
        raise ValueError(f"{name}: unknown solver {solver!r}; valid options are {', '.join(map(repr, SOLVERS))} "
                         "(scikit-learn's names; each maps to a jaxlearn solver, see the docstring)")
    if l1_ratio is None:
        l1_ratio = 0.0
    if penalty != "deprecated":
        if penalty not in PENALTIES:
            raise ValueError(f"{name}: unknown penalty {penalty!r}; valid options are 'l1', 'l2', 'elasticnet', None "
                             "(deprecated in scikit-learn 1.8: set l1_ratio and C instead)")
        warnings.warn("'penalty' was deprecated in scikit-learn 1.8 and is removed in 1.10: use l1_ratio=0 for 'l2', "
                      "l1_ratio=1 for 'l1', 0 < l1_ratio < 1 for 'elasticnet' and C=np.inf for None", FutureWarning,
                      stacklevel=4)
        l1_ratio = {"l1": 1.0, "l2": 0.0, "elasticnet": l1_ratio, None: 0.0}[penalty]
        C = np.inf if penalty is None else C
    if own_C:
        check_hyperparameters(estimator, C=dict(minimum=0, strict=True, infinite=True))
    try:
        l1_ratio = check_scalar(l1_ratio, "l1_ratio", minimum=0, maximum=1)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: {err}") from None
    if l1_ratio > 0 and np.isinf(C):
        l1_ratio = 0.0                      # no penalty at all: the ratio of nothing
    if l1_ratio > 0 and solver in SMOOTH_ONLY_SOLVERS:
        raise ValueError(f"{name}: solver {solver!r} supports only the L2 penalty (l1_ratio=0) or none "
                         f"(C=np.inf), got l1_ratio={l1_ratio:g}: use solver='saga' (any l1_ratio) or 'liblinear' "
                         "(l1_ratio 0 or 1)")
    if solver == "liblinear" and 0 < l1_ratio < 1:
        raise ValueError(f"{name}: solver 'liblinear' supports l1_ratio 0 or 1, got {l1_ratio:g}: use solver='saga' "
                         "for the elastic net")
    if estimator.dual and not (solver == "liblinear" and l1_ratio == 0):
        raise ValueError(f"{name}: dual=True is implemented only for the L2 penalty (l1_ratio=0) with "
                         "solver='liblinear'")
    return float(C), float(l1_ratio)


class LogisticRegression(_LinearClassifier):
    """Logistic regression, binary (sigmoid) or multinomial (softmax), with an L2, L1 or
    elastic-net penalty: scikit-learn 1.9's parameters.

    scikit-learn's objective C·Σ s_m ℓ_m + (1 − ρ)/2‖w‖² + ρ‖w‖₁ is the lecture's
    (1/M)Σ s_m ℓ_m + λ[(1 − ρ)/2‖w‖² + ρ‖w‖₁] with λ = 1/(C·M) (`jaxlearn.logistic.fit`,
    `fit_softmax`); the intercept is not penalised, except with solver='liblinear' (below).

    Args:
        penalty: deprecated in scikit-learn 1.8, accepted with its FutureWarning: 'l2', 'l1',
            'elasticnet' (with l1_ratio) or None (C = ∞).
        C: inverse regularisation strength > 0; np.inf: no penalty.
        l1_ratio: ρ in [0, 1]: 0 the L2 penalty, 1 the L1 penalty (coefficients become exactly
            0), in between the elastic net.
        dual: False; True only with solver='liblinear' and ρ = 0, as scikit-learn's (the dual
            and primal problems have the same solution; jaxlearn solves the primal).
        tol: the gradient tolerance ‖∇L‖_∞ ≤ tol of the mean objective (for ρ > 0, of the
            proximal gradient map); with solver='liblinear', of its unscaled objective C Σ ℓ + r(w),
            as liblinear's. scikit-learn's solvers each measure their own, so fits agree to about tol.
        fit_intercept: add an intercept b.
        intercept_scaling: with solver='liblinear' only, as liblinear: x becomes [x, s], the
            synthetic feature's weight is penalised like the others, and b = s · weight.
        class_weight: None, "balanced" (n_samples / (n_classes · count of the class)) or
            {class: weight}, as scikit-learn's: sample m's loss is weighted by its class's weight;
            fit's sample_weight multiplies in.
        random_state: accepted for scikit-learn's signature; jaxlearn's solvers are
            deterministic and draw nothing.
        solver: scikit-learn's names, each mapped to the jaxlearn solver that does the same job:
            'lbfgs', 'newton-cg', 'newton-cholesky' and 'sag' (ρ = 0 only) run Newton's method
            for two classes and L-BFGS for more; 'saga' (any ρ) and 'liblinear' (ρ = 0 or 1, two
            classes) run FISTA when ρ > 0 (`jaxlearn.optim.proximal_gradient`) and the smooth
            solvers otherwise.
        max_iter: iterations of that solver.
        verbose, n_jobs: accepted for scikit-learn's signature; they change nothing (the fit is
            one compiled program on all cores).
        warm_start: start each fit from the previous fit's coef_ and intercept_ (when the
            classes and features are the same), as a path over C does.

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

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-4, fit_intercept=True,
                 intercept_scaling=1, class_weight=None, random_state=None, solver="lbfgs", max_iter=100, verbose=0,
                 warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    @_sklearn_warnings
    def fit(self, X, y, sample_weight=None):
        start = self._warm_start() if self.warm_start else None
        X, encoded = self._targets(X, y)
        C, l1_ratio = _penalty(self, self.l1_ratio)
        check_hyperparameters(self, tol=NON_NEGATIVE, max_iter=COUNT, intercept_scaling=POSITIVE)
        self._check_liblinear_classes()
        return self._fit_with_C(X, encoded, C, l1_ratio, self._sample_weight(y, sample_weight, X.shape[0]), start)

    def _check_liblinear_classes(self):
        if self.solver == "liblinear" and len(self.classes_) > 2:
            raise ValueError(f"{type(self).__name__}: solver 'liblinear' fits two classes only, got "
                             f"{len(self.classes_)}: use another solver (multinomial) or wrap it in "
                             "sklearn.multiclass.OneVsRestClassifier")

    def _warm_start(self):
        """The previous fit's (classes, coef_, intercept_) to start from, or None."""
        if not hasattr(self, "coef_"):
            return None
        return self.classes_, np.asarray(self.coef_), np.asarray(self.intercept_)

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

    def _design(self, X):
        """X with the bias column (1, or liblinear's synthetic feature s) and whether that
        column is penalised: (design, penalize_bias, bias scale or None)."""
        if not self.fit_intercept:
            return X, True, None
        if self.solver == "liblinear":
            scale = float(self.intercept_scaling)
            return np.column_stack([np.full(X.shape[0], scale, X.dtype), X]), True, scale
        return _with_bias(X), False, 1.0

    def _start(self, start, scale, n_features, n_outputs, dtype):
        """θ₀ (N[, K]) from a warm start of the same classes and features, else None."""
        if start is None:
            return None
        classes, coef, intercept = start
        if (len(classes) != len(self.classes_) or np.any(classes != self.classes_)
                or coef.shape != (n_outputs, n_features)):
            return None
        theta = coef.T if scale is None else np.vstack([np.asarray(intercept)[None, :] / scale, coef.T])
        return (theta[:, 0] if n_outputs == 1 else theta).astype(dtype)

    def _tol(self, C, n_samples):
        """The gradient tolerance in the lecture's mean objective: tol itself, except for liblinear,
        whose tol is on the gradient of its unscaled objective C Σ ℓ + r(w) = C·M × the mean one."""
        return self.tol / (C * n_samples) if self.solver == "liblinear" and np.isfinite(C) else self.tol

    def _fit_with_C(self, X, encoded, C, l1_ratio=0.0, sample_weight=None, start=None):
        lam = 0.0 if np.isinf(C) else 1.0 / (C * X.shape[0])
        design, penalize_bias, scale = self._design(X)
        K = len(self.classes_)
        theta0 = self._start(start, scale, X.shape[1], 1 if K == 2 else K, X.dtype)
        options = dict(l1_ratio=l1_ratio, penalize_bias=penalize_bias, tol=self._tol(C, X.shape[0]),
                       max_iter=self.max_iter, sample_weight=sample_weight, theta0=theta0)
        if K == 2:
            result = logistic.fit(design, encoded.astype(X.dtype), lam, **options)
            theta = np.asarray(result.theta)[:, None]
        else:
            result = logistic.fit_softmax(design, encoded, lam, **options)
            theta = np.asarray(result.theta)
        if scale is None:   # no intercept: scikit-learn's liblinear says 0.0, its other solvers zeros (classes,)
            self.intercept_ = 0.0 if self.solver == "liblinear" else np.zeros(theta.shape[1], theta.dtype)
            self.coef_ = theta.T
        else:
            self.intercept_, self.coef_ = scale * theta[0], theta[1:].T
        self.n_iter_ = np.array([result.n_iter])
        return self

    def predict_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = np.asarray(logistic.sigmoid(scores), scores.dtype)
            return np.column_stack([1 - p, p])
        return np.asarray(jax.nn.softmax(scores, axis=1), scores.dtype)

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))
