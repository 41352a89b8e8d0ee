"""jaxlearn: the 'Introduction to Machine Learning' lecture as a JAX library.

Models are pure functions of parameter pytrees; every hand-derived gradient is tested against
`jax.grad`. The library follows the input dtype and never turns on `jax_enable_x64` by itself.

Everything is imported on first use (PEP 562): `import jaxlearn` loads neither JAX nor any
subpackage, so `jaxlearn.nn`, `jaxlearn.svm`, … and the names below are there after a plain
`import jaxlearn as jl`, and the `jaxlearn` command can install its Ctrl-C handler before JAX is
imported (an interrupt during JAX's import was otherwise swallowed by its garbage-collection
callback).
"""

import importlib
from importlib import metadata as _metadata

__version__ = _metadata.version("jaxlearn")   # the one place is pyproject.toml

# public name → the module that defines it
_NAMES = {
    "ConvergenceWarning": "jaxlearn._errors", "DivergenceError": "jaxlearn._errors",
    "SingularMatrixError": "jaxlearn._errors", "StalledTrainingWarning": "jaxlearn._errors",
    "UnscaledInputWarning": "jaxlearn._errors",
    "Standardizer": "jaxlearn.features", "fit_standardizer": "jaxlearn.features",
    "polynomial_features": "jaxlearn.features", "standardize": "jaxlearn.features",
    "unstandardize": "jaxlearn.features", "vandermonde": "jaxlearn.features",
    "METHODS": "jaxlearn.linear", "back_substitution": "jaxlearn.linear", "least_squares_grad": "jaxlearn.linear",
    "least_squares_loss": "jaxlearn.linear", "solve": "jaxlearn.linear",
    "GDResult": "jaxlearn.optim", "gradient_descent": "jaxlearn.optim",
}
# the subpackages and modules reachable as jaxlearn.<name>
SUBMODULES = ("condition", "data", "divergence", "estimators", "features", "force_field", "gaussian_process",
              "gp_kernels", "gradcheck", "kernel_ridge", "kernels", "linear", "logistic", "losses", "lstsq", "nn",
              "objectives", "optim", "parallel", "plots", "stall", "svm", "sweeps", "training")

__all__ = [*_NAMES, *SUBMODULES]


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in SUBMODULES:
        value = importlib.import_module(f"jaxlearn.{name}")
    else:
        raise AttributeError(f"module 'jaxlearn' has no attribute {name!r}")
    globals()[name] = value          # imported once
    return value


def __dir__():
    return sorted([*globals(), *__all__])
