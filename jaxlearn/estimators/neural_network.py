"""MLPClassifier over `jaxlearn.training`."""

import numpy as np

from jaxlearn.estimators._base import COUNT, POSITIVE, _Classifier, _sklearn_warnings, check_hyperparameters
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.evaluate import predict as predict_mlp
from jaxlearn.training.evaluate import predict_proba as predict_mlp_proba
from jaxlearn.training.loop import fit as train_mlp


class MLPClassifier(_Classifier):
    """A multilayer perceptron trained by `jaxlearn.training.fit` (jitted epochs, softmax cross-entropy).

    Parameters as scikit-learn's: hidden_layer_sizes, activation ("relu", "logistic", "tanh",
    "identity"), solver ("adam", "sgd"), learning_rate_init, batch_size ("auto" = min(200, M)),
    max_iter (epochs), random_state (seed; None = 0, runs are always reproducible).
    Differences: no L2 penalty (alpha) and no early stopping; the last partial batch of each
    (shuffled) epoch is dropped. It trains and predicts on one device; for data parallelism over
    several, use `jaxlearn.train.fit(..., devices=...)`.

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
        check_hyperparameters(self, learning_rate_init=POSITIVE, max_iter=COUNT)
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
        # one device: scikit-learn-sized data, and any batch size (jaxlearn.train.fit splits batches
        # over several devices, which needs a batch size they divide)
        state, history = train_mlp(self.config_, X, encoded.astype(np.int32), n_classes=len(self.classes_),
                                   progress=False, learning_rate_name="learning_rate_init", devices=1)
        self.coefs_ = [np.asarray(W).T for W, _ in state.params]       # scikit-learn's (n_in, n_out)
        self.intercepts_ = [np.asarray(b) for _, b in state.params]
        self.loss_curve_ = [h["train_loss"] for h in history]
        self.n_iter_ = len(history)
        return self

    def _params(self):
        return [(W.T, b) for W, b in zip(self.coefs_, self.intercepts_)]

    def predict_proba(self, X):
        X = self._X(X)
        return np.asarray(predict_mlp_proba(self._params(), X, self.config_, devices=1), X.dtype)

    def predict(self, X):
        X = self._X(X)
        return self.classes_[predict_mlp(self._params(), X, self.config_, devices=1)]
