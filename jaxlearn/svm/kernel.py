"""The kernel SVM in the dual (eqs. 40–43), multiclass by one-vs-one, solved by SMO as libsvm.

    max_a  Σ a_m − ½ Σ_m Σ_n a_m a_n y_m y_n k(x_m, x_n)   s.t.  0 ≤ a_m ≤ C,  Σ a_m y_m = 0
    f(x) = Σ_m a_m y_m k(x, x_m) + b

The box is written as scikit-learn's SVC has it. The dual of eq. 36 (with its 1/M) is this
problem with box C/M: `fit_kernel_svm(X, y, linear, C / M)` and `fit_linear_svm(X, y, C)` find
the same w. Two solvers, the same solution (libsvm's KKT tolerance):

- "gram": `jaxlearn.svm.smo` on the kernel matrix of all samples, computed once with matrix
  products (`jaxlearn.kernels.gram`); all one-vs-one problems side by side. Memory M²;
  fastest while M² fits comfortably.
- "working_set": `jaxlearn.svm.working_set`, kernel rows of q samples at a time, one problem
  after another; memory O(q · M). Any M.

solver="auto" takes "gram" up to `AUTO_GRAM_BYTES` of kernel matrix, else "working_set".
"""

import math
import warnings
from functools import partial
from itertools import combinations
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._bars import tqdm_class
from jaxlearn._errors import ConvergenceWarning
from jaxlearn._validation import (
    check_bool,
    check_fit_matrix,
    check_matrix,
    check_option,
    check_sample_weight,
    check_scalar,
)
from jaxlearn.buckets import bucket, map_row_blocks, pad_rows
from jaxlearn.kernels import Kernel, check_kernel, gram_unchecked, kernel_diagonal, make_kernel, resolve_gamma
from jaxlearn.parallel import data_mesh, local_mesh, replicated
from jaxlearn.svm import working_set
from jaxlearn.svm.smo import smo

GRAM_LIMIT_BYTES = 4 << 30          # the largest kernel matrix the "gram" solver builds
AUTO_GRAM_BYTES = 1 << 30           # solver="auto": "gram" up to this kernel matrix, then "working_set"
KERNEL_ROWS_LIMIT_BYTES = 4 << 30   # the largest block of kernel rows (q × n) of the "working_set" solver
SOLVERS = ("auto", "gram", "working_set")
INNER_MAX_ITER = 10_000             # SMO steps per working-set subproblem (it rarely needs q)
PROGRESS_OUTER_ITERATIONS = 20      # outer iterations between two progress reports


class KernelSVM(NamedTuple):
    """A fitted kernel SVM: only its support vectors are kept.

    P binary problems (one per class pair (first, second), first < second, one-vs-one; P = 1
    for two classes), each with f_p(x) = Σ_m dual_coef[m, p] k(x, sv_m) + intercept[p]; f_p > 0
    votes for classes[second], else classes[first]. dual_coef[m, p] = a_m y_m (0 where sv_m
    is not in problem p).
    """

    kernel: Kernel
    support_vectors: jax.Array   # (S, N)
    dual_coef: jax.Array         # (S, P)
    intercept: jax.Array         # (P,)
    support: np.ndarray          # (S,) row indices into the training X
    classes: np.ndarray          # (K,) the class labels, sorted
    pairs: np.ndarray            # (P, 2) class indices (first, second)
    n_iter: np.ndarray           # (P,) SMO iterations per problem
    kkt_gap: np.ndarray          # (P,) the maximal KKT violation m(a) − M(a) left, ≤ tol when converged
    converged: np.ndarray        # (P,) bool: kkt_gap ≤ tol


def _problems(labels, n_classes):
    """Index, label (±1) and validity arrays (P, n) of the one-vs-one problems, n the bucket of
    the largest problem (`jaxlearn.buckets`): entries past a problem's samples are padding."""
    pairs = list(combinations(range(n_classes), 2))
    members = [np.flatnonzero((labels == first) | (labels == second)) for first, second in pairs]
    n_max = bucket(max(len(m) for m in members))
    idx = np.zeros((len(pairs), n_max), np.int32)
    y = np.zeros((len(pairs), n_max), np.int8)
    valid = np.zeros((len(pairs), n_max), bool)
    for p, ((_, second), m) in enumerate(zip(pairs, members)):
        idx[p, :len(m)], valid[p, :len(m)] = m, True
        y[p, :len(m)] = np.where(labels[m] == second, 1, -1)
    return np.array(pairs), idx, y, valid


def fit_kernel_svm(X: ArrayLike, y: ArrayLike, kernel: str | Kernel = "rbf", C: float = 1.0, *,
                   gamma: str | float = "scale", coef0: float = 0.0, degree: int = 3, tol: float = 1e-3,
                   max_iter: int | None = None, solver: str = "auto", working_set_size: int = 512,
                   sample_weight: ArrayLike | None = None, progress: bool = False) -> KernelSVM:
    """Kernel SVM in the dual (eqs. 40–43), multiclass by one-vs-one; SMO as libsvm.

    Args:
        X: (M, N) training samples.
        y: (M,) class labels of any kind (numbers or strings), at least two classes; predictions come
            back as these labels.
        kernel: a `Kernel`, or one of "linear", "polynomial" (or "poly"), "rbf", "sigmoid", "laplacian".
        C: the box 0 ≤ a ≤ C (scikit-learn's SVC C), > 0.
        gamma: γ > 0, or "scale" = 1 / (N · var(X)) or "auto" = 1 / N (as scikit-learn).
        coef0, degree: c and d of the polynomial and sigmoid kernels.
        tol: stop when the maximal KKT violation m(a) − M(a) ≤ tol (libsvm's tol).
        max_iter: SMO iterations per problem (default max(10⁷, 100 M), as libsvm); for the
            working-set solver, the steps of all its subproblems together.
        solver: "auto", "gram" (the whole kernel matrix, M² memory, at most
            `GRAM_LIMIT_BYTES`) or "working_set" (q kernel rows at a time; see the module
            docstring). "auto": "gram" while the matrix needs at most `AUTO_GRAM_BYTES`.
        working_set_size: q ≥ 2, the working set of the "working_set" solver; a q larger than
            the largest one-vs-one problem is clipped to it.
        sample_weight: (M,) weights s_m ≥ 0: sample m's box becomes 0 ≤ a_m ≤ C s_m (libsvm's
            weights; scikit-learn's class_weight is s_m = the weight of m's class). A weight of
            0 leaves the sample out.
        progress: a tqdm bar over the one-vs-one problems of the "working_set" solver, with the
            KKT violation and its target, updated every few outer iterations.

    Returns:
        A `KernelSVM`. Hitting max_iter warns with the KKT violation left.
    """
    X = check_matrix(X)
    check_fit_matrix(X)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be (M,) = ({X.shape[0]},), got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels but X has {X.shape[0]} rows; they must match")
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
    check_option(solver, "solver", SOLVERS)
    working_set_size = check_scalar(working_set_size, "working_set_size", minimum=2, integer=True)
    progress = check_bool(progress, "progress")
    gram_bytes = M * M * X.dtype.itemsize
    if solver == "auto":
        solver = "gram" if gram_bytes <= AUTO_GRAM_BYTES else "working_set"
    if solver == "gram" and gram_bytes > GRAM_LIMIT_BYTES:
        raise ValueError(f"X has {M} samples: the Gram matrix would need {gram_bytes / 2**30:.1f} GiB (limit "
                         f"{GRAM_LIMIT_BYTES / 2**30:.0f} GiB); use solver='working_set' (or 'auto')")
    max_iter = max(10_000_000, 100 * M) if max_iter is None else check_scalar(
        max_iter, "max_iter", minimum=1, integer=True)
    pairs, idx, signs, valid = _problems(labels, len(classes))
    # the samples padded to a bucket: the padded rows are in no problem (their α stays 0)
    X_padded = pad_rows(np.asarray(X), bucket(M))
    tol_arr = np.asarray(tol, X.dtype)
    weights = np.ones(M, X.dtype)
    if sample_weight is not None:
        weights = check_sample_weight(sample_weight, M).astype(X.dtype)
        unweighted = [c.tolist() for k, c in enumerate(classes) if not np.any(weights[labels == k] > 0)]
        if unweighted:
            raise ValueError(f"sample_weight gives class {unweighted[0]!r} no weight (all its samples weigh 0); "
                             "its one-vs-one problems would have no solution: drop the class or weigh its samples")
    C_arr = np.where(valid, C * weights[idx], 0).astype(X.dtype)      # each entry's box C s_m (padding: 0)
    if solver == "gram":
        alpha, intercept, n_iter, gap = smo(gram_unchecked(kernel, X_padded, X_padded), idx, signs, valid, C_arr,
                                            tol_arr, max_iter)
    else:
        alpha, intercept, n_iter, gap = _fit_working_set(kernel, X_padded, idx, signs, valid, C_arr, tol_arr, max_iter,
                                                         min(working_set_size, idx.shape[1]), progress)
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
    return KernelSVM(kernel, jax.device_put(X_padded[support]), jax.device_put(coef[support]), intercept, support,
                     classes, pairs, n_iter, gap, gap <= tol)


def _fit_working_set(kernel, X, idx, signs, valid, C, tol, max_iter, q, progress):
    """The one-vs-one problems one after another by the working-set SMO, each on its own samples
    (gathered on the host, padded to the common problem size n): (α (P, n), b (P,), steps (P,),
    KKT violation (P,))."""
    n = idx.shape[1]
    rows_bytes = q * n * X.dtype.itemsize
    if rows_bytes > KERNEL_ROWS_LIMIT_BYTES:
        raise ValueError(f"the working set's kernel rows would need {rows_bytes / 2**30:.1f} GiB (q = {q} rows of "
                         f"n = {n} samples; limit {KERNEL_ROWS_LIMIT_BYTES / 2**30:.0f} GiB); lower working_set_size")
    diag_all, squared_all = kernel_diagonal(kernel, X), np.einsum("mn,mn->m", X, X)
    gamma, coef0 = np.asarray(kernel.gamma, X.dtype), np.asarray(kernel.coef0, X.dtype)
    static = dict(name=kernel.name, degree=kernel.degree, q=q, inner_max_iter=INNER_MAX_ITER)
    step = PROGRESS_OUTER_ITERATIONS if progress else 1 << 30
    results = []
    with tqdm_class(bool(progress))(total=len(idx), unit="problem", disable=not progress, dynamic_ncols=True,
              desc=f"working-set SMO (q = {q})") as bar:
        for p in range(len(idx)):
            members = idx[p]            # padded entries point at row 0 and are not valid: never selected
            y_p, valid_p = signs[p].astype(X.dtype), valid[p]
            X_p = X[members] * valid_p[:, None]       # the padding as zero rows (a cheap row, never used)
            C_p = C[p]
            state = working_set.start(y_p, valid_p, X.dtype, q)
            while True:
                state = working_set.run(state, X_p, squared_all[members], diag_all[members], y_p, valid_p, gamma,
                                        coef0, C_p, tol, max_iter, int(state.outer) + step, **static)
                gap, steps = float(state.gap), int(state.steps)
                bar.set_postfix_str(f"pair {p + 1}/{len(idx)}: KKT violation {gap:.3g} (target {float(tol):g}), "
                                    f"{int(state.outer)} outer iterations, {steps} SMO steps", refresh=False)
                bar.refresh()
                if gap <= tol or steps >= max_iter:
                    break
            results.append((state.alpha, working_set.intercept(state, y_p, valid_p, C_p), steps, gap))
            bar.update()
    alpha, intercept, steps, gap = zip(*results)
    return jnp.stack(alpha), jnp.stack(intercept), np.array(steps), np.array(gap)


@jax.jit
def _scores(kernel_rows, dual_coef, intercept):
    return kernel_rows @ dual_coef + intercept[None, :]


def decision_function(model: KernelSVM, X: ArrayLike, *, block: int = 10_000, devices=None) -> jax.Array:
    """f(x) = Σ_m a_m y_m k(x, x_m) + b for each problem: (M,) for two classes, else (M, P).

    X goes through in row blocks of `block` samples, so k(X, SV) never holds more than
    block × S entries at once. The blocks and the support vectors are padded to buckets
    (`jaxlearn.buckets`; padded support vectors have a zero coefficient), so that models
    with other numbers of support vectors reuse the compiled programs. devices: as
    `jaxlearn.training.fit` (default: every device JAX sees): each block's rows, and so its
    kernel block k(X_block, SV), are split over them, the model replicated.
    """
    X = check_matrix(X)
    block = check_scalar(block, "block", minimum=1, integer=True)
    if X.shape[1] != model.support_vectors.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the SVM was fitted on {model.support_vectors.shape[1]}")
    mesh = local_mesh(data_mesh(devices))       # every row comes back to this host
    dtype = model.support_vectors.dtype
    size = support_bucket(model.support_vectors.shape[0])
    support_vectors = pad_rows(np.asarray(model.support_vectors), size)
    dual_coef = pad_rows(np.asarray(model.dual_coef, dtype), size)
    intercept = np.asarray(model.intercept, dtype)
    if mesh is not None:
        support_vectors, dual_coef, intercept = jax.device_put((support_vectors, dual_coef, intercept),
                                                               replicated(mesh))

    def scores(rows):
        return _scores(gram_unchecked(model.kernel, rows, support_vectors), dual_coef, intercept)

    f = map_row_blocks(scores, np.asarray(X, dtype), block, mesh=mesh)
    return jax.device_put(f[:, 0] if len(model.classes) == 2 else f)


def support_bucket(n_support: int) -> int:
    """Support vectors are padded to a power of two up to 1024, then to `bucket`: their number
    changes with every C and γ of a grid, and the predicting programs are cheap to pad."""
    return 2 ** max(3, math.ceil(math.log2(n_support))) if n_support <= 1024 else bucket(n_support)


def predict(model: KernelSVM, X: ArrayLike) -> jax.Array:
    """Class labels: the sign of f for two classes, one-vs-one votes otherwise (ties: the lower class).

    A JAX array, as the rest of the functional API returns (labels that JAX cannot hold, such as
    strings, come back as the NumPy array of the model's classes)."""
    f = np.asarray(decision_function(model, X))
    f = f.reshape(f.shape[0], -1)
    winners = np.where(f > 0, model.pairs[:, 1][None, :], model.pairs[:, 0][None, :])
    votes = np.zeros((f.shape[0], len(model.classes)), np.int32)
    for p in range(f.shape[1]):
        np.add.at(votes, (np.arange(f.shape[0]), winners[:, p]), 1)
    labels = np.asarray(model.classes)[np.argmax(votes, axis=1)]
    return jax.device_put(labels) if labels.dtype.kind in "biuf" else labels


def ovr_decision_function(model: KernelSVM, ovo_scores: ArrayLike) -> jax.Array:
    """One score per class from the one-vs-one scores (M, P), as scikit-learn's SVC reports them:
    votes won plus the summed confidences squashed into (−⅓, ⅓), so ties between vote counts
    are broken by confidence."""
    pairs = tuple(map(tuple, model.pairs.tolist()))
    return jax.device_put(map_row_blocks(partial(_ovr, pairs, len(model.classes)), ovo_scores))


@partial(jax.jit, static_argnames=("pairs", "n_classes"))
def _ovr(pairs, n_classes, f):
    votes = jnp.zeros((f.shape[0], n_classes), f.dtype)
    confidence = jnp.zeros((f.shape[0], n_classes), f.dtype)
    for p, (first, second) in enumerate(pairs):
        second_wins = (f[:, p] > 0).astype(f.dtype)
        votes = votes.at[:, second].add(second_wins).at[:, first].add(1 - second_wins)
        confidence = confidence.at[:, second].add(f[:, p]).at[:, first].add(-f[:, p])
    return votes + confidence / (3 * (jnp.abs(confidence) + 1))
