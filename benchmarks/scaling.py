"""Data-parallel MLP training on 1, 2, 4 … devices: steps per second, and what each step communicates.

The MLP benchmark's network (784-256-256-10, Adam, batch 128) trained for --epochs on MNIST with
`fit(devices=D)` for each D, in one process that sees every device. Prints the steady steps per
second (the epochs after the first), the speed-up over one device, the test accuracy, and the
data-parallel step's communication: one all-reduce of the gradient, as many numbers as
parameters. Every D sees the same batches in the same order; only the order of floating-point
sums differs, which a thousand float32 Adam steps amplify into a few test images either way
(tests/test_parallel.py checks equality to 1e-5 on a short run).

Without a GPU the devices can be faked: JAX_NUM_CPU_DEVICES=4 splits this machine's CPU into 4
devices that share its cores, which shows that the path works and what it costs, not a speed-up
(the script says so when the devices are CPUs).

Run: JAX_NUM_CPU_DEVICES=4 JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.scaling [--epochs 3]
"""

import argparse
import os
import platform
import time

import jax
import numpy as np

from jaxlearn.data import flatten_images, load_mnist
from jaxlearn.training import TrainConfig, evaluate, fit

HIDDEN, BATCH = (256, 256), 128


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per device count (the first is not timed)")
    parser.add_argument("--devices", type=int, nargs="+", default=None,
                        help="device counts to run (default: 1, 2, 4, … up to all, dividing the batch)")
    parser.add_argument("--train-size", type=int, default=60_000, help="training images")
    args = parser.parse_args()
    available = jax.devices()
    counts = args.devices or [d for d in (1, 2, 4, 8, 16, 32, 64) if d <= len(available) and BATCH % d == 0]
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX backend {jax.default_backend()}: {len(available)} "
          f"device(s), {available[0].device_kind}")
    if available[0].platform == "cpu" and len(available) > 1:
        print(f"  these are {len(available)} CPU devices sharing {os.cpu_count()} cores (JAX_NUM_CPU_DEVICES): "
              "they show that the data-parallel path works and what it costs, not a speed-up")
    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images)[:args.train_size], data.train_labels[:args.train_size].astype(np.int32)
    Xt, yt = flatten_images(data.test_images), data.test_labels.astype(np.int32)
    config = TrainConfig(hidden=HIDDEN, learning_rate=1e-3, schedule="constant", batch_size=BATCH,
                         epochs=args.epochs, seed=0)
    sizes = [784, *HIDDEN, 10]
    n_params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    steps = X.shape[0] // BATCH
    print(f"784-256-256-10 MLP, Adam, batch {BATCH} (split over the devices), {steps} steps per epoch, "
          f"{args.epochs} epochs per device count")
    print(f"communication per step: one all-reduce of the gradient, {n_params} float32 = "
          f"{n_params * 4 / 2**20:.2f} MiB (a ring all-reduce sends about 2·(D−1)/D of it from each device)")
    baseline = None
    for count in counts:
        stamps = [time.perf_counter()]
        state, _ = fit(config, X, y, progress=False, devices=count,
                       on_epoch_end=lambda *_, stamps=stamps: stamps.append(time.perf_counter()))
        epoch_seconds = np.diff(stamps)
        steady = steps / np.mean(epoch_seconds[1:]) if len(epoch_seconds) > 1 else steps / epoch_seconds[0]
        baseline = baseline or steady
        accuracy = evaluate(state.params, Xt, yt, config)["accuracy"]
        print(f"  {count:2d} device(s): first epoch {epoch_seconds[0]:6.2f} s (compilation included), steady "
              f"{steady:7.1f} steps/s ({steady * BATCH:8.0f} samples/s), ×{steady / baseline:.2f} of one device, "
              f"test accuracy {100 * accuracy:.2f} %", flush=True)


if __name__ == "__main__":
    main()
