"""The PyTorch side of the training benchmarks: one loop for every network, and the CNN of a
jaxlearn architecture string built from torch.nn layers. On the GPU when PyTorch sees one
(device_check.sh), otherwise the CPU."""

import os
import time

import numpy as np


def device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_epochs(model, X, y, *, epochs: int, batch: int, lr: float) -> np.ndarray:
    """Adam on shuffled minibatches of (X, y) (torch tensors; the last partial batch dropped, as
    jaxlearn does), softmax cross-entropy; returns the seconds of each epoch."""
    import torch
    from torch import nn

    torch.set_num_threads(os.cpu_count())
    where = device()
    model, X, y = model.to(where), X.to(where), y.to(where)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n_batches = X.shape[0] // batch
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(X.shape[0], device=where)
        for i in range(n_batches):
            idx = order[i * batch:(i + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            optimizer.step()
        if where.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    model.eval()
    return np.array(times)


def predict(model, X) -> np.ndarray:
    """Predicted classes of a trained model (eval mode: running statistics, no dropout)."""
    import torch

    model.eval()
    with torch.no_grad():
        return model(X.to(device())).argmax(dim=1).cpu().numpy()


def residual_block(n_in: int, n_out: int, stride: int):
    """jaxlearn's r<n_out> (stride 1) or r<n_out>s2 block (`jaxlearn.nn.residual`) in PyTorch."""
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(nn.Conv2d(n_in, n_out, 3, stride, padding=1, bias=False), nn.BatchNorm2d(n_out),
                                      nn.ReLU(), nn.Conv2d(n_out, n_out, 3, padding=1, bias=False),
                                      nn.BatchNorm2d(n_out))
            self.skip = nn.Identity() if stride == 1 else nn.Conv2d(n_in, n_out, 1, stride)

        def forward(self, a):
            return nn.functional.relu(self.main(a) + self.skip(a))

    return Block()


def torch_cnn(architecture: str, input_shape=(1, 28, 28), n_classes: int = 10):
    """jaxlearn's CNN (`jaxlearn.nn.cnn`) as a torch.nn.Sequential: the same layers, initialised by PyTorch."""
    from torch import nn

    from jaxlearn.nn.cnn import layer_shapes, parse_architecture

    layers = parse_architecture(architecture)
    shapes = layer_shapes(layers, input_shape)
    modules, shape, flat = [], tuple(input_shape), False
    for i, ((kind, size), out_shape) in enumerate(zip(layers, shapes)):
        normalised = i + 1 < len(layers) and layers[i + 1][0] == "batchnorm"
        if kind == "conv":
            modules.append(nn.Conv2d(shape[0], size, 3, padding=1, bias=not normalised))
        elif kind == "pool":
            modules.append(nn.MaxPool2d(size))
        elif kind == "dropout":
            modules.append(nn.Dropout(size))
        elif kind == "batchnorm":
            modules.append(nn.BatchNorm2d(size) if len(shape) == 3 else nn.BatchNorm1d(size))
        elif kind in ("residual", "residual2"):
            modules.append(residual_block(shape[0], size, 2 if kind == "residual2" else 1))
        elif kind == "gap":
            modules += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            flat = True
        else:
            if not flat:
                modules.append(nn.Flatten())
                flat = True
            modules.append(nn.Linear(int(np.prod(shape)), size, bias=not normalised))
        if kind == "batchnorm" or (kind in ("conv", "dense") and not normalised):
            modules.append(nn.ReLU())
        shape = out_shape
    if not flat:
        modules.append(nn.Flatten())
    modules.append(nn.Linear(int(np.prod(shape)), n_classes))
    return nn.Sequential(*modules)
