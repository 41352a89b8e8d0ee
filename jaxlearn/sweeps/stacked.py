"""Many models stacked along a leading axis (`train_many`): how many train in one vmapped chunk,
the mesh that splits them over devices, and the chunked map, stacking and per-model selection."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._validation import check_scalar
from jaxlearn.parallel import data_mesh

# On a CPU, the models of one chunk hold at most this many bytes of parameters, so that their
# parameters and Adam moments stay in cache (benchmarks/sweeps.py measures the effect: on a
# 2-core machine, chunks of 4 MLPs 784-128-10, 0.4 MB each, ran an epoch faster than all 16
# at once or one at a time; for 784-256-256-10, 1.1 MB each, one at a time was fastest).
CPU_CHUNK_BYTES = 2 * 2**20


def models_per_chunk(chunk_size, n_models: int, params) -> int:
    """How many models one vmapped step trains: chunk_size if given, else all of them off the
    CPU and, on the CPU, the largest divisor of n_models whose parameters (one model's params:
    arrays, or their shapes as `jax.ShapeDtypeStruct` objects) fit in CPU_CHUNK_BYTES."""
    if chunk_size is not None:
        return min(check_scalar(chunk_size, "chunk_size", minimum=1, integer=True), n_models)
    if jax.default_backend() != "cpu":
        return n_models
    model_bytes = sum(int(np.prod(leaf.shape)) * jnp.dtype(leaf.dtype).itemsize
                      for leaf in jax.tree_util.tree_leaves(params))
    fits = max(1, CPU_CHUNK_BYTES // model_bytes)
    return max(d for d in range(1, n_models + 1) if n_models % d == 0 and d <= fits)


def model_mesh(devices, n_models: int):
    """The mesh that splits n_models over devices, or None for one device (see `train_many`)."""
    if devices is None:
        available = len(jax.devices())
        devices = max(d for d in range(1, available + 1) if n_models % d == 0)
    mesh = data_mesh(devices)
    if mesh is not None and n_models % mesh.devices.size:
        raise ValueError(f"devices: {n_models} models do not split over {mesh.devices.size} devices; sweep a "
                         f"multiple of {mesh.devices.size} models, or pass devices=None (the most devices that "
                         f"divide {n_models})")
    return mesh


def stack(trees):
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)


def chunked_map(f, xs, chunk: int):
    """`jax.lax.map(f, xs, batch_size=chunk)`: f vmapped over chunks of `chunk` models, the chunks
    one after another, then the rest. Written out, because lax.map's own batching reshapes with
    −1, which fails on the empty arrays of a layer without bias (b of shape (0,): a CNN layer
    before its batch normalisation)."""
    n = jax.tree_util.tree_leaves(xs)[0].shape[0]
    whole = n - n % chunk

    def cut(start, stop, shape):
        return jax.tree_util.tree_map(lambda a: a[start:stop].reshape(*shape, *a.shape[1:]), xs)

    parts = []
    if whole:
        out = jax.lax.map(jax.vmap(f), cut(0, whole, (whole // chunk, chunk)))
        parts.append(jax.tree_util.tree_map(lambda a: a.reshape(whole, *a.shape[2:]), out))
    if whole < n:
        parts.append(jax.vmap(f)(cut(whole, n, (n - whole,))))
    return parts[0] if len(parts) == 1 else jax.tree_util.tree_map(lambda *a: jnp.concatenate(a), *parts)


def select_models(keep, new, old):
    """Per model (leading axis): the new state where keep, else the old one."""
    def pick(a, b):
        return jnp.where(keep.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)
    return jax.tree_util.tree_map(pick, new, old)
