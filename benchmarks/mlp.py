"""The same MLP trained by jaxlearn, PyTorch and scikit-learn, side by side, on MNIST: steady
throughput and whole runs, first epoch and compilation included, with a cold and a warm
compilation cache.

Network 784-256-256-10, ReLU, softmax cross-entropy, Adam with a constant learning rate 1e-3,
batch 128, 10 epochs, pixels scaled to [0, 1], the 60 000 training images, tested on the
10 000 test images. Every run is a fresh process (`--worker`), timed from inside: the first
epoch includes jaxlearn's compilation, "steady" is the median of the later epochs, "whole run"
the sum of all of them. Round r seeds every library with r (the test accuracies are means over
the rounds' seeds). jaxlearn runs twice per round on a new, empty compilation cache folder:
"cold" (everything compiles) and "warm" (its programs come from that cache). --repeats rounds;
each time is the best round's, with the spread (min–max over rounds) after it, and each ratio
the best PyTorch time over the best jaxlearn time, with the ratios within each round after it. Also prints the
GFLOP/s of jaxlearn's matrix products and their fraction of the CPU's fp32 peak (--peak).

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.mlp [--repeats 3] [--epochs 10]
     [--sklearn] [--quick]
PyTorch is not a dependency of jaxlearn: `pip install torch==2.13.0` (a CPU build here).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HIDDEN, BATCH, LR = (256, 256), 128, 1e-3
# Matrix-product flops per training sample: forward 2·n_in·n_out per layer, backward 2·n_in·n_out
# for ∂L/∂W and another 2·n_in·n_out for ∂L/∂a^{l−1}, which the first layer does not need.
FLOPS_PER_SAMPLE = 4 * 784 * 256 + 6 * (256 * 256 + 256 * 10)
# This machine's AMD EPYC (Zen 4): 2 cores × 2 FMA pipes × 16 fp32 lanes (AVX-512 split in two
# 256-bit halves) × 2 flops × ~3.4 GHz ≈ 220 GFLOP/s.
PEAK_GFLOPS = 220.0


def _data(train_size: int):
    from jaxlearn.data import flatten_images, load_mnist

    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images)[:train_size], data.train_labels[:train_size].astype(np.int32)
    return X, y, flatten_images(data.test_images), data.test_labels.astype(np.int32)


def run_jaxlearn(X, y, Xt, yt, epochs, seed):
    import jax

    from jaxlearn.training import TrainConfig, evaluate, fit

    config = TrainConfig(hidden=HIDDEN, optimizer="adam", learning_rate=LR, schedule="constant",
                         batch_size=BATCH, epochs=epochs, seed=seed)
    stamps = [time.perf_counter()]
    state, _ = fit(config, X, y, progress=False, on_epoch_end=lambda *_: stamps.append(time.perf_counter()))
    accuracy = evaluate(state.params, jax.numpy.asarray(Xt), jax.numpy.asarray(yt), config)["accuracy"]
    return np.diff(stamps), accuracy


def run_torch(X, y, Xt, yt, epochs, seed):
    import torch
    from torch import nn

    from benchmarks._torch import predict, train_epochs

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, HIDDEN[0]), nn.ReLU(), nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                          nn.Linear(HIDDEN[1], 10))
    times = train_epochs(model, torch.from_numpy(X), torch.from_numpy(y.astype(np.int64)), epochs=epochs,
                         batch=BATCH, lr=LR)
    return times, float((predict(model, torch.from_numpy(Xt)) == yt).mean())


def run_sklearn(X, y, Xt, yt, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(HIDDEN, solver="adam", learning_rate_init=LR, batch_size=BATCH, max_iter=epochs,
                          alpha=0.0, shuffle=True, random_state=seed, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    total = time.perf_counter() - start
    return np.full(epochs, total / epochs), float(model.score(Xt, yt))


RUNNERS = {"jaxlearn": run_jaxlearn, "pytorch": run_torch, "scikit-learn": run_sklearn}


def worker(name: str, epochs: int, train_size: int, seed: int) -> None:
    """One run in this process; its epoch times and accuracy as one JSON line on stdout."""
    X, y, Xt, yt = _data(train_size)
    times, accuracy = RUNNERS[name](X, y, Xt, yt, epochs, seed)
    print(json.dumps({"times": [float(t) for t in times], "accuracy": float(accuracy)}))


def _spawn(name: str, args, seed: int, cache: str | None = None) -> dict:
    env = dict(os.environ)
    if cache is not None:
        env["JAXLEARN_COMPILATION_CACHE"] = cache
    command = [sys.executable, "-m", "benchmarks.mlp", "--worker", name, "--epochs", str(args.epochs),
               "--train-size", str(args.train_size), "--seed", str(seed)]
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the {name} run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    times = np.array(result["times"])
    result |= {"first": times[0], "steady": float(np.median(times[1:])) if len(times) > 1 else times[0],
               "whole": float(times.sum())}
    return result


def _spread(values, best=min) -> str:
    return f"{best(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of fresh processes (default 3)")
    parser.add_argument("--train-size", type=int, default=60_000)
    parser.add_argument("--sklearn", action="store_true", help="also time scikit-learn, once (the slowest)")
    parser.add_argument("--no-sklearn", action="store_true", help=argparse.SUPPRESS)   # the former default
    parser.add_argument("--peak", type=float, default=PEAK_GFLOPS, help="the CPU's fp32 peak in GFLOP/s")
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 round (a smoke test)")
    parser.add_argument("--worker", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.repeats = 2, 1
    if args.worker:
        worker(args.worker, args.epochs, args.train_size, args.seed)
        return
    import jax

    try:
        import torch  # noqa: F401
        has_torch = True
    except ImportError:
        has_torch = False
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX {jax.__version__} on {jax.devices()[0].device_kind}; "
          f"MNIST 784-{HIDDEN[0]}-{HIDDEN[1]}-10, ReLU, Adam {LR}, batch {BATCH}, {args.epochs} epochs, "
          f"{args.repeats} round(s) of fresh processes", flush=True)
    rounds = []
    for r in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="jaxlearn-cache-") as cache:
            row = {"jaxlearn cold": _spawn("jaxlearn", args, r, cache),
                   "jaxlearn warm": _spawn("jaxlearn", args, r, cache)}
        if has_torch:
            row["pytorch"] = _spawn("pytorch", args, r)
        rounds.append(row)
        print(f"  round {r + 1}: " + "; ".join(
            f"{name} first {v['first']:.2f} s, steady {v['steady']:.3f} s/epoch, whole {v['whole']:.2f} s, "
            f"accuracy {100 * v['accuracy']:.2f} %" for name, v in row.items()), flush=True)
    n = (args.train_size // BATCH) * BATCH
    print("\nbest round (min–max over rounds):")
    for name in rounds[0]:
        steady = [r[name]["steady"] for r in rounds]
        whole = [r[name]["whole"] for r in rounds]
        first = [r[name]["first"] for r in rounds]
        print(f"  {name:<14} first epoch {_spread(first)} s, steady {_spread(steady)} s/epoch "
              f"({n / min(steady):8.0f} samples/s), whole run {_spread(whole)} s, "
              f"test accuracy {100 * np.mean([r[name]['accuracy'] for r in rounds]):.2f} %")
    if has_torch:
        print("\nratios jaxlearn / PyTorch throughput (above 1: jaxlearn is faster): best against best, then the "
              "ratio within each round (min–max):")
        for name, key in (("jaxlearn cold", "steady"), ("jaxlearn cold", "whole"), ("jaxlearn warm", "whole")):
            best = min(r["pytorch"][key] for r in rounds) / min(r[name][key] for r in rounds)
            ratios = [r["pytorch"][key] / r[name][key] for r in rounds]
            what = "steady epochs" if key == "steady" else f"whole {args.epochs}-epoch run, {name.split()[1]} cache"
            print(f"  {what:<32} {best:.2f}× ({min(ratios):.2f}–{max(ratios):.2f})")
    steady = min(min(r["jaxlearn cold"]["steady"], r["jaxlearn warm"]["steady"]) for r in rounds)
    gflops = FLOPS_PER_SAMPLE * n / steady / 1e9
    print(f"\njaxlearn's matrix products: {gflops:.1f} GFLOP/s in its best steady epoch, "
          f"{100 * gflops / args.peak:.0f} % of the {args.peak:.0f} GFLOP/s fp32 peak "
          f"({FLOPS_PER_SAMPLE / 1e6:.2f} MFLOP per training sample)")
    if args.sklearn:
        sk = _spawn("scikit-learn", args, 0)
        print(f"scikit-learn: {sk['whole']:.1f} s for {args.epochs} epochs, accuracy {100 * sk['accuracy']:.2f} %")


if __name__ == "__main__":
    main()
