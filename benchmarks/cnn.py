"""The default CNN trained by jaxlearn and by PyTorch, side by side, on MNIST (the CPU here; on a
GPU both use it, device_check.sh).

The network is jaxlearn's default CNN (or --architecture): 3×3 convolutions with "SAME" padding,
batch normalisation and dropout where the architecture has them, 2×2 max pooling, dense layers,
ReLU; PyTorch builds the same layers (benchmarks/_torch.py). Softmax cross-entropy, Adam with a
constant learning rate 1e-3, batch 128, no augmentation, pixels in [0, 1], --train-size training
images, tested on the 10 000 test images.
Prints seconds per epoch (the first includes jaxlearn's compilation; "steady" is the mean of the
later ones), images per second, test accuracy and the ratio of steady throughputs
(jaxlearn / PyTorch: above 1, jaxlearn is faster).

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.cnn [--epochs 3] [--train-size 60000] [--quick]
PyTorch is not a dependency of jaxlearn: `pip install torch==2.13.0` (a CPU build here).
"""

import argparse
import os
import platform
import time

import jax
import numpy as np

from benchmarks._torch import predict, torch_cnn, train_epochs
from jaxlearn.data import flatten_images, load_mnist
from jaxlearn.training import TrainConfig, evaluate, fit

BATCH, LR = 128, 1e-3


def run_jaxlearn(X, y, Xt, yt, epochs, architecture):
    config = TrainConfig(model="cnn", architecture=architecture, optimizer="adam", learning_rate=LR,
                         schedule="constant", batch_size=BATCH, epochs=epochs, seed=0)
    stamps = [time.perf_counter()]
    state, _ = fit(config, X, y, progress=False, on_epoch_end=lambda *_: stamps.append(time.perf_counter()))
    return np.diff(stamps), evaluate(state, Xt, yt, config)["accuracy"]


def run_torch(X, y, Xt, yt, epochs, architecture):
    import torch

    torch.manual_seed(0)
    model = torch_cnn(architecture)
    times = train_epochs(model, torch.from_numpy(X.reshape(-1, 1, 28, 28)), torch.from_numpy(y.astype(np.int64)),
                         epochs=epochs, batch=BATCH, lr=LR)
    predicted = predict(model, torch.from_numpy(Xt.reshape(-1, 1, 28, 28)))
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
    parser.add_argument("--architecture", default=TrainConfig().architecture,
                        help="a jaxlearn CNN architecture (default: the default CNN, %(default)s)")
    parser.add_argument("--quick", action="store_true", help="2 epochs on 6400 images (a smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.train_size = 2, 6400
    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images)[:args.train_size], data.train_labels[:args.train_size].astype(np.int32)
    Xt, yt = flatten_images(data.test_images), data.test_labels.astype(np.int32)
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}; "
          f"CNN {args.architecture}, Adam {LR}, batch {BATCH}, {args.epochs} epochs on {len(X)} images")
    n = (len(X) // BATCH) * BATCH
    ours = describe("jaxlearn", *run_jaxlearn(X, y, Xt, yt, args.epochs, args.architecture), n)
    try:
        import torch
    except ImportError:
        print("  PyTorch is not installed (pip install torch==2.13.0): no comparison")
        return
    from benchmarks._torch import device

    theirs = describe(f"PyTorch {torch.__version__.split('+')[0]} ({device().type})",
                      *run_torch(X, y, Xt, yt, args.epochs, args.architecture), n)
    print(f"  steady throughput ratio jaxlearn / PyTorch: {theirs / ours:.2f} (above 1: jaxlearn is faster)")


if __name__ == "__main__":
    main()
