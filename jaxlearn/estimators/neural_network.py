"""MLPClassifier over `jaxlearn.training`."""

import math

import numpy as np

from jaxlearn._errors import ConvergenceWarning, warn
from jaxlearn.estimators._base import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    _Classifier,
    _sklearn_warnings,
    check_hyperparameters,
)
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.evaluate import predict as predict_mlp
from jaxlearn.training.evaluate import predict_proba as predict_mlp_proba
from jaxlearn.training.loop import fit as train_mlp


class MLPClassifier(_Classifier):
    """A multilayer perceptron trained by `jaxlearn.training.fit` (jitted epochs, softmax cross-entropy).

    Parameters and defaults as scikit-learn's: hidden_layer_sizes, activation ("relu",
    "logistic", "tanh", "identity"), solver ("adam", "sgd"), alpha (the L2 penalty, as
    scikit-learn scales it: α/(2B) Σ‖W‖² on each batch of B), learning_rate_init (constant),
    batch_size ("auto" = min(200, M)), max_iter (epochs), tol and n_iter_no_change (training
    stops once the epoch's loss has not fallen by tol for n_iter_no_change epochs; a
    `ConvergenceWarning` when max_iter ends it first), random_state (seed; None = 0, runs are
    always reproducible). Initialised as scikit-learn's (`nn.init_mlp(init="glorot_uniform")`).
    Differences: each epoch runs ⌈M/B⌉ batches of one size, ⌊M/⌈M/B⌉⌋ (≤ B), so that one compiled
    program serves the epoch; the few samples left over are a different few in each shuffled
    epoch. No early_stopping on a validation split. It trains and predicts on one device; for
    data parallelism over several, use `jaxlearn.training.fit(..., devices=...)`.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import MLPClassifier
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10); y = np.array([0, 1, 1, 0] * 10)
        >>> MLPClassifier((16,), learning_rate_init=0.05, max_iter=200, random_state=0).fit(X, y).score(X, y)
        1.0
    """

    def __init__(self, hidden_layer_sizes=(100,), *, activation="relu", solver="adam", alpha=1e-4,
                 batch_size="auto", learning_rate_init=1e-3, max_iter=200, random_state=None, tol=1e-4,
                 n_iter_no_change=10):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change

    def _config(self, n_samples, dtype):
        check_hyperparameters(self, learning_rate_init=POSITIVE, max_iter=COUNT, alpha=NON_NEGATIVE,
                              tol=NON_NEGATIVE, n_iter_no_change=COUNT)
        if isinstance(self.batch_size, str) and self.batch_size != "auto":
            raise ValueError(f"MLPClassifier: batch_size must be 'auto' or an integer ≥ 1, got {self.batch_size!r}")
        if not isinstance(self.batch_size, str):
            check_hyperparameters(self, batch_size=COUNT)
        if self.random_state is not None:
            check_hyperparameters(self, random_state=dict(minimum=0, integer=True))
        sizes = np.atleast_1d(self.hidden_layer_sizes)
        if sizes.ndim != 1 or sizes.dtype.kind not in "iu" or np.any(sizes < 1):
            raise ValueError(f"MLPClassifier: hidden_layer_sizes must be positive integers such as (100,), "
                             f"got {self.hidden_layer_sizes!r}")
        largest = min(200, n_samples) if self.batch_size == "auto" else min(int(self.batch_size), n_samples)
        batch = n_samples // math.ceil(n_samples / largest)     # as many batches as scikit-learn, of one size
        return TrainConfig(hidden=tuple(sizes.tolist()),
                           activation={"logistic": "sigmoid"}.get(self.activation, self.activation),
                           optimizer=self.solver, learning_rate=self.learning_rate_init, schedule="constant",
                           batch_size=batch, epochs=self.max_iter, lam=float(self.alpha) / batch,
                           init="glorot_uniform", seed=0 if self.random_state is None else int(self.random_state),
                           dtype=np.dtype(dtype).name)

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        self.config_ = self._config(X.shape[0], X.dtype)
        stopping = _NoImprovement(self.tol, self.n_iter_no_change)
        # one device: scikit-learn-sized data, and any batch size (jaxlearn.training.fit splits batches
        # over several devices, which needs a batch size they divide)
        state, history = train_mlp(self.config_, X, encoded.astype(np.int32), n_classes=len(self.classes_),
                                   progress=False, learning_rate_name="learning_rate_init", devices=1,
                                   on_epoch_end=stopping)
        self.coefs_ = [np.asarray(W).T for W, _ in state.params]       # scikit-learn's (n_in, n_out)
        self.intercepts_ = [np.asarray(b) for _, b in state.params]
        self.loss_curve_ = [h["train_loss"] for h in history]
        self.best_loss_ = min(self.loss_curve_)
        self.n_iter_ = len(history)
        if not stopping.stopped:
            warn(f"MLPClassifier: max_iter={self.max_iter} epochs ended training before the loss stopped improving "
                 f"(by tol={self.tol:g} for n_iter_no_change={self.n_iter_no_change} epochs); the model is not "
                 "converged: raise max_iter (or learning_rate_init)", ConvergenceWarning)
        return self

    def _params(self):
        return [(W.T, b) for W, b in zip(self.coefs_, self.intercepts_)]

    def predict_proba(self, X):
        X = self._X(X)
        return np.asarray(predict_mlp_proba(self._params(), X, self.config_, devices=1), X.dtype)

    def predict(self, X):
        X = self._X(X)
        return self.classes_[np.asarray(predict_mlp(self._params(), X, self.config_, devices=1))]


class _NoImprovement:
    """scikit-learn's stopping rule as an on_epoch_end callback: stop (return True) once the epoch
    loss has not fallen below best − tol for n_iter_no_change epochs in a row."""

    def __init__(self, tol: float, patience: int):
        self.tol, self.patience = tol, patience
        self.best, self.bad, self.stopped = np.inf, 0, False

    def __call__(self, epoch, state, history):
        loss = history[-1]["train_loss"]
        self.bad = self.bad + 1 if loss > self.best - self.tol else 0
        self.best = min(self.best, loss)
        self.stopped = self.bad >= self.patience
        return self.stopped
