"""Central finite differences of a loss along probes of every leaf, in at most two compiled programs.

A probe of leaf i is an entry e_k or a random unit vector v of that leaf, with the leaf's step ε_i:

    FD = (L(θ + ε_i v) − L(θ − ε_i v)) / (2ε_i)

All parameters are raveled into one vector θ (`jax.flatten_util.ravel_pytree`). Entry probes run
as one jitted, vmapped program over (flat index, ±ε); direction probes as one over dense ±ε v
rows (only the large leaves have them). One compilation each, whatever the number of leaves: a
program per leaf cost seconds for a CNN. A loss that cannot be traced is evaluated call by call.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree


@dataclasses.dataclass
class LeafProbes:
    """Leaf i's probes in its own coordinates: unit rows (k, n_i), the step, and what they are."""

    rows: np.ndarray
    step: float
    described: str
    fd: np.ndarray = None            # filled by `finite_differences`: (k,)


def probes_for(size: int, step: float, full: int, directions: int, entries: int, worst: int | None,
               rng) -> LeafProbes:
    """Every entry of a leaf of at most `full` entries; else `directions` random unit vectors and
    `entries` sampled entries, with the worst one of hand against autodiff among them."""
    if size == 0:
        return LeafProbes(np.zeros((0, 0)), step, "empty")
    if size <= full:
        return LeafProbes(np.eye(size), step, "all entries")
    random = rng.normal(size=(directions, size))
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    picked = rng.choice(size, size=min(entries, size), replace=False)
    if worst is not None and worst not in picked:
        picked = np.append(picked, worst)
    units = np.zeros((len(picked), size))
    units[np.arange(len(picked)), picked] = 1.0
    return LeafProbes(np.vstack([random, units]), step,
                      f"{directions} directions + {len(picked)} entries")


def finite_differences(loss_of_params, params, plans: list) -> None:
    """Fill each plan's .fd with the central differences of loss_of_params along its rows."""
    flat, unravel = ravel_pytree(params)
    offsets = np.cumsum([0] + [int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(params)])
    entry_index, entry_step, dense, owners = [], [], [], []      # owners: (plan, row) per probe
    for plan, start, end in zip(plans, offsets[:-1], offsets[1:]):
        for r, row in enumerate(plan.rows):
            nonzero = np.flatnonzero(row)
            if len(nonzero) == 1 and row[nonzero[0]] == 1.0:
                entry_index.append(start + nonzero[0])
                entry_step.append(plan.step)
                owners.append((plan, r, "entry"))
            else:
                step = np.zeros(flat.shape[0])
                step[start:end] = plan.step * row
                dense.append(step)
                owners.append((plan, r, "dense"))
    def loss_at(theta):
        return loss_of_params(unravel(theta))

    entry_fd = _central(lambda f, i, s: f(flat.at[i].add(s)), loss_at, jnp.asarray(entry_index, jnp.int32),
                        jnp.asarray(entry_step, flat.dtype))
    dense_fd = _central(lambda f, _, s: f(flat + s), loss_at, jnp.zeros(len(dense), jnp.int32),
                        jnp.asarray(np.array(dense) if dense else np.zeros((0, flat.shape[0])), flat.dtype))
    for plan in plans:
        plan.fd = np.zeros(plan.rows.shape[0])
    found = {"entry": iter(entry_fd), "dense": iter(dense_fd)}
    for plan, r, kind in owners:
        plan.fd[r] = next(found[kind])


def _central(evaluate, loss_at, index, steps) -> np.ndarray:
    """(L(θ + s) − L(θ − s)) / 2ε per probe (ε = |s|): vmapped and jitted, else one at a time."""
    if steps.shape[0] == 0:
        return np.zeros(0)
    eps = np.abs(np.asarray(steps, np.float64)) if steps.ndim == 1 else np.linalg.norm(np.asarray(steps), axis=1)
    try:
        program = jax.jit(jax.vmap(lambda i, s: evaluate(loss_at, i, s)))
        plus, minus = program(index, steps), program(index, -steps)
    except (jax.errors.JAXTypeError, TypeError, ValueError):      # a loss that cannot be traced
        plus = np.array([evaluate(loss_at, i, s) for i, s in zip(index, steps)])
        minus = np.array([evaluate(loss_at, i, -s) for i, s in zip(index, steps)])
    return (np.asarray(plus, np.float64) - np.asarray(minus, np.float64)) / (2 * eps)
