"""check_gradient and check_hessian: a hand derivative against jax.grad (jax.hessian) and central
finite differences, in float64 whatever the user's setting.

Finite differences probe directions v of each leaf θ_i:

    FD(v) = (L(θ_i + εv) − L(θ_i − εv)) / (2ε)  ≈  ⟨∇_i L, v⟩ + O(ε²)

every unit vector e_k of a leaf of at most `full` entries, and for a larger leaf (an MNIST layer
has 200 000 weights) `directions` random unit vectors plus `entries` sampled entries, the worst
one of hand against autodiff among them. ε = u^(1/3)·max(1, max|θ_i|), u the unit roundoff (the
step that balances the O(ε²) truncation against the u·|L|/ε rounding of the difference).
"""

import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from jaxlearn._validation import check_option, check_scalar
from jaxlearn.gradcheck._diagnose import diagnose_layers, diagnose_leaf
from jaxlearn.gradcheck._fd import finite_differences, probes_for
from jaxlearn.gradcheck._report import GradientReport, LeafReport

DTYPES = ("float64", "float32")
# hand against autodiff: both exact formulas, so only rounding separates them
RTOL = {"float64": 1e-7, "float32": 2e-3}
# finite differences against autodiff: O(ε²) truncation and u·|L|/ε rounding
FD_RTOL = {"float64": 1e-5, "float32": 3e-2}


def _precision(dtype: str):
    """float64 under a scoped jax.enable_x64 (undone on exit), float32 as the user runs."""
    return jax.enable_x64(True) if dtype == "float64" else contextlib.nullcontext()


def _cast(tree, dtype: str):
    """Every floating array leaf of tree in dtype (integers, keys and non-arrays as they are)."""
    def cast(x):
        if isinstance(x, jax.Array | np.ndarray | float) and not isinstance(x, bool) and \
                jnp.issubdtype(jnp.result_type(x), jnp.floating):
            return jnp.asarray(x, dtype)
        return x
    return jax.tree_util.tree_map(cast, tree)


def leaf_names(params) -> list[str]:
    """W1, b1, W2, … for the lecture's [(W¹, b¹), …]; else the pytree paths ("['kernel']", "theta")."""
    if isinstance(params, list | tuple) and params and all(
            isinstance(layer, list | tuple) and len(layer) == 2 and all(hasattr(x, "shape") for x in layer)
            for layer in params):
        return [f"{kind}{layer}" for layer in range(1, len(params) + 1) for kind in "Wb"]
    paths = [jax.tree_util.keystr(path) for path, _ in jax.tree_util.tree_flatten_with_path(params)[0]]
    return [path.lstrip(".") or "params" for path in paths]


def _check_params(params) -> list:
    leaves = jax.tree_util.tree_leaves(params)
    if not leaves:
        raise ValueError("params has no array leaves to check")
    for name, leaf in zip(leaf_names(params), leaves):
        if not hasattr(leaf, "dtype") or not jnp.issubdtype(leaf.dtype, jnp.floating):
            kind = getattr(leaf, "dtype", type(leaf).__name__)
            raise TypeError(f"params leaf {name} is {kind}: gradients need floating parameters "
                            f"(e.g. jnp.asarray({name}, jnp.float32))")
    return leaves


def _compiled(f):
    """f as one jitted program (one compilation instead of one per primitive, seconds for a CNN),
    or f itself for code that cannot be traced (NumPy inside, Python branches on values)."""
    jitted = jax.jit(f)

    def call(*args):
        try:
            return jitted(*args)
        except (jax.errors.JAXTypeError, TypeError, ValueError):
            return f(*args)
    return call


def _loss_value(loss, params, args, kwargs) -> float:
    value = _compiled(lambda p: loss(p, *args, **kwargs))(params)
    if np.ndim(value) != 0:
        raise ValueError(f"loss must return a scalar, got shape {np.shape(value)}; average (or sum) over the samples")
    value = float(value)
    if not np.isfinite(value):
        raise FloatingPointError(f"loss(params, …) is {value} at the given parameters: a gradient cannot be checked "
                                 "there; start from other parameters or fix the loss")
    return value


def _hand_gradient(grad, params, args, kwargs, structure) -> list:
    """The hand gradient's leaves, in params' order; grad may return the gradient or (value, gradient)."""
    out = _compiled(lambda p: grad(p, *args, **kwargs))(params)
    if jax.tree_util.tree_structure(out) != structure and isinstance(out, tuple) and len(out) == 2 \
            and np.ndim(out[0]) == 0:
        out = out[1]                                  # (value, gradient)
    leaves, got = jax.tree_util.tree_flatten(out)
    if len(leaves) != structure.num_leaves:
        raise ValueError(f"grad returned {len(leaves)} arrays but params has {structure.num_leaves} leaves: grad "
                         f"must return a pytree shaped like params ({structure}), or (value, that pytree); got {got}")
    return [np.asarray(leaf) for leaf in leaves]


def _fd_error(fd, probes, gradient, noise) -> float:
    if not fd.size:
        return 0.0
    exact = probes @ np.asarray(gradient, np.float64).ravel()
    return float(np.max(np.abs(fd - exact)) / (np.max(np.abs(exact)) + noise))


def check_gradient(loss, grad, params, *args, dtype: str = "float64", rtol: float | None = None,
                   fd_rtol: float | None = None, eps: float | None = None, directions: int = 8, entries: int = 16,
                   full: int = 256, seed: int = 0, **kwargs) -> GradientReport:
    """Compare a hand-derived gradient with `jax.grad` and with central finite differences.

    Args:
        loss: loss(params, *args, **kwargs) → a scalar L.
        grad: grad(params, *args, **kwargs) → ∂L/∂params, a pytree shaped like params (or
            (L, ∂L/∂params), as `jax.value_and_grad` returns).
        params: the point: an array, a tuple, the lecture's list [(W¹, b¹), …], a dict, …
        *args, **kwargs: passed to both (data X, targets Y, λ, …).
        dtype: "float64" (default) computes in float64 under a scoped `jax.enable_x64`, undone
            afterwards, whatever the user's setting: a trustworthy verdict for float32 code too.
            "float32" checks at float32 precision, with tolerances that fit it.
        rtol: hand against autodiff, max|h − a| / max|a| per leaf (1e-7 / 2e-3 by dtype).
        fd_rtol: finite differences against autodiff (1e-5 / 3e-2 by dtype).
        eps: the finite-difference step (default u^(1/3)·max(1, max|θ_i|) per leaf).
        directions, entries, full: a leaf of at most `full` entries is probed at every entry;
            a larger one along `directions` random unit vectors and at `entries` sampled
            entries (the worst of hand against autodiff among them).
        seed: for the random directions and entries.

    Returns:
        A `GradientReport`: one row per leaf, `.ok`, `str()` the table with a diagnosis of each
        mismatch (the wrong shape, transposed, the wrong sign, a factor ½, 2, M or 1/M, a missing
        or extra regularisation term, the gradient of another leaf, an unused leaf, a missing
        activation derivative).

    Raises:
        TypeError: a non-floating parameter leaf, or loss/grad not callable.
        ValueError: the loss is not a scalar, or grad's pytree has another number of leaves.
        FloatingPointError: the loss is NaN or infinite at params.

    >>> import jax.numpy as jnp
    >>> loss = lambda theta, X, y: 0.5 * jnp.mean((X @ theta - y) ** 2)
    >>> grad = lambda theta, X, y: X.T @ (X @ theta - y) / len(y)
    >>> X, y = jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]), jnp.array([1.0, 0.0, 2.0])
    >>> check_gradient(loss, grad, jnp.array([0.5, -0.5]), X, y).ok
    True
    """
    for name, f in (("loss", loss), ("grad", grad)):
        if not callable(f):
            raise TypeError(f"{name} must be a function of (params, *args), got {type(f).__name__}")
    dtype = check_option(dtype, "dtype", DTYPES)
    rtol = RTOL[dtype] if rtol is None else check_scalar(rtol, "rtol", minimum=0, strict=True)
    fd_rtol = FD_RTOL[dtype] if fd_rtol is None else check_scalar(fd_rtol, "fd_rtol", minimum=0, strict=True)
    for name, value in (("directions", directions), ("entries", entries), ("full", full)):
        check_scalar(value, name, minimum=0, integer=True)
    _check_params(params)
    with _precision(dtype):
        params, args, kwargs = _cast((params, args, kwargs), dtype)
        leaves, structure = jax.tree_util.tree_flatten(params)
        value = _loss_value(loss, params, args, kwargs)
        hand = _hand_gradient(grad, params, args, kwargs, structure)
        autodiff = _compiled(jax.grad(lambda p: loss(p, *args, **kwargs)))(params)
        auto = [np.asarray(g) for g in jax.tree_util.tree_leaves(autodiff)]
        unit = float(jnp.finfo(dtype).eps) / 2
        names = leaf_names(params)
        batch = next((int(np.shape(x)[0]) for x in jax.tree_util.tree_leaves((args, kwargs))
                      if np.ndim(x) >= 1), None)
        rng = np.random.default_rng(seed)
        plans = []
        for theta, h, a in zip(leaves, hand, auto):
            step = eps if eps is not None else unit ** (1 / 3) * max(1.0, float(jnp.max(jnp.abs(theta), initial=0.0)))
            worst = int(np.argmax(np.abs(h - a))) if h.shape == a.shape and a.size else None
            plans.append(probes_for(a.size, step, full, directions, entries, worst, rng))
        finite_differences(lambda p: loss(p, *args, **kwargs), params, plans)
        rows = [_leaf_row(name, h, a, plan, value, unit, rtol, fd_rtol)
                for name, h, a, plan in zip(names, hand, auto, plans)]
    others = dict(zip(names, auto))
    rows = [row if row.ok else _with_diagnosis(row, h, a, theta, others, batch)
            for row, h, a, theta in zip(rows, hand, auto, jax.tree_util.tree_leaves(params))]
    layer_words = diagnose_layers(names, [r.ok for r in rows], [r.diagnosis for r in rows])
    rows = [_replace(r, diagnosis=layer_words[r.name]) if r.name in layer_words else r for r in rows]
    return GradientReport(tuple(rows), dtype, rtol, fd_rtol, value)


def _leaf_row(name, h, a, plan, value, unit, rtol, fd_rtol) -> LeafReport:
    noise = 10 * unit * max(1.0, abs(value)) / plan.step      # the rounding of L(θ+) − L(θ−), over 2ε
    a64 = np.asarray(a, np.float64)
    fd_auto = _fd_error(plan.fd, plan.rows, a64, noise)
    if h.shape != a.shape:
        return LeafReport(name, a.shape, h.shape, float("nan"), float("inf"), None, fd_auto, None, plan.described,
                          False)
    error = np.abs(np.asarray(h, np.float64) - a64)
    worst = int(np.argmax(error)) if error.size else 0
    max_error = float(error.max(initial=0.0))
    rel = max_error / (float(np.abs(a64).max(initial=0.0)) + noise * unit)
    fd_hand = _fd_error(plan.fd, plan.rows, h, noise)
    ok = rel <= rtol and fd_auto <= fd_rtol
    diagnosis = None
    if rel <= rtol and fd_auto > fd_rtol:
        diagnosis = ("hand and autodiff agree, but finite differences do not: the loss is not differentiable at "
                     "these parameters (a kink such as max(0, ·) at 0?), or the loss is not a smooth function of them")
    elif ok and a.size and not np.any(a64):
        diagnosis = "unused: the loss does not depend on this leaf (its gradient is 0)"
    return LeafReport(name, a.shape, h.shape, max_error, rel, np.unravel_index(worst, a.shape) if a.size else (),
                      fd_auto, fd_hand, plan.described, ok, diagnosis)


def _replace(row: LeafReport, **changes) -> LeafReport:
    import dataclasses

    return dataclasses.replace(row, **changes)


def _with_diagnosis(row, h, a, theta, others, batch) -> LeafReport:
    if row.diagnosis is not None:
        return row
    others = {k: v for k, v in others.items() if k != row.name}
    return _replace(row, diagnosis=diagnose_leaf(row.name, h, a, theta, others, batch))


def assert_gradients_match(loss, grad, params, *args, **kwargs) -> GradientReport:
    """`check_gradient(...)`, raising AssertionError with the table when the hand gradient is wrong
    (for pytest); returns the report when it is right."""
    report = check_gradient(loss, grad, params, *args, **kwargs)
    report.assert_ok()
    return report


def check_hessian(loss, hessian, theta, *args, dtype: str = "float64", rtol: float | None = None,
                  fd_rtol: float | None = None, eps: float | None = None, **kwargs) -> GradientReport:
    """Compare a hand-derived Hessian H (N, N) of loss at θ (N,) with `jax.hessian` and with central
    differences of `jax.grad`: column k ≈ (∇L(θ + εe_k) − ∇L(θ − εe_k)) / 2ε.

    The library's Newton solver uses one: the logistic Hessian XᵀSX/M + λD
    (`jaxlearn.logistic.model.binary_hessian`). Diagnoses as `check_gradient` (a factor, the
    sign, a missing λI: the difference ∝ I, which the report names with its λ).
    """
    if not callable(hessian):
        raise TypeError(f"hessian must be a function of (theta, *args), got {type(hessian).__name__}")
    dtype = check_option(dtype, "dtype", DTYPES)
    rtol = RTOL[dtype] if rtol is None else check_scalar(rtol, "rtol", minimum=0, strict=True)
    fd_rtol = FD_RTOL[dtype] if fd_rtol is None else check_scalar(fd_rtol, "fd_rtol", minimum=0, strict=True)
    _check_params(theta)
    if np.ndim(theta) != 1:
        raise ValueError(f"theta must be a vector (N,) for a Hessian (N, N), got shape {np.shape(theta)}")
    with _precision(dtype):
        theta, args, kwargs = _cast((theta, args, kwargs), dtype)
        value = _loss_value(loss, theta, args, kwargs)
        H = np.asarray(_compiled(lambda t: hessian(t, *args, **kwargs))(theta))
        exact = np.asarray(_compiled(jax.hessian(lambda t: loss(t, *args, **kwargs)))(theta), np.float64)
        n = theta.shape[0]
        unit = float(jnp.finfo(dtype).eps) / 2
        step = eps if eps is not None else unit ** (1 / 3) * max(1.0, float(jnp.max(jnp.abs(theta))))
        gradient = jax.grad(lambda t: loss(t, *args, **kwargs))
        # column k of H ≈ (∇L(θ + εe_k) − ∇L(θ − εe_k)) / 2ε, all columns in one program
        differences = _compiled(lambda t: jax.vmap(lambda e: gradient(t + step * e) - gradient(t - step * e))(
            jnp.eye(n, dtype=t.dtype)))(theta)
    fd = np.asarray(differences, np.float64).T / (2 * step)
    noise = 10 * unit * max(1.0, abs(value)) / step
    fd_error = float(np.max(np.abs(fd - exact)) / (np.max(np.abs(exact)) + noise))
    if H.shape != exact.shape:
        row = LeafReport("H", exact.shape, H.shape, float("nan"), float("inf"), None, fd_error, None,
                         f"{n} gradient differences", False, f"hand H has shape {H.shape}; it must be ({n}, {n})")
        return GradientReport((row,), dtype, rtol, fd_rtol, value, what="Hessian")
    error = np.abs(H - exact)
    worst = np.unravel_index(int(np.argmax(error)), error.shape)
    rel = float(error.max() / (np.abs(exact).max() + noise * unit))
    ok = rel <= rtol and fd_error <= fd_rtol
    diagnosis = None if ok else _hessian_words(H, exact)
    row = LeafReport("H", exact.shape, H.shape, float(error.max()), rel, worst, fd_error,
                     _fd_error_matrix(fd, H, noise), f"{n} gradient differences", ok, diagnosis)
    return GradientReport((row,), dtype, rtol, fd_rtol, value, what="Hessian")


def _fd_error_matrix(fd, H, noise) -> float:
    return float(np.max(np.abs(fd - H)) / (np.max(np.abs(H)) + noise))


def _hessian_words(H, exact) -> str | None:
    difference = H - exact
    shift = float(np.mean(np.diag(difference)))
    if shift != 0 and np.allclose(difference, shift * np.eye(len(H)), rtol=1e-3, atol=1e-3 * abs(shift)):
        if shift < 0:
            return f"hand H − autodiff ≈ {shift:.4g}·I: the regularisation term λI is missing (λ = {-shift:.4g})"
        return f"hand H − autodiff ≈ {shift:.4g}·I: an extra λI (λ = {shift:.4g}) the loss does not have"
    if not np.allclose(H, H.T, rtol=1e-6, atol=1e-12 * np.abs(H).max()):
        return "hand H is not symmetric: a Hessian of a smooth loss is (XᵀS X, not Xᵀ S Xᵀ or S X?)"
    return diagnose_leaf("H", H, exact, np.zeros_like(H), {}, None)
