"""Exceptions and warnings that jaxlearn raises when the numbers go wrong."""

import contextlib
import functools
import sys
import warnings
from pathlib import Path

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


class UnscaledInputWarning(UserWarning):
    """Training inputs look unscaled (0–255 pixels, columns on very different scales); training
    still runs. Silence with warnings.filterwarnings("ignore", category=UnscaledInputWarning)."""


class StalledTrainingWarning(UserWarning):
    """Training is not learning: the accuracy stays at chance and the loss at the class shares'
    entropy (dead ReLUs after too large a step, say); the rule is in `jaxlearn.stall`."""


_LIBRARY_FOLDER = str(Path(__file__).parent)
_PASS_THROUGH = (_LIBRARY_FOLDER, contextlib.__file__, functools.__file__)


def warn(message: str, category: type[Warning]) -> None:
    """warnings.warn, attributed to the first caller outside jaxlearn (and the decorators around
    its functions), so the warning points at the user's line whatever the depth of the call."""
    frame, level = sys._getframe(1), 2      # stacklevel 1 is this function, 2 its caller
    while frame is not None and (frame.f_code.co_filename.startswith(_PASS_THROUGH)
                                 or frame.f_code.co_filename.startswith("<frozen importlib")):
        # warnings.warn itself skips the import machinery's frames when it counts
        level += not frame.f_code.co_filename.startswith("<frozen importlib")
        frame = frame.f_back
    warnings.warn(message, category, stacklevel=level)
