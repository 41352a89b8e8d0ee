"""LinearSVC(loss="hinge") against scikit-learn's LinearSVC(loss="hinge"), side by side.

Data: scikit-learn's `digits` (1797 images 8 × 8, 10 classes), standardised (StandardScaler fitted
on the training part), split 75 / 25 with a fixed seed; C = 1, one-vs-rest in both. jaxlearn runs on
float32 data and on float64 data (which it then computes in float64, as scikit-learn users pass). Both
solve liblinear's problem (the hinge, the intercept penalised as a feature of value intercept_scaling
= 1): scikit-learn by liblinear's dual coordinate descent, jaxlearn in the primal by smoothed L-BFGS.
The script reports both test accuracies and the objective each reaches on that problem.

jaxlearn's times are given cold (the first call, JIT compilation included) and warm (the best of
--repeats further calls); scikit-learn's is the best of --repeats calls. Ratios are jaxlearn /
scikit-learn: below 1 means jaxlearn is faster.

Run: python -m benchmarks.linear_svc
"""

import argparse
import os
import platform
import time
import warnings

import jax
import numpy as np


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        out, seconds = timed(fn)
        times.append(seconds)
    return out, min(times), max(times)


def hinge_objective(coef, intercept, X, y01, C):
    """Sum over the one-vs-rest problems of ½‖w‖² + ½b² + C Σ max(0, 1 − y(wᵀx + b)), y = ±1 (liblinear's,
    intercept_scaling = 1)."""
    total = 0.0
    for k in range(coef.shape[0]):
        y = np.where(y01 == k, 1.0, -1.0)
        margins = y * (X @ coef[k] + intercept[k])
        total += 0.5 * coef[k] @ coef[k] + 0.5 * intercept[k] ** 2 + C * np.maximum(0, 1 - margins).sum()
    return total


def main():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC as SklearnLinearSVC

    from jaxlearn.estimators import LinearSVC

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed warm runs of each (best and worst shown)")
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train).astype(np.float32), scaler.transform(X_test).astype(np.float32)
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}")
    print(f"digits: {X_train.shape[0]} training, {X_test.shape[0]} test samples, {X.shape[1]} features, "
          f"10 classes; C = 1, one-vs-rest")

    ours, cold = timed(lambda: LinearSVC(C=1.0, loss="hinge").fit(X_train, y_train))
    ours, warm, warm_worst = best_of(lambda: LinearSVC(C=1.0, loss="hinge").fit(X_train, y_train), args.repeats)
    # float64 input (StandardScaler's output, what a scikit-learn user passes): computed in float64
    X64_train = X_train.astype(np.float64)
    ours64, cold64 = timed(lambda: LinearSVC(C=1.0, loss="hinge").fit(X64_train, y_train))
    ours64, warm64, warm64_worst = best_of(lambda: LinearSVC(C=1.0, loss="hinge").fit(X64_train, y_train), args.repeats)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs, reference, reference_worst = best_of(
            lambda: SklearnLinearSVC(C=1.0, loss="hinge").fit(X_train, y_train), args.repeats)
        warned = bool(caught)
        # liblinear stops at max_iter = 1000 here with a ConvergenceWarning: also run it to convergence
        converged, converged_time, converged_worst = best_of(
            lambda: SklearnLinearSVC(C=1.0, loss="hinge", max_iter=1_000_000).fit(X_train, y_train), args.repeats)
    X64 = X_train.astype(np.float64)
    rows = (("jaxlearn LinearSVC(loss='hinge') (float32)", ours,
             f"cold {cold:5.2f} s, warm {warm:5.2f} s (worst {warm_worst:5.2f})"),
            ("jaxlearn LinearSVC (float64 input)", ours64,
             f"cold {cold64:5.2f} s, warm {warm64:5.2f} s (worst {warm64_worst:5.2f})"),
            ("scikit-learn LinearSVC(loss='hinge')" + (" [ConvergenceWarning]" if warned else ""), theirs,
             f"{reference:5.2f} s (worst {reference_worst:5.2f})"),
            ("scikit-learn, max_iter=10⁶ (converged)", converged,
             f"{converged_time:5.2f} s (worst {converged_worst:5.2f})"))
    for name, model, seconds in rows:
        accuracy = (model.predict(X_test) == y_test).mean()
        objective = hinge_objective(model.coef_.astype(np.float64), model.intercept_.astype(np.float64), X64,
                                    y_train, 1.0)
        print(f"  {name:58s} {seconds}; test accuracy {100 * accuracy:.2f}%; objective {objective:.2f}; "
              f"n_iter {np.max(model.n_iter_)}")
    print("  (objective: ½‖w‖² + ½b² + C Σ hinge, liblinear's problem, which both solve)")
    for dtype, (c, w, w_worst) in (("float32", (cold, warm, warm_worst)), ("float64", (cold64, warm64, warm64_worst))):
        for label, seconds, worst in (("default", reference, reference_worst),
                                      ("converged", converged_time, converged_worst)):
            print(f"  time ratio jaxlearn {dtype} / scikit-learn ({label}): cold {c / seconds:.2f}, warm "
                  f"{w / seconds:.2f} (spread {w / worst:.2f}–{w_worst / seconds:.2f})")


if __name__ == "__main__":
    main()
