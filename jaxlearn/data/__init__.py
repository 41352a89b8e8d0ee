"""Data sets: the lecture's toy data (MNIST loaders come with the neural-network part)."""

from jaxlearn.data.toy import lecture_regression_data, true_regression_function

__all__ = ["lecture_regression_data", "true_regression_function"]
