"""A finished run's test result and figures: curves.png, confusion.png, misclassified.png and, for a
CNN, filters.png and feature_maps.png (`jaxlearn.training.runs` writes them into the run folder)."""

from pathlib import Path

import numpy as np

from jaxlearn import nn, plots
from jaxlearn.parallel import host_copy
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.evaluate import evaluate, predict


def test_and_plot(params, config, data, run_dir: Path, dataset: str, history: list, write: bool = True,
                   batch_stats=()) -> dict:
    """Test accuracy and loss, the confusion matrix, and (write=True) the run's figures."""
    test = evaluate(params, data["X_test"], data["y_test"], config, batch_stats=batch_stats)
    predicted = predict(params, data["X_test"], config, batch_stats=batch_stats)
    names = data["class_names"]
    matrix = plots.confusion_matrix(data["y_test"], predicted, len(names))
    title = f"{dataset}, test accuracy {100 * test['accuracy']:.2f}%"
    if write:
        if history:
            plots.save(plots.plot_training_curves(history, title=dataset), run_dir / "curves.png")
        plots.save(plots.plot_confusion_matrix(matrix, names, title=title), run_dir / "confusion.png")
        plots.save(plots.plot_misclassified(data["test_images"], data["y_test"], predicted, names),
                   run_dir / "misclassified.png")
        if config.model == "cnn":
            plot_convolutions(params, batch_stats, config, data, run_dir)
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "confusion_matrix": matrix.tolist()}


def plot_convolutions(params, batch_stats, config: TrainConfig, data, run_dir: Path) -> None:
    """filters.png (the first convolution's kernels) and feature_maps.png (its activations, after
    its batch normalisation if it has one, for four test images), when the CNN starts with a
    convolution."""
    W, b = host_copy(params[0])
    if W.ndim != 4:
        return
    plots.save(plots.plot_conv_filters(W), run_dir / "filters.png")
    images = data["X_test"][:4].reshape(4, *config.image_shape)
    maps = nn.conv2d(W, b if b.shape[0] else np.zeros(W.shape[0], W.dtype), images)     # (0,): no bias
    if nn.parse_architecture(config.architecture)[1:2] == (("batchnorm", W.shape[0]),):
        gamma, beta = host_copy(params[1])
        maps, _ = nn.batch_norm(gamma, beta, maps, host_copy(batch_stats[0]), training=False)
    maps = nn.ACTIVATIONS[config.activation](maps)
    plots.save(plots.plot_feature_maps(data["test_images"][:4], maps), run_dir / "feature_maps.png")
