"""Test-wide JAX settings: float64 available, and equinox-style strictness.

x64 is turned on here, by the tests, so that float64 cases run; float32 inputs
stay float32, and the tests check that the library keeps the input's dtype.
Strict dtype promotion and rank promotion errors catch silent float32/float64
mixing and (n,) vs (n, 1) broadcasting bugs.
"""

import os
import shutil
import signal
import tempfile

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

from hypothesis import settings  # noqa: E402

_OWN_CACHE = {"folder": None}     # the compilation cache folder made for this process, removed at the end


def pytest_configure(config):
    config.addinivalue_line("markers", "jax_defaults: run under JAX's defaults (x64 off, standard promotion), "
                                       "as users run, instead of the strict test settings")
    # Started in the background of a non-interactive shell (`nohup pytest &`), the tests inherit an
    # ignored SIGINT, and so would every `jaxlearn train` they start: the Ctrl-C tests need it back.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # Each pytest worker (and the processes its tests start) gets a compilation cache folder of its
    # own, unless one is given: XLA:CPU crashed deserialising an intact entry (segfault or abort in
    # jax's get_executable_and_time) in two full runs of the suite whose workers shared the user
    # folder with each other and with a training run, and never with one process on a folder.
    # (xdist's workers inherit the controller's environment: "auto" marks a folder chosen here.)
    if "JAXLEARN_COMPILATION_CACHE" not in os.environ or os.environ.get("JAXLEARN_TEST_CACHE") == "auto":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _OWN_CACHE["folder"] = tempfile.mkdtemp(prefix=f"jaxlearn-xla-{worker}-")
        os.environ["JAXLEARN_COMPILATION_CACHE"], os.environ["JAXLEARN_TEST_CACHE"] = _OWN_CACHE["folder"], "auto"


def pytest_unconfigure(config):
    if _OWN_CACHE["folder"]:
        shutil.rmtree(_OWN_CACHE["folder"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _jax_settings(request):
    """Tests marked jax_defaults run as a user runs JAX: x64 off, standard dtype and rank promotion."""
    if request.node.get_closest_marker("jax_defaults") is None:
        yield
        return
    with jax.enable_x64(False), jax.numpy_dtype_promotion("standard"), jax.numpy_rank_promotion("allow"):
        yield

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.load_profile("ci")

DTYPES = [np.float32, np.float64]
# Relative tolerances that a well-conditioned problem should meet in each dtype.
RTOL = {np.float32: 2e-4, np.float64: 1e-10}


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param


def random_problem(seed, M=60, N=5, dtype=np.float64, noise=0.1):
    """A well-conditioned least-squares problem X (M, N), y (M,), true θ (N,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(M, N))
    theta = rng.normal(size=N)
    y = X @ theta + noise * rng.normal(size=M)
    return X.astype(dtype), y.astype(dtype), theta.astype(dtype)


def corner_squares(M=200, n_classes=4, seed=0):
    """8×8 images as flat rows (M, 64) float32 and int32 labels: a bright 3×3 square in one of
    n_classes (≤ 4) corners, on noise. Tiny CNNs learn them in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=M)
    X = rng.uniform(0, 0.3, size=(M, 8, 8)).astype(np.float32)
    for i, c in enumerate(labels):
        row, col = 4 * (c // 2), 4 * (c % 2)
        X[i, row + 1:row + 4, col + 1:col + 4] = 1.0
    return X.reshape(M, 64), labels.astype(np.int32)


def fit_whole_and_resumed(config, X, y, folder):
    """(the uninterrupted run's state, the state of the same run stopped after epoch 1, saved to a
    checkpoint in folder, loaded into a fresh template and continued), for bit-identity tests."""
    import jax

    from jaxlearn.training import fit, init_state
    from jaxlearn.training.checkpoint import load_checkpoint, save_checkpoint

    whole, _ = fit(config, X, y, progress=False)
    first, part = fit(config, X, y, progress=False, on_epoch_end=lambda epoch, state, history: len(history) == 1)
    save_checkpoint(folder / "checkpoint.npz", jax.device_get(first), 1, part)
    template, _ = init_state(config, X.shape[1], int(np.max(y)) + 1, len(X) // config.batch_size)
    loaded, epoch, history = load_checkpoint(folder / "checkpoint.npz", template)
    resumed, _ = fit(config, X, y, state=loaded, start_epoch=epoch, history=history, progress=False)
    return whole, resumed



@pytest.fixture(scope="session")
def data_dir():
    """The shared data folder ($JAXLEARN_DATA_DIR, as the README's test command and .ci/run set it)."""
    import os
    from pathlib import Path

    path = os.environ.get("JAXLEARN_DATA_DIR")
    if not path or not (Path(path) / "mnist").is_dir():
        pytest.fail("set JAXLEARN_DATA_DIR to the folder with mnist/ and fashion-mnist/ (see README)")
    return Path(path)


@pytest.fixture(scope="session")
def tiny_idx_folder(tmp_path_factory):
    """The tiny MNIST look-alike of tests/tiny_data.py: (folder holding mnist/, SHA-256 of each file)."""
    from tests.tiny_data import write_tiny_mnist

    return write_tiny_mnist(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture
def tiny_data(tiny_idx_folder, monkeypatch):
    """The tiny data set as 'mnist' (its checksums accepted): pass as data_dir / --data-dir."""
    from jaxlearn.data import mnist as mnist_module

    root, hashes = tiny_idx_folder
    monkeypatch.setitem(mnist_module.SHA256, "mnist", hashes)
    return root


@pytest.fixture(scope="session")
def mnist(data_dir):
    from jaxlearn.data import load_mnist

    return load_mnist("mnist", data_dir, download=False)
