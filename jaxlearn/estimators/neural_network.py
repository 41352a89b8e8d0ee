"""MLPClassifier over `jaxlearn.training` (Adam, SGD) and `jaxlearn.optim.lbfgs` (full batch)."""

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn import nn
from jaxlearn._errors import ConvergenceWarning, warn
from jaxlearn.buckets import pad_samples
from jaxlearn.estimators._base import (
    COUNT,
    NON_NEGATIVE,
    POSITIVE,
    _Classifier,
    _sklearn_warnings,
    check_hyperparameters,
)
from jaxlearn.optim import lbfgs
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.evaluate import predict as predict_mlp
from jaxlearn.training.evaluate import predict_proba as predict_mlp_proba
from jaxlearn.training.loop import fit as train_mlp


def _penalised_cross_entropy(params, X, Y, weights, penalty, *, activation):
    """scikit-learn's L-BFGS objective: Σ_m w_m ℓ_m + ½ (α/M) Σ_l ‖W^l‖² (biases unpenalised),
    ℓ_m = −y_m · ln softmax(z^L_m), w_m = 1/M on the real samples and 0 on the bucket's padding,
    penalty = α/M."""
    z = nn.logits(params, X, activation=activation)
    losses = -jnp.sum(Y * jax.nn.log_softmax(z, axis=1), axis=1)
    return jnp.sum(weights * losses) + 0.5 * penalty * sum(jnp.sum(W * W) for W, _ in params)


# one objective per activation, made once: jit's static argument, one compiled program each
_LBFGS_OBJECTIVES = {name: partial(_penalised_cross_entropy, activation=name)
                     for name in ("relu", "sigmoid", "tanh", "identity")}


class MLPClassifier(_Classifier):
    """A multilayer perceptron trained by `jaxlearn.training.fit` (jitted epochs, softmax cross-entropy).

    Parameters and defaults as scikit-learn's: hidden_layer_sizes, activation ("relu",
    "logistic", "tanh", "identity"), solver ("adam", "sgd"), alpha (the L2 penalty, as
    scikit-learn scales it: α/(2B) Σ‖W‖² on each batch of B), learning_rate_init (constant),
    batch_size ("auto" = min(200, M)), max_iter (epochs), tol and n_iter_no_change (training
    stops once the epoch's loss has not fallen by tol for n_iter_no_change epochs; a
    `ConvergenceWarning` when max_iter ends it first), random_state (seed; None = 0, runs are
    always reproducible). Initialised as scikit-learn's (`nn.init_mlp(init="glorot_uniform")`).
    solver="lbfgs" minimises scikit-learn's full-batch objective, the mean cross-entropy
    + ½(α/M)Σ‖W‖², by `jaxlearn.optim.lbfgs` (optax's L-BFGS) until ‖∇L‖_∞ ≤ tol or max_iter
    iterations (n_iter_, loss_; a `ConvergenceWarning` at max_iter); batch_size, the learning
    rate and early_stopping do not apply to it, as in scikit-learn.
    early_stopping=True holds out validation_fraction of the training data (stratified, as
    scikit-learn's), stops once its accuracy has not risen by tol for n_iter_no_change epochs,
    and keeps the epoch with the best (validation_scores_, best_validation_score_). solver "sgd"
    takes momentum and nesterovs_momentum (scikit-learn's defaults: Nesterov, 0.9).
    shuffle=True, learning_rate="constant", scikit-learn's Adam constants (beta_1, beta_2,
    epsilon) and verbose are accepted; other values of them, and warm_start=True, are refused
    with what to use. power_t and max_fun (for "invscaling" and "lbfgs") are accepted and unused.
    Differences: each epoch runs ⌈M/B⌉ batches of one size, ⌊M/⌈M/B⌉⌋ (≤ B), so that one compiled
    program serves the epoch; the few samples left over are a different few in each shuffled
    epoch. It trains and predicts on one device; for data parallelism over several, use
    `jaxlearn.training.fit(..., devices=...)`.

    Example:
        >>> import numpy as np
        >>> from jaxlearn.estimators import MLPClassifier
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10); y = np.array([0, 1, 1, 0] * 10)
        >>> MLPClassifier((16,), learning_rate_init=0.05, max_iter=200, random_state=0).fit(X, y).score(X, y)
        1.0
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=1e-4,
                 batch_size="auto", learning_rate="constant", learning_rate_init=1e-3, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.shuffle = shuffle
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_fun = max_fun
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

    def _check_supported(self):
        """scikit-learn's options that jaxlearn has no counterpart for, refused with what to use."""
        if self.solver not in ("adam", "sgd", "lbfgs"):
            raise ValueError(f"MLPClassifier: unknown solver {self.solver!r}; valid options are 'adam', 'sgd', "
                             "'lbfgs'")
        refused = {"learning_rate": (self.learning_rate != "constant", "'constant' (the only schedule here)"),
                   "shuffle": (self.shuffle is not True, "True (every epoch is shuffled)"),
                   "warm_start": (self.warm_start is not False, "False, or jaxlearn.training.fit(..., state=…) to "
                                  "continue a run"),
                   "beta_1": (self.beta_1 != 0.9, "0.9 (optax's Adam with its defaults)"),
                   "beta_2": (self.beta_2 != 0.999, "0.999"), "epsilon": (self.epsilon != 1e-8, "1e-8")}
        for name, (bad, use) in refused.items():
            if bad:
                raise ValueError(f"MLPClassifier: {name}={getattr(self, name)!r} is not implemented; use {name}={use}")
        check_hyperparameters(self, validation_fraction=dict(minimum=0, strict=True, maximum=1))
        if self.validation_fraction >= 1:
            raise ValueError(f"MLPClassifier: validation_fraction must be < 1, got {self.validation_fraction}")

    def _optimizer(self):
        """TrainConfig's optimizer for scikit-learn's solver and momentum settings (for "lbfgs",
        whose training does not use it, "adam": the config then describes the network)."""
        if self.solver in ("adam", "lbfgs"):
            return "adam"
        if self.momentum == 0:
            return "sgd"
        return "nesterov" if self.nesterovs_momentum else "momentum"

    def _config(self, n_samples, dtype):
        check_hyperparameters(self, learning_rate_init=POSITIVE, max_iter=COUNT, alpha=NON_NEGATIVE,
                              tol=NON_NEGATIVE, n_iter_no_change=COUNT, momentum=NON_NEGATIVE)
        self._check_supported()
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
                           optimizer=self._optimizer(), momentum=float(self.momentum),
                           learning_rate=self.learning_rate_init, schedule="constant",
                           batch_size=batch, epochs=self.max_iter, lam=float(self.alpha) / batch,
                           init="glorot_uniform", seed=0 if self.random_state is None else int(self.random_state),
                           dtype=np.dtype(dtype).name)

    @_sklearn_warnings
    def fit(self, X, y):
        X, encoded = self._targets(X, y)
        if self.solver == "lbfgs":
            return self._fit_lbfgs(X, encoded)
        X_val = y_val = None
        if self.early_stopping:
            X, X_val, encoded, y_val = self._validation_split(X, encoded)
        self.config_ = self._config(X.shape[0], X.dtype)
        stopping = (_NoImprovement(self.tol, self.n_iter_no_change) if not self.early_stopping
                    else _NoValidationImprovement(self.tol, self.n_iter_no_change))
        # one device: scikit-learn-sized data, and any batch size (jaxlearn.training.fit splits batches
        # over several devices, which needs a batch size they divide)
        state, history = train_mlp(self.config_, X, encoded.astype(np.int32),
                                   X_val, None if y_val is None else y_val.astype(np.int32),
                                   n_classes=len(self.classes_), progress=False,
                                   learning_rate_name="learning_rate_init", devices=1, on_epoch_end=stopping)
        params = state.params if not self.early_stopping else stopping.best_params
        self.coefs_ = [np.asarray(W).T for W, _ in params]       # scikit-learn's (n_in, n_out)
        self.intercepts_ = [np.asarray(b) for _, b in params]
        self.loss_curve_ = [h["train_loss"] for h in history]
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ = len(history)
        if self.early_stopping:
            self.validation_scores_ = [h["val_accuracy"] for h in history]
            self.best_validation_score_ = max(self.validation_scores_)
            self.best_loss_ = None
        else:
            self.best_loss_ = min(self.loss_curve_)
        if not stopping.stopped:
            watched = "validation accuracy" if self.early_stopping else "loss"
            warn(f"MLPClassifier: max_iter={self.max_iter} epochs ended training before the {watched} stopped "
                 f"improving (by tol={self.tol:g} for n_iter_no_change={self.n_iter_no_change} epochs); the model is "
                 "not converged: raise max_iter (or learning_rate_init)", ConvergenceWarning)
        return self

    def _fit_lbfgs(self, X, encoded):
        """Full-batch L-BFGS on scikit-learn's objective (see the class docstring), from the
        Glorot-uniform start of random_state; the samples padded to their bucket (weight 0)."""
        self.config_ = self._config(X.shape[0], X.dtype)
        K = len(self.classes_)
        sizes = [X.shape[1], *self.config_.hidden, K]
        params = nn.init_mlp(jax.random.key(self.config_.seed), sizes, activation=self.config_.activation,
                             init="glorot_uniform", dtype=X.dtype)
        X_padded, Y_padded, weights = pad_samples(X, np.eye(K, dtype=X.dtype)[encoded])
        data = (X_padded, Y_padded, weights, np.asarray(self.alpha / X.shape[0], X.dtype))
        objective = _LBFGS_OBJECTIVES[self.config_.activation]
        params, n_iter, grad_norm = lbfgs(objective, params, data, np.asarray(self.tol, X.dtype), int(self.max_iter))
        self.coefs_ = [np.asarray(W).T for W, _ in params]       # scikit-learn's (n_in, n_out)
        self.intercepts_ = [np.asarray(b) for _, b in params]
        self.n_iter_ = int(n_iter)
        self.loss_ = float(objective(params, *data))
        if self.n_iter_ >= self.max_iter and float(grad_norm) > self.tol:
            warn(f"MLPClassifier: lbfgs reached max_iter={self.max_iter} iterations with ‖∇L‖_∞ = "
                 f"{float(grad_norm):.2g} > tol={self.tol:g}; the model is not converged: raise max_iter, or "
                 "scale the data", ConvergenceWarning)
        return self

    def _validation_split(self, X, encoded):
        """scikit-learn's early-stopping split: validation_fraction of the samples, stratified."""
        from sklearn.model_selection import train_test_split

        self._check_supported()
        seed = 0 if self.random_state is None else int(self.random_state)
        X_train, X_val, y_train, y_val = train_test_split(X, encoded, test_size=self.validation_fraction,
                                                          random_state=seed, stratify=encoded)
        if X_val.shape[0] < 2:
            raise ValueError(f"MLPClassifier: early_stopping holds out validation_fraction="
                             f"{self.validation_fraction} of {X.shape[0]} samples, {X_val.shape[0]}: too few; "
                             "raise validation_fraction or pass more data")
        return X_train, X_val, y_train, y_val

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


class _NoValidationImprovement:
    """early_stopping's rule: stop once the validation accuracy has not risen above best + tol for
    n_iter_no_change epochs in a row; keeps the parameters of the best epoch."""

    def __init__(self, tol: float, patience: int):
        self.tol, self.patience = tol, patience
        self.best, self.bad, self.stopped, self.best_params = -np.inf, 0, False, None

    def __call__(self, epoch, state, history):
        score = history[-1]["val_accuracy"]
        if score > self.best:
            self.best_params = [(np.asarray(W), np.asarray(b)) for W, b in state.params]
        self.bad = self.bad + 1 if score < self.best + self.tol else 0
        self.best = max(self.best, score)
        self.stopped = self.bad >= self.patience
        return self.stopped
