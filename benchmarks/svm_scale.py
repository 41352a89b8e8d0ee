"""The RBF kernel SVM at scale: jaxlearn's working-set SMO against scikit-learn's SVC (libsvm), side by side.

MNIST (pixels / 255), C = 10, γ = 'scale', one-vs-one, tested on the 10 000 test images, at
M = 10 000, 20 000 and 60 000 training images; then Fashion-MNIST 60 000 with jaxlearn alone
(the published libsvm-based baseline at these settings: 89.7 %). For each M: fit and predict
seconds, test accuracy, support vectors and the peak resident memory of the process that ran
the fit. Every fit runs in a fresh process (so each jaxlearn time includes its JIT compilation,
and each peak memory is that fit's own); jaxlearn takes solver="auto" (the whole Gram matrix up
to 1 GiB, the working set beyond). Ratios are jaxlearn / scikit-learn: below 1, jaxlearn is faster.

Growth with M is printed as the log-log slope between the sizes, and drawn with --plot FILE
(fit time and peak memory against M, both libraries).

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.svm_scale   (about 10 minutes on 2 cores;
--sizes 2000 5000 --no-fashion for a quick look; --skip-sklearn-above M leaves out libsvm's slow fits)
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import time

C, GAMMA = 10.0, "scale"


def _run(library: str, dataset: str, M: int, progress: bool, queue) -> None:
    """One fit and predict in this (child) process; puts a dict of results on the queue."""
    import numpy as np

    from jaxlearn.data import flatten_images, load_mnist

    data = load_mnist(dataset)
    X, y = flatten_images(data.train_images)[:M], data.train_labels[:M].astype(np.int32)
    Xt, yt = flatten_images(data.test_images), data.test_labels.astype(np.int32)
    if library == "jaxlearn":
        import jax

        from jaxlearn import svm

        start = time.perf_counter()
        model = svm.fit_kernel_svm(X, y, "rbf", C, gamma=GAMMA, progress=progress)
        jax.block_until_ready(model.dual_coef)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        predicted = svm.predict(model, Xt)
        predict = time.perf_counter() - start
        n_support, steps = len(model.support), int(np.sum(model.n_iter))
        device = jax.devices()[0].device_kind
    else:
        from sklearn.svm import SVC

        X, Xt = X.astype(np.float64), Xt.astype(np.float64)
        model = SVC(C=C, gamma=GAMMA)
        start = time.perf_counter()
        model.fit(X, y)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        predicted = model.predict(Xt)
        predict = time.perf_counter() - start
        n_support, steps, device = len(model.support_), int(np.sum(model.n_iter_)), "cpu (libsvm)"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024        # Linux: kilobytes
    queue.put(dict(fit=fit, predict=predict, accuracy=float((predicted == yt).mean()), n_support=n_support,
                   steps=steps, peak_bytes=peak, device=device))


def run(library: str, dataset: str, M: int, progress: bool) -> dict:
    """_run in a fresh process (spawned: no JAX state shared with this one)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(library, dataset, M, progress, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def describe(name: str, r: dict) -> str:
    return (f"  {name:13s} fit {r['fit']:7.2f} s   predict {r['predict']:6.2f} s   "
            f"accuracy {100 * r['accuracy']:.2f} %   {r['n_support']:6d} support vectors   "
            f"{r['steps']:8d} SMO steps   peak memory {r['peak_bytes'] / 2**30:5.2f} GiB")


def slopes(sizes, values) -> str:
    import numpy as np

    pairs = [f"{a}→{b}: {np.log(v2 / v1) / np.log(b / a):.2f}"
             for (a, v1), (b, v2) in zip(zip(sizes, values), zip(sizes[1:], values[1:]))]
    return ", ".join(pairs)


def plot(results, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(10, 4))
    for library, marker in (("jaxlearn", "o"), ("scikit-learn", "s")):
        points = sorted((M, r) for (lib, dataset, M), r in results.items() if lib == library and dataset == "mnist")
        if not points:
            continue
        sizes = [M for M, _ in points]
        ax_time.loglog(sizes, [r["fit"] for _, r in points], marker=marker, label=library)
        ax_memory.semilogx(sizes, [r["peak_bytes"] / 2**30 for _, r in points], marker=marker, label=library)
    ax_time.set(xlabel="training images M", ylabel="fit time (s)", title="RBF SVM fit on MNIST (C = 10, log-log)")
    ax_memory.set(xlabel="training images M", ylabel="peak resident memory (GiB)", ylim=(0, None),
                  title="peak memory of the fitting process\n(MNIST loaded: about 0.5 GiB of it)")
    for ax in (ax_time, ax_memory):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot: {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 60_000], help="MNIST training sizes")
    parser.add_argument("--no-fashion", action="store_true", help="leave out Fashion-MNIST 60 000")
    parser.add_argument("--skip-sklearn-above", type=int, default=None, help="no scikit-learn fit above this M")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar for jaxlearn's fits")
    parser.add_argument("--plot", default=None, help="write the log-log plot of fit time and memory here")
    parser.add_argument("--json", default=None, help="write every result here")
    parser.add_argument("--from-json", default=None, help="only draw --plot from the results of an earlier --json")
    args = parser.parse_args()
    if args.from_json:
        with open(args.from_json) as file:
            saved = json.load(file)
        plot({(lib, dataset, int(M)): r for key, r in saved.items() for lib, dataset, M in [key.split("|")]},
             args.plot or "svm_scale.png")
        return
    import jax

    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}; "
          f"RBF SVM, C = {C}, γ = '{GAMMA}', tested on 10 000 images", flush=True)
    results = {}
    for M in args.sizes:
        print(f"MNIST, M = {M}", flush=True)
        ours = results["jaxlearn", "mnist", M] = run("jaxlearn", "mnist", M, not args.no_progress)
        print(describe("jaxlearn", ours), flush=True)
        if args.skip_sklearn_above is not None and M > args.skip_sklearn_above:
            continue
        theirs = results["scikit-learn", "mnist", M] = run("scikit-learn", "mnist", M, False)
        print(describe("scikit-learn", theirs))
        gain = 100 * (ours["accuracy"] - theirs["accuracy"])
        print(f"  ratio jaxlearn / scikit-learn: fit {ours['fit'] / theirs['fit']:.3f}, predict "
              f"{ours['predict'] / theirs['predict']:.3f}; accuracy {gain:+.2f} points", flush=True)
    for library in ("jaxlearn", "scikit-learn"):
        points = sorted((M, r) for (lib, dataset, M), r in results.items() if lib == library and dataset == "mnist")
        if len(points) > 1:
            sizes = [M for M, _ in points]
            print(f"growth with M ({library}, log-log slope): fit time {slopes(sizes, [r['fit'] for _, r in points])}; "
                  f"peak memory {slopes(sizes, [r['peak_bytes'] for _, r in points])}")
    if not args.no_fashion:
        print("Fashion-MNIST, M = 60000 (jaxlearn only; the published libsvm-based baseline: 89.7 %)", flush=True)
        results["jaxlearn", "fashion-mnist", 60_000] = run("jaxlearn", "fashion-mnist", 60_000, not args.no_progress)
        print(describe("jaxlearn", results["jaxlearn", "fashion-mnist", 60_000]))
    if args.plot:
        plot(results, args.plot)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"|".join(map(str, key)): value for key, value in results.items()}, file, indent=1)


if __name__ == "__main__":
    main()
