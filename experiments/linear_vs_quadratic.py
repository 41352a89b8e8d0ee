"""Lecture figure: the 25-sample data set fitted by a straight line and by a parabola (eqs. 2–5)."""

import jax
import jax.numpy as jnp
from _common import mse, parse_args, write_summary

from jaxlearn import plots, solve, vandermonde
from jaxlearn.data import lecture_regression_data, true_regression_function

NAME = "linear_vs_quadratic"


def main(out_dir, quick: bool = False) -> dict:
    x, y = lecture_regression_data(jax.random.key(0), M=25, dtype=jnp.float64)
    grid = jnp.linspace(-1, 1, 200)
    fits, summary = {}, {}
    for degree, label in [(1, "straight line (degree 1)"), (2, "parabola (degree 2)")]:
        theta = solve(vandermonde(x, degree), y)
        fits[label] = (grid, vandermonde(grid, degree) @ theta)
        summary[f"degree_{degree}"] = {"theta": theta.tolist(),
                                       "train_mse": mse(vandermonde(x, degree) @ theta, y)}
    fits["true f(x) = 1 + x − 2x²"] = (grid, true_regression_function(grid))
    fig, ax = plots.new_axes()
    plots.plot_fit(ax, x, y, fits, title="25 samples: underfitting line vs. fitting parabola")
    ax.lines[-1].set(ls="--", color="gray", lw=1.5)
    ax.legend(fontsize=8)
    plots.save(fig, out_dir / "fits.png")
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    print(main(args.out, args.quick))
