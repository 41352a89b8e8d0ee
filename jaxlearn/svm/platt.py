"""Class probabilities from SVM scores, as libsvm computes them for probability=True.

Two classes (Platt 1999, in the careful form of Lin, Lin & Weng 2007): from out-of-fold
decision values f_m (cross-validation, so that f is not fitted to the samples it scores),

    P(y = 1 | f) = 1 / (1 + exp(A f + B))

with (A, B) minimising the cross-entropy against the regularised targets t₊ = (N₊ + 1)/(N₊ + 2)
and t₋ = 1/(N₋ + 2), by Newton's method with a backtracking line search.

K classes (Wu, Lin & Weng 2004, their second method, libsvm's): one sigmoid per class pair gives
r_ij ≈ P(i | i or j), and the class probabilities p solve

    min_p Σ_i Σ_{j≠i} (r_ji p_i − r_ij p_j)²   subject to Σ_i p_i = 1,

the (K + 1) × (K + 1) linear system [Q e; eᵀ 0] [p; b] = [0; 1] with Q_ii = Σ_{s≠i} r_si² and
Q_ij = −r_ji r_ij, one per sample (batched).
"""

import numpy as np

NEWTON_ITERATIONS = 100
MIN_STEP = 1e-10
SIGMA = 1e-12           # keeps the 2 × 2 Hessian positive definite


def _objective(f, t, A, B) -> float:
    """Σ_m −t_m ln p_m − (1 − t_m) ln(1 − p_m), p = 1/(1 + exp(A f + B)), without overflow."""
    z = A * f + B
    return float(np.sum(np.where(z >= 0, t * z + np.log1p(np.exp(-np.abs(z))),
                                 (t - 1) * z + np.log1p(np.exp(-np.abs(z))))))


def fit_sigmoid(f, positive) -> tuple[float, float]:
    """(A, B) of P(y = 1 | f) = 1 / (1 + exp(A f + B)) from decision values f (M,) and the labels
    positive (M,) bool; Lin, Lin & Weng's algorithm (module docstring)."""
    f = np.asarray(f, np.float64)
    positive = np.asarray(positive, bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    t = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    A, B = 0.0, float(np.log((n_neg + 1.0) / (n_pos + 1.0)))
    value = _objective(f, t, A, B)
    for _ in range(NEWTON_ITERATIONS):
        z = A * f + B
        p = 1.0 / (1.0 + np.exp(np.clip(z, -700, 700)))         # P(y = 1 | f)
        d2 = p * (1.0 - p)
        h11, h22, h21 = SIGMA + np.sum(f * f * d2), SIGMA + np.sum(d2), np.sum(f * d2)
        g1, g2 = np.sum(f * (t - p)), np.sum(t - p)
        if abs(g1) < 1e-5 and abs(g2) < 1e-5:
            break
        det = h11 * h22 - h21 * h21
        dA, dB = -(h22 * g1 - h21 * g2) / det, -(-h21 * g1 + h11 * g2) / det
        slope, step = g1 * dA + g2 * dB, 1.0
        while step >= MIN_STEP:
            new = _objective(f, t, A + step * dA, B + step * dB)
            if new < value + 1e-4 * step * slope:
                A, B, value = A + step * dA, B + step * dB, new
                break
            step /= 2
        if step < MIN_STEP:
            break
    return A, B


def sigmoid_probability(f, A, B) -> np.ndarray:
    """P(y = 1 | f) = 1 / (1 + exp(A f + B)), element-wise (A, B broadcast against f)."""
    return 1.0 / (1.0 + np.exp(np.clip(A * np.asarray(f, np.float64) + B, -700, 700)))


def couple(pairs, second_probability, n_classes: int) -> np.ndarray:
    """Class probabilities p (M, K) from each pair's P(second | first or second) (M, P), pairs (P, 2)."""
    M = second_probability.shape[0]
    r = np.zeros((M, n_classes, n_classes))                    # r[m, i, j] ≈ P(i | i or j)
    for p, (first, second) in enumerate(np.asarray(pairs)):
        r[:, second, first] = second_probability[:, p]
        r[:, first, second] = 1.0 - second_probability[:, p]
    Q = -np.transpose(r, (0, 2, 1)) * r                         # Q_ij = −r_ji r_ij (i ≠ j)
    diagonal = np.einsum("msi,msi->mi", r, r)                   # Q_ii = Σ_{s≠i} r_si²
    Q[:, np.arange(n_classes), np.arange(n_classes)] = diagonal
    system = np.zeros((M, n_classes + 1, n_classes + 1))
    system[:, :n_classes, :n_classes] = Q
    system[:, :n_classes, n_classes] = system[:, n_classes, :n_classes] = 1.0
    rhs = np.zeros((M, n_classes + 1, 1))
    rhs[:, n_classes, 0] = 1.0
    p = np.linalg.solve(system, rhs)[:, :n_classes, 0]
    p = np.clip(p, 0.0, None)               # the solution is ≥ 0 in exact arithmetic; rounding aside
    return p / p.sum(axis=1, keepdims=True)
