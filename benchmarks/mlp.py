"""The same MLP trained by jaxlearn, PyTorch (CPU) and scikit-learn, side by side, on MNIST.

Network 784-256-256-10, ReLU, softmax cross-entropy, Adam with a constant learning rate
1e-3, batch 128, 10 epochs, pixels scaled to [0, 1], the 60 000 training images, tested on
the 10 000 test images. Prints seconds per epoch (steady state, after the first epoch,
which includes JIT compilation for jaxlearn), samples per second, test accuracy, the
throughput ratios and the GFLOP/s jaxlearn reaches.

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.mlp [--epochs N] [--no-sklearn]
PyTorch is not a dependency of jaxlearn: `pip install torch==2.13.0` (a CPU build here).
"""

import argparse
import os
import platform
import time
import warnings

import jax
import numpy as np

from benchmarks._torch import train_epochs
from jaxlearn.data import flatten_images, load_mnist
from jaxlearn.train import TrainConfig, evaluate, fit

HIDDEN, BATCH, LR = (256, 256), 128, 1e-3
# Matrix-product flops per training sample: forward 2·n_in·n_out per layer, backward 2·n_in·n_out
# for ∂L/∂W and another 2·n_in·n_out for ∂L/∂a^{l−1}, which the first layer does not need.
FLOPS_PER_SAMPLE = 4 * 784 * 256 + 6 * (256 * 256 + 256 * 10)


def run_jaxlearn(X, y, Xt, yt, epochs):
    config = TrainConfig(hidden=HIDDEN, optimizer="adam", learning_rate=LR, schedule="constant",
                         batch_size=BATCH, epochs=epochs, seed=0)
    stamps = [time.perf_counter()]
    state, _ = fit(config, X, y, progress=False, on_epoch_end=lambda *_: stamps.append(time.perf_counter()))
    accuracy = evaluate(state.params, jax.numpy.asarray(Xt), jax.numpy.asarray(yt), config)["accuracy"]
    return np.diff(stamps), accuracy


def run_torch(X, y, Xt, yt, epochs):
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, HIDDEN[0]), nn.ReLU(), nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                          nn.Linear(HIDDEN[1], 10))
    times = train_epochs(model, torch.from_numpy(X), torch.from_numpy(y.astype(np.int64)), epochs=epochs,
                         batch=BATCH, lr=LR)
    with torch.no_grad():
        accuracy = (model(torch.from_numpy(Xt)).argmax(1).numpy() == yt).mean()
    return times, float(accuracy)


def run_sklearn(X, y, Xt, yt, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(HIDDEN, solver="adam", learning_rate_init=LR, batch_size=BATCH, max_iter=epochs,
                          alpha=0.0, shuffle=True, random_state=0, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    total = time.perf_counter() - start
    return np.full(epochs, total / epochs), float(model.score(Xt, yt))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn (the slowest)")
    args = parser.parse_args()
    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images), data.train_labels.astype(np.int32)
    Xt, yt = flatten_images(data.test_images), data.test_labels.astype(np.int32)
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}; "
          f"MNIST 784-{HIDDEN[0]}-{HIDDEN[1]}-10, ReLU, Adam {LR}, batch {BATCH}, {args.epochs} epochs")
    runners = {"jaxlearn": run_jaxlearn, "pytorch": run_torch}
    if not args.no_sklearn:
        runners["scikit-learn"] = run_sklearn
    results = {}
    for name, runner in runners.items():
        times, accuracy = runner(X, y, Xt, yt, args.epochs)
        steady = float(np.median(times[1:])) if len(times) > 1 else float(times[0])
        results[name] = (times, steady, accuracy)
        print(f"  {name:<13} first epoch {times[0]:6.2f} s, then {steady:6.3f} s/epoch, "
              f"{X.shape[0] / steady:9.0f} samples/s, total {times.sum():6.1f} s, "
              f"test accuracy {100 * accuracy:.2f}%", flush=True)
    ours = results["jaxlearn"][1]
    for name, (_, steady, _) in results.items():
        if name != "jaxlearn":
            print(f"jaxlearn throughput / {name}: {steady / ours:.2f}×")
    print(f"jaxlearn reaches {FLOPS_PER_SAMPLE * X.shape[0] / ours / 1e9:.1f} GFLOP/s "
          f"({FLOPS_PER_SAMPLE / 1e6:.2f} MFLOP of matrix products per training sample)")


if __name__ == "__main__":
    main()
