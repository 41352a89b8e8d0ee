"""Gradient descent; moved to `jaxlearn.optim.gradient_descent` (this name keeps working)."""

from jaxlearn.optim.gradient_descent import DIVERGENCE_POLICIES, GDResult, gradient_descent

__all__ = ["DIVERGENCE_POLICIES", "GDResult", "gradient_descent"]
