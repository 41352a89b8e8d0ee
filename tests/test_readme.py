"""The Python examples of the README and of the documentation's Markdown pages (```python blocks,
which the site shows but does not execute) run as written, under JAX's defaults: x64 off and
standard promotion, as a reader runs them."""

import re
from pathlib import Path

import jax
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("[!_]*/*.md")), *sorted((ROOT / "docs").glob("*.md"))]


def python_block(containing: str) -> str:
    blocks = [b for page in PAGES for b in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)]
    return next(b for b in blocks if containing in b)


def page_with(containing: str) -> str:
    return next(page.read_text() for page in PAGES if containing in page.read_text())


def run(code: str) -> dict:
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


@pytest.mark.jax_defaults
def test_the_readme_tour_runs(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    namespace = run(python_block("lecture_regression_data"))
    assert namespace["runs"].theta.shape == (3, 3) and not bool(namespace["runs"].diverged.any())
    np.testing.assert_allclose(namespace["g"], 0, atol=1e-4)                 # ∇L(θ*) = 0
    assert "ok" in capsys.readouterr().out.split("\n")[0]
    assert namespace["history"][-1]["train_accuracy"] > 0.8                 # two epochs on 5 000 images


@pytest.mark.jax_defaults
def test_the_network_example_runs(data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    namespace = run(python_block("backprop(params, X, Y)"))
    auto = jax.grad(namespace["nn"].cross_entropy_loss)(namespace["params"], namespace["X"], namespace["Y"])
    for (dW, db), (gW, gb) in zip(namespace["grads"], auto):
        np.testing.assert_allclose(dW, gW, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(db, gb, rtol=1e-4, atol=1e-6)
    assert namespace["history"][-1]["train_accuracy"] > 0.9
    assert namespace["report"].ok and [leaf.name for leaf in namespace["report"].leaves][:2] == ["W1", "b1"]


@pytest.mark.jax_defaults
def test_the_broken_backward_pass_is_found(capsys):
    run(python_block("def my_backprop"))
    printed = capsys.readouterr().out
    assert "MISMATCH" in printed and "a missing σ'(z^1) in δ^1" in printed
    page = page_with("def my_backprop")
    shown = re.search(r"prints \(from a real run\)\n\n```\n(.*?)```", page, flags=re.S).group(1)
    assert _beyond_roundoff(shown) == _beyond_roundoff(printed)    # the page shows what the code prints


def _beyond_roundoff(report: str) -> str:
    """A gradient report without what depends on the CPU's summation order: differences below 1e-6
    (roundoff, e.g. 1.11e-16 on one machine, 5.55e-17 on another) and the worst index of a leaf that
    passed (where its roundoff happens to be largest)."""
    report = re.sub(r"\d\.\d\de-(0[7-9]|[1-9]\d)", "<roundoff>", report.strip())
    passed_row = re.compile(r"^(\S+\s+\(.*?\)\s+\S+\s+\S+\s+)\(.*?\)(.*\bok)$", flags=re.M)
    return passed_row.sub(r"\1(…)\2", report)


@pytest.mark.jax_defaults
def test_the_cnn_example_runs(data_dir, monkeypatch):
    from jaxlearn import losses

    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    before_training = python_block("backprop(params, X, Y)").split("state, history")[0]     # data, nn, Y
    ns = run(before_training + python_block("nn.cnn_apply"))

    def loss(p):
        z, _ = ns["nn"].cnn_apply(p, ns["images"], ns["arch"], batch_stats=ns["stats"], training=True, key=ns["key"])
        return losses.softmax_cross_entropy(z, ns["Y"][:256])

    for hand, auto in zip(jax.tree.leaves(ns["cnn_grads"]), jax.tree.leaves(jax.grad(loss)(ns["params"]))):
        np.testing.assert_allclose(hand, auto, rtol=1e-3, atol=1e-5)
    assert ns["z_test"].shape == (256, 10) and ns["z"].dtype == np.float32
    assert not np.allclose(ns["new_stats"][0][0], 0)                        # the running mean moved


@pytest.mark.jax_defaults
def test_the_classification_example_runs():
    namespace = run(python_block("fit_kernel_svm"))
    assert namespace["fit"].converged and namespace["Theta"].shape == (3, 3)
    assert namespace["K"].shape == (200, 200)


@pytest.mark.jax_defaults
def test_the_scikit_learn_example_runs():
    namespace = run(python_block("GridSearchCV(pipe"))
    assert namespace["search"].best_score_ > 0.9 and namespace["scores"].mean() > 0.9


@pytest.mark.jax_defaults
def test_the_sweeps_example_runs(data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    namespace = run(python_block("sweeps.train_many"))
    assert namespace["theta"].shape == (21,) and namespace["held_out"].validation.shape == (50,)
    assert namespace["logit"].thetas.shape == (50, 21)
    mlps = namespace["mlps"]
    assert mlps.validation_accuracy.shape == (4,) and mlps.validation_accuracy[mlps.best()] > 0.9
