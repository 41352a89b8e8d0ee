"""One name for each thing: the package's lazy subpackages, the canonical homes of the modules
that moved (their old names warn for one release), scikit-learn's kernel name."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import jaxlearn

MOVED = {"train": "jaxlearn.training", "optimize": "jaxlearn.optim", "backprop": "jaxlearn.nn.backprop",
         "mlp_sweep": "jaxlearn.sweeps", "runs": "jaxlearn.training.runs", "checkpoint": "jaxlearn.training.checkpoint"}


@pytest.mark.parametrize("old, new", MOVED.items())
def test_an_old_module_name_warns_and_names_the_new_home(old, new, monkeypatch):
    monkeypatch.delitem(sys.modules, f"jaxlearn.{old}", raising=False)
    namespace = {}
    with pytest.warns(DeprecationWarning, match=rf"jaxlearn\.{old} is deprecated: import from {new} instead") as seen:
        exec(compile(f"import jaxlearn.{old}", __file__, "exec"), namespace)   # an import statement, as a user writes
    module = sys.modules[f"jaxlearn.{old}"]
    assert seen[0].filename == __file__                     # the user's line, not jaxlearn's
    homes = [importlib.import_module(m) for m in (new, "jaxlearn.sweeps.mlp", "jaxlearn.optim.gradient_descent")]
    for name in module.__all__:                              # the very objects of the new home
        assert getattr(module, name) is getattr(next(h for h in homes if hasattr(h, name)), name)


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
