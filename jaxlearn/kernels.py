"""Kernels k(x, x') and Gram matrices K_mn = k(x_m, x'_n) (lecture: the kernel trick, eqs. 38–45).

    linear       k = xᵀx'
    polynomial   k = (γ xᵀx' + c)^d
    rbf          k = exp(−γ ‖x − x'‖²)          (eq. 45)
    sigmoid      k = tanh(γ xᵀx' + c)
    laplacian    k = exp(−γ ‖x − x'‖₁)

A kernel is a `Kernel` (name plus parameters, a NamedTuple of Python numbers, so it can be a
static argument of jitted code). `gram` works in row blocks with matrix products, never a
Python double loop; ‖x − x'‖² = ‖x‖² + ‖x'‖² − 2xᵀx' is clamped at 0 against rounding.
"""

import math
from functools import partial
from itertools import combinations_with_replacement
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._validation import check_matrix, check_option, check_scalar

__all__ = ["KERNELS", "Kernel", "make_kernel", "check_kernel", "resolve_gamma", "gram", "kernel_diagonal",
           "polynomial_feature_map"]

KERNELS = ("linear", "polynomial", "rbf", "sigmoid", "laplacian")
ALIASES = {"poly": "polynomial"}       # scikit-learn's name, accepted everywhere a kernel is named


class Kernel(NamedTuple):
    """A kernel by name with its parameters γ (gamma), c (coef0) and d (degree)."""

    name: str
    gamma: float = 1.0
    coef0: float = 0.0
    degree: int = 3


def make_kernel(name: str, *, gamma: float = 1.0, coef0: float = 0.0, degree: int = 3) -> Kernel:
    """A validated `Kernel`. name: one of KERNELS, or scikit-learn's "poly" for "polynomial";
    gamma > 0; degree an integer ≥ 1; coef0 any real number."""
    name = ALIASES.get(name, name) if isinstance(name, str) else name
    check_option(name, "kernel", KERNELS + tuple(ALIASES))
    if isinstance(gamma, str):
        raise TypeError(f"gamma must be a number here, got {gamma!r} (resolve 'scale'/'auto' with "
                        "jaxlearn.kernels.resolve_gamma first)")
    gamma = float(check_scalar(gamma, "gamma", minimum=0, strict=True))
    coef0 = float(check_scalar(coef0, "coef0"))
    degree = int(check_scalar(degree, "degree", minimum=1, integer=True))
    return Kernel(name, gamma, coef0, degree)


def check_kernel(kernel) -> Kernel:
    """Validate a `Kernel` where it is used (a Kernel built directly skips `make_kernel`)."""
    if not isinstance(kernel, Kernel):
        raise TypeError(f"kernel must be a jaxlearn.kernels.Kernel (see make_kernel), got "
                        f"{type(kernel).__name__}")
    checked = make_kernel(kernel.name, gamma=kernel.gamma, coef0=kernel.coef0, degree=kernel.degree)
    return checked


def resolve_gamma(gamma: str | float, X: ArrayLike) -> float:
    """γ as a number: 'scale' = 1 / (N · var(X)) and 'auto' = 1 / N, as scikit-learn defines them."""
    if isinstance(gamma, str) and gamma == "scale":
        variance = float(np.var(np.asarray(X), dtype=np.float64))  # float64: no overflow for large X
        return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
    if isinstance(gamma, str) and gamma == "auto":
        return 1.0 / X.shape[1]
    if isinstance(gamma, str):
        raise ValueError(f"gamma must be a positive number, 'scale' or 'auto', got {gamma!r}")
    return float(check_scalar(gamma, "gamma", minimum=0, strict=True))


@jax.jit
def _inner_products(A, B):
    """A Bᵀ and the squared row norms ‖a‖², ‖b‖².

    A program of its own: compiled together with the kernel's element-wise part, XLA:CPU
    (jax 0.10) fuses everything into one custom fusion that runs 2× slower on MNIST-sized Gram
    matrices than the two programs in turn.
    """
    return A @ B.T, jnp.sum(A**2, axis=1), jnp.sum(B**2, axis=1)


@partial(jax.jit, static_argnames=("name", "degree"))
def _from_inner_products(name: str, degree: int, gamma, coef0, dot, sq_a, sq_b):
    """The kernel from A Bᵀ and the row norms. γ and c are traced: a grid over them compiles once."""
    if name == "linear":
        return dot
    if name == "polynomial":
        return (gamma * dot + coef0) ** degree
    if name == "sigmoid":
        return jnp.tanh(gamma * dot + coef0)
    # rbf: ‖a − b‖² = ‖a‖² + ‖b‖² − 2aᵀb, clamped at 0 against rounding
    return jnp.exp(-gamma * jnp.maximum(sq_a[:, None] + sq_b[None, :] - 2 * dot, 0))


def gram_unchecked(kernel: Kernel, X1, X2, block: int | None = None):
    """`gram` for validated arrays of one dtype (the fitting and predicting code calls this)."""
    if kernel.name == "laplacian":
        if block is None:   # about 64 MB of (block, M2, N) intermediate
            block = min(X1.shape[0], laplacian_block(X2.shape[0], X1.shape[1]))
        return _laplacian_gram(kernel, X1, X2, int(block))
    dtype = X1.dtype
    return _from_inner_products(kernel.name, kernel.degree, np.asarray(kernel.gamma, dtype),
                                np.asarray(kernel.coef0, dtype), *_inner_products(X1, X2))


def kernel_diagonal(kernel: Kernel, X) -> np.ndarray:
    """k(x_m, x_m) for each row of X (M,), on the host in X's dtype: ‖x‖² (linear),
    (γ‖x‖² + c)^d, tanh(γ‖x‖² + c), and 1 for rbf and laplacian."""
    X = np.asarray(X)
    squared = np.einsum("mn,mn->m", X, X)
    if kernel.name == "linear":
        return squared
    if kernel.name == "polynomial":
        return ((kernel.gamma * squared + kernel.coef0) ** kernel.degree).astype(X.dtype)
    if kernel.name == "sigmoid":
        return np.tanh(kernel.gamma * squared + kernel.coef0).astype(X.dtype)
    return np.ones(X.shape[0], X.dtype)


def laplacian_block(rows: int, n_features: int, itemsize: int = 4) -> int:
    """Rows of X1 per block of the Laplacian Gram: about 64 MB of (block, rows, N) intermediate."""
    return max(1, (64 << 20) // max(rows * n_features * itemsize, 1))


@partial(jax.jit, static_argnames=("kernel", "block"))
def _laplacian_gram(kernel: Kernel, X1, X2, block: int):
    return laplacian_rows(kernel.gamma, X1, X2, block)


def laplacian_rows(gamma, X1, X2, block: int):
    """exp(−γ‖a − b‖₁) in row blocks of X1: the L1 distance has no matrix-product form, and its
    (block, M2, N) intermediate must stay small. Traceable, γ may be traced."""
    M1 = X1.shape[0]
    n_blocks = -(-M1 // block)
    padded = jnp.pad(X1, ((0, n_blocks * block - M1), (0, 0)))

    def rows(A):
        return jnp.exp(-gamma * jnp.sum(jnp.abs(A[:, None, :] - X2[None, :, :]), axis=2))

    return jax.lax.map(rows, padded.reshape(n_blocks, block, -1)).reshape(n_blocks * block, -1)[:M1]


def gram(kernel: Kernel, X1: ArrayLike, X2: ArrayLike | None = None, *, block: int | None = None) -> jax.Array:
    """Gram matrix K (M1, M2) with K_mn = k(x1_m, x2_n); X2 defaults to X1.

    Args:
        kernel: a `Kernel` (see `make_kernel`).
        X1: (M1, N); X2: (M2, N).
        block: rows of X1 per block for the Laplacian kernel, whose (block, M2, N) intermediate
            would otherwise not fit (default: about 64 MB per block); the other kernels are
            one matrix product, X1 X2ᵀ.

    Example:
        >>> import jax.numpy as jnp
        >>> X = jnp.array([[0.0, 0.0], [1.0, 0.0]])
        >>> K = gram(make_kernel("rbf", gamma=1.0), X)                    # exp(−γ‖x − x'‖²)
        >>> [[round(float(k), 4) for k in row] for row in K]
        [[1.0, 0.3679], [0.3679, 1.0]]
    """
    kernel = check_kernel(kernel)
    X1 = check_matrix(X1, "X1")
    X2 = X1 if X2 is None else check_matrix(X2, "X2").astype(X1.dtype)
    if X2.shape[1] != X1.shape[1]:
        raise ValueError(f"X2 has {X2.shape[1]} features but X1 has {X1.shape[1]}")
    if kernel.name == "laplacian" and block is not None:   # the other kernels take no blocks
        block = check_scalar(block, "block", minimum=1, integer=True)
    return gram_unchecked(kernel, X1, X2, block)


def polynomial_feature_map(X: ArrayLike, degree: int) -> jax.Array:
    """The explicit map φ of the homogeneous polynomial kernel: φ(x)·φ(x') = (xᵀx')^d (eq. 44).

    For N = 2, d = 2 this is the lecture's φ(x) = [x₁², √2 x₁x₂, x₂²] (eq. 38). In general,
    one column per monomial x^α with |α| = d, scaled by √(d! / Π α_i!) (the multinomial
    coefficient), so that Σ_α coef · x^α x'^α = (Σ_i x_i x'_i)^d.

    Args:
        X: (M, N).
        degree: d ≥ 1.

    Returns:
        (M, C(N + d − 1, d)).
    """
    degree = check_scalar(degree, "degree", minimum=1, integer=True)
    X = check_matrix(X)
    combos = list(combinations_with_replacement(range(X.shape[1]), degree))
    idx = np.array(combos, dtype=np.int32)
    scale = np.array([math.sqrt(math.factorial(degree) / math.prod(
        math.factorial(c.count(i)) for i in set(c))) for c in combos])
    return jnp.prod(X[:, idx], axis=2) * jnp.asarray(scale, X.dtype)[None, :]
