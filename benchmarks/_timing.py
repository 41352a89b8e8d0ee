"""Timing helpers shared by the benchmark scripts."""

import time

import jax


def best_time(fn, repeats: int = 3, warmup: int = 1) -> float:
    """Best wall-clock seconds of fn() over `repeats` runs, after `warmup` runs (JIT compilation)."""
    for _ in range(warmup):
        jax.block_until_ready(fn())
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        best = min(best, time.perf_counter() - start)
    return best
