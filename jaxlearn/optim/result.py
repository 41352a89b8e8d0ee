"""The one result type of the iterative fits, and what they say when they stop short of tol."""

import warnings
from typing import Any, NamedTuple

import jax.numpy as jnp

from jaxlearn._errors import ConvergenceWarning


class FitResult(NamedTuple):
    """What an iterative fit returns.

    Attributes:
        theta: the parameters: θ (N,), Θ (N, K), or a pytree such as `jaxlearn.svm.LinearSVM`.
        n_iter: iterations taken (for a solver run in stages, summed over the stages).
        grad_norm: ‖∇L‖_∞ at theta, recomputed there.
        converged: grad_norm ≤ tol.
    """

    theta: Any
    n_iter: int
    grad_norm: float
    converged: bool


def default_tol(tol: float | None, dtype) -> float:
    """‖∇L‖_∞ tolerance: 1e-6 in float64; 1e-4 in float32, whose rounding leaves gradients ≈ 1e-5."""
    return (1e-6 if jnp.dtype(dtype) == jnp.float64 else 1e-4) if tol is None else tol


def unconverged_advice(n_iter: int, max_iter: int, dtype) -> str:
    """What to do when ‖∇L‖_∞ > tol after n_iter iterations: more iterations, or more precision."""
    if n_iter < max_iter:   # stopped early: the line search found no decrease
        more_precision = "float64 data with jax_enable_x64, " if jnp.dtype(dtype) != jnp.float64 else ""
        return (f"the loss is flat at {jnp.dtype(dtype).name} precision there; use a larger tol, "
                f"{more_precision}or scale the features")
    return ("raise max_iter, add regularisation (lam > 0; separable data has no finite unregularised "
            "optimum) or scale the features")


def finish(theta, n_iter, grad_norm, tol: float, max_iter: int, what: str) -> FitResult:
    """The `FitResult` of an array θ, with a `ConvergenceWarning` (naming `what`) when ‖∇L‖_∞ > tol."""
    converged = float(grad_norm) <= tol
    if not converged:
        warnings.warn(f"{what} stopped after {int(n_iter)} iterations with ‖∇L‖_∞ = {float(grad_norm):.2g} "
                      f"> tol = {tol:g}; {unconverged_advice(int(n_iter), max_iter, theta.dtype)}",
                      ConvergenceWarning, stacklevel=3)
    return FitResult(theta, int(n_iter), float(grad_norm), converged)
