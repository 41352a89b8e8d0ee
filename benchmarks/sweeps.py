"""Hyperparameter sweeps: many models in one vmapped computation vs one after another vs scikit-learn.

1. 16 MLPs (784-128-10, ReLU, Adam, batch 128, 3 epochs) on MNIST, one per learning rate in
   logspace(−4, −2, 16), scored on 5 000 held-out training images:
   `jaxlearn.sweeps.train_many` (vmapped) vs 16 × `jaxlearn.training.fit` vs scikit-learn
   `GridSearchCV(MLPClassifier)` over the same grid and the same train/validation split.
2. A 100-point ridge path (λ in logspace(−6, 2)) on a 16 000 × 200 regression problem, scored
   by leave-one-out: `jaxlearn.sweeps.ridge_loo_path` and `jaxlearn.estimators.RidgeCV` vs
   scikit-learn `RidgeCV` over the same 100 values (α = λM).
3. Logistic regression over C ∈ logspace(−2, 1, 4) by 3-fold CV on 10 000 MNIST images:
   `jaxlearn.estimators.LogisticRegressionCV` (all C of a fold in one vmapped L-BFGS) vs
   scikit-learn `LogisticRegressionCV`.
4. 4 CNNs (c8bn-p-c16bn-p-d32, batch normalisation: each model its own running statistics) on
   10 000 MNIST images, 2 epochs, one per learning rate: `train_many` (vmapped, all four in one
   program per epoch) vs 4 × `training.fit` one after another (each run steps batch by batch,
   which XLA:CPU runs convolutions fastest in), timed as the MLPs.

Times include JIT compilation: each `fit` call compiles its own epoch program, and each
`train_many` call compiles one vmapped program. Before timing, both paths run once for one
epoch, so that the process's one-time costs (JAX compiles each eager operation once per
shape, e.g. the random initialisers, about 2 s here) are charged to neither. The two MLP
paths are then timed `--repeats` times each, alternating, and the best run of each counts
(timings on a shared 2-core machine vary by ±20 % from run to run). For the ridge and
logistic sweeps the first call includes compilation; estimators.RidgeCV runs after
ridge_loo_path on the same shapes, and reuses its compiled program.
Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.sweeps [--only cnn]
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
from jaxlearn.training import TrainConfig, fit, predict

RATES = np.logspace(-4, -2, 16)


def mlp_sweep(with_sklearn: bool = True, repeats: int = 2):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier

    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images), data.train_labels.astype(np.int32)
    X_train, y_train, X_val, y_val = X[:55_000], y[:55_000], X[55_000:], y[55_000:]
    config = TrainConfig(hidden=(128,), epochs=3, batch_size=128, schedule="constant")

    vmapped, sequential, times, sweep, sequential_scores = _vmapped_against_sequential(
        config, X_train, y_train, X_val, y_val, RATES, repeats)

    best = sweep.best()
    print(f"16 MLPs 784-128-10, 3 epochs, learning rates 1e-4 … 1e-2 (validation accuracy at the best rate); "
          f"best of {repeats} runs (all: {', '.join(f'{t:.1f}' for t in times['vmapped'])} s vmapped, "
          f"{', '.join(f'{t:.1f}' for t in times['sequential'])} s sequential):")
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


def _vmapped_against_sequential(config, X_train, y_train, X_val, y_val, rates, repeats):
    """(best vmapped seconds, best sequential seconds, all times, sweep, sequential accuracies) of
    `train_many` over rates against one `fit` per rate, each warmed up for one epoch first."""
    def one_fit(rate, epochs=config.epochs):
        settings = config.to_dict() | {"learning_rate": float(rate), "epochs": epochs}
        return fit(TrainConfig(**settings), X_train, y_train, progress=False)[0]

    def vmapped_run():
        return sweeps.train_many(config, X_train, y_train, learning_rates=rates, X_val=X_val, y_val=y_val,
                                 progress=False)

    def sequential_run():
        return [float((predict(one_fit(rate), X_val, config) == y_val).mean()) for rate in rates]

    warm_up = TrainConfig(**config.to_dict() | {"epochs": 1})
    sweeps.train_many(warm_up, X_train, y_train, learning_rates=rates, X_val=X_val, y_val=y_val, progress=False)
    predict(one_fit(rates[0], epochs=1), X_val, config)
    times, results = {"vmapped": [], "sequential": []}, {}
    for _ in range(repeats):          # alternating, so that a slow spell of the machine hits both
        for name, run in (("vmapped", vmapped_run), ("sequential", sequential_run)):
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    return min(times["vmapped"]), min(times["sequential"]), times, results["vmapped"], results["sequential"]


def cnn_sweep(repeats: int = 2):
    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images[:12_000]), data.train_labels[:12_000].astype(np.int32)
    rates = np.array([1e-3, 3e-3, 1e-2, 3e-2])
    config = TrainConfig(model="cnn", architecture="c8bn-p-c16bn-p-d32", epochs=2, batch_size=128)
    vmapped, sequential, times, sweep, scores = _vmapped_against_sequential(
        config, X[:10_000], y[:10_000], X[10_000:], y[10_000:], rates, repeats)
    best = sweep.best()
    print(f"4 CNNs c8bn-p-c16bn-p-d32 on 10 000 MNIST images, 2 epochs, learning rates 1e-3 … 3e-2; best of "
          f"{repeats} runs (all: {', '.join(f'{t:.1f}' for t in times['vmapped'])} s vmapped, "
          f"{', '.join(f'{t:.1f}' for t in times['sequential'])} s sequential):")
    print(f"  jaxlearn train_many (vmapped):  {vmapped:7.1f} s, best η = {rates[best]:.2g}: "
          f"{100 * sweep.validation_accuracy[best]:.2f}%")
    print(f"  jaxlearn fit × 4 (sequential):  {sequential:7.1f} s, best: {100 * max(scores):.2f}%")
    print(f"  vmapped vs sequential: {sequential / vmapped:.2f}× faster")


def ridge_sweep():
    from sklearn.linear_model import RidgeCV as SklearnRidgeCV

    from jaxlearn.estimators import RidgeCV

    rng = np.random.default_rng(0)
    M, N = 16_000, 200
    X = rng.normal(size=(M, N))
    y = X @ rng.normal(size=N) + 5 * rng.normal(size=M)
    lams = np.logspace(-6, 2, 100)
    jax.config.update("jax_enable_x64", True)
    design = np.column_stack([np.ones(M), X])
    timings = {}
    for name, call in [("jaxlearn sweeps.ridge_loo_path", lambda: sweeps.ridge_loo_path(design, y, lams,
                                                                                          penalize_bias=False)),
                       ("jaxlearn estimators.RidgeCV", lambda: RidgeCV(alphas=lams * M).fit(X, y)),
                       ("scikit-learn RidgeCV", lambda: SklearnRidgeCV(alphas=lams * M).fit(X, y))]:
        times = []
        for _ in range(2):                   # the first call includes JIT compilation
            start = time.perf_counter()
            result = jax.block_until_ready(call())
            times.append(time.perf_counter() - start)
        best = lams[result.best()] if isinstance(result, sweeps.Path) else result.alpha_ / M
        timings[name] = times
        print(f"  {name:32s} {times[0]:6.3f} s first call, {times[1]:6.3f} s second (best λ = {best:.3g})")
    jax.config.update("jax_enable_x64", False)
    sklearn_time = min(timings["scikit-learn RidgeCV"])
    for name in list(timings)[:2]:
        print(f"  {name} / scikit-learn: {timings[name][0] / sklearn_time:.2f} first call, "
              f"{timings[name][1] / sklearn_time:.2f} second")


def logistic_cv_sweep():
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
    from sklearn.linear_model import LogisticRegressionCV as SklearnLogisticRegressionCV

    from jaxlearn.estimators import LogisticRegressionCV

    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images[:10_000]), data.train_labels[:10_000]
    Xt, yt = flatten_images(data.test_images), data.test_labels
    Cs = np.logspace(-2, 1, 4)
    for name, model in [("jaxlearn LogisticRegressionCV", LogisticRegressionCV(Cs=Cs, cv=3)),
                        ("scikit-learn LogisticRegressionCV", SklearnLogisticRegressionCV(Cs=Cs, cv=3))]:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SklearnConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)      # scikit-learn 1.9 announces new defaults
            model.fit(X, y)
        elapsed = time.perf_counter() - start
        print(f"  {name:34s} {elapsed:6.1f} s, C = {float(model.C_[0]):.3g}, "
              f"test accuracy {100 * model.score(Xt, yt):.2f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sklearn", action="store_true", help="skip GridSearchCV(MLPClassifier) (about 1 min)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="timed runs of each jaxlearn network sweep (the best counts)")
    parser.add_argument("--only", choices=("cnn",), default=None, help="run only the CNN sweep")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}")
    if args.only == "cnn":
        cnn_sweep(repeats=args.repeats)
        return
    print("100-point ridge path, X 16 000 × 200, bias unpenalised, leave-one-out (float64):")
    ridge_sweep()
    print("Logistic regression over 4 values of C, 3-fold CV, 10 000 MNIST images, 10 classes:")
    logistic_cv_sweep()
    mlp_sweep(with_sklearn=not args.no_sklearn, repeats=args.repeats)
    cnn_sweep(repeats=args.repeats)


if __name__ == "__main__":
    main()
