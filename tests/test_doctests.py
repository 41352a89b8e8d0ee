"""Every `>>>` example in jaxlearn's docstrings runs, as a user would run it (JAX's defaults)."""

import doctest
import importlib
import pkgutil

import pytest

import jaxlearn

SKIPPED = {"jaxlearn.__main__"}


def modules_with_examples():
    names = []
    for info in pkgutil.walk_packages(jaxlearn.__path__, "jaxlearn."):
        if info.name in SKIPPED:
            continue
        spec = importlib.util.find_spec(info.name)
        if spec and spec.origin and spec.origin.endswith(".py") and ">>>" in open(spec.origin, encoding="utf-8").read():
            names.append(info.name)
    return names


MODULES = modules_with_examples()


def test_the_examples_are_found():
    assert {"jaxlearn.linear", "jaxlearn.features", "jaxlearn.kernels", "jaxlearn.logistic.model",
            "jaxlearn.gradcheck._check", "jaxlearn.estimators.svm"} <= set(MODULES)


@pytest.mark.jax_defaults
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    failures, tried = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert tried > 0
    assert failures == 0, f"{name}: {failures} of {tried} examples failed (python -m doctest -v shows them)"
