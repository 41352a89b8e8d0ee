"""A finished run's test result and figures: curves.png, confusion.png, misclassified.png and, for a
CNN, filters.png and feature_maps.png (`jaxlearn.training.runs` writes them into the run folder)."""

from pathlib import Path

from jaxlearn import plots
from jaxlearn.parallel import host_copy
from jaxlearn.training.config import TrainConfig
from jaxlearn.training.evaluate import evaluate, predict


def test_and_plot(model, config, data, run_dir: Path, dataset: str, history: list, write: bool = True) -> dict:
    """Test accuracy and loss of model (a TrainState or `TrainedModel`), the confusion matrix, and
    (write=True) the run's figures."""
    test = evaluate(model, data["X_test"], data["y_test"], config)
    predicted = predict(model, data["X_test"], config)
    names = data["class_names"]
    matrix = plots.confusion_matrix(data["y_test"], predicted, len(names))
    title = f"{dataset}, test accuracy {100 * test['accuracy']:.2f}%"
    if write:
        if history:
            plots.save(plots.plot_training_curves(history, title=dataset), run_dir / "curves.png")
        plots.save(plots.plot_confusion_matrix(matrix, names, title=title), run_dir / "confusion.png")
        plots.save(plots.plot_misclassified(data["test_images"], data["y_test"], predicted, names),
                   run_dir / "misclassified.png")
        plot_first_layer(model, config, data, run_dir)
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "confusion_matrix": matrix.tolist()}


def plot_first_layer(model, config: TrainConfig, data, run_dir: Path) -> None:
    """filters.png (the first convolution's kernels) and feature_maps.png (its activations, after
    its batch normalisation if it has one, for four test images), when the network starts with a
    convolution (`Network.first_convolution`)."""
    first = config.network.first_convolution(host_copy(model.params), host_copy(model.batch_stats),
                                              data["X_test"][:4])
    if first is None:
        return
    W, maps = first
    plots.save(plots.plot_conv_filters(W), run_dir / "filters.png")
    plots.save(plots.plot_feature_maps(data["test_images"][:4], maps), run_dir / "feature_maps.png")
