"""A tiny MNIST look-alike written as the four gzipped IDX files (as flax tests its examples on
mock data): 1000 training and 200 test 28×28 images of 10 classes, each class a bright square at
its own place on noise. Used by the tests' fixtures and by the multi-process checks, which run in
processes of their own."""

import gzip
import hashlib
from pathlib import Path

import numpy as np


def write_tiny_mnist(root: Path):
    """Write root/mnist/*.gz; returns (root, the SHA-256 of each file's contents)."""
    from jaxlearn.data import mnist as mnist_module
    from jaxlearn.data.idx import write_idx

    (root / "mnist").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)

    def split(n):
        labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 80, size=(n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            row, col = 3 + 12 * (c // 5), 1 + 5 * (c % 5)
            images[i, row:row + 8, col:col + 5] = 255
        return images, labels

    hashes = {}
    for (images, labels), prefix in ((split(1000), "train"), (split(200), "t10k")):
        for array, stem in ((images, f"{prefix}-images-idx3-ubyte"), (labels, f"{prefix}-labels-idx1-ubyte")):
            path = root / "mnist" / f"{stem}.gz"
            write_idx(path, array)
            hashes[stem] = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    assert set(hashes) == set(mnist_module.FILES)
    return root, hashes


def tiny_mnist_hashes(root: Path) -> dict:
    """The SHA-256 of each file of root/mnist (written by write_tiny_mnist), to accept them."""
    from jaxlearn.data import mnist as mnist_module

    return {stem: hashlib.sha256(gzip.decompress((root / "mnist" / f"{stem}.gz").read_bytes())).hexdigest()
            for stem in mnist_module.FILES}
