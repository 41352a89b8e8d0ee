"""Shared helpers for the neural-network experiments: data once, one training curve per config."""

import time
import warnings

import jax
import jax.numpy as jnp

from jaxlearn import UnscaledInputWarning
from jaxlearn.training import TrainConfig, evaluate, fit
from jaxlearn.training.runs import prepare_data

_CACHE = {}


def data(name: str, *, quick: bool, scale: bool = True) -> dict:
    """Train / validation / test arrays; quick mode keeps 10 000 training images."""
    key = (name, quick, scale)
    if key not in _CACHE:
        d = prepare_data(name, validation_size=5000, seed=0, scale=scale)
        if quick:
            d = d | {"X_train": d["X_train"][:10_000], "y_train": d["y_train"][:10_000]}
        _CACHE[key] = d
    return _CACHE[key]


def train_curve(config: TrainConfig, d: dict) -> dict:
    """Train, then return the per-epoch history, the test accuracy and the wall time."""
    start = time.perf_counter()
    with warnings.catch_warnings():     # unscaled pixels on purpose: the lecture's scaling comparison
        warnings.simplefilter("ignore", UnscaledInputWarning)
        state, history = fit(config, d["X_train"], d["y_train"], d["X_val"], d["y_val"], n_classes=10,
                             progress=False)
    seconds = time.perf_counter() - start
    test = evaluate(state, jnp.asarray(d["X_test"]), jnp.asarray(d["y_test"]), config)
    n_parameters = sum(int(leaf.size) for leaf in jax.tree_util.tree_leaves(state.params))
    return {"history": history, "test_accuracy": test["accuracy"], "seconds": seconds, "parameters": n_parameters}
