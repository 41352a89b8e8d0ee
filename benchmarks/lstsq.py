"""jaxlearn's least-squares solvers against the same method in NumPy/SciPy (LAPACK), float64.

Run: python benchmarks/lstsq.py [--quick]

Each row times one method on the same problem in both libraries (best of 3,
after a warm-up run that includes JIT compilation) and prints the ratio
jaxlearn / NumPy-SciPy: below 1 means jaxlearn is faster. jaxlearn's times
include its input validation (the NaN/inf scan and, for the Gram-matrix
methods, the singularity check). The target is a ratio ≤ 1.2 for every
method, and the default method no slower than numpy.linalg.lstsq.
"""

import argparse
import os
import platform

import jax

jax.config.update("jax_enable_x64", True)  # the benchmark, not the library, asks for float64

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

import jaxlearn  # noqa: E402
from benchmarks._timing import best_time  # noqa: E402


def numpy_peers(X, y):
    """The same algorithm as each jaxlearn method, written with NumPy/SciPy."""
    def gram():
        return X.T @ X, X.T @ y

    def normal():
        A, b = gram()
        return np.linalg.inv(A) @ b

    def lu():
        A, b = gram()
        return scipy.linalg.lu_solve(scipy.linalg.lu_factor(A, check_finite=False), b, check_finite=False)

    def cholesky():
        A, b = gram()
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, check_finite=False), b, check_finite=False)

    def qr():  # one Householder QR of [X | y]: R and Qᵀy without forming Q
        R = scipy.linalg.qr(np.column_stack([X, y]), mode="r", check_finite=False)[0]
        n = X.shape[1]
        return scipy.linalg.solve_triangular(R[:n, :n], R[:n, n], check_finite=False)

    def qr_textbook():  # Q formed explicitly
        Q, R = np.linalg.qr(X)
        return scipy.linalg.solve_triangular(R, Q.T @ y, check_finite=False)

    def svd_full():
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        return Vt.T @ ((U.T @ y) / s)

    lstsq = ("np.linalg.lstsq (gelsd)", lambda: np.linalg.lstsq(X, y, rcond=None)[0])
    return {
        "auto": [lstsq],
        "svd": [("np.linalg.svd(X) + V S⁻¹ Uᵀy", svd_full), lstsq],
        "qr": [("scipy qr([X|y], mode='r') + solve_triangular", qr),
               ("np.linalg.qr + Qᵀy + solve_triangular", qr_textbook)],
        "cholesky": [("scipy cho_factor/cho_solve", cholesky)],
        "lu": [("scipy lu_factor/lu_solve", lu)],
        "normal": [("np.linalg.inv(XᵀX) @ Xᵀy", normal)],
        "pinv": [("np.linalg.pinv(X) @ y", lambda: np.linalg.pinv(X) @ y)],
    }


def run_case(M, N, seed=0, repeats=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(M, N))
    y = X @ rng.normal(size=N) + 0.1 * rng.normal(size=M)
    X_jax, y_jax = jnp.asarray(X), jnp.asarray(y)
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    print(f"\nX: {M} × {N} float64 ({X.nbytes / 2**20:.0f} MiB)")
    print(f"{'method':<9} {'jaxlearn s':>11} {'peer s':>9} {'ratio':>6}  max|Δθ| vs lstsq   peer "
          f"(the same algorithm in NumPy/SciPy; 'auto' is the default)")
    for method, peers in numpy_peers(X, y).items():
        ours = best_time(lambda method=method: jaxlearn.solve(X_jax, y_jax, method=method), repeats)
        error = float(np.max(np.abs(np.asarray(jaxlearn.solve(X_jax, y_jax, method=method)) - reference)))
        for peer_name, peer in peers:
            theirs = best_time(peer, repeats)
            print(f"{method:<9} {ours:>11.4f} {theirs:>9.4f} {ours / theirs:>6.2f}  {error:>17.1e}   {peer_name}",
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller problems (a smoke run)")
    args = parser.parse_args()
    print(f"jaxlearn {jaxlearn.__version__}, jax {jax.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}")
    cases = [(20_000, 50), (1_000, 500)] if args.quick else [(1_000_000, 50), (2_000, 1_000)]
    for M, N in cases:
        run_case(M, N)


if __name__ == "__main__":
    main()
