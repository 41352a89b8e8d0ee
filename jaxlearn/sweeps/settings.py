"""The settings of a sweep's models, checked: equal-length arrays of peak learning rates, seeds,
weight decays, momenta and dropout rates, and each model's data-order seed (`train_many`)."""

import dataclasses

import numpy as np

from jaxlearn._validation import check_grid
from jaxlearn.training.config import TrainConfig


def _settings(config: TrainConfig, learning_rates, seeds, weight_decays=None, momenta=None, dropouts=None):
    """Equal-length arrays: peak learning rates (> 0), seeds (integers ≥ 0), weight decays and
    momenta (≥ 0), dropout rates (in [0, 1)); a setting not given repeats the config's value."""
    if all(v is None for v in (learning_rates, seeds, weight_decays, momenta, dropouts)):
        raise ValueError("give learning_rates, seeds, weight_decays, momenta and/or dropouts to sweep over")
    extra = {name: check_grid(values, name) for name, values in (("weight_decays", weight_decays),
                                                                 ("momenta", momenta), ("dropouts", dropouts))
             if values is not None}
    for name, values in extra.items():
        if np.any(values < 0):
            raise ValueError(f"{name} must be ≥ 0, got {values.tolist()}")
    if "dropouts" in extra:
        if np.any(extra["dropouts"] >= 1):
            raise ValueError(f"dropouts must be < 1 (the fraction of hidden units dropped), got "
                             f"{extra['dropouts'].tolist()}")
        if np.any(extra["dropouts"] > 0):       # the network must take a dropout rate: the config says whether
            try:
                dataclasses.replace(config, dropout=float(np.max(extra["dropouts"])))
            except ValueError as err:
                raise ValueError(f"dropouts: {err}") from None
    if len({len(v) for v in extra.values()}) > 1:
        raise ValueError(f"{' and '.join(f'{k} ({len(v)})' for k, v in extra.items())} must have the same length")
    rates = None if learning_rates is None else check_grid(learning_rates, "learning_rates", strictly_positive=True)
    seeds = None if seeds is None else np.asarray(seeds)
    if seeds is not None and (seeds.ndim != 1 or seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer)
                              or np.any(seeds < 0)):
        raise ValueError(f"seeds must be a non-empty 1-D list of integers ≥ 0, got {seeds}")
    if rates is not None and seeds is not None and len(rates) != len(seeds):
        raise ValueError(f"learning_rates ({len(rates)}) and seeds ({len(seeds)}) must have the same length")
    size = len(rates) if rates is not None else len(seeds) if seeds is not None else len(next(iter(extra.values())))
    for name, values in extra.items():
        if len(values) != size:
            raise ValueError(f"{name} ({len(values)}) must have the length of the other settings ({size})")
    rates = np.full(size, config.learning_rate) if rates is None else rates
    seeds = np.full(size, config.seed) if seeds is None else seeds
    decays = extra.get("weight_decays", np.full(size, config.weight_decay))
    momenta = extra.get("momenta", np.full(size, config.momentum))
    dropouts = extra.get("dropouts", np.full(size, config.dropout))
    return rates, seeds.astype(int), decays, momenta, dropouts


def _data_seeds(data_seeds, seeds: np.ndarray) -> np.ndarray:
    """(S,) data-order seeds: each model's own seed (None), one integer for all, or a list of S."""
    if data_seeds is None:
        return seeds.copy()
    values = np.atleast_1d(np.asarray(data_seeds))
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer) or np.any(values < 0):
        raise ValueError(f"data_seeds must be None, an integer ≥ 0 or a list of them, got {data_seeds!r}")
    if values.size == 1:
        return np.full(len(seeds), int(values[0]))
    if values.size != len(seeds):
        raise ValueError(f"data_seeds has {values.size} seeds but the sweep has {len(seeds)} models")
    return values.astype(int)
