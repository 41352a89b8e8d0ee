"""Backpropagation by hand; moved to `jaxlearn.nn.backprop` (this name is deprecated and warns)."""

from jaxlearn._errors import warn_moved
from jaxlearn.nn.backprop import backprop

__all__ = ["backprop"]

warn_moved("jaxlearn.backprop", "jaxlearn.nn.backprop")
