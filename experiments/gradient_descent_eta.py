"""Lecture figure: gradient descent with η perfect (A), too small (B) and too large (C).

The three runs are one vmapped call of `jaxlearn.gradient_descent`.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from _common import parse_args, write_summary

from jaxlearn import gradient_descent, least_squares_grad, least_squares_loss, plots, solve, vandermonde
from jaxlearn.data import lecture_regression_data

NAME = "gradient_descent_eta"


def main(out_dir, quick: bool = False) -> dict:
    x, y = lecture_regression_data(jax.random.key(0), M=25, dtype=jnp.float64)
    X = vandermonde(x, 2)
    # For this quadratic loss GD converges iff η < 2/L, L = λ_max(XᵀX/M).
    L = float(jnp.linalg.eigvalsh(X.T @ X / X.shape[0]).max())
    etas = {"A: η = 1/L (good)": 1.0 / L, "B: η = 0.05/L (too small)": 0.05 / L,
            "C: η = 2.1/L (too large)": 2.1 / L}
    with warnings.catch_warnings():  # B stalling and C diverging are the point of the figure
        warnings.simplefilter("ignore")
        result = gradient_descent(least_squares_loss, jnp.zeros(3), X, y,
                                  eta=np.array(list(etas.values())), grad=least_squares_grad,
                                  tol=1e-12, max_iter=200 if quick else 400, on_divergence="warn")
    best = float(least_squares_loss(solve(X, y), X, y))
    histories = {label: result.loss_history[i] for i, label in enumerate(etas)}
    fig, ax = plots.new_axes()
    plots.plot_loss_curves(ax, histories, title="Gradient descent on the parabola fit")
    ax.axhline(best, color="gray", ls=":", lw=1, label="minimum (direct solve)")
    ax.legend(fontsize=8)
    plots.save(fig, out_dir / "loss_curves.png")
    summary = {label: {"eta": float(result.eta[i]), "n_iter": int(result.n_iter[i]),
                       "converged": bool(result.converged[i]), "diverged": bool(result.diverged[i]),
                       "final_loss": float(result.loss_history[i][int(result.n_iter[i])])}
               for i, label in enumerate(etas)}
    summary["minimum_loss"] = best
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    print(main(args.out, args.quick))
