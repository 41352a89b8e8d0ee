"""Covariance functions of Gaussian processes with their hyperparameters, as scikit-learn writes
them (`sklearn.gaussian_process.kernels`), each with its gradient written by hand.

    Constant(c)        k = c
    RBF(ℓ)             k = exp(−‖x − x'‖² / (2ℓ²))        (the lecture's Gaussian kernel, γ = 1/(2ℓ²))
    White(σ²)          k = σ² δ(x, x')                    (noise on the training targets only)
    DotProduct(σ₀)     k = σ₀² + xᵀx'
    a + b, a * b       sums and products of the above

A kernel is a frozen (hashable) dataclass without numbers: the hyperparameters live in one vector
θ of their logarithms (scikit-learn's `theta`), so they stay positive and can be traced, vmapped
and differentiated. `kernel.n_params` counts them, in the order of `names()`.

    kernel.value(θ, X1, X2)  the Gram matrix K (M1, M2); X2 None: K(X1, X1) with the noise
    kernel.diag(θ, X)        k(x_m, x_m) (M,), noise included, as scikit-learn's `diag`
    kernel.gradient(θ, X)    ∂K/∂θ_j (n_params, M, M) at the training rows, by hand
    kernel.pair(θ, x, x')    k(x, x') of two rows (no noise), smooth in x and x' everywhere: what
                             derivatives with respect to the inputs differentiate (the Gram
                             matrices clamp ‖x − x'‖² at 0, whose derivative at x = x' is wrong)

The gradient is with respect to the logarithms: ∂K/∂log c = K for a constant or an amplitude,
∂K/∂log ℓ = K ⊙ D/ℓ² for the RBF (D the squared distances), ∂K/∂log σ² = σ² I for the noise,
∂K/∂log σ₀ = 2σ₀² for the dot product. θ is ordered as scikit-learn orders its `theta`.
"""

import dataclasses

import jax.numpy as jnp

__all__ = ["GPKernel", "Constant", "RBF", "White", "DotProduct", "Sum", "Product"]


def _squared_distances(X1, X2):
    """‖x1_m − x2_n‖² (M1, M2), clamped at 0 against rounding."""
    sq1, sq2 = jnp.sum(X1**2, axis=1), jnp.sum(X2**2, axis=1)
    return jnp.maximum(sq1[:, None] + sq2[None, :] - 2 * X1 @ X2.T, 0)


class GPKernel:
    """The base of every covariance function k(x, x'; θ) here.

    It gives sums and products by ``+`` and ``*`` (``Constant() * RBF() + White()``); the
    hyperparameters θ are not stored in the kernel but passed, as log-values, to every call.
    """

    def __add__(self, other):
        return Sum(self, _as_kernel(other))

    def __radd__(self, other):
        return Sum(_as_kernel(other), self)

    def __mul__(self, other):
        return Product(self, _as_kernel(other))

    def __rmul__(self, other):
        return Product(_as_kernel(other), self)


def _as_kernel(other):
    if isinstance(other, GPKernel):
        return other
    raise TypeError(f"a kernel combines with another kernel, got {type(other).__name__} (write Constant() * RBF(), "
                    "and set the constant's value through θ)")


@dataclasses.dataclass(frozen=True)
class Constant(GPKernel):
    """k = c, θ = (log c,). Times another kernel it is that kernel's amplitude σ_f²."""

    n_params = 1

    def names(self):
        return ("constant_value",)

    def value(self, theta, X1, X2=None):
        X2 = X1 if X2 is None else X2
        return jnp.full((X1.shape[0], X2.shape[0]), jnp.exp(theta[0]), X1.dtype)

    def diag(self, theta, X):
        return jnp.full(X.shape[0], jnp.exp(theta[0]), X.dtype)

    def pair(self, theta, x1, x2):
        return jnp.exp(theta[0]).astype(x1.dtype)

    def gradient(self, theta, X):
        return self.value(theta, X)[None]


@dataclasses.dataclass(frozen=True)
class RBF(GPKernel):
    """k = exp(−‖x − x'‖² / (2ℓ²)), θ = (log ℓ,)."""

    n_params = 1

    def names(self):
        return ("length_scale",)

    def value(self, theta, X1, X2=None):
        X2 = X1 if X2 is None else X2
        return jnp.exp(-_squared_distances(X1, X2) / (2 * jnp.exp(2 * theta[0])))

    def diag(self, theta, X):
        return jnp.ones(X.shape[0], X.dtype)

    def pair(self, theta, x1, x2):
        return jnp.exp(-jnp.sum((x1 - x2) ** 2) / (2 * jnp.exp(2 * theta[0])))

    def gradient(self, theta, X):
        # ∂k/∂log ℓ = ℓ ∂k/∂ℓ = k · D/ℓ²
        D = _squared_distances(X, X)
        return (jnp.exp(-D / (2 * jnp.exp(2 * theta[0]))) * D / jnp.exp(2 * theta[0]))[None]


@dataclasses.dataclass(frozen=True)
class White(GPKernel):
    """k = σ² if x and x' are the same training sample, else 0; θ = (log σ²,). Between test and
    training rows (X2 given) it is 0, as scikit-learn's WhiteKernel."""

    n_params = 1

    def names(self):
        return ("noise_level",)

    def value(self, theta, X1, X2=None):
        if X2 is not None:
            return jnp.zeros((X1.shape[0], X2.shape[0]), X1.dtype)
        return jnp.exp(theta[0]) * jnp.eye(X1.shape[0], dtype=X1.dtype)

    def diag(self, theta, X):
        return jnp.full(X.shape[0], jnp.exp(theta[0]), X.dtype)

    def pair(self, theta, x1, x2):
        return jnp.zeros((), x1.dtype)      # noise is not a function of the inputs

    def gradient(self, theta, X):
        return self.value(theta, X)[None]


@dataclasses.dataclass(frozen=True)
class DotProduct(GPKernel):
    """k = σ₀² + xᵀx', θ = (log σ₀,) (scikit-learn's sigma_0): Bayesian linear regression."""

    n_params = 1

    def names(self):
        return ("sigma_0",)

    def value(self, theta, X1, X2=None):
        X2 = X1 if X2 is None else X2
        return jnp.exp(2 * theta[0]) + X1 @ X2.T

    def diag(self, theta, X):
        return jnp.exp(2 * theta[0]) + jnp.sum(X**2, axis=1)

    def pair(self, theta, x1, x2):
        return jnp.exp(2 * theta[0]) + x1 @ x2

    def gradient(self, theta, X):
        # ∂(σ₀²)/∂log σ₀ = 2σ₀²
        return jnp.full((1, X.shape[0], X.shape[0]), 2 * jnp.exp(2 * theta[0]), X.dtype)


@dataclasses.dataclass(frozen=True)
class Sum(GPKernel):
    """k = k1 + k2; θ = (θ1, θ2); ∂K/∂θ = (∂K1/∂θ1, ∂K2/∂θ2)."""

    k1: GPKernel
    k2: GPKernel

    @property
    def n_params(self):
        return self.k1.n_params + self.k2.n_params

    def names(self):
        return tuple(f"k1__{n}" for n in self.k1.names()) + tuple(f"k2__{n}" for n in self.k2.names())

    def _split(self, theta):
        return theta[:self.k1.n_params], theta[self.k1.n_params:]

    def value(self, theta, X1, X2=None):
        t1, t2 = self._split(theta)
        return self.k1.value(t1, X1, X2) + self.k2.value(t2, X1, X2)

    def diag(self, theta, X):
        t1, t2 = self._split(theta)
        return self.k1.diag(t1, X) + self.k2.diag(t2, X)

    def pair(self, theta, x1, x2):
        t1, t2 = self._split(theta)
        return self.k1.pair(t1, x1, x2) + self.k2.pair(t2, x1, x2)

    def gradient(self, theta, X):
        t1, t2 = self._split(theta)
        return jnp.concatenate([self.k1.gradient(t1, X), self.k2.gradient(t2, X)])


@dataclasses.dataclass(frozen=True)
class Product(Sum):
    """k = k1 · k2; ∂K/∂θ = (∂K1/∂θ1 ⊙ K2, K1 ⊙ ∂K2/∂θ2) (the product rule)."""

    def value(self, theta, X1, X2=None):
        t1, t2 = self._split(theta)
        return self.k1.value(t1, X1, X2) * self.k2.value(t2, X1, X2)

    def diag(self, theta, X):
        t1, t2 = self._split(theta)
        return self.k1.diag(t1, X) * self.k2.diag(t2, X)

    def pair(self, theta, x1, x2):
        t1, t2 = self._split(theta)
        return self.k1.pair(t1, x1, x2) * self.k2.pair(t2, x1, x2)

    def gradient(self, theta, X):
        t1, t2 = self._split(theta)
        K1, K2 = self.k1.value(t1, X), self.k2.value(t2, X)
        return jnp.concatenate([self.k1.gradient(t1, X) * K2[None], K1[None] * self.k2.gradient(t2, X)])
