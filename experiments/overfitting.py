"""Lecture figure: overfitting. A degree-20 polynomial through 25 samples, and training vs
validation error against the polynomial degree."""

import jax
import jax.numpy as jnp
from _common import mse, parse_args, write_summary

from jaxlearn import plots, solve, vandermonde
from jaxlearn.data import lecture_regression_data, true_regression_function

NAME = "overfitting"


def main(out_dir, quick: bool = False) -> dict:
    x, y = lecture_regression_data(jax.random.key(0), M=25, dtype=jnp.float64)
    x_val, y_val = lecture_regression_data(jax.random.key(1), M=200, dtype=jnp.float64)
    # quick (CI): 9 of the degrees, each one solver program to compile
    degrees = [0, 1, 2, 3, 4, 6, 10, 15, 20] if quick else list(range(0, 21))
    train, validation = [], []
    for degree in degrees:
        theta = solve(vandermonde(x, degree), y)  # SVD: the minimum-norm fit when degree ≥ 24
        train.append(mse(vandermonde(x, degree) @ theta, y))
        validation.append(mse(vandermonde(x_val, degree) @ theta, y_val))

    grid = jnp.linspace(-1, 1, 400)
    theta20 = solve(vandermonde(x, 20), y)
    theta2 = solve(vandermonde(x, 2), y)
    fig, (left, right) = plots.new_axes(2)
    plots.plot_fit(left, x, y, {"degree 20": (grid, vandermonde(grid, 20) @ theta20),
                                "degree 2": (grid, vandermonde(grid, 2) @ theta2),
                                "true f(x)": (grid, true_regression_function(grid))},
                   title="Degree 20 follows the noise", ylim=(-3.5, 2.5))
    plots.plot_train_validation(right, degrees, train, validation, xlabel="polynomial degree",
                                title="Training error falls, validation error rises")
    plots.save(fig, out_dir / "overfitting.png")
    summary = {"degrees": degrees, "train_mse": train, "validation_mse": validation,
               "best_degree": degrees[min(range(len(degrees)), key=validation.__getitem__)]}
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    print(main(args.out, args.quick))
