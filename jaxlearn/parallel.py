"""Data parallelism over several devices: a 1-D mesh, the batch split over it, everything else replicated.

    mesh = Mesh(devices, ("data",))
    each global minibatch (batch_size rows) → batch_size / D rows on each of the D devices
    parameters, optimizer state and the training set → a full copy on every device
    ∇L = (1/B) Σ over the whole batch → XLA's all-reduce over the mesh (NCCL on GPUs)

Nothing but the shardings changes: the same jitted step runs, and XLA (GSPMD) partitions it.
A data-parallel fit sees the same global batches in the same order as a one-device fit, so it
ends with the same parameters up to the order of floating-point sums.

Several processes (`jax.distributed.initialize`, one per host or GPU): the mesh spans the
devices of all of them. Every process holds the whole data set on the host and runs the same
program; `put` places on each process's own devices only its share of a global array (its
rows of each batch, its copy of what is replicated).
"""

from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

__all__ = ["device_count", "data_mesh", "local_mesh", "check_batch_size", "put", "replicated", "shard_rows",
           "batch_rows", "host_copy", "addressable", "describe"]

AXIS = "data"


def data_mesh(devices=None) -> Mesh | None:
    """The 1-D mesh named "data" over `devices`, or None for a single device (the plain path).

    devices: None (every device JAX sees, in every process), a count N (the first N of them),
    a sequence of `jax.Device`, or a `Mesh` with a "data" axis (used as given).
    """
    if isinstance(devices, Mesh):
        if AXIS not in devices.axis_names:
            raise ValueError(f"devices: a Mesh for data parallelism needs an axis named {AXIS!r}, got axes "
                             f"{devices.axis_names}")
        return devices if devices.devices.size > 1 else None
    available = jax.devices()
    if devices is None:
        chosen = available
    elif isinstance(devices, bool | str | bytes) or not isinstance(devices, int | np.integer | Sequence):
        raise TypeError(f"devices must be None, a device count, a sequence of jax devices or a Mesh, got "
                        f"{type(devices).__name__}")
    elif isinstance(devices, int | np.integer):
        if not 1 <= devices <= len(available):
            raise ValueError(f"devices={devices}: JAX sees {len(available)} device(s) "
                             f"({available[0].platform}); choose 1 … {len(available)}")
        chosen = available[:int(devices)]
    else:
        chosen = list(devices)
        if not chosen or not all(isinstance(d, jax.Device) for d in chosen):
            raise TypeError("devices: a sequence must hold one or more jax.Device objects (see jax.devices())")
        if len(set(chosen)) != len(chosen):
            raise ValueError("devices: the same device appears twice")
    if len(chosen) == 1:
        return None
    return Mesh(np.array(chosen), (AXIS,), axis_types=(AxisType.Auto,))


def check_batch_size(batch_size: int, mesh: Mesh | None) -> None:
    """The global batch must split evenly over the devices (each gets batch_size / D rows)."""
    if mesh is None:
        return
    n = mesh.devices.size
    if batch_size % n:
        lower, upper = batch_size // n * n, -(-batch_size // n) * n
        options = f"{lower} or {upper}" if lower else f"{upper}"
        raise ValueError(f"batch_size={batch_size} does not split over {n} devices; use a multiple of {n} "
                         f"(e.g. {options}), or fewer devices")


def put(tree, sharding):
    """device_put of a pytree with `sharding`, also when the mesh spans several processes: each
    process then supplies the pieces its own devices hold (every process holds the same values:
    host arrays, or replicas)."""
    if sharding is None or sharding.is_fully_addressable:
        return jax.device_put(addressable(tree), sharding)

    def one(leaf):
        leaf = host_copy(leaf)
        return jax.make_array_from_callback(leaf.shape, sharding, lambda index: leaf[index])

    return jax.tree_util.tree_map(one, tree)


def host_copy(tree):
    """A pytree of NumPy arrays from (replicated or single-device) JAX arrays, also when they span
    several processes (each process reads its own replica)."""
    def one(leaf):
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            if not leaf.is_fully_replicated:
                raise ValueError("host_copy: an array split over several processes has no full copy here")
            return np.asarray(leaf.addressable_data(0))
        return np.asarray(leaf)

    return jax.tree_util.tree_map(one, tree)


def addressable(tree):
    """tree itself when this process can use all of it, else its `host_copy`."""
    leaves = jax.tree_util.tree_leaves(tree)
    if all(not isinstance(leaf, jax.Array) or leaf.is_fully_addressable for leaf in leaves):
        return tree
    return host_copy(tree)


def local_mesh(mesh: Mesh | None) -> Mesh | None:
    """The part of mesh on this process's devices (None for one): for work whose every row comes
    back to this process's host (predictions)."""
    if mesh is None or not mesh.is_multi_process:
        return mesh
    return data_mesh([d for d in mesh.devices.flat if d.process_index == jax.process_index()])


def replicated(mesh: Mesh) -> NamedSharding:
    """A full copy on every device of the mesh."""
    return NamedSharding(mesh, PartitionSpec())


def batch_rows(mesh: Mesh, axis: int = 0) -> NamedSharding:
    """Split along `axis` over the mesh's data axis (axis 1 of an epoch's (n_batches, batch_size)
    sample indices: each device gathers its rows of every batch)."""
    spec = [None] * (axis + 1)
    spec[axis] = AXIS
    return NamedSharding(mesh, PartitionSpec(*spec))


def device_count(mesh: Mesh | None) -> int:
    return 1 if mesh is None else mesh.devices.size


def shard_rows(array, mesh: Mesh | None):
    """array (host) on the device (mesh None), or its rows split over the mesh's data axis."""
    return put(array, None if mesh is None else batch_rows(mesh))


def describe(mesh: Mesh | None) -> str:
    """'1 device (cpu)' or '4 devices (cpu), 1 process': for logs and run folders."""
    if mesh is None:
        return f"1 device ({jax.devices()[0].platform})"
    devices = list(mesh.devices.flat)
    processes = len({d.process_index for d in devices})
    return f"{len(devices)} devices ({devices[0].platform}), {processes} process{'es' if processes > 1 else ''}"
