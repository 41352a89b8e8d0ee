"""Data sets: MNIST / Fashion-MNIST loaders, the IDX reader, the lecture's toy data."""

from jaxlearn.data.idx import IDXFormatError, read_idx, write_idx
from jaxlearn.data.mnist import DataNotFoundError, Dataset, flatten_images, load_mnist
from jaxlearn.data.toy import circles, lecture_regression_data, moons, true_regression_function, two_blobs, xor

__all__ = ["IDXFormatError", "read_idx", "write_idx", "DataNotFoundError", "Dataset", "flatten_images", "load_mnist",
           "lecture_regression_data", "true_regression_function", "two_blobs", "circles", "xor", "moons"]
