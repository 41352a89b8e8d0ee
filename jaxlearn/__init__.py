"""jaxlearn: the 'Introduction to Machine Learning' lecture as a JAX library.

Models are pure functions of parameter pytrees; every hand-derived gradient is
tested against `jax.grad`. The library follows the input dtype and never turns
on `jax_enable_x64` by itself.
"""

from importlib import metadata as _metadata

from jaxlearn._errors import ConvergenceWarning, DivergenceError, SingularMatrixError
from jaxlearn.features import (
    Standardizer,
    fit_standardizer,
    polynomial_features,
    standardize,
    unstandardize,
    vandermonde,
)
from jaxlearn.linear import METHODS, back_substitution, least_squares_grad, least_squares_loss, solve
from jaxlearn.optim import GDResult, gradient_descent

__version__ = _metadata.version("jaxlearn")   # the one place is pyproject.toml

__all__ = [
    "ConvergenceWarning", "DivergenceError", "SingularMatrixError",
    "Standardizer", "fit_standardizer", "polynomial_features", "standardize", "unstandardize",
    "vandermonde",
    "METHODS", "back_substitution", "least_squares_grad", "least_squares_loss", "solve",
    "GDResult", "gradient_descent",
]
