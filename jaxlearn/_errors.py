"""Exceptions and warnings that jaxlearn raises when the numbers go wrong."""

import numpy as np


class SingularMatrixError(np.linalg.LinAlgError, ValueError):
    """A linear system is singular, or singular to working precision.

    JAX's factorizations return NaN or garbage silently on such systems; jaxlearn
    detects that and raises this instead, with advice on what to use.
    """


class DivergenceError(FloatingPointError):
    """An iterative method's loss became non-finite or grew without bound.

    Attributes:
        result: what the run had reached before it diverged (the last finite
            parameters and the loss history), so that no work is lost.
    """

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


class ConvergenceWarning(UserWarning):
    """An iterative method stopped at its iteration limit before its tolerance."""
