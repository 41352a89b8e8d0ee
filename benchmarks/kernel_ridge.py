"""Kernel ridge regression and Gaussian processes: jaxlearn's estimators against scikit-learn's,
side by side in one process, on M = 1 000, 5 000 and 10 000 MNIST images (784 pixel features in
[0, 1]; the target is the digit as a number, a regression workload of the right size).

Workloads (each as a scikit-learn user writes it, the import swapped; float64 data, JAX's
defaults, so both compute in float64):

    fit + predict   KernelRidge(alpha=1e-2, kernel="rbf", gamma=0.02), fit on M, predict 2 000
    λ × γ grid      jaxlearn's KernelRidgeCV (exact leave-one-out over every α from one
                    eigendecomposition per γ) against GridSearchCV(KernelRidge, cv=5), 4 α × 3 γ
    GP fit          GaussianProcessRegressor(ConstantKernel() * RBF(10) + WhiteKernel(0.1)),
                    no restarts (M ≤ --gp-max: the peer's O(M³) per iteration)

Each row: best seconds of --repeats runs (jaxlearn's first run compiles; the best is a warm run)
and the ratio jaxlearn / scikit-learn (below 1: jaxlearn is faster); the score each reached, and
the peak resident memory of the process after each size (both libraries' arrays; a float64 Gram
matrix at M = 10 000 is 800 MB).

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.kernel_ridge [--sizes 1000 5000 10000] [--quick]
"""

import argparse
import os
import platform
import resource
import time
import warnings

import numpy as np

from jaxlearn import estimators as est
from jaxlearn.data import flatten_images, load_mnist

ALPHAS, GAMMAS = [1e-3, 1e-2, 1e-1, 1.0], [0.005, 0.02, 0.08]


def timed(fn, repeats):
    """(best seconds of repeats runs, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def data(M, data_dir=None):
    mnist = load_mnist("mnist", data_dir=data_dir)
    X = flatten_images(mnist.train_images[:M + 2000], dtype=np.float64)
    y = mnist.train_labels[:M + 2000].astype(np.float64)
    return X[:M], y[:M], X[M:], y[M:]


def row(name, ours, theirs, ours_score, their_score):
    print(f"  {name:14s} jaxlearn {ours:8.2f} s   scikit-learn {theirs:8.2f} s   ratio {ours / theirs:5.2f}   "
          f"score {ours_score:.4f} / {their_score:.4f}", flush=True)


def fit_predict(X, y, X_test, y_test, repeats):
    from sklearn.kernel_ridge import KernelRidge

    def run(cls):
        return cls(alpha=1e-2, kernel="rbf", gamma=0.02).fit(X, y).score(X_test, y_test)
    ours, our_score = timed(lambda: run(est.KernelRidge), repeats)
    theirs, their_score = timed(lambda: run(KernelRidge), repeats)
    row("fit + predict", ours, theirs, our_score, their_score)


def grid(X, y, X_test, y_test, repeats):
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV

    def ours_run():
        model = est.KernelRidgeCV(alphas=ALPHAS, kernel="rbf", gamma=GAMMAS).fit(X, y)
        return model.score(X_test, y_test)

    def their_run():
        search = GridSearchCV(KernelRidge(kernel="rbf"), {"alpha": ALPHAS, "gamma": GAMMAS}, cv=5)
        return search.fit(X, y).score(X_test, y_test)
    ours, our_score = timed(ours_run, repeats)
    theirs, their_score = timed(their_run, 1)          # minutes at M = 10 000: once
    row("λ × γ grid", ours, theirs, our_score, their_score)


def gp_fit(X, y, X_test, y_test, repeats):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    kernel = ConstantKernel() * RBF(10.0) + WhiteKernel(0.1)
    ours, our_model = timed(lambda: est.GaussianProcessRegressor(kernel).fit(X, y), repeats)
    theirs, their_model = timed(lambda: GaussianProcessRegressor(kernel).fit(X, y), 1)
    row("GP fit", ours, theirs, our_model.score(X_test, y_test), their_model.score(X_test, y_test))
    print(f"  {'':14s} log marginal likelihood {our_model.log_marginal_likelihood_value_:.2f} / "
          f"{their_model.log_marginal_likelihood_value_:.2f}; kernel_ {our_model.kernel_} / {their_model.kernel_}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--gp-max", type=int, default=5000, help="largest M of the GP fit")
    parser.add_argument("--quick", action="store_true", help="M = 500 only, one repeat")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    sizes, repeats = ([500], 1) if args.quick else (args.sizes, args.repeats)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; ratios are "
          "jaxlearn / scikit-learn (below 1: jaxlearn is faster); scores are R² on 2 000 held-out images")
    warnings.filterwarnings("ignore", module="sklearn")   # the peer's bound warnings, not ours
    for M in sizes:
        X, y, X_test, y_test = data(M, args.data_dir)
        print(f"M = {M}:", flush=True)
        fit_predict(X, y, X_test, y_test, repeats)
        grid(X, y, X_test, y_test, repeats)
        if M <= args.gp_max:
            gp_fit(X, y, X_test, y_test, repeats)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"  peak resident memory of this process so far: {peak:.2f} GB", flush=True)


if __name__ == "__main__":
    main()
