"""One name for each thing: the package's lazy subpackages, the canonical homes of the modules
that moved (their old names warn for one release), scikit-learn's kernel name."""

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jaxlearn

# the alias modules of the old layout, removed in 0.2.0 (CHANGELOG.md) after one release of warnings
REMOVED = {"train": "jaxlearn.training", "optimize": "jaxlearn.optim", "backprop": "jaxlearn.nn.backprop",
           "mlp_sweep": "jaxlearn.sweeps", "runs": "jaxlearn.training.runs",
           "checkpoint": "jaxlearn.training.checkpoint"}


@pytest.mark.parametrize("old, new", REMOVED.items())
def test_the_old_module_names_are_gone_and_the_changelog_names_their_homes(old, new):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"jaxlearn.{old}")
    importlib.import_module(new)
    changelog = (Path(__file__).parents[1] / "CHANGELOG.md").read_text()
    assert f"`jaxlearn.{old}` → `{new}`" in changelog


def test_every_subpackage_is_reachable_after_a_plain_import():
    for name in jaxlearn.SUBMODULES:
        assert getattr(jaxlearn, name).__name__ == f"jaxlearn.{name}"
    assert jaxlearn.solve is importlib.import_module("jaxlearn.linear").solve
    with pytest.raises(AttributeError, match="module 'jaxlearn' has no attribute 'trian'"):
        jaxlearn.trian  # noqa: B018


def test_importing_jaxlearn_loads_neither_jax_nor_a_subpackage():
    code = "import sys, jaxlearn; print(sorted(m for m in sys.modules if m == 'jax' or m.startswith('jaxlearn.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_poly_is_polynomial_everywhere():
    from jaxlearn.kernels import Kernel, gram, make_kernel
    from jaxlearn.svm import fit_kernel_svm

    assert make_kernel("poly", degree=2) == make_kernel("polynomial", degree=2)
    X = np.random.default_rng(0).normal(size=(12, 2))
    np.testing.assert_array_equal(gram(Kernel("poly", degree=2), X), gram(Kernel("polynomial", degree=2), X))
    assert fit_kernel_svm(X, np.arange(12) % 2, kernel="poly").kernel.name == "polynomial"
