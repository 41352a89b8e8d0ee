"""Support vector machines: the primal hinge loss (eq. 36) and the kernel SVM in the dual (eqs. 40–43).

Primal, labels y ∈ {−1, +1}:
    J(w, b) = ½‖w‖² + C · (1/M) Σ_m max(0, 1 − y_m (wᵀx_m + b))                     (eq. 36)

Dual (the kernel trick), with the box written as scikit-learn's SVC has it:
    max_a  Σ a_m − ½ Σ_m Σ_n a_m a_n y_m y_n K_mn   s.t.  0 ≤ a_m ≤ C,  Σ a_m y_m = 0   (eqs. 40–43)
    f(x) = Σ_m a_m y_m K(x, x_m) + b

The dual of eq. 36 (with its 1/M) is this problem with box C/M: `fit_kernel_svm(X, y,
linear, C / M)` and `fit_linear_svm(X, y, C)` find the same w.

The dual is solved by SMO with libsvm's second-order working-set selection (Fan, Chen and
Lin 2005), stopping when the maximal KKT violation m(a) − M(a) ≤ tol, as libsvm's `tol`.
The one-vs-one problems of a multiclass fit run side by side as one vmapped, jitted loop over
a Gram matrix computed once with matrix products.
"""

import warnings
from functools import partial
from itertools import combinations
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import (
    as_float_array,
    check_fit_matrix,
    check_matrix,
    check_scalar,
    check_vector,
)
from jaxlearn.kernels import Kernel, check_kernel, gram, make_kernel, resolve_gamma

TAU = 1e-12  # libsvm's floor for a non-positive curvature a_ij


# --- the primal hinge loss ------------------------------------------------------------------------

def _check_pm1(y, M, name="y"):
    if isinstance(y, jax.core.Tracer):
        return
    labels = np.unique(np.asarray(y))
    if not np.isin(labels, [-1, 1]).all():
        raise ValueError(f"{name} must hold the labels −1 and +1, found {labels[:5].tolist()}")
    if len(labels) < 2 and M > 0:
        raise ValueError(f"{name} holds a single class ({labels.tolist()}); an SVM needs both −1 and +1")


def _check_hinge_args(w, b, X, y):
    """w (N,), b scalar, X (M, N), y (M,) ±1, real; shapes only under jit (values when concrete)."""
    X = check_matrix(X)                      # NaN/inf checked when concrete, skipped under jit
    y = check_vector(y, X.shape[0], like=X)
    w = check_vector(w, None, "w", like=X)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w has length {w.shape[0]} but X has {X.shape[1]} features")
    b = as_float_array(b, "b").astype(X.dtype)
    if b.ndim != 0:
        raise ValueError(f"b must be a scalar, got shape {b.shape}")
    _check_pm1(y, X.shape[0])
    return w, b, X, y


def hinge_objective(w, b, X, y, C):
    """J(w, b) = ½‖w‖² + C · (1/M) Σ max(0, 1 − y (Xw + b)) (eq. 36). w: (N,); X: (M, N); y: (M,) ±1."""
    w, b, X, y = _check_hinge_args(w, b, X, y)
    margins = y * (X @ w + b)
    return 0.5 * w @ w + C * jnp.mean(jnp.maximum(0, 1 - margins))


def hinge_subgradient(w, b, X, y, C):
    """A subgradient of eq. 36, by hand: (w − (C/M) Σ_{m: y f(x_m) < 1} y_m x_m, −(C/M) Σ_{…} y_m).

    Equals the gradient wherever no sample sits exactly on the margin (y f(x) = 1).
    """
    w, b, X, y = _check_hinge_args(w, b, X, y)
    active = (y * (X @ w + b) < 1).astype(X.dtype)
    return w - C * (active * y) @ X / X.shape[0], -C * jnp.mean(active * y)


class LinearSVM(NamedTuple):
    w: jax.Array
    b: jax.Array


def _smoothed_hinge(t, mu):
    """Huber-smoothed max(0, 1 − t): quadratic within μ of the kink, exact elsewhere."""
    u = 1 - t
    return jnp.where(u <= 0, 0.0, jnp.where(u >= mu, u - mu / 2, u**2 / (2 * mu)))


@partial(jax.jit, static_argnames=("max_iter",))
def _fit_primal(X, y, C, mus, max_iter):
    def solve_stage(params, mu):
        def loss(p):
            w, b = p
            return 0.5 * w @ w + C * jnp.mean(_smoothed_hinge(y * (X @ w + b), mu))

        solver = optax.lbfgs()
        value_and_grad = optax.value_and_grad_from_state(loss)

        def step(carry):
            p, state = carry
            value, grad = value_and_grad(p, state=state)
            with jax.numpy_dtype_promotion("standard"):
                updates, state = solver.update(grad, state, p, value=value, grad=grad, value_fn=loss)
            return optax.apply_updates(p, updates), state

        def keep_going(carry):
            p, state = carry
            grad = optax.tree.get(state, "grad")
            norm = jnp.maximum(jnp.max(jnp.abs(grad[0])), jnp.abs(grad[1]))
            count = optax.tree.get(state, "count")
            return (count < max_iter) & ((norm > 1e-10) | (count == 0))

        with jax.numpy_dtype_promotion("standard"):
            state = solver.init(params)
        params, _ = jax.lax.while_loop(keep_going, step, (params, state))
        return params, None

    params0 = (jnp.zeros(X.shape[1], X.dtype), jnp.zeros((), X.dtype))
    params, _ = jax.lax.scan(solve_stage, params0, mus)
    return params


def fit_linear_svm(X, y, C: float = 1.0, *, max_iter: int = 2000) -> LinearSVM:
    """Soft-margin linear SVM in the primal: (w, b) minimising eq. 36.

    The hinge is smoothed within μ of its kink and μ shrinks 1 → 1e-6 (each stage solved by
    L-BFGS, warm-started), so the result approaches the exact minimiser of the non-smooth
    objective; large C approaches the hard margin.

    Args:
        X: (M, N); y: (M,) labels −1/+1; C > 0.
    """
    X = check_matrix(X)
    check_fit_matrix(X)
    y = check_vector(y, X.shape[0], like=X)
    _check_pm1(y, X.shape[0])
    check_scalar(C, "C", minimum=0, strict=True)
    max_iter = check_scalar(max_iter, "max_iter", minimum=1, integer=True)
    mus = jnp.asarray([1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6], X.dtype)
    w, b = _fit_primal(X, y, jnp.asarray(C, X.dtype), mus, max_iter)
    return LinearSVM(w, b)


# --- the dual: SMO over a precomputed Gram matrix, vmapped over problems ----------------------------

class _Selection(NamedTuple):
    i: jax.Array
    j: jax.Array
    gap: jax.Array
    K_i: jax.Array
    K_j: jax.Array


def _select(K, idx, diag, y, valid, alpha, G, C):
    """libsvm's WSS2: i maximises −y_t G_t over I_up; j maximises the second-order gain over I_low."""
    up = valid & (((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0)))
    low = valid & (((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C)))
    minus_yG = -y * G
    score_up = jnp.where(up, minus_yG, -jnp.inf)
    i = jnp.argmax(score_up)
    m = score_up[i]
    M = jnp.min(jnp.where(low, minus_yG, jnp.inf))
    K_i = K[idx[i], idx]
    b = m - minus_yG                                        # b_it = −y_i G_i + y_t G_t
    a = diag[i] + diag - 2 * K_i                            # a_it = K_ii + K_tt − 2 K_it
    a = jnp.where(a > 0, a, TAU)
    j = jnp.argmin(jnp.where(low & (b > 0), -(b * b) / a, jnp.inf))
    return _Selection(i, j, m - M, K_i, K[idx[j], idx])


def _update_pair(alpha_i, alpha_j, G_i, G_j, y_i, y_j, quad, C):
    """libsvm's analytic two-variable update, clipped to the box [0, C] (sequential, as in Solver::Solve)."""
    different = y_i != y_j
    # y_i ≠ y_j: α_i − α_j is conserved
    delta = (-G_i - G_j) / quad
    diff = alpha_i - alpha_j
    ai, aj = alpha_i + delta, alpha_j + delta
    ai, aj = jnp.where((diff > 0) & (aj < 0), diff, ai), jnp.where((diff > 0) & (aj < 0), 0.0, aj)
    ai, aj = jnp.where((diff <= 0) & (ai < 0), 0.0, ai), jnp.where((diff <= 0) & (ai < 0), -diff, aj)
    ai, aj = jnp.where((diff > 0) & (ai > C), C, ai), jnp.where((diff > 0) & (ai > C), C - diff, aj)
    ai, aj = jnp.where((diff <= 0) & (aj > C), C + diff, ai), jnp.where((diff <= 0) & (aj > C), C, aj)
    # y_i = y_j: α_i + α_j is conserved
    delta_s = (G_i - G_j) / quad
    total = alpha_i + alpha_j
    bi, bj = alpha_i - delta_s, alpha_j + delta_s
    bi, bj = jnp.where((total > C) & (bi > C), C, bi), jnp.where((total > C) & (bi > C), total - C, bj)
    bi, bj = jnp.where((total <= C) & (bj < 0), total, bi), jnp.where((total <= C) & (bj < 0), 0.0, bj)
    bi, bj = jnp.where((total > C) & (bj > C), total - C, bi), jnp.where((total > C) & (bj > C), C, bj)
    bi, bj = jnp.where((total <= C) & (bi < 0), 0.0, bi), jnp.where((total <= C) & (bi < 0), total, bj)
    return jnp.where(different, ai, bi), jnp.where(different, aj, bj)


def _rho(alpha, G, y, valid, C):
    """libsvm's ρ: the mean of y_t G_t over free α_t, or the middle of its feasible interval."""
    yG = y * G
    upper, lower = alpha >= C, alpha <= 0
    free = valid & ~upper & ~lower
    bounds_ub = valid & ((upper & (y < 0)) | (lower & (y > 0)))
    bounds_lb = valid & ((upper & (y > 0)) | (lower & (y < 0)))
    ub = jnp.min(jnp.where(bounds_ub, yG, jnp.inf))
    lb = jnp.max(jnp.where(bounds_lb, yG, -jnp.inf))
    n_free = jnp.sum(free).astype(G.dtype)
    return jnp.where(n_free > 0, jnp.sum(jnp.where(free, yG, 0)) / jnp.maximum(n_free, 1), (ub + lb) / 2)


def _smo_one(K, diag_full, C, tol, max_iter, idx, y, valid):
    dtype = K.dtype
    diag = diag_full[idx]
    alpha = jnp.zeros(idx.shape[0], dtype)
    G = -jnp.ones(idx.shape[0], dtype)                      # G = Qα − e at α = 0

    def keep_going(state):
        _, _, k, sel = state
        return (k < max_iter) & (sel.gap > tol)

    def step(state):
        alpha, G, k, sel = state
        i, j = sel.i, sel.j
        quad = jnp.maximum(diag[i] + diag[j] - 2 * sel.K_i[j], TAU)
        new_i, new_j = _update_pair(alpha[i], alpha[j], G[i], G[j], y[i], y[j], quad, C)
        d_i, d_j = new_i - alpha[i], new_j - alpha[j]
        G = G + y * (y[i] * d_i * sel.K_i + y[j] * d_j * sel.K_j)   # Q_ti = y_t y_i K_ti
        alpha = alpha.at[i].set(new_i).at[j].set(new_j)
        return alpha, G, k + 1, _select(K, idx, diag, y, valid, alpha, G, C)

    start = (alpha, G, jnp.array(0), _select(K, idx, diag, y, valid, alpha, G, C))
    alpha, G, k, sel = jax.lax.while_loop(keep_going, step, start)
    return alpha, -_rho(alpha, G, y, valid, C), k, sel.gap


@partial(jax.jit, static_argnames=("max_iter",))
def _smo(K, idx, y, valid, C, tol, max_iter):
    """Solve P dual problems at once. idx, y, valid: (P, n); returns α (P, n), b (P,), iterations, gaps."""
    C, tol = jnp.asarray(C, K.dtype), jnp.asarray(tol, K.dtype)
    one = partial(_smo_one, K, jnp.diagonal(K), C, tol, max_iter)
    return jax.vmap(one)(idx, y.astype(K.dtype), valid)


# --- the public kernel SVM ----------------------------------------------------------------------------

GRAM_LIMIT_BYTES = 4 << 30


class KernelSVM(NamedTuple):
    """A fitted kernel SVM: only its support vectors are kept.

    P binary problems (one per class pair (a, b), a < b, one-vs-one; P = 1 for two classes),
    each with f_p(x) = Σ_m dual_coef[m, p] K(x, sv_m) + intercept[p]; f_p > 0 votes for
    classes[b], else classes[a]. dual_coef[m, p] = a_m y_m (0 where sv_m is not in problem p).
    """

    kernel: Kernel
    support_vectors: jax.Array   # (S, N)
    dual_coef: jax.Array         # (S, P)
    intercept: jax.Array         # (P,)
    support: np.ndarray          # (S,) row indices into the training X
    classes: np.ndarray          # (K,) the class labels, sorted
    pairs: np.ndarray            # (P, 2) class indices (a, b)
    n_iter: np.ndarray           # (P,) SMO iterations per problem


def _problems(labels, n_classes):
    """Index, label (±1) and validity arrays (P, n_max) of the one-vs-one problems."""
    pairs = list(combinations(range(n_classes), 2))
    members = [np.flatnonzero((labels == a) | (labels == b)) for a, b in pairs]
    n_max = max(len(m) for m in members)
    idx = np.zeros((len(pairs), n_max), np.int32)
    y = np.zeros((len(pairs), n_max), np.int8)
    valid = np.zeros((len(pairs), n_max), bool)
    for p, ((_, b), m) in enumerate(zip(pairs, members)):
        idx[p, :len(m)], valid[p, :len(m)] = m, True
        y[p, :len(m)] = np.where(labels[m] == b, 1, -1)
    return np.array(pairs), idx, y, valid


def fit_kernel_svm(X, y, kernel="rbf", C: float = 1.0, *, gamma="scale", coef0: float = 0.0,
                   degree: int = 3, tol: float = 1e-3, max_iter: int | None = None) -> KernelSVM:
    """Kernel SVM in the dual (eqs. 40–43), multiclass by one-vs-one; SMO as libsvm.

    Args:
        X: (M, N) training samples.
        y: (M,) class labels, at least two classes (for two classes {−1, +1} is natural).
        kernel: a `Kernel`, or one of "linear", "polynomial", "rbf", "sigmoid", "laplacian".
        C: the box 0 ≤ a ≤ C (scikit-learn's SVC C), > 0.
        gamma: γ > 0, or "scale" = 1 / (N · var(X)) or "auto" = 1 / N (as scikit-learn).
        coef0, degree: c and d of the polynomial and sigmoid kernels.
        tol: stop when the maximal KKT violation m(a) − M(a) ≤ tol (libsvm's tol).
        max_iter: SMO iterations per problem (default max(10⁷, 100 M), as libsvm).

    Returns:
        A `KernelSVM`. Hitting max_iter warns with the KKT violation left.
    """
    X = check_matrix(X)
    check_fit_matrix(X)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be (M,) = ({X.shape[0]},), got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        bad = np.flatnonzero(~np.isfinite(y))
        raise ValueError(f"y contains {bad.size} NaN or inf label(s), the first at index {bad[0]}; "
                         "class labels must be finite")
    if y.dtype.kind not in "iufbUSO":
        raise TypeError(f"y must hold class labels (numbers or strings), got dtype {y.dtype}")
    classes, labels = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y holds {len(classes)} class ({classes.tolist()}); an SVM needs at least two")
    check_scalar(C, "C", minimum=0, strict=True)
    check_scalar(tol, "tol", minimum=0, strict=True)
    if isinstance(kernel, Kernel):
        kernel = check_kernel(kernel)
    else:
        kernel = make_kernel(kernel, gamma=resolve_gamma(gamma, X), coef0=coef0, degree=degree)
    M = X.shape[0]
    if M * M * X.dtype.itemsize > GRAM_LIMIT_BYTES:
        raise ValueError(f"X has {M} samples: the Gram matrix would need {M * M * X.dtype.itemsize / 2**30:.1f} "
                         f"GiB (limit {GRAM_LIMIT_BYTES / 2**30:.0f} GiB); train on a subset")
    max_iter = max(10_000_000, 100 * M) if max_iter is None else check_scalar(
        max_iter, "max_iter", minimum=1, integer=True)
    pairs, idx, signs, valid = _problems(labels, len(classes))
    K = gram(kernel, X)
    alpha, b, n_iter, gap = _smo(K, jnp.asarray(idx), jnp.asarray(signs), jnp.asarray(valid), C, tol, max_iter)
    n_iter, gap = np.asarray(n_iter), np.asarray(gap)
    if (gap > tol).any():
        stuck = np.flatnonzero(gap > tol)
        warnings.warn(f"SMO reached max_iter={max_iter} for class pairs {pairs[stuck].tolist()} with KKT "
                      f"violation {gap[stuck].max():.3g} > tol={tol:g}: the solution is not optimal; raise "
                      "max_iter or tol, or scale the features", ConvergenceWarning, stacklevel=2)
    alpha = np.asarray(alpha)
    coef = np.zeros((M, len(pairs)), alpha.dtype)
    for p in range(len(pairs)):
        used = valid[p] & (alpha[p] > 0)
        coef[idx[p, used], p] = alpha[p, used] * signs[p, used]
    support = np.flatnonzero((coef != 0).any(axis=1))
    return KernelSVM(kernel, X[support], jnp.asarray(coef[support]), b, support, classes, pairs, n_iter)


def decision_function(model: KernelSVM, X, *, block: int = 10_000):
    """f(x) = Σ_m a_m y_m K(x, x_m) + b for each problem: (M,) for two classes, else (M, P).

    X goes through in row blocks of `block` samples, so K(X, SV) never holds more than
    block × S entries at once.
    """
    X = check_matrix(X)
    block = check_scalar(block, "block", minimum=1, integer=True)
    if X.shape[1] != model.support_vectors.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the SVM was fitted on {model.support_vectors.shape[1]}")
    X = X.astype(model.support_vectors.dtype)
    f = jnp.concatenate([gram(model.kernel, X[s:s + block], model.support_vectors) @ model.dual_coef
                         for s in range(0, X.shape[0], block)]) + model.intercept[None, :]
    return f[:, 0] if len(model.classes) == 2 else f


def predict(model: KernelSVM, X) -> np.ndarray:
    """Class labels: the sign of f for two classes, one-vs-one votes otherwise (ties: the lower class)."""
    f = np.asarray(decision_function(model, X))
    f = f.reshape(f.shape[0], -1)
    winners = np.where(f > 0, model.pairs[:, 1][None, :], model.pairs[:, 0][None, :])
    votes = np.zeros((f.shape[0], len(model.classes)), np.int32)
    for p in range(f.shape[1]):
        np.add.at(votes, (np.arange(f.shape[0]), winners[:, p]), 1)
    return model.classes[np.argmax(votes, axis=1)]


def ovr_decision_function(model: KernelSVM, ovo_scores):
    """One score per class from the one-vs-one scores (M, P), as scikit-learn's SVC reports them:
    votes won plus the summed confidences squashed into (−⅓, ⅓), so ties between vote counts
    are broken by confidence."""
    f = jnp.asarray(ovo_scores)
    n_classes = len(model.classes)
    votes = jnp.zeros((f.shape[0], n_classes), f.dtype)
    confidence = jnp.zeros((f.shape[0], n_classes), f.dtype)
    for p, (a, b) in enumerate(model.pairs):
        wins_b = (f[:, p] > 0).astype(f.dtype)
        votes = votes.at[:, b].add(wins_b).at[:, a].add(1 - wins_b)
        confidence = confidence.at[:, b].add(f[:, p]).at[:, a].add(-f[:, p])
    return votes + confidence / (3 * (jnp.abs(confidence) + 1))
