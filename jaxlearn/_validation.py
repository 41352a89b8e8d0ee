"""Input checks run once, in Python, at the public entry points (never inside jit).

Each check names the argument and says what was wrong. Checks that need the
values (NaN/inf) are skipped for tracers, so the same public functions can be
called under `jax.jit` / `jax.grad`, where only the static shape checks run.
"""

import numbers

import jax
import jax.numpy as jnp
import numpy as np


def is_concrete(x) -> bool:
    """True when `x` holds values we can inspect now (not a tracer under jit/grad)."""
    return not isinstance(x, jax.core.Tracer)


def as_float_array(x, name: str, *, to_host: bool = False):
    """`x` as a JAX array with a floating dtype (to_host=True: a NumPy array, not put on a device).

    Floating inputs keep their dtype (float64 stays float64 when x64 is on);
    integer and boolean inputs become JAX's default float type.
    """
    if to_host and isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer):
        x = np.asarray(x)
    if isinstance(x, jax.core.Tracer):
        arr = x
    elif x is None or isinstance(x, str | bytes):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} {x!r}")
    elif isinstance(x, jax.Array):
        arr = x
    else:
        # NumPy first and then device_put: jnp.asarray would compile a copy program for every new shape
        try:
            host = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from err
        if host.dtype.kind not in "biufc":
            raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} of dtype {host.dtype}")
        if host.dtype.kind in "biu":
            host = host.astype(jnp.result_type(float))
        arr = host if to_host else jax.device_put(host)
    if not jnp.issubdtype(arr.dtype, jnp.number) and arr.dtype != jnp.bool_:
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    return arr


def check_finite(arr, name: str, advice: str = "remove or impute them before fitting") -> None:
    """Raise if a concrete array holds NaN or inf (say how many and where the first is)."""
    if not is_concrete(arr):
        return
    host = np.asarray(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(host.sum()):      # a finite sum has no NaN or inf in it: one pass, no mask
            return
    finite = np.isfinite(host)           # NaN or inf, or only a sum that overflowed: look closer
    if not finite.all():
        bad = np.argwhere(~finite)
        raise ValueError(
            f"{name} contains {bad.shape[0]} NaN or inf value(s), the first at index "
            f"{tuple(int(i) for i in bad[0])}; {advice}"
        )


def check_matrix(X, name: str = "X", *, finite: bool = True, to_host: bool = False):
    """`X` as a float (M, N) array with M ≥ 1 and N ≥ 1 (one sample a row); to_host=True: as a
    NumPy array (for data that is padded on the host before it goes to the device)."""
    X = as_float_array(X, name, to_host=to_host)
    if X.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (M samples × N features), got shape {X.shape}{hint}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one feature, got shape {X.shape}")
    if finite:
        check_finite(X, name)
    return X


def check_vector(y, length: int | None, name: str = "y", *, finite: bool = True, like=None):
    """`y` as a float 1-D array of the given length, in the dtype of `like` if given."""
    y = as_float_array(y, name)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {y.shape}")
    if length is not None and y.shape[0] != length:
        raise ValueError(f"{name} has length {y.shape[0]} but X has {length} rows; they must match")
    if like is not None and y.dtype != like.dtype:
        y = y.astype(like.dtype)
    if finite:
        check_finite(y, name)
    return y


def check_scalar(value, name: str, *, minimum=None, strict: bool = False, integer: bool = False, maximum=None,
                 infinite: bool = False):
    """A real (or integer) scalar ≥ minimum (> minimum when strict) and ≤ maximum, finite unless
    `infinite` (then +inf passes: scikit-learn's C = np.inf); tracers pass through."""
    if isinstance(value, jax.core.Tracer):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.ndarray | jax.Array):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a scalar, got shape {np.shape(value)}")
    if integer:
        if not float(value).is_integer() or isinstance(value, float):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        value = int(value)
    v = float(value)
    if infinite and np.isnan(v):
        raise ValueError(f"{name} must be a number (inf allowed), got nan")
    if not np.isfinite(v) and not (infinite and v > 0):
        raise ValueError(f"{name} must be finite, got {v}")
    if minimum is not None and (v <= minimum if strict else v < minimum):
        relation = ">" if strict else "≥"
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be ≤ {maximum}, got {value}")
    return value


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Sample weights s (M,) as floats: finite, ≥ 0, not all 0."""
    s = np.asarray(sample_weight, dtype=float)
    if s.shape != (n_samples,):
        raise ValueError(f"sample_weight must have one weight per sample, shape ({n_samples},), got {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0) or not np.any(s > 0):
        raise ValueError("sample_weight must be finite and ≥ 0, with at least one weight > 0")
    return s


def check_option(value, name: str, options) -> str:
    """`value` must be one of `options`; the error lists them."""
    if value not in options:
        valid = ", ".join(repr(o) for o in options)
        raise ValueError(f"unknown {name} {value!r}; valid options are {valid}")
    return value


# For the fits, which check X, y and λ before they have a θ: a θ of None is an error, not this.
NO_THETA = object()


def check_linear_model(theta, X, y, lam):
    """X (M, N), y (M,) and, unless NO_THETA, theta (N,), all in X's dtype; λ ≥ 0 as an array of it."""
    X = check_matrix(X)
    y = check_vector(y, X.shape[0], like=X)
    if theta is not NO_THETA:
        theta = check_vector(theta, None, "theta", like=X)
        if theta.shape[0] != X.shape[1]:
            raise ValueError(f"theta has length {theta.shape[0]} but X has {X.shape[1]} features")
    check_scalar(lam, "lam", minimum=0)
    return theta, X, y, jnp.asarray(lam).astype(X.dtype)


def check_labels(labels, length: int | None = None, name: str = "y", *, n_classes: int | None = None,
                 x_name: str = "X"):
    """Class labels (M,) as integers 0 … K−1; returns (labels as a NumPy int32 array, K).

    length: M, the rows of the inputs called x_name. K is n_classes when given (≥ 2), else
    max label + 1.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels, got shape {labels.shape}")
    if length is not None and labels.shape[0] != length:
        raise ValueError(f"{name} has length {labels.shape[0]} but {x_name} has {length} rows; they must match")
    if labels.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.issubdtype(labels.dtype, np.integer):
        whole = np.issubdtype(labels.dtype, np.floating) and np.all(np.isfinite(labels)) \
            and np.all(labels == np.round(labels))
        hint = f" (e.g. {name}.astype(int))" if whole else " (map the classes to 0 … K−1 first)"
        raise TypeError(f"{name} must hold integer class labels 0 … K−1, got dtype {labels.dtype}{hint}")
    if n_classes is not None:
        check_scalar(n_classes, "n_classes", minimum=2, integer=True)
    K = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= K:
        raise ValueError(f"{name} must lie in 0 … {K - 1}, found {low if low < 0 else high}")
    return labels.astype(np.int32), K


def check_every_class_present(labels: np.ndarray, n_classes: int, name: str = "y") -> None:
    """Training labels must hold every class 0 … K−1 when K was inferred as max label + 1: a gap
    ({1, 2, 3}, {0, 5}) would silently add classes with no samples (an empty row of θ)."""
    counts = np.bincount(labels, minlength=n_classes)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        shown = ", ".join(map(str, empty[:10])) + (" …" if empty.size > 10 else "")
        raise ValueError(
            f"{name} has no samples of class(es) {shown} of 0 … {n_classes - 1} (K = max label + 1 = {n_classes}): "
            f"labels must be 0 … K−1 without gaps. Map them with classes, {name} = np.unique({name}, "
            f"return_inverse=True), or pass n_classes={n_classes} if those classes are absent on purpose")


def check_validation_X(X_val, y_val, n_features: int, dtype, *, to_host: bool = False):
    """X_val (M_v, N) in dtype, once X_val and y_val are known to come together; None if neither
    (to_host=True: as a NumPy array)."""
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    if X_val is None:
        return None
    X_val = check_matrix(X_val, "X_val", to_host=to_host).astype(dtype)
    if X_val.shape[1] != n_features:
        raise ValueError(f"X_val has {X_val.shape[1]} features but the training data has {n_features}")
    return X_val


def check_validation_data(X_val, y_val, n_features: int, n_classes: int, dtype, *, to_host: bool = False):
    """(X_val (M_v, n_0), y_val (M_v,)) checked like the training data, or (None, None); JAX
    arrays, or NumPy arrays with to_host=True."""
    X_val = check_validation_X(X_val, y_val, n_features, dtype, to_host=to_host)
    if X_val is None:
        return None, None
    y_val, _ = check_labels(y_val, X_val.shape[0], "y_val", n_classes=n_classes, x_name="X_val")
    return X_val, (y_val if to_host else jnp.asarray(y_val))


def check_bool(value, name: str) -> bool:
    """A real bool (or NumPy bool): strings such as "no" and numbers are refused, not taken as truthy."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_no_overflow(X, name: str = "X") -> None:
    """Refuse values so large that the squares and sums of a fit overflow X's dtype.

    A fit forms sums of M or N products x_i x_j (XᵀX, ‖x‖², Xθ); with |x| above
    √(max / (16 · max(M, N))) they can reach inf, and the result would be silently 0 or NaN.
    """
    if not is_concrete(X) or X.size == 0:
        return
    values = np.asarray(X)
    largest = max(abs(float(values.max())), abs(float(values.min())))   # two passes, no |X| temporary
    if not np.isfinite(largest):
        return  # NaN/inf: check_finite names those
    info = np.finfo(np.dtype(X.dtype))
    limit = float(np.sqrt(float(info.max) / (16 * max(X.shape))))
    if largest > limit:
        raise ValueError(f"{name} holds values up to {largest:.3g}, too large for {np.dtype(X.dtype).name} "
                         f"arithmetic (sums of squares overflow above about {limit:.2g} for this shape); "
                         "scale the features first (jaxlearn.standardize, or StandardScaler)")


def check_key(key, name: str = "key"):
    """A `jax.random` key: a typed key (jax.random.key) or a raw uint32 (2,) key (jax.random.PRNGKey)."""
    if isinstance(key, jax.core.Tracer):
        return key
    dtype = getattr(key, "dtype", None)
    typed = dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key) and np.ndim(key) == 0
    raw = dtype == np.uint32 and np.shape(key) == (2,)
    if not (typed or raw):
        got = f"{type(key).__name__} {key!r}" if dtype is None else f"an array of {dtype}{list(np.shape(key))}"
        raise TypeError(f"{name} must be a jax.random key such as jax.random.key(0), got {got}")
    return key


def check_lapack_dtype(X, name: str = "X", needs: str = "the factorizations need") -> None:
    """LAPACK (and so JAX's QR, SVD, Cholesky and LU) works in float32 and float64 only; so do
    the iterative fits, whose tolerances float16's 3 digits could never meet."""
    if np.dtype(X.dtype) not in (np.float32, np.float64):
        raise TypeError(f"{name} has dtype {np.dtype(X.dtype).name}; {needs} float32 or float64: "
                        f"pass {name}.astype(np.float32)")


def check_fit_matrix(X, name: str = "X") -> None:
    """The training matrix of an iterative fit: float32/float64, and no values that overflow."""
    check_lapack_dtype(X, name, needs="the fits need")
    check_no_overflow(X, name)


def check_grid(values, name: str, *, strictly_positive: bool = False) -> np.ndarray:
    """A non-empty 1-D list of finite real numbers ≥ 0 (> 0 when strictly_positive), as float64."""
    if isinstance(values, str | bytes) or np.asarray(values).dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a non-empty 1-D list of real numbers, got {type(values).__name__} "
                        f"{values!r}")
    values = np.asarray(values, dtype=float)
    relation = "> 0" if strictly_positive else "≥ 0"
    if (values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values))
            or np.any(values <= 0 if strictly_positive else values < 0)):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite values {relation}, got {values}")
    return values
