"""The convolutions' backward pass three ways, per layer shape: which primitive is fastest?

For z = W ∗ a (3×3 or 1×1 kernels, "SAME" padding, channels-last maps as the CNN runs them) and
a given δ = ∂L/∂z, each formulation computes (∂W, ∂a):

    autodiff  jax.vjp of the forward convolution (XLA's own transposed convolutions)
    hand      the lecture's pass of `jaxlearn.nn.conv_backprop`: ∂W as a correlation of ā with δ
              (samples as the summed axis), ∂a as the full convolution of δ with the flipped kernel
    im2col    ∂W as one matrix product δᵀ · patches(ā) (`conv_general_dilated_patches`), ∂a by autodiff
    shifted   ∂W[:, :, p, q] = δᵀ · ā shifted by (p, q), one product per kernel position, each summed
              over SHIFT_BLOCKS blocks of the samples (batched products); ∂a by autodiff

Per shape: the best milliseconds of `--repeats` calls of the jitted pass at batch 128, the ratio of each to autodiff
(below 1: faster than autodiff) and the largest relative difference from autodiff's result. The
shapes are the layers of the default CNN (c16bn-c16bn-p-c32bn-c32bn-p-…) and of the Fashion-MNIST
recipe's residual network (c32bn-r32-r64s2-r64-r128s2-r128-gap, with its 1×1 projections). A
per-shape choice (an autotuner) pays only where another formulation beats autodiff clearly.

Run: python -m benchmarks.conv_backward [--quick] [--repeats 20]
"""

import argparse
import os
import platform

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks._timing import best_time
from jaxlearn.nn.conv import CHANNELS_LAST
from jaxlearn.nn.conv_backprop import _conv_backward

# (H, n_in, n_out, kernel, stride): the input's side, channels, the kernel's side and the stride
DEFAULT_CNN = [(28, 1, 16, 3, 1), (28, 16, 16, 3, 1), (14, 16, 32, 3, 1), (14, 32, 32, 3, 1)]
RECIPE = [(28, 1, 32, 3, 1), (28, 32, 32, 3, 1), (28, 32, 64, 3, 2), (28, 32, 64, 1, 2), (14, 64, 64, 3, 1),
          (14, 64, 128, 3, 2), (14, 64, 128, 1, 2), (7, 128, 128, 3, 1)]
BATCH = 128


def _conv(W, a, stride, pads):
    return jax.lax.conv_general_dilated(a, W, (stride, stride), pads, dimension_numbers=CHANNELS_LAST)


def autodiff(W, a, delta, stride, pads):
    _, vjp = jax.vjp(lambda W, a: _conv(W, a, stride, pads), W, a)
    return vjp(delta)


def hand(W, a, delta, stride, pads):
    dW, _, da = _conv_backward(W, a, delta, stride, pads, channels_last=True)
    return dW, da


def im2col(W, a, delta, stride, pads):
    n_out, n_in, k_h, k_w = W.shape
    patches = jax.lax.conv_general_dilated_patches(a, (k_h, k_w), (stride, stride), pads,
                                                   dimension_numbers=CHANNELS_LAST)    # (M, H', W', n_in·k_h·k_w)
    dW = jnp.einsum("mhwo,mhwk->ok", delta, patches).reshape(n_out, n_in, k_h, k_w)
    _, vjp = jax.vjp(lambda a: _conv(W, a, stride, pads), a)
    return dW, vjp(delta)[0]


SHIFT_BLOCKS = 32      # of the batch of 128; 4 and 32 were the fastest of 4, 32 and 128 blocks here


def shifted(W, a, delta, stride, pads):
    n_out, n_in, k_h, k_w = W.shape
    padded = jnp.pad(a, ((0, 0), pads[0], pads[1], (0, 0)))
    rows, cols = delta.shape[1], delta.shape[2]
    d = delta.reshape(SHIFT_BLOCKS, -1, n_out)
    products = []
    for p in range(k_h):
        for q in range(k_w):
            window = padded[:, p:p + stride * (rows - 1) + 1:stride, q:q + stride * (cols - 1) + 1:stride, :]
            blocks = jnp.einsum("bko,bki->boi", d, window.reshape(SHIFT_BLOCKS, -1, n_in))   # batched products
            products.append(blocks.sum(axis=0))
    dW = jnp.stack(products, axis=-1).reshape(n_out, n_in, k_h, k_w)
    _, vjp = jax.vjp(lambda a: _conv(W, a, stride, pads), a)
    return dW, vjp(delta)[0]


FORMULATIONS = {"autodiff": autodiff, "hand": hand, "im2col": im2col, "shifted": shifted}


def compare(shape, repeats: int, rng) -> dict:
    """{name: (milliseconds, largest relative difference from autodiff)} for one layer shape."""
    H, n_in, n_out, k, stride = shape
    a = jnp.asarray(rng.normal(size=(BATCH, H, H, n_in)), jnp.float32)
    W = jnp.asarray(rng.normal(size=(n_out, n_in, k, k)), jnp.float32)
    pads = tuple(tuple(p) for p in jax.lax.padtype_to_pads((H, H), (k, k), (stride, stride), "SAME"))
    side = -(-H // stride)
    delta = jnp.asarray(rng.normal(size=(BATCH, side, side, n_out)), jnp.float32)
    results, reference = {}, None
    for name, formulation in FORMULATIONS.items():
        program = jax.jit(formulation, static_argnums=(3, 4))
        out = jax.block_until_ready(program(W, a, delta, stride, pads))          # compiled and warm
        ms = 1e3 * best_time(lambda p=program: p(W, a, delta, stride, pads), repeats, warmup=0)
        reference = out if reference is None else reference
        difference = max(float(jnp.max(jnp.abs(x - r)) / jnp.max(jnp.abs(r))) for x, r in zip(out, reference))
        results[name] = (ms, difference)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per formulation (the best)")
    parser.add_argument("--quick", action="store_true", help="3 repeats of two shapes (a smoke test)")
    args = parser.parse_args()
    shapes = {"default CNN": DEFAULT_CNN, "recipe": RECIPE}
    if args.quick:
        args.repeats, shapes = 3, {"default CNN": DEFAULT_CNN[:1], "recipe": RECIPE[3:4]}
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}; "
          f"batch {BATCH}, best of {args.repeats} calls, ∂W and ∂a of one layer")
    rng = np.random.default_rng(0)
    for network, layers in shapes.items():
        print(f"{network}:")
        for shape in layers:
            H, n_in, n_out, k, stride = shape
            results = compare(shape, args.repeats, rng)
            base = results["autodiff"][0]
            cells = [f"{name} {ms:6.2f} ms ({ms / base:.2f}×, diff {diff:.0e})" for name, (ms, diff) in results.items()]
            print(f"  {H:2d}×{H:<2d} {n_in:3d}→{n_out:<3d} {k}×{k} stride {stride}: " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    main()
