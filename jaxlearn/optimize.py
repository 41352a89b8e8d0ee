"""Gradient descent; moved to `jaxlearn.optim.gradient_descent` (this name is deprecated and warns)."""

from jaxlearn._errors import warn_moved
from jaxlearn.optim.gradient_descent import DIVERGENCE_POLICIES, GDResult, gradient_descent

__all__ = ["DIVERGENCE_POLICIES", "GDResult", "gradient_descent"]

warn_moved("jaxlearn.optimize", "jaxlearn.optim")
