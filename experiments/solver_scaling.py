"""Lecture figure: the least-squares solvers' time against M and N (log-log) beside the
lecture's cost table, and their accuracy against the condition number of X."""

import time

import jax
import jax.numpy as jnp
import numpy as np
from _common import parse_args, write_summary

from jaxlearn import SingularMatrixError, plots, solve

NAME = "solver_scaling"
METHODS = ("auto", "svd", "qr", "cholesky", "lu", "normal", "pinv")

# The lecture's cost table (flops for an m × n system), plus the XᵀX that the
# Gram-matrix methods form first (m n², using symmetry).
COST = {
    "auto": ("2mn² − ⅔n³ (QR; + 11n³ if rank-deficient)", lambda m, n: 2 * m * n**2 - 2 / 3 * n**3),
    "lu": ("⅔n³ (+ mn² for XᵀX)", lambda m, n: 2 / 3 * n**3 + m * n**2),
    "cholesky": ("⅓n³ (+ mn² for XᵀX)", lambda m, n: 1 / 3 * n**3 + m * n**2),
    "normal": ("explicit inverse: 2n³ (+ mn² for XᵀX)", lambda m, n: 2 * n**3 + m * n**2),
    "qr": ("2mn² − ⅔n³", lambda m, n: 2 * m * n**2 - 2 / 3 * n**3),
    "svd": ("2mn² + 11n³", lambda m, n: 2 * m * n**2 + 11 * n**3),
    "pinv": ("2mn² + 11n³ (+ 2mn² to form X⁺)", lambda m, n: 4 * m * n**2 + 11 * n**3),
}


def best_time(method, X, y, repeats=3):
    jax.block_until_ready(solve(X, y, method=method))  # compile
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(solve(X, y, method=method))
        times.append(time.perf_counter() - start)
    return min(times)


def random_problem(key, M, N):
    X = jax.random.normal(key, (M, N), jnp.float64)
    return X, X @ jnp.ones(N) + 0.01 * jax.random.normal(jax.random.fold_in(key, 1), (M,), jnp.float64)


def timings(shapes, repeats=3):
    table = {m: [] for m in METHODS}
    for i, (M, N) in enumerate(shapes):
        X, y = random_problem(jax.random.key(i), M, N)
        for method in METHODS:
            table[method].append(best_time(method, X, y, repeats))
    return table


def accuracy_against_condition(kappas, M=200, N=20):
    """Relative error ‖θ − θ*‖/‖θ*‖ on a consistent system whose X has condition number κ."""
    key_u, key_v = jax.random.split(jax.random.key(42))
    U, _ = jnp.linalg.qr(jax.random.normal(key_u, (M, N), jnp.float64))
    V, _ = jnp.linalg.qr(jax.random.normal(key_v, (N, N), jnp.float64))
    theta_true = jnp.ones(N)
    errors = {m: [] for m in METHODS}
    for kappa in kappas:
        X = (U * jnp.logspace(0, -np.log10(kappa), N)[None, :]) @ V.T
        y = X @ theta_true
        for method in METHODS:
            try:
                theta = solve(X, y, method=method, rcond=0.0 if method in ("auto", "svd", "pinv") else None)
                errors[method].append(float(jnp.linalg.norm(theta - theta_true) / jnp.linalg.norm(theta_true)))
            except SingularMatrixError:
                errors[method].append(float("nan"))  # refused: singular to working precision
    return errors


def main(out_dir, quick: bool = False) -> dict:
    Ms = [1_000, 16_000] if quick else [1_000, 4_000, 16_000, 64_000, 256_000, 1_000_000]
    Ns = [25, 100] if quick else [25, 50, 100, 200, 400, 800]
    kappas = np.logspace(0, 14, 15)
    repeats = 1 if quick else 3       # quick: a smoke test of the figure, not a measurement
    by_m = timings([(M, 50) for M in Ms], repeats)
    by_n = timings([(2 * N, N) for N in Ns], repeats)
    errors = accuracy_against_condition(kappas)

    fig, (ax_m, ax_n, ax_err) = plots.new_axes(3, width=5.0)
    for method in METHODS:
        ax_m.loglog(Ms, by_m[method], "o-", label=method)
        ax_n.loglog(Ns, by_n[method], "o-", label=method)
        ax_err.loglog(kappas, np.maximum(errors[method], 1e-17), "o-", ms=4, label=method)
    for ax, sizes, times, power, label in [(ax_m, Ms, by_m, 1, "∝ M"), (ax_n, Ns, by_n, 3, "∝ N³")]:
        sizes = np.asarray(sizes, float)
        anchor = times["qr"][-1] / sizes[-1] ** power
        ax.loglog(sizes, anchor * sizes**power, "k--", lw=1, label=label)
    eps = np.finfo(np.float64).eps
    ax_err.loglog(kappas, kappas * eps, "k:", lw=1, label="κ·eps")
    ax_err.loglog(kappas, kappas**2 * eps, "k--", lw=1, label="κ²·eps")
    ax_m.set(xlabel="M (samples), N = 50", ylabel="seconds", title="Time against M: all linear in M")
    ax_n.set(xlabel="N (features), M = 2N", ylabel="seconds", title="Time against N: cubic for large N")
    ax_err.set(xlabel="condition number κ of X", ylabel="relative error of θ", ylim=(1e-17, 1e2),
               title="Accuracy: XᵀX squares κ (missing: refused)")
    for ax in (ax_m, ax_n, ax_err):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    plots.save(fig, out_dir / "solver_scaling.png")

    M_big, N_big = 2 * Ns[-1], Ns[-1]
    rows = [f"| method | lecture cost (flops) | predicted GFLOP at M={M_big}, N={N_big} | measured s | GFLOP/s |",
            "|---|---|---|---|---|"]
    for method in METHODS:
        formula, flops = COST[method]
        gflop = flops(M_big, N_big) / 1e9
        seconds = by_n[method][-1]
        rows.append(f"| {method} | {formula} | {gflop:.3g} | {seconds:.4f} | {gflop / seconds:.1f} |")
    (out_dir / "cost_table.md").write_text("\n".join(rows) + "\n")
    summary = {"M_values": Ms, "time_by_M": by_m, "N_values": Ns, "time_by_N": by_n,
               "kappas": kappas.tolist(), "relative_error": errors, "cost_table": rows}
    write_summary(out_dir, summary)
    print("\n".join(rows))
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    main(args.out, args.quick)
