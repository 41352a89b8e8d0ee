"""sweeps.sweep: a grid of learning rates × seeds in one program, its per-epoch curves and its
results as data (records, CSV, DataFrame, summary over seeds, figure)."""

import csv

import matplotlib
import numpy as np
import pytest

from jaxlearn import sweeps
from jaxlearn.data import flatten_images
from jaxlearn.sweeps.results import summary_markdown
from jaxlearn.training import TrainConfig, fit

matplotlib.use("Agg")
CONFIG = TrainConfig(hidden=(16,), epochs=2, batch_size=100)
GRID = {"learning_rate": [1e-3, 3e-3], "seed": [0, 1]}


@pytest.fixture(scope="module")
def small_mnist(mnist):
    return flatten_images(mnist.train_images[:2000]), mnist.train_labels[:2000].astype(np.int32)


@pytest.fixture(scope="module")
def study(small_mnist):
    X, y = small_mnist
    return sweeps.sweep(CONFIG, X[:1500], y[:1500], GRID, X_val=X[1500:], y_val=y[1500:], progress=False)


def test_a_grid_equals_its_models_trained_one_by_one(study, small_mnist):
    X, y = small_mnist
    assert list(study.learning_rates) == [1e-3, 1e-3, 3e-3, 3e-3] and list(study.seeds) == [0, 1, 0, 1]
    assert list(study.data_seeds) == [0, 1, 0, 1]                     # each seed its own shuffles
    for i, (rate, seed) in enumerate(zip(study.learning_rates, study.seeds)):
        config = TrainConfig(**CONFIG.to_dict() | {"learning_rate": float(rate), "seed": int(seed)})
        state, history = fit(config, X[:1500], y[:1500], X[1500:], y[1500:], progress=False)
        np.testing.assert_allclose(study.train_loss[i], [h["train_loss"] for h in history], rtol=1e-5)
        np.testing.assert_allclose(study.val_accuracy[i], [h["val_accuracy"] for h in history], atol=2e-3)
        np.testing.assert_allclose(study.val_loss[i], [h["val_loss"] for h in history], rtol=1e-4)
        for (W, _), (W_fit, _) in zip(study.model(i), state.params):
            np.testing.assert_allclose(W, W_fit, rtol=1e-4, atol=1e-6)
    assert study.seconds > 0


def test_records_csv_and_frame_are_long_form(study, tmp_path):
    rows = study.to_records()
    assert len(rows) == 4 * 2 and rows[0]["epoch"] == 1 and rows[1]["epoch"] == 2
    assert set(rows[0]) == {"model", "learning_rate", "weight_decay", "momentum", "dropout", "seed", "data_seed",
                            "diverged", "stalled", "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    with open(study.to_csv(tmp_path / "results.csv")) as f:
        read = list(csv.DictReader(f))
    assert len(read) == 8 and float(read[3]["val_accuracy"]) == pytest.approx(rows[3]["val_accuracy"])
    pytest.importorskip("pandas")
    frame = study.to_frame()
    assert frame.shape == (8, 14) and frame.groupby("learning_rate").size().tolist() == [4, 4]


def test_the_summary_is_mean_std_and_n_over_seeds(study):
    rows = study.summary(by="learning_rate")
    final = study.val_accuracy[:, -1]
    assert [r["learning_rate"] for r in rows] == [1e-3, 3e-3]
    assert rows[0]["val_accuracy_mean"] == pytest.approx(final[:2].mean())
    assert rows[0]["val_accuracy_std"] == pytest.approx(final[:2].std(ddof=1))
    assert rows[0]["n"] == 2 and rows[0]["spread_over"] == "seeds (init and data order)"
    table = summary_markdown(rows)
    assert table.splitlines()[0] == "| learning_rate | val_accuracy | n | left out | spread over |"
    assert " ± " in table.splitlines()[2]


def test_the_figure_has_a_curve_and_band_per_setting(study):
    fig = study.plot()
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["learning_rate 0.001 (n=2)",
                                                                   "learning_rate 0.003 (n=2)"]


@pytest.mark.parametrize("grid, words", [
    ({}, "grid must be a non-empty dict"),
    ({"width": [8, 16]},
     "'width' cannot be swept; the grid takes learning_rate, weight_decay, momentum, dropout, seed, data_seed "
     "\\(one "
     "program\\) and hidden"),
    ({"hidden": [(8,), (16,)]}, "with hidden, give at least one other setting"),
    ({"hidden": [], "seed": [0]}, r"grid\['hidden'\] must be a non-empty list of hidden sizes"),
    ({"hidden": [8, (8,)], "seed": [0]}, r"grid\['hidden'\] lists a size twice"),
    ({"learning_rate": []}, r"grid\['learning_rate'\] is empty"),
])
def test_bad_grids_are_named(small_mnist, grid, words):
    X, y = small_mnist
    with pytest.raises(ValueError, match=words):
        sweeps.sweep(CONFIG, X, y, grid, progress=False)


def test_bad_summary_names_are_named(study):
    with pytest.raises(ValueError, match="by: 'lr' is not a setting of the sweep; choose from learning_rate"):
        study.summary(by="lr")
    with pytest.raises(ValueError, match="metric 'val_f1' is not in this sweep"):
        study.plot(metric="val_f1")


def test_weight_decay_and_momentum_are_swept_in_one_program(small_mnist):
    """Decoupled weight decay and momentum are state leaves: a grid of both equals fit() per model."""
    X, y = small_mnist
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=100, optimizer="momentum", learning_rate=0.05)
    grid = sweeps.sweep(config, X[:1500], y[:1500], {"weight_decay": [0.0, 0.05], "momentum": [0.5, 0.9]},
                        progress=False)
    assert list(grid.weight_decays) == [0.0, 0.0, 0.05, 0.05] and list(grid.momenta) == [0.5, 0.9, 0.5, 0.9]
    for i in (1, 2):
        one = TrainConfig(**config.to_dict() | {"weight_decay": float(grid.weight_decays[i]),
                                                  "momentum": float(grid.momenta[i])})
        state, history = fit(one, X[:1500], y[:1500], progress=False)
        np.testing.assert_allclose(grid.train_loss[i], [h["train_loss"] for h in history], rtol=1e-5)
        for (W, _), (W_fit, _) in zip(grid.model(i), state.params):
            np.testing.assert_allclose(W, W_fit, rtol=1e-4, atol=1e-6)
    decayed, plain = (sum(float(np.sum(np.asarray(W) ** 2)) for W, _ in grid.model(i)) for i in (2, 0))
    assert decayed < plain


@pytest.mark.parametrize("gradient", ["autodiff", "backprop"])
def test_dropout_rates_are_swept_in_one_program(small_mnist, gradient):
    """The dropout rate is a traced value: a grid of rates × seeds equals fit() per model, its
    masks drawn from the model's data seed as fit draws them from its seed; with the hand
    backward pass too (the masks route δ back, `nn.backprop`)."""
    X, y = small_mnist
    config = TrainConfig(hidden=(16, 16), epochs=2, batch_size=100, learning_rate=3e-3, gradient=gradient)
    grid = sweeps.sweep(config, X[:1500], y[:1500], {"dropout": [0.0, 0.3], "seed": [0, 1]}, X_val=X[1500:],
                        y_val=y[1500:], progress=False)
    assert list(grid.dropouts) == [0.0, 0.0, 0.3, 0.3] and list(grid.seeds) == [0, 1, 0, 1]
    for i in range(4):
        one = TrainConfig(**config.to_dict() | {"dropout": float(grid.dropouts[i]), "seed": int(grid.seeds[i])})
        state, history = fit(one, X[:1500], y[:1500], X[1500:], y[1500:], progress=False)
        np.testing.assert_allclose(grid.train_loss[i], [h["train_loss"] for h in history], rtol=1e-5)
        for (W, _), (W_fit, _) in zip(grid.model(i), state.params):
            np.testing.assert_allclose(W, W_fit, rtol=1e-4, atol=1e-6)
    # dropout makes the training loss (of the thinned networks) higher than without, seed by seed
    assert np.all(grid.train_loss[2:, -1] > grid.train_loss[:2, -1])
    assert [r["dropout"] for r in grid.summary(by="dropout")] == [0.0, 0.3]


def test_bad_dropout_rates_are_named(small_mnist):
    X, y = small_mnist
    with pytest.raises(ValueError, match=r"dropouts must be < 1 \(the fraction of hidden units dropped\), got "
                                         r"\[0.0, 1.0\]"):
        sweeps.sweep(CONFIG, X, y, {"dropout": [0.0, 1.0]}, progress=False)
    with pytest.raises(ValueError, match=r"dropouts must be a non-empty 1-D array of finite values ≥ 0"):
        sweeps.sweep(CONFIG, X, y, {"dropout": [-0.1]}, progress=False)
    with pytest.raises(ValueError, match=r"hidden=\(\) has no hidden layer"):
        sweeps.sweep(TrainConfig(hidden=()), X, y, {"dropout": [0.5]}, progress=False)


def test_adamw_shrinks_the_weights(small_mnist):
    X, y = small_mnist
    norms = []
    for decay in (0.0, 10.0):          # −η w θ a step: 1e-2 of θ, over 40 steps
        state, _ = fit(TrainConfig(hidden=(16,), epochs=2, batch_size=100, weight_decay=decay), X, y, progress=False)
        norms.append(sum(float(np.sum(np.asarray(W) ** 2)) for W, _ in state.params))
    assert norms[1] < 0.9 * norms[0]


def test_hidden_sizes_run_as_groups_each_equal_to_its_own_sweep(small_mnist):
    X, y = small_mnist
    data = dict(X_val=X[1500:], y_val=y[1500:], progress=False)
    grouped = sweeps.sweep(CONFIG, X[:1500], y[:1500], {"hidden": [8, (16, 8)], "learning_rate": [1e-3, 3e-3]}, **data)
    assert list(grouped.hidden) == ["8", "8", "16-8", "16-8"] and list(grouped.groups) == [0, 0, 1, 1]
    alone = sweeps.sweep(TrainConfig(**CONFIG.to_dict() | {"hidden": (16, 8)}), X[:1500], y[:1500],
                         {"learning_rate": [1e-3, 3e-3]}, **data)
    np.testing.assert_array_equal(grouped.train_loss[2:], alone.train_loss)
    np.testing.assert_array_equal(grouped.model(3)[0][0], alone.model(1)[0][0])
    assert [W.shape for W, _ in grouped.model(0)] == [(8, 784), (10, 8)]
    assert [W.shape for W, _ in grouped.model(2)] == [(16, 784), (8, 16), (10, 8)]
    rows = grouped.summary(by=["hidden", "learning_rate"])
    assert [(r["hidden"], r["learning_rate"]) for r in rows] == [("16-8", 1e-3), ("16-8", 3e-3), ("8", 1e-3),
                                                                 ("8", 3e-3)]
    assert "| hidden | learning_rate |" in summary_markdown(rows) and "| 16-8 | 0.001 |" in summary_markdown(rows)
    assert {r["hidden"] for r in grouped.to_records()} == {"8", "16-8"}
    assert len(grouped.plot(by=["hidden"]).axes[0].get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="by: 'hidden' is not a setting of the sweep"):
        alone.summary(by=["hidden"])
