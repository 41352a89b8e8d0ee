"""Lecture figures for classification: logistic regression on separable data (boundary, loss,
and the effect of feature scaling on gradient descent); logistic regression with polynomial
features on circles / XOR / moons; the soft-margin linear SVM for several C; kernel SVMs
(polynomial, RBF over γ) with their decision regions and support vectors."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from _common import parse_args, write_summary

from jaxlearn import ConvergenceWarning, logistic, plots, polynomial_features, svm
from jaxlearn.data import circles, moons, two_blobs, xor
from jaxlearn.features import fit_standardizer, standardize
from jaxlearn.logistic.model import BINARY
from jaxlearn.optim import gradient_descent

NAME = "classification"


def with_bias(X):
    return jnp.column_stack([jnp.ones(X.shape[0], X.dtype), X])


def logistic_separable(out_dir, summary):
    X, y = two_blobs(jax.random.key(0), 120, dtype=jnp.float64)
    yf = y.astype(jnp.float64)
    result = logistic.fit(with_bias(X), yf, 1e-3, method="gd", max_iter=5000)
    # feature scaling: the same data with x₂ in different units (×100), raw vs standardised
    X_units = X * jnp.array([[1.0, 100.0]])
    raw = with_bias(X_units)
    scaled = with_bias(standardize(fit_standardizer(X_units), X_units))
    histories, iterations = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for label, design in [("raw features (x₂ in other units)", raw), ("standardised features", scaled)]:
            eta = 4.0 / float(jnp.linalg.eigvalsh(design.T @ design / design.shape[0]).max())  # σ' ≤ ¼
            data = (design, None, yf, jnp.asarray(1e-3), jnp.ones(3))   # X, Xᵀ (not stored), y, λ, d
            run = gradient_descent(BINARY.value, jnp.zeros(3), *data, eta=eta, tol=1e-10, max_iter=3000,
                                   grad=BINARY.grad)
            histories[label], iterations[label] = run.loss_history, int(run.n_iter)
    fig, (ax_data, ax_loss) = plots.new_axes(2, width=5.0)
    plots.plot_decision_regions(ax_data, lambda G: logistic.predict(result.theta, with_bias(jnp.asarray(G))),
                                X, y, title="Logistic regression: boundary θᵀx = 0")
    x1 = np.linspace(float(X[:, 0].min()) - 0.5, float(X[:, 0].max()) + 0.5, 50)
    ylim = ax_data.get_ylim()
    ax_data.plot(x1, logistic.decision_boundary_x2(result.theta, x1), "k-", lw=1.5)
    ax_data.set_ylim(*ylim)
    plots.plot_loss_curves(ax_loss, {f"{k} ({iterations[k]} it.)": v for k, v in histories.items()},
                           title="Gradient descent: feature scaling speeds it up")
    plots.save(fig, out_dir / "logistic_separable.png")
    accuracy = float((logistic.predict(result.theta, with_bias(X)) == y).mean())
    summary["logistic_separable"] = {"theta": result.theta.tolist(), "train_accuracy": accuracy,
                                     "gd_iterations": iterations}


def logistic_polynomial(out_dir, summary):
    datasets = {"circles": circles(jax.random.key(1), 300, dtype=jnp.float64),
                "XOR": xor(jax.random.key(2), 300, dtype=jnp.float64),
                "moons": moons(jax.random.key(3), 300, dtype=jnp.float64)}
    maps = {"x = [1, x₁, x₂]": lambda X: with_bias(X),
            "x = [1, x₁², x₂²]": lambda X: with_bias(X**2),
            "full degree 2": lambda X: polynomial_features(X, 2),
            "full degree 3": lambda X: polynomial_features(X, 3)}
    fig, axes = plots.plt.subplots(len(datasets), len(maps), figsize=(4.2 * len(maps), 3.8 * len(datasets)),
                                   constrained_layout=True)
    results = {}
    for row, (name, (X, y)) in enumerate(datasets.items()):
        for col, (label, phi) in enumerate(maps.items()):
            theta = logistic.fit(phi(X), y.astype(jnp.float64), 1e-3, tol=1e-9).theta
            accuracy = float((logistic.predict(theta, phi(X)) == y).mean())
            results[f"{name} / {label}"] = accuracy
            plots.plot_decision_regions(axes[row, col],
                                        lambda G, t=theta, p=phi: logistic.predict(t, p(jnp.asarray(G))),
                                        X, y, title=f"{name}, {label}: {100 * accuracy:.0f}%")
    plots.save(fig, out_dir / "logistic_polynomial_features.png")
    summary["logistic_polynomial_features_train_accuracy"] = results


def linear_svm_margins(out_dir, summary):
    X, y01 = two_blobs(jax.random.key(4), 80, separation=2.5, dtype=jnp.float64)
    y = 2 * y01.astype(jnp.float64) - 1
    Cs = [0.1, 1.0, 100.0]
    fig, axes = plots.new_axes(len(Cs), width=4.6)
    results = {}
    for ax, C in zip(axes, Cs):
        model = svm.fit_kernel_svm(X, y, "linear", C, tol=1e-6)
        w = np.asarray(model.dual_coef[:, 0] @ model.support_vectors)
        b = float(model.intercept[0])
        plots.plot_decision_regions(ax, lambda G, w=w, b=b: (np.asarray(G) @ w + b > 0).astype(int), X, y01,
                                    margins_fn=lambda G, w=w, b=b: np.asarray(G) @ w + b, support=model.support,
                                    title=f"C = {C:g}: margin 2/‖w‖ = {2 / np.linalg.norm(w):.2f}")
        results[str(C)] = {"support_vectors": int(len(model.support)), "margin": float(2 / np.linalg.norm(w))}
    plots.save(fig, out_dir / "linear_svm_margins.png")
    summary["linear_svm"] = results


def kernel_svms(out_dir, summary):
    X, y01 = moons(jax.random.key(5), 200, noise=0.2, dtype=jnp.float64)
    y = 2 * y01.astype(jnp.float64) - 1
    settings = [("polynomial", dict(degree=3, gamma=1.0, coef0=1.0), "polynomial d = 3"),
                ("rbf", dict(gamma=0.1), "RBF γ = 0.1"), ("rbf", dict(gamma=1.0), "RBF γ = 1"),
                ("rbf", dict(gamma=10.0), "RBF γ = 10"), ("rbf", dict(gamma=100.0), "RBF γ = 100")]
    fig, axes = plots.new_axes(len(settings), width=4.2)
    results = {}
    for ax, (kernel, options, label) in zip(axes, settings):
        model = svm.fit_kernel_svm(X, y, kernel, 1.0, **options)
        accuracy = float((svm.predict(model, X) == y).mean())
        plots.plot_decision_regions(ax, lambda G, m=model: (np.asarray(svm.predict(m, G)) > 0).astype(int), X, y01,
                                    margins_fn=lambda G, m=model: svm.decision_function(m, G), support=model.support,
                                    title=f"{label}: train {100 * accuracy:.0f}%", resolution=150)
        results[label] = {"support_vectors": int(len(model.support)), "train_accuracy": accuracy}
    plots.save(fig, out_dir / "kernel_svm.png")
    summary["kernel_svm"] = results


def main(out_dir, quick: bool = False) -> dict:
    summary = {}
    for experiment in (logistic_separable, logistic_polynomial, linear_svm_margins, kernel_svms):
        experiment(out_dir, summary)
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    print(main(args.out, args.quick))
