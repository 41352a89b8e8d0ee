"""Kernel regression of an energy E(R) from energies and forces: the setting of machine-learned
force fields (GDML, GAP, FLARE), built from the lecture's kernel ridge regression.

Positions R (n_atoms, 3) enter through a descriptor d(R) that is itself a JAX function, here the
inverse pairwise distances 1/‖r_i − r_j‖ (i < j), which do not change under rotations and
translations. The kernel on configurations is k(R, R') = exp(−γ‖d(R) − d(R')‖²).

Forces are derivatives, F = −∂E/∂R, so a Gaussian process on E (or ridge in the kernel's feature
space) has the joint covariance of energies and forces (the gradient-domain kernel of GDML):

    cov(E(R), E(R'))  = k(R, R')
    cov(E(R), F(R'))  = −∂k(R, R')/∂R'                       (1 × 3n)
    cov(F(R), F(R'))  = ∂²k(R, R')/∂R ∂R'ᵀ                    (3n × 3n)

built here by `jax.grad` / `jax.jacfwd` of k, never by hand. Training on M configurations solves
one (M + 3nM)-square system (K + Λ) c = (E − Ē, F), with Λ = diag(λ_E, …, λ_F, …) the ridge (noise)
terms of each kind, and the predicted energy is

    E(R*) = Ē + Σ_m c_m k(R*, R_m) − Σ_m c_{F,m} · ∂k(R*, R_m)/∂R_m ,

a smooth function of R*. Its forces are −∂E/∂R* by `jax.grad`: conservative by construction.

Read as a Gaussian process with covariance σ²k and noise variances σ²λ, the same system gives the
predicted forces' error bars, the posterior variance of each force component,

    var F(R*) = σ² (k_FF(R*, R*) − k_F(R*)ᵀ (K + Λ)⁻¹ k_F(R*)),

with the signal variance σ² at its maximum-likelihood value σ² = tᵀ(K + Λ)⁻¹t / N for the N
targets t. This is the error estimate that on-the-fly force fields compare with a threshold.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxlearn._errors import SingularMatrixError
from jaxlearn._validation import as_float_array, check_finite, check_scalar

__all__ = ["inverse_distances", "EnergyForceModel", "fit", "predict_energy", "predict_forces", "predict_force_std"]


def inverse_distances(R: ArrayLike) -> jax.Array:
    """The descriptor d(R): 1/‖r_i − r_j‖ for every atom pair i < j, (n(n − 1)/2,) of R (n, 3)."""
    i, j = np.triu_indices(R.shape[0], k=1)
    return 1 / jnp.sqrt(jnp.sum((R[i] - R[j]) ** 2, axis=-1))


def _k(gamma, R1, R2):
    """k(R, R') = exp(−γ‖d(R) − d(R')‖²), written with the difference (smooth at R = R')."""
    return jnp.exp(-gamma * jnp.sum((inverse_distances(R1) - inverse_distances(R2)) ** 2))


def _rows(gamma, Ra, R_train):
    """The covariances of E(Ra) and F(Ra) with every training observable: ((1 + 3n), M(1 + 3n))."""
    n3 = Ra.size

    def block(Rb):
        e_e = _k(gamma, Ra, Rb)
        e_f = -jax.grad(_k, argnums=2)(gamma, Ra, Rb).reshape(n3)                          # cov(E_a, F_b)
        f_e = -jax.grad(_k, argnums=1)(gamma, Ra, Rb).reshape(n3)                          # cov(F_a, E_b)
        f_f = jax.jacfwd(jax.grad(_k, argnums=1), argnums=2)(gamma, Ra, Rb).reshape(n3, n3)  # cov(F_a, F_b)
        return jnp.concatenate([jnp.concatenate([e_e[None], e_f])[None],
                                jnp.concatenate([f_e[:, None], f_f], axis=1)])          # (1 + 3n, 1 + 3n)

    blocks = jax.vmap(block)(R_train)                                                   # (M, 1 + 3n, 1 + 3n)
    return jnp.transpose(blocks, (1, 0, 2)).reshape(1 + n3, -1)


@jax.jit
def _covariance(gamma, R):
    """The joint covariance of all training observables, ordered per configuration (E_m, F_m)."""
    return jax.lax.map(lambda Ra: _rows(gamma, Ra, R), R).reshape(-1, R.shape[0] * (1 + R[0].size))


class EnergyForceModel(NamedTuple):
    """A fitted energy model: its training configurations, coefficients and hyperparameters."""

    R_train: jax.Array          # (M, n, 3)
    coef: jax.Array             # (M (1 + 3n),): c, per configuration (c_E, c_F (3n))
    energy_mean: jax.Array      # Ē
    gamma: jax.Array
    cholesky: jax.Array         # L with L Lᵀ = K + Λ, (M (1 + 3n), M (1 + 3n)): the error bars' factor
    signal_variance: jax.Array  # σ² = tᵀ(K + Λ)⁻¹t / N


def _check_positions(R, name="R"):
    R = as_float_array(R, name)
    if R.ndim != 3 or R.shape[2] != 3 or R.shape[1] < 2:
        raise ValueError(f"{name} must be (M configurations, n ≥ 2 atoms, 3), got shape {R.shape}")
    check_finite(R, name)
    return R


@jax.jit
def _solve(K, targets, noise):
    """L and c = (K + Λ)⁻¹ t by one Cholesky factorisation."""
    L = jnp.linalg.cholesky(K + jnp.diag(noise))
    return L, jax.scipy.linalg.cho_solve((L, True), targets)


def fit(R: ArrayLike, E: ArrayLike, F: ArrayLike, *, gamma: float, lam_energy: float = 1e-6,
        lam_force: float = 1e-6) -> EnergyForceModel:
    """Fit E(R) to energies E (M,) and forces F (M, n, 3) of configurations R (M, n, 3) together.

    gamma: γ of the kernel on inverse distances; lam_energy, lam_force: the ridge (noise variance)
    terms added to the energy and force entries of the diagonal of the unit-amplitude kernel
    (noise-to-signal variance ratios; the forces' weight against the energies' grows as lam_force
    falls). Raises SingularMatrixError when the system is not positive definite (raise the lams).
    """
    R = _check_positions(R)
    M, n, _ = R.shape
    E = as_float_array(E, "E").astype(R.dtype)
    F = as_float_array(F, "F").astype(R.dtype)
    if E.shape != (M,):
        raise ValueError(f"E must be (M,) = ({M},), one energy per configuration, got {E.shape}")
    if F.shape != R.shape:
        raise ValueError(f"F must have the shape of R, {R.shape} (a force on each atom), got {F.shape}")
    check_finite(E, "E")
    check_finite(F, "F")
    gamma = float(check_scalar(gamma, "gamma", minimum=0, strict=True))
    lam_energy = float(check_scalar(lam_energy, "lam_energy", minimum=0))
    lam_force = float(check_scalar(lam_force, "lam_force", minimum=0))
    energy_mean = jnp.mean(E)
    targets = jnp.concatenate([(E - energy_mean)[:, None], F.reshape(M, 3 * n)], axis=1).reshape(-1)
    noise = jnp.tile(jnp.concatenate([jnp.full(1, lam_energy), jnp.full(3 * n, lam_force)]), M).astype(R.dtype)
    K = _covariance(jnp.asarray(gamma, R.dtype), jnp.asarray(R))
    L, coef = _solve(K, targets, noise)
    if not bool(jnp.all(jnp.isfinite(coef))):
        raise SingularMatrixError("the energy-force kernel matrix plus its ridge terms is not positive definite at "
                                  f"working precision ({R.dtype}); raise lam_energy / lam_force")
    signal_variance = targets @ coef / targets.size
    return EnergyForceModel(jnp.asarray(R), coef, energy_mean, jnp.asarray(gamma, R.dtype), L, signal_variance)


def _energy_row(gamma, Ra, R_train):
    """cov(E(Ra), ·) with every training observable, (M(1 + 3n),): [k(Ra, R_m), −∂k(Ra, R_m)/∂R_m] per m.

    The first row of _rows without the force-force blocks, which an energy (and its gradient,
    the forces) does not need."""
    def block(Rb):
        value, slope = jax.value_and_grad(_k, argnums=2)(gamma, Ra, Rb)
        return jnp.concatenate([value[None], -slope.reshape(-1)])
    return jax.vmap(block)(R_train).reshape(-1)


def _energy(model: EnergyForceModel, R):
    """E(R) of one configuration R (n, 3): Ē + (its covariances with the training observables) · c."""
    return model.energy_mean + _energy_row(model.gamma, R, model.R_train) @ model.coef


def _check_query(model, R):
    R = _check_positions(R).astype(model.R_train.dtype)
    if R.shape[1] != model.R_train.shape[1]:
        raise ValueError(f"R has {R.shape[1]} atoms but the model was fitted on {model.R_train.shape[1]}")
    return jnp.asarray(R)


def predict_energy(model: EnergyForceModel, R: ArrayLike) -> jax.Array:
    """E (M*,) of configurations R (M*, n, 3)."""
    return _energies(model, _check_query(model, R))


@jax.jit
def _energies(model, R):
    return jax.vmap(lambda r: _energy(model, r))(R)


@jax.jit
def _forces(model, R):
    return jax.vmap(lambda r: -jax.grad(lambda x: _energy(model, x))(r))(R)


def predict_forces(model: EnergyForceModel, R: ArrayLike) -> jax.Array:
    """F = −∂E/∂R (M*, n, 3) of configurations R (M*, n, 3), by jax.grad of the predicted energy:
    the forces of one energy, conservative by construction."""
    return _forces(model, _check_query(model, R))


def _force_std(model: EnergyForceModel, R):
    """σ √(k_FF(R, R) − k_F(R)ᵀ (K + Λ)⁻¹ k_F(R)) for each of the 3n force components of R (n, 3)."""
    k_star = _rows(model.gamma, R, model.R_train)[1:]                                      # (3n, N)
    prior = jnp.diag(_rows(model.gamma, R, R[None])[1:, 1:])                             # k_FF(R, R) diagonal
    v = jax.scipy.linalg.solve_triangular(model.cholesky, k_star.T, lower=True)           # L⁻¹ k_F
    variance = model.signal_variance * (prior - jnp.sum(v**2, axis=0))
    return jnp.sqrt(jnp.maximum(variance, 0)).reshape(R.shape)


def predict_force_std(model: EnergyForceModel, R: ArrayLike) -> jax.Array:
    """The posterior standard deviation (M*, n, 3) of each predicted force component of R (M*, n, 3).

    Small near the training configurations, growing to σ √k_FF far from them: the model's own
    estimate of its force error (the latent force's, without the noise term σ²λ_F).
    """
    return _force_stds(model, _check_query(model, R))


@jax.jit
def _force_stds(model, R):
    return jax.lax.map(lambda r: _force_std(model, r), R)      # one configuration at a time: (3n, N) each
