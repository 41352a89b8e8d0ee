"""Many models at once: hyperparameter sweeps as one vmapped, jitted computation.

    ridge_path      θ(λ) for a grid of λ from one SVD (the filter factors, vmapped over λ)
    logistic_path   binary logistic regression for a grid of λ: Newton's method, vmapped
    train_many      MLPs over learning rates and/or seeds: the epochs of all models in one scan

(Gradient descent over a grid of η is `jaxlearn.gradient_descent(..., eta=array)`.)
Each returns one model per setting and, given validation data, its validation score.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlearn import nn
from jaxlearn._validation import check_linear_model, check_matrix
from jaxlearn.logistic import _binary_gradient, _check_binary, _default_tol, _newton
from jaxlearn.lstsq import _r_and_qty
from jaxlearn.train import TrainConfig, TrainState, epoch_batches, make_run_batches, make_step


class Path(NamedTuple):
    """One coefficient vector per setting (L, N), and the validation score of each (L,) or None."""

    lams: np.ndarray
    thetas: jax.Array
    validation: Any


def _check_grid(values, name):
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite values ≥ 0, got {values}")
    return values


def _validation_pair(X_val, y_val, n_features, dtype):
    if X_val is None:
        return None, None
    X_val = check_matrix(X_val, "X_val").astype(dtype)
    if X_val.shape[1] != n_features:
        raise ValueError(f"X_val has {X_val.shape[1]} features but X has {n_features}")
    return X_val, jnp.asarray(y_val, dtype)


@jax.jit
def _ridge_thetas(X, y, lams):
    R, c = _r_and_qty(X, y, jnp.zeros((), X.dtype), jnp.ones(X.shape[1], X.dtype), False)
    U, s, Vt = jnp.linalg.svd(R, full_matrices=False)
    Uc = U.T @ c

    def theta(lam):  # θ(λ) = V diag(s / (s² + λM)) Uᵀ Qᵀy  (eq. 22 through the SVD)
        return Vt.T @ (s / (s**2 + lam * X.shape[0]) * Uc)

    return jax.vmap(theta)(lams.astype(X.dtype))


def ridge_path(X, y, lams, X_val=None, y_val=None) -> Path:
    """Ridge solutions θ(λ) for every λ of a grid, from one QR and one small SVD.

    Args:
        X: (M, N) design matrix with M ≥ N (every coefficient is penalised, as `solve(..., lam)`).
        y: (M,); lams: (L,) values λ ≥ 0 (λ = 0 needs X of full column rank).
        X_val, y_val: optional validation data; the score is the mean squared error.

    Returns:
        `Path` with thetas (L, N) and validation MSE (L,) or None.
    """
    _, X, y, _ = check_linear_model(None, X, y, 0.0)
    if X.shape[0] < X.shape[1]:
        raise ValueError(f"ridge_path needs M ≥ N, got X of shape {X.shape}")
    lams = _check_grid(lams, "lams")
    thetas = _ridge_thetas(X, y, jnp.asarray(lams))
    X_val, y_val = _validation_pair(X_val, y_val, X.shape[1], X.dtype)
    validation = None if X_val is None else jnp.mean((X_val @ thetas.T - y_val[:, None]) ** 2, axis=0)
    return Path(lams, thetas, validation)


def logistic_path(X, y, lams, X_val=None, y_val=None, *, penalize_bias: bool = True, tol=None,
                  max_iter: int = 100) -> Path:
    """Binary logistic regression for every λ of a grid: Newton's method, all λ in one vmapped loop.

    Args:
        X: (M, N) with a column of ones for a bias; y: (M,) in {0, 1}; lams: (L,) values λ > 0.
        X_val, y_val: optional validation data; the score is the accuracy.

    Returns:
        `Path` with thetas (L, N) and validation accuracy (L,) or None.
    """
    _, X, y, _ = _check_binary(None, X, y, 0.0)
    lams = _check_grid(lams, "lams")
    tol = _default_tol(tol, X.dtype)
    d = jnp.ones(X.shape[1], X.dtype) if penalize_bias else jnp.ones(X.shape[1], X.dtype).at[0].set(0)
    theta0 = jnp.zeros(X.shape[1], X.dtype)
    solve_one = jax.vmap(lambda lam: _newton(theta0, (X, y, lam, d), tol, max_iter)[0])
    thetas = solve_one(jnp.asarray(lams, X.dtype))
    X_val, y_val = _validation_pair(X_val, y_val, X.shape[1], X.dtype)
    validation = None if X_val is None else jnp.mean(((X_val @ thetas.T) >= 0) == (y_val[:, None] > 0.5), axis=0)
    return Path(lams, thetas, validation)


class Sweep(NamedTuple):
    """MLPs trained side by side: params with a leading model axis, their settings and scores."""

    params: Any                   # [(W (S, n_l, n_{l−1}), b (S, n_l)), …]
    learning_rates: np.ndarray    # (S,)
    seeds: np.ndarray             # (S,)
    train_loss: np.ndarray        # (S, epochs)
    validation_accuracy: Any      # (S,) or None

    def model(self, i: int):
        """The parameters [(W, b), …] of model i."""
        return [(W[i], b[i]) for W, b in self.params]


def _optimizer_with_rate(config: TrainConfig, steps_per_epoch: int, learning_rate):
    """config's optimizer and schedule, with the peak learning rate held in the optimizer state
    (so that it can differ between vmapped models)."""
    shape = (optax.cosine_decay_schedule(1.0, config.epochs * steps_per_epoch)
             if config.schedule == "cosine" else (lambda count: 1.0))
    direction = {"adam": optax.scale_by_adam(), "momentum": optax.trace(decay=config.momentum),
                 "sgd": optax.identity()}[config.optimizer]
    return optax.chain(direction, optax.scale_by_schedule(shape),
                       optax.inject_hyperparams(optax.scale)(step_size=-learning_rate))


def train_many(config: TrainConfig, X, y, *, learning_rates=None, seeds=None, X_val=None, y_val=None,
               n_classes: int | None = None) -> Sweep:
    """Train S MLPs of one architecture at once, one per (learning rate, seed) pair.

    All models see the same shuffled batches (from config.seed); they differ in their
    initialisation (seeds) and peak learning rates. Each epoch of all models is one vmapped,
    jitted `lax.scan`.

    Args:
        config: architecture, optimizer, schedule, batch size, epochs (its learning_rate and
            seed are the defaults for the lists below).
        X: (M, n_0); y: (M,) labels.
        learning_rates, seeds: equal-length lists (or one of them); the other is repeated.
        X_val, y_val: optional validation data, scored by accuracy.
    """
    if learning_rates is None and seeds is None:
        raise ValueError("give learning_rates and/or seeds to sweep over")
    size = len(learning_rates if learning_rates is not None else seeds)
    rates = np.asarray(learning_rates if learning_rates is not None else [config.learning_rate] * size, float)
    seeds = np.asarray(seeds if seeds is not None else [config.seed] * size, int)
    if len(rates) != len(seeds):
        raise ValueError(f"learning_rates ({len(rates)}) and seeds ({len(seeds)}) must have the same length")
    if np.any(rates <= 0):
        raise ValueError(f"learning rates must be > 0, got {rates.tolist()}")
    dtype = jnp.dtype(config.dtype)
    X, y = jnp.asarray(X, dtype), jnp.asarray(y)
    if config.batch_size > X.shape[0]:
        raise ValueError(f"batch_size={config.batch_size} is larger than the training set ({X.shape[0]} samples)")
    K = int(y.max()) + 1 if n_classes is None else n_classes
    Y = nn.one_hot(y, K, dtype=dtype)
    steps = X.shape[0] // config.batch_size
    sizes = [X.shape[1], *config.hidden, K]

    def init(seed, rate):
        params = nn.init_mlp(jax.random.fold_in(jax.random.key(seed), 0), sizes, activation=config.activation,
                             dtype=dtype)
        return TrainState(params, _optimizer_with_rate(config, steps, rate).init(params))

    # eagerly, one model at a time, then stacked: a vmapped init would spend seconds compiling
    states = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves),
                                    *[init(int(s), jnp.asarray(r, dtype)) for s, r in zip(seeds, rates)])
    optimizer = _optimizer_with_rate(config, steps, 1.0)  # its update reads the rate from the state
    run = jax.jit(jax.vmap(make_run_batches(make_step(config, optimizer)), in_axes=(0, None, None, None)))
    key = jax.random.fold_in(jax.random.key(config.seed), 1)
    losses = []
    for epoch in range(config.epochs):
        batches = jnp.asarray(epoch_batches(key, epoch, X.shape[0], config.batch_size))
        states, loss_sum, _ = run(states, X, Y, batches)
        losses.append(np.asarray(loss_sum) / steps)
    validation = None
    if X_val is not None:
        X_val, y_val = jnp.asarray(X_val, dtype), jnp.asarray(y_val)
        predict = jax.vmap(lambda p: nn.predict(p, X_val, activation=config.activation))
        predicted = predict(states.params)
        validation = np.asarray(jnp.mean(predicted == y_val.astype(predicted.dtype)[None, :], axis=1))
    return Sweep(states.params, rates, seeds, np.stack(losses, axis=1), validation)
