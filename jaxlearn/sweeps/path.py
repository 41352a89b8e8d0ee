"""The result of a sweep over a regularisation grid: one model per λ, and each one's validation score."""

import warnings
from typing import Any, NamedTuple

import jax
import numpy as np

from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import check_validation_X, check_vector
from jaxlearn.optim import unconverged_advice


class RegularizationPath(NamedTuple):
    """One coefficient vector per setting (L, N), and the validation score of each (L,) or None."""

    lams: np.ndarray
    thetas: jax.Array
    validation: Any
    score: str            # what `validation` holds: "mse" (lower is better) or "accuracy"

    def best(self) -> int:
        """The index of the setting with the best validation score (NaN scores never win)."""
        if self.validation is None:
            raise ValueError("this path was computed without validation data (give X_val and y_val)")
        scores = np.asarray(self.validation, float)
        if np.isnan(scores).all():
            raise ValueError("no setting has a finite validation score")
        return int(np.nanargmin(scores) if self.score == "mse" else np.nanargmax(scores))


def validation_pair(X_val, y_val, n_features: int, dtype):
    """(X_val (M_v, N), y_val (M_v,)) in the training dtype, or (None, None)."""
    X_val = check_validation_X(X_val, y_val, n_features, dtype)
    if X_val is None:
        return None, None
    y_val = check_vector(y_val, None, "y_val", like=X_val)
    if y_val.shape[0] != X_val.shape[0]:
        raise ValueError(f"y_val has length {y_val.shape[0]} but X_val has {X_val.shape[0]} rows")
    return X_val, y_val


Path = RegularizationPath   # the earlier name (kept working; it collides with pathlib.Path in user code)


def warn_unconverged(what: str, lams, n_iters, grad_norms, tol, max_iter, dtype) -> None:
    n_iters, unconverged = np.asarray(n_iters), ~(np.asarray(grad_norms) <= tol)
    for hit_limit in (True, False):
        which = unconverged & ((n_iters >= max_iter) == hit_limit)
        if which.any():
            warnings.warn(f"{what} stopped {f'after {max_iter} iterations ' if hit_limit else ''}before "
                          f"‖∇L‖_∞ ≤ {tol:g} for λ = {lams[which].tolist()}; "
                          f"{unconverged_advice(max_iter if hit_limit else 0, max_iter, dtype)}",
                          ConvergenceWarning, stacklevel=3)
