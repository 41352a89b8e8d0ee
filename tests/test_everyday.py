"""The everyday path: logs that read well in a file, figures that say what they show, warnings and
errors for inputs that are probably a mistake (unscaled pixels, labels with gaps, integer or
misshapen starting points and gradients)."""

import warnings

import matplotlib
import numpy as np
import pytest

from jaxlearn import UnscaledInputWarning, gradient_descent, least_squares_loss, logistic, plots, sweeps
from jaxlearn.cli import build_parser, main
from jaxlearn.data import flatten_images
from jaxlearn.training import TrainConfig, fit
from jaxlearn.training.progress import epoch_line, resolve

matplotlib.use("Agg")
RNG = np.random.default_rng(0)


# --- logs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [[], ["--no-progress"]])
def test_a_log_file_gets_one_clean_line_per_epoch(capsys, tmp_path, tiny_data, flags):
    """pytest's output is no terminal, as a file is: no bar frames, one line an epoch."""
    code = main(["train", "--data-dir", str(tiny_data), "--out", str(tmp_path / "run"), "--hidden", "16",
                 "--epochs", "3", "--batch-size", "50", "--validation-size", "100", *flags])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\r" not in out + err
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    for line in lines:
        assert " train loss " in line and " acc " in line and " val loss " in line and line.endswith(" s")
    assert "checkpoint.npz" in out.splitlines()[-1] and out.splitlines()[-1].startswith("run folder:")


def test_progress_modes():
    assert resolve(False) == "off" and resolve("lines") == "lines" and resolve("bar") == "bar"
    assert resolve(True) in ("bar", "lines")
    with pytest.raises(ValueError, match="progress must be True, False, 'bar' or 'lines', got 'yes'"):
        resolve("yes")
    line = epoch_line({"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.8, "val_loss": 0.4, "val_accuracy": 0.85},
                      10, 1.25)
    assert line == "epoch 2/10  train loss 0.5000 acc 80.00%  val loss 0.4000 acc 85.00%  1.2 s"


def test_evaluate_help_describes_its_arguments(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "the run folder (written by 'jaxlearn train --out RUN_DIR')" in text
    assert "folder with the IDX files of the run's data set" in text


# --- figures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("epochs", [1, 3])
def test_curves_have_whole_epochs_and_say_what_each_curve_is(epochs):
    history = [{"epoch": e, "train_loss": 1 / e, "train_accuracy": 0.8, "val_loss": 0.9 / e, "val_accuracy": 0.85}
               for e in range(1, epochs + 1)]
    fig = plots.plot_training_curves(history)
    fig.canvas.draw()
    for ax in fig.axes:
        shown = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert shown and all(float(t).is_integer() for t in shown)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["training (mean over the epoch)", "validation (at the epoch's end)"]


def test_the_confusion_matrix_has_a_colour_scale():
    matrix = np.array([[50, 2], [3, 45]])
    fig = plots.plot_confusion_matrix(matrix, ["a", "b"])
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "samples (log scale)"


# --- unscaled inputs -----------------------------------------------------------------------------

def test_unscaled_pixels_warn_with_the_fix(mnist):
    raw = mnist.train_images[:1000].reshape(1000, -1).astype(np.float32)
    y = mnist.train_labels[:1000].astype(np.int32)
    with pytest.warns(UnscaledInputWarning, match=r"X_train looks unscaled: a column's standard deviation is \d+ "
                                                  r"\(far beyond unit scale\).*jaxlearn.data.flatten_images.*"
                                                  r"StandardScaler.*category=jaxlearn.UnscaledInputWarning") as seen:
        fit(TrainConfig(hidden=(8,), epochs=1), raw, y, progress=False)
    assert seen[0].filename == __file__


def test_features_on_very_different_scales_warn():
    X = RNG.normal(size=(200, 3)) * np.array([1e-5, 1e-5, 1.0])         # micrometres beside metres
    with pytest.warns(UnscaledInputWarning, match="the columns' standard deviations range from"):
        fit(TrainConfig(hidden=(4,), epochs=1, batch_size=50), X, (X[:, 0] > 0).astype(int), progress=False)


def test_scaled_inputs_do_not_warn(mnist):
    from sklearn.preprocessing import StandardScaler

    X = flatten_images(mnist.train_images[:1000])
    y = mnist.train_labels[:1000].astype(np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnscaledInputWarning)
        fit(TrainConfig(hidden=(8,), epochs=1), X, y, progress=False)
        fit(TrainConfig(hidden=(8,), epochs=1), StandardScaler().fit_transform(X), y, progress=False)


# --- labels with gaps ----------------------------------------------------------------------------

GAP = r"has no samples of class\(es\) 0 of 0 … 3 \(K = max label \+ 1 = 4\).*np.unique\(.*return_inverse=True\)"


@pytest.mark.parametrize("call", [
    lambda X, y: logistic.fit_softmax(X, y),
    lambda X, y: fit(TrainConfig(hidden=(4,), epochs=1, batch_size=10), X, y, progress=False),
    lambda X, y: sweeps.softmax_path(X, y, [0.1]),
    lambda X, y: sweeps.train_many(TrainConfig(hidden=(4,), epochs=1, batch_size=10), X, y, learning_rates=[0.1],
                                   progress=False),
], ids=["fit_softmax", "training.fit", "softmax_path", "train_many"])
def test_labels_with_gaps_are_refused_unless_n_classes_is_given(call):
    X = RNG.normal(size=(30, 3))
    with pytest.raises(ValueError, match=GAP):
        call(X, np.arange(30) % 3 + 1)
    theta = logistic.fit_softmax(X, np.arange(30) % 3 + 1, n_classes=4).theta     # on purpose: accepted
    assert theta.shape == (3, 4)


# --- gradient descent's inputs -------------------------------------------------------------------

X = RNG.normal(size=(20, 3))
Y = X @ np.ones(3)


def test_an_integer_start_is_named():
    with pytest.raises(TypeError, match=r"theta0 holds integers \(int64\).*np.zeros\(n\) or theta0.astype\(float\)"):
        gradient_descent(least_squares_loss, np.zeros(3, int), X, Y, eta=0.1)


def test_a_list_start_is_the_vector_it_spells():
    result = gradient_descent(least_squares_loss, [0.0, 0.0, 0.0], X, Y, eta=0.1, max_iter=2000)
    np.testing.assert_allclose(result.theta, np.ones(3), atol=1e-3)


def test_a_pytree_start():
    def loss(p, X, y):
        return least_squares_loss(p[0], X, y - p[1])

    import jax.numpy as jnp

    result = gradient_descent(loss, [jnp.zeros(3), jnp.zeros(())], X, Y, eta=0.1, max_iter=3000)
    np.testing.assert_allclose(result.theta[0], np.ones(3), atol=1e-3)


def test_a_gradient_of_the_wrong_shape_names_grad():
    with pytest.raises(ValueError, match=r"grad\(theta, \*args\) returned shape \(2,\) for theta of shape \(3,\)"):
        gradient_descent(least_squares_loss, np.zeros(3), X, Y, eta=0.1, grad=lambda t, X, y: np.zeros(2))


def test_a_start_of_the_wrong_shape_names_theta0():
    with pytest.raises(ValueError, match=r"gradient_descent: loss\(theta0, \*args\) fails at the start theta0 "
                                         r"\(shape \(2,\)\): theta has length 2 but X has 3 features"):
        gradient_descent(least_squares_loss, np.zeros(2), X, Y, eta=0.1)


def test_a_kernel_svm_names_mismatched_rows():
    from jaxlearn.svm import fit_kernel_svm

    with pytest.raises(ValueError, match="y has 20 labels but X has 19 rows; they must match"):
        fit_kernel_svm(X[:19], np.arange(20) % 2)


# --- a quick subset: --train-size ---------------------------------------------------------------

def test_train_size_trains_on_a_seeded_subset_and_resume_keeps_it(capsys, tmp_path, tiny_data):
    import json

    from jaxlearn.training.runs import prepare_data

    run = tmp_path / "run"
    code = main(["train", "--data-dir", str(tiny_data), "--out", str(run), "--hidden", "8", "--epochs", "1",
                 "--batch-size", "30", "--validation-size", "100", "--train-size", "300", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    saved = json.loads((run / "config.json").read_text())
    assert saved["train_size"] == 300 and saved["validation_size"] == 100
    subset = prepare_data("mnist", tiny_data, validation_size=100, train_size=300)
    whole = prepare_data("mnist", tiny_data, validation_size=100)
    assert subset["X_train"].shape == (300, 784)
    np.testing.assert_array_equal(subset["X_train"], whole["X_train"][:300])      # the same seeded order
    np.testing.assert_array_equal(subset["X_val"], whole["X_val"])
    code = main(["train", "--resume", "--out", str(run), "--train-size", "500"])
    assert code == 2 and "--train-size cannot be given with --resume" in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0", "901", "-5"])
def test_a_train_size_out_of_range_is_named(capsys, tmp_path, tiny_data, size):
    code = main(["train", "--data-dir", str(tiny_data), "--out", str(tmp_path / "run"), "--validation-size", "100",
                 "--train-size", size, "--no-progress"])
    assert code == 1
    assert "train_size must be an integer in [1, 900] (the training images left after validation_size=100)" in \
        capsys.readouterr().err
