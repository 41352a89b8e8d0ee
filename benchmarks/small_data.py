"""jaxlearn's estimators against scikit-learn's on scikit-learn's bundled data sets, side by side.

The workloads of the small-data issue, each a cross-validation or grid search exactly as a
scikit-learn user writes it, with the import swapped: iris, wine, breast_cancer, digits and
diabetes. Every workload runs in this one process, jaxlearn then scikit-learn, --repeats times
(the first jaxlearn run includes JIT compilation; later runs reuse what is compiled for the
same shapes). Printed: seconds, the mean score of each, and the ratio jaxlearn / scikit-learn
(below 1: jaxlearn is faster), then the totals.

LinearSVC: both sides solve liblinear's problem with the same parameters. scikit-learn's liblinear
stops at max_iter = 1000 on the hinge loss here, unconverged (on all of digits, one of its ten
one-vs-rest objectives then lies 40 % above that problem's optimum, and its cross-validation score
moves with its random seed), so the row in the totals runs both with loss="hinge",
intercept_scaling = 10 and max_iter = 100 000, which converges. scikit-learn's defaults (the
squared hinge) are timed as well, in a row of their own, with a second total that uses them instead.

Run it in a fresh process to see a new user's first script: python -m benchmarks.small_data.
jaxlearn's persistent compilation cache is on (`jaxlearn.compilation_cache`): for the issue's
cold and warm runs, point it at an empty folder and run twice,

    rm -rf /tmp/jl-cache; export JAXLEARN_COMPILATION_CACHE=/tmp/jl-cache
    python -m benchmarks.small_data; python -m benchmarks.small_data
"""

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import jax
import numpy as np

# The row timed against scikit-learn's LinearSVC defaults: not in the main totals (another model, unconverged)
LINEAR_SVC_DEFAULTS = "digits, StandardScaler + LinearSVC, cv=5, scikit-learn's defaults"


def workloads(jaxlearn_side: bool):
    """(name, function returning the mean score) pairs, built from jaxlearn's or scikit-learn's estimators."""
    from sklearn import datasets
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline

    if jaxlearn_side:
        from jaxlearn.estimators import SVC, LinearSVC, LogisticRegression, MLPClassifier, Ridge, StandardScaler
    else:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.neural_network import MLPClassifier
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC, LinearSVC

    iris, wine = datasets.load_iris(return_X_y=True), datasets.load_wine(return_X_y=True)
    digits, diabetes = datasets.load_digits(return_X_y=True), datasets.load_diabetes(return_X_y=True)
    cancer = datasets.load_breast_cancer(return_X_y=True)
    # the same problem on both sides (module docstring); LINEAR_SVC_DEFAULTS: scikit-learn's defaults
    linear_svc = LinearSVC(C=1.0, loss="hinge", intercept_scaling=10, max_iter=100_000)
    linear_svc_defaults = LinearSVC()

    def grid_search():
        search = GridSearchCV(make_pipeline(StandardScaler(), SVC()),
                              {"svc__C": [0.1, 1.0, 10.0], "svc__gamma": [0.01, 0.1, "scale"]}, cv=5)
        return search.fit(*cancer).best_score_

    return [
        ("iris, StandardScaler + LogisticRegression, cv=5",
         lambda: cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), *iris, cv=5).mean()),
        ("wine, StandardScaler + SVC, cv=5",
         lambda: cross_val_score(make_pipeline(StandardScaler(), SVC()), *wine, cv=5).mean()),
        ("digits, SVC, cv=5", lambda: cross_val_score(SVC(), *digits, cv=5).mean()),
        ("diabetes, Ridge, cv=5", lambda: cross_val_score(Ridge(), *diabetes, cv=5).mean()),
        ("digits, StandardScaler + LinearSVC, cv=5",
         lambda: cross_val_score(make_pipeline(StandardScaler(), linear_svc), *digits, cv=5).mean()),
        (LINEAR_SVC_DEFAULTS,
         lambda: cross_val_score(make_pipeline(StandardScaler(), linear_svc_defaults), *digits, cv=5).mean()),
        ("digits, StandardScaler + MLPClassifier(max_iter=50), cv=5",
         lambda: cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(max_iter=50, random_state=0)),
                                 *digits, cv=5).mean()),
        ("breast_cancer, GridSearchCV(StandardScaler + SVC, 3 C × 3 γ, cv=5)", grid_search),
    ]


def timed(fn):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # convergence warnings of the short MLP and LinearSVC runs
        score = fn()
    return time.perf_counter() - start, float(score)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each workload in this process")
    args = parser.parse_args()
    from jaxlearn.compilation_cache import cache_folder

    folder = jax.config.jax_compilation_cache_dir or cache_folder()
    entries = len(list(Path(folder).glob("*-cache"))) if folder and Path(folder).is_dir() else 0
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}; "
          f"compilation cache: {folder or 'off'} ({entries} entries at the start)")
    ours, theirs = workloads(True), workloads(False)
    totals = np.zeros((args.repeats, 2))
    linear_svc = {}      # (run, at scikit-learn's defaults?) → (jaxlearn, scikit-learn) seconds
    for (name, jaxlearn_fn), (_, sklearn_fn) in zip(ours, theirs):
        print(name)
        for run in range(args.repeats):
            (t_ours, s_ours), (t_theirs, s_theirs) = timed(jaxlearn_fn), timed(sklearn_fn)
            if "LinearSVC" in name:
                linear_svc[run, name == LINEAR_SVC_DEFAULTS] = np.array([t_ours, t_theirs])
            if name != LINEAR_SVC_DEFAULTS:
                totals[run] += t_ours, t_theirs
            label = "first run " if run == 0 else f"run {run + 1}     "
            print(f"  {label} jaxlearn {t_ours:7.3f} s (score {s_ours:.4f})   scikit-learn {t_theirs:7.3f} s "
                  f"(score {s_theirs:.4f})   ratio {t_ours / t_theirs:6.1f}   |Δscore| {abs(s_ours - s_theirs):.4f}")
    for run in range(args.repeats):
        label = "first runs" if run == 0 else f"run {run + 1}"
        print(f"total, {label}: jaxlearn {totals[run, 0]:.2f} s, scikit-learn {totals[run, 1]:.2f} s, "
              f"ratio {totals[run, 0] / totals[run, 1]:.1f}")
    for run in range(args.repeats):
        label = "first runs" if run == 0 else f"run {run + 1}"
        other = totals[run] - linear_svc[run, False] + linear_svc[run, True]
        print(f"total with scikit-learn's LinearSVC defaults instead, {label}: jaxlearn {other[0]:.2f} s, "
              f"scikit-learn {other[1]:.2f} s, ratio {other[0] / other[1]:.1f}")


if __name__ == "__main__":
    main()
