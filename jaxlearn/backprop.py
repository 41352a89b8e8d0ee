"""Backpropagation by hand; moved to `jaxlearn.nn.backprop` (this name keeps working)."""

from jaxlearn.nn.backprop import backprop

__all__ = ["backprop"]
