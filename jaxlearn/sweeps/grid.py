"""A grid of settings as one sweep: every combination, one vmapped program (`train_many`).

    sweep(config, X, y, {"learning_rate": [1e-3, 3e-3, 1e-2], "seed": [0, 1, 2]}, X_val=…, y_val=…)

trains the 9 combinations side by side. The grid takes the settings that change only values,
not shapes: learning_rate, weight_decay (decoupled), momentum (optimizer="momentum"), seed (the
initialisation, and by default each model's own shuffles), data_seed (the shuffles, and the
dropout masks, apart) and dropout (the rate of the hidden units, `TrainConfig.dropout`).
A setting left out takes the config's value. "hidden", a list of hidden sizes (such as
[(64,), (128, 64)]), changes the shapes: each size runs as its own program over the rest of the
grid, and the groups come back as one `Sweep` (`results.combine`).
"""

import dataclasses
import itertools
from pathlib import Path

import numpy as np

from jaxlearn.sweeps.networks import Sweep, train_many
from jaxlearn.sweeps.results import combine
from jaxlearn.training.config import TrainConfig

GRID_KEYS = ("learning_rate", "weight_decay", "momentum", "dropout", "seed", "data_seed")
SHAPE_KEYS = ("hidden",)                     # one program per value


def sweep(config: TrainConfig, X, y, grid: dict, **kwargs) -> Sweep:
    """Train every combination of `grid`'s values (a dict of setting → non-empty list) at once.

    kwargs go to `train_many` (X_val, y_val, n_classes, chunk_size, progress, devices). Returns
    the `Sweep`, its models in the order of `itertools.product` over the grid's keys as given.
    """
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict of setting → list of values, such as "
                         f"{{'learning_rate': [1e-3, 1e-2], 'seed': [0, 1]}}; got {grid!r}")
    unknown = [key for key in grid if key not in GRID_KEYS + SHAPE_KEYS]
    if unknown:
        raise ValueError(f"grid: {', '.join(map(repr, unknown))} cannot be swept; the grid takes "
                         f"{', '.join(GRID_KEYS)} (one program) and hidden (one program per hidden size)")
    if "hidden" in grid:
        sizes = grid["hidden"]
        if not isinstance(sizes, list | tuple) or not sizes:
            raise ValueError(f"grid['hidden'] must be a non-empty list of hidden sizes such as [(64,), (128, 64)], "
                             f"got {sizes!r}")
        sizes = [(h,) if isinstance(h, int) else tuple(h) for h in sizes]
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"grid['hidden'] lists a size twice: {sizes}")
        rest = {k: v for k, v in grid.items() if k != "hidden"}
        if not rest:
            raise ValueError("grid: with hidden, give at least one other setting to sweep (learning_rate or seed)")
        return combine([sweep(dataclasses.replace(config, hidden=h), X, y, rest, **_group_kwargs(kwargs, h))
                        for h in sizes], sizes)
    values = {}
    for key, options in grid.items():
        options = list(np.atleast_1d(options)) if not isinstance(options, list | tuple) else list(options)
        if not options:
            raise ValueError(f"grid[{key!r}] is empty; give at least one value")
        values[key] = options
    combos = list(itertools.product(*values.values()))
    column = {key: [combo[i] for combo in combos] for i, key in enumerate(values)}
    return train_many(config, X, y, learning_rates=column.get("learning_rate"),
                      seeds=column.get("seed", [config.seed] * len(combos)), data_seeds=column.get("data_seed"),
                      weight_decays=column.get("weight_decay"), momenta=column.get("momentum"),
                      dropouts=column.get("dropout"), **kwargs)


def _group_kwargs(kwargs: dict, hidden: tuple) -> dict:
    """A group's train_many arguments: its own checkpoint file, named after its hidden sizes."""
    if kwargs.get("checkpoint") is None:
        return kwargs
    path = Path(kwargs["checkpoint"])
    return kwargs | {"checkpoint": path.with_name(f"{path.stem}-{'-'.join(map(str, hidden))}{path.suffix}")}
