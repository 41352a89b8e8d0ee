"""The PyTorch (CPU) side of the training benchmarks: one loop for every network."""

import os
import time

import numpy as np


def train_epochs(model, X, y, *, epochs: int, batch: int, lr: float) -> np.ndarray:
    """Adam on shuffled minibatches of (X, y) (torch tensors; the last partial batch dropped, as
    jaxlearn does), softmax cross-entropy; returns the seconds of each epoch."""
    import torch
    from torch import nn

    torch.set_num_threads(os.cpu_count())
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n_batches = X.shape[0] // batch
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(X.shape[0])
        for i in range(n_batches):
            idx = order[i * batch:(i + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return np.array(times)
