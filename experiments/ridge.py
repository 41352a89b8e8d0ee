"""Lecture figure: ridge regression on the degree-20 model. Training and validation error
against λ, and the fitted curves for a few λ (the bias θ₀ is not penalised). All λ come from
one vmapped `sweeps.ridge_path`; `sweeps.ridge_loo_path` adds the leave-one-out error, which
picks λ from the 25 training samples alone."""

import jax
import jax.numpy as jnp
import numpy as np
from _common import mse, parse_args, write_summary

from jaxlearn import plots, solve, sweeps, vandermonde
from jaxlearn.data import lecture_regression_data

NAME = "ridge"
DEGREE = 20


def main(out_dir, quick: bool = False) -> dict:
    x, y = lecture_regression_data(jax.random.key(0), M=25, dtype=jnp.float64)
    x_val, y_val = lecture_regression_data(jax.random.key(1), M=200, dtype=jnp.float64)
    X, X_val = vandermonde(x, DEGREE), vandermonde(x_val, DEGREE)
    lams = np.logspace(-12, 1, 14 if quick else 40)
    path = sweeps.ridge_path(X, y, lams, X_val, y_val, penalize_bias=False)
    loo = sweeps.ridge_loo_path(X, y, lams, penalize_bias=False)
    train = [mse(X @ t, y) for t in path.thetas]
    validation = [float(v) for v in path.validation]

    grid = jnp.linspace(-1, 1, 400)
    shown = [0.0, 1e-8, 1e-4, 1e-2, 1.0]
    curves = {f"λ = {lam:g}": (grid, vandermonde(grid, DEGREE) @ solve(X, y, lam=lam, penalize_bias=False))
              for lam in shown}
    fig, (left, right) = plots.new_axes(2)
    plots.plot_fit(left, x, y, curves, title=f"Degree-{DEGREE} fits for a few λ", ylim=(-3.5, 2.5))
    plots.plot_train_validation(right, lams, train, validation, xlabel="λ", logx=True,
                                title="Ridge: validation error has a minimum in λ",
                                others={"leave-one-out error (training set)": loo.validation})
    plots.save(fig, out_dir / "ridge.png")
    best = path.best()
    summary = {"lams": lams.tolist(), "train_mse": train, "validation_mse": validation,
               "loo_mse": [float(v) for v in loo.validation], "best_lam_loo": float(lams[loo.best()]),
               "best_lam": float(lams[best]), "best_validation_mse": validation[best],
               "validation_mse_unregularised": mse(X_val @ solve(X, y), y_val)}
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    print(main(args.out, args.quick))
