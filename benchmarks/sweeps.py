"""Hyperparameter sweeps: many models in one vmapped computation vs one after another vs scikit-learn.

1. 16 MLPs (784-128-10, ReLU, Adam, batch 128, 3 epochs) on MNIST, one per learning rate in
   logspace(−4, −2, 16), scored on 5 000 held-out training images:
   `jaxlearn.sweeps.train_many` (vmapped) vs 16 × `jaxlearn.train.fit` vs scikit-learn
   `GridSearchCV(MLPClassifier)` over the same grid and the same train/validation split.
2. A 100-point ridge path (λ in logspace(−6, 2)) on a 20 000 × 200 regression problem:
   `jaxlearn.sweeps.ridge_path` vs scikit-learn `RidgeCV` with the same 100 values.

Times include JIT compilation: each `fit` call compiles its own epoch program, and each
`train_many` call compiles one vmapped program. Before timing, both paths run once for one
epoch, so that the process's one-time costs (JAX compiles each eager operation once per
shape, e.g. the random initialisers, about 2 s here) are charged to neither.
Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.sweeps
"""

import argparse
import os
import platform
import time
import warnings

import jax
import numpy as np

from jaxlearn import sweeps
from jaxlearn.data import flatten_images, load_mnist
from jaxlearn.train import TrainConfig, fit, predict

RATES = np.logspace(-4, -2, 16)


def mlp_sweep(with_sklearn: bool = True):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier

    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images), data.train_labels.astype(np.int32)
    X_train, y_train, X_val, y_val = X[:55_000], y[:55_000], X[55_000:], y[55_000:]
    config = TrainConfig(hidden=(128,), epochs=3, batch_size=128, schedule="constant")

    def one_fit(rate, epochs=config.epochs):
        settings = config.to_dict() | {"learning_rate": float(rate), "epochs": epochs}
        return fit(TrainConfig(**settings), X_train, y_train, progress=False)[0]

    warm_up = TrainConfig(**config.to_dict() | {"epochs": 1})
    sweeps.train_many(warm_up, X_train, y_train, learning_rates=RATES, X_val=X_val, y_val=y_val, progress=False)
    predict(one_fit(RATES[0], epochs=1).params, X_val, config)

    start = time.perf_counter()
    sweep = sweeps.train_many(config, X_train, y_train, learning_rates=RATES, X_val=X_val, y_val=y_val,
                               progress=False)
    vmapped = time.perf_counter() - start

    start = time.perf_counter()
    sequential_scores = []
    for rate in RATES:
        state = one_fit(rate)
        sequential_scores.append(float((predict(state.params, X_val, config) == y_val).mean()))
    sequential = time.perf_counter() - start

    best = int(np.argmax(sweep.validation_accuracy))
    print(f"16 MLPs 784-128-10, 3 epochs, learning rates 1e-4 … 1e-2 (validation accuracy at the best rate):")
    print(f"  jaxlearn train_many (vmapped):  {vmapped:7.1f} s, best η = {RATES[best]:.2g}: "
          f"{100 * sweep.validation_accuracy[best]:.2f}%")
    print(f"  jaxlearn fit × 16 (sequential): {sequential:7.1f} s, best: {100 * max(sequential_scores):.2f}%")
    print(f"  vmapped vs sequential: {sequential / vmapped:.2f}× faster")
    if not with_sklearn:
        return
    search = GridSearchCV(MLPClassifier((128,), batch_size=128, max_iter=3, alpha=0.0, random_state=0),
                          {"learning_rate_init": RATES}, cv=[(np.arange(55_000), np.arange(55_000, 60_000))],
                          refit=False, n_jobs=1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    sklearn_time = time.perf_counter() - start
    print(f"  scikit-learn GridSearchCV:      {sklearn_time:7.1f} s, best: "
          f"{100 * search.cv_results_['mean_test_score'].max():.2f}%")
    print(f"  vmapped vs scikit-learn: {sklearn_time / vmapped:.2f}× faster; "
          f"sequential vs scikit-learn: {sklearn_time / sequential:.2f}× faster")


def ridge_sweep():
    from sklearn.linear_model import RidgeCV

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 200))
    y = X @ rng.normal(size=200) + 5 * rng.normal(size=20_000)
    lams = np.logspace(-6, 2, 100)
    X_train, y_train, X_val, y_val = X[:16_000], y[:16_000], X[16_000:], y[16_000:]
    jax.config.update("jax_enable_x64", True)
    start = time.perf_counter()
    path = sweeps.ridge_path(X_train, y_train, lams, X_val, y_val)
    jax.block_until_ready(path.validation)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    reference = RidgeCV(alphas=lams * len(y_train), fit_intercept=False).fit(X_train, y_train)
    theirs = time.perf_counter() - start
    jax.config.update("jax_enable_x64", False)
    best = int(np.argmin(path.validation))
    print(f"100-point ridge path, X 16 000 × 200 (float64):")
    print(f"  jaxlearn ridge_path: {ours:6.3f} s (best λ = {lams[best]:.3g} by validation MSE)")
    print(f"  scikit-learn RidgeCV (leave-one-out over the same grid): {theirs:6.3f} s "
          f"(best λ = {reference.alpha_ / len(y_train):.3g})")
    print(f"  ratio jaxlearn / scikit-learn: {ours / theirs:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sklearn", action="store_true", help="skip GridSearchCV(MLPClassifier) (about 1 min)")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}")
    ridge_sweep()
    mlp_sweep(with_sklearn=not args.no_sklearn)


if __name__ == "__main__":
    main()
