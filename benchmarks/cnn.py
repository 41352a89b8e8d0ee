"""The default CNN trained by jaxlearn and by PyTorch (CPU), side by side, on MNIST.

Network c32-p-c64-p-d128 (3×3 convolutions with "SAME" padding, 2×2 max pooling, a dense layer
of 128, ReLU), softmax cross-entropy, Adam with a constant learning rate 1e-3, batch 128, no
augmentation, pixels in [0, 1], --train-size training images, tested on the 10 000 test images.
Prints seconds per epoch (the first includes jaxlearn's compilation; "steady" is the mean of the
later ones), images per second, test accuracy and the ratio of steady throughputs
(jaxlearn / PyTorch: above 1, jaxlearn is faster).

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.cnn [--epochs 3] [--train-size 60000]
PyTorch is not a dependency of jaxlearn: `pip install torch==2.13.0` (a CPU build here).
"""

import argparse
import os
import platform
import time

import jax
import numpy as np

from benchmarks._torch import train_epochs
from jaxlearn.data import flatten_images, load_mnist
from jaxlearn.train import TrainConfig, evaluate, fit

ARCHITECTURE, BATCH, LR = "c32-p-c64-p-d128", 128, 1e-3


def run_jaxlearn(X, y, Xt, yt, epochs):
    config = TrainConfig(model="cnn", architecture=ARCHITECTURE, optimizer="adam", learning_rate=LR,
                         schedule="constant", batch_size=BATCH, epochs=epochs, seed=0)
    stamps = [time.perf_counter()]
    state, _ = fit(config, X, y, progress=False, on_epoch_end=lambda *_: stamps.append(time.perf_counter()))
    return np.diff(stamps), evaluate(state.params, Xt, yt, config)["accuracy"]


def run_torch(X, y, Xt, yt, epochs):
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    times = train_epochs(model, torch.from_numpy(X.reshape(-1, 1, 28, 28)), torch.from_numpy(y.astype(np.int64)),
                         epochs=epochs, batch=BATCH, lr=LR)
    with torch.no_grad():
        predicted = model(torch.from_numpy(Xt.reshape(-1, 1, 28, 28))).argmax(dim=1).numpy()
    return times, float((predicted == yt).mean())


def describe(name, seconds, accuracy, n):
    steady = seconds[1:].mean() if len(seconds) > 1 else seconds[0]
    print(f"  {name:9s} epochs {', '.join(f'{s:.1f}' for s in seconds)} s; steady {steady:6.2f} s/epoch "
          f"({n / steady:7.0f} images/s); test accuracy {100 * accuracy:.2f} %")
    return steady


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=60_000)
    args = parser.parse_args()
    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images)[:args.train_size], data.train_labels[:args.train_size].astype(np.int32)
    Xt, yt = flatten_images(data.test_images), data.test_labels.astype(np.int32)
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}; "
          f"CNN {ARCHITECTURE}, Adam {LR}, batch {BATCH}, {args.epochs} epochs on {len(X)} images")
    n = (len(X) // BATCH) * BATCH
    ours = describe("jaxlearn", *run_jaxlearn(X, y, Xt, yt, args.epochs), n)
    try:
        import torch
    except ImportError:
        print("  PyTorch is not installed (pip install torch==2.13.0): no comparison")
        return
    theirs = describe(f"PyTorch {torch.__version__.split('+')[0]}", *run_torch(X, y, Xt, yt, args.epochs), n)
    print(f"  steady throughput ratio jaxlearn / PyTorch: {theirs / ours:.2f} (above 1: jaxlearn is faster)")


if __name__ == "__main__":
    main()
