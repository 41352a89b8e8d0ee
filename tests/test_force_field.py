"""Energies and forces learned together (jaxlearn.force_field) on a four-atom Morse cluster whose
exact energy and forces are known: the forces are the energy's exact negative gradient, the
kernel blocks are the derivatives of k, and forces make the energy model far better."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn import force_field
from jaxlearn._errors import SingularMatrixError

TETRAHEDRON = np.array([[0.0, 0.0, 0.0], [1.12, 0.0, 0.0], [0.56, 0.97, 0.0], [0.56, 0.32, 0.91]])


def morse(R):
    """E = Σ_{i<j} (1 − exp(−a(r_ij − r_e)))² − 1, with a = 1.5 and r_e = 1.12."""
    i, j = np.triu_indices(R.shape[0], k=1)
    r = jnp.sqrt(jnp.sum((R[i] - R[j]) ** 2, axis=-1))
    return jnp.sum((1 - jnp.exp(-1.5 * (r - 1.12))) ** 2 - 1)


def configurations(M, seed):
    """M thermal-like distortions of the tetrahedron (0.06 per coordinate) with their E and F = −∂E/∂R."""
    R = TETRAHEDRON + 0.06 * np.random.default_rng(seed).normal(size=(M, 4, 3))
    E = np.asarray(jax.vmap(morse)(jnp.asarray(R)))
    F = -np.asarray(jax.vmap(jax.grad(morse))(jnp.asarray(R)))
    return R, E, F


GAMMA = 0.3     # exp(−γ‖Δd‖²) with ‖Δd‖² ≈ 0.02 between distortions: a smooth kernel over them


@pytest.fixture(scope="module")
def fitted():
    R, E, F = configurations(12, seed=0)
    return force_field.fit(R, E, F, gamma=GAMMA, lam_energy=1e-8, lam_force=1e-8), (R, E, F)


def test_the_descriptor_is_the_inverse_distances_and_invariant():
    R = TETRAHEDRON
    d = force_field.inverse_distances(jnp.asarray(R))
    assert d.shape == (6,) and float(d[0]) == pytest.approx(1 / 1.12)
    rotation = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))[0]
    np.testing.assert_allclose(force_field.inverse_distances(jnp.asarray(R @ rotation.T + 0.3)), d, rtol=1e-12)


def test_the_model_reproduces_its_training_data(fitted):
    model, (R, E, F) = fitted
    np.testing.assert_allclose(force_field.predict_energy(model, R), E, atol=1e-4 * np.abs(E).max())
    np.testing.assert_allclose(force_field.predict_forces(model, R), F, atol=1e-3 * np.abs(F).max())


def test_the_forces_are_the_exact_negative_gradient_of_the_energy(fitted):
    """Conservative by construction: −∂E/∂R by central differences of the predicted energy equals
    the predicted forces, and the work around a closed loop is zero."""
    model, _ = fitted
    R = configurations(2, seed=5)[0]
    forces = np.asarray(force_field.predict_forces(model, R))
    h = 1e-4     # the coefficients reach ~2e4: smaller steps drown in rounding (h = 1e-6 errs by 1e-5)
    for atom, axis in [(0, 0), (2, 1), (3, 2)]:
        step = np.zeros_like(R)
        step[:, atom, axis] = h
        slope = (force_field.predict_energy(model, R + step) - force_field.predict_energy(model, R - step)) / (2 * h)
        np.testing.assert_allclose(-np.asarray(slope), forces[:, atom, axis], rtol=1e-6, atol=1e-6)
    # ∮ F · dR = 0 around a loop through configurations (trapezoids on 400 points)
    t = np.linspace(0, 2 * np.pi, 401)
    circle = np.cos(t)[:, None, None] * np.eye(4, 3)[None] + np.sin(t)[:, None, None] * np.eye(4, 3, 1)[None]
    path = R[0] + 0.03 * circle
    F_path = np.asarray(force_field.predict_forces(model, path))
    work = np.sum(0.5 * (F_path[1:] + F_path[:-1]) * np.diff(path, axis=0))
    assert abs(work) < 1e-6 * np.abs(F_path).max()


def test_the_kernel_blocks_are_the_derivatives_of_k():
    gamma, (R, _, _) = GAMMA, configurations(2, seed=3)
    K = np.asarray(force_field._covariance(jnp.asarray(gamma), jnp.asarray(R)))
    assert K.shape == (26, 26)
    np.testing.assert_allclose(K, K.T, atol=1e-12)
    k = force_field._k
    a, b = jnp.asarray(R[0]), jnp.asarray(R[1])
    assert K[0, 13] == pytest.approx(float(k(gamma, a, b)))
    # the energy's row alone (what predictions use) is the first row of the joint covariance
    np.testing.assert_allclose(force_field._energy_row(gamma, a, jnp.asarray(R)), K[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(K[0, 14:], -np.asarray(jax.grad(k, argnums=2)(gamma, a, b)).ravel(), rtol=1e-12)
    np.testing.assert_allclose(K[1:13, 14:], np.asarray(jax.hessian(lambda x: k(gamma, x[:4], x[4:]))(
        jnp.concatenate([a, b]))[:4, :, 4:, :]).reshape(12, 12), rtol=1e-10, atol=1e-14)


def test_forces_make_the_energy_model_better():
    R, E, F = configurations(12, seed=0)
    R_test, E_test, F_test = configurations(30, seed=7)
    with_forces = force_field.fit(R, E, F, gamma=GAMMA, lam_energy=1e-8, lam_force=1e-8)
    # energies only: the forces' entries carry no information when their noise is enormous
    energies_only = force_field.fit(R, E, F, gamma=GAMMA, lam_energy=1e-8, lam_force=1e12)
    error = {name: np.sqrt(np.mean((np.asarray(force_field.predict_energy(m, R_test)) - E_test) ** 2))
             for name, m in [("forces", with_forces), ("energies", energies_only)]}
    # 12 energies alone leave the 6 internal coordinates' energy surface open; the 144 forces pin it
    assert error["forces"] < 0.1 * error["energies"]
    force_error = np.sqrt(np.mean((np.asarray(force_field.predict_forces(with_forces, R_test)) - F_test) ** 2))
    assert force_error < 0.05 * np.sqrt(np.mean(F_test**2))


@pytest.mark.jax_defaults
def test_float32_inputs_fit_in_float32():
    """As a user runs JAX (x64 off): float32 throughout, and still far better than knowing nothing."""
    R, E, F = configurations(12, seed=0)
    R_test, E_test, F_test = configurations(20, seed=7)
    model = force_field.fit(R.astype(np.float32), E, F, gamma=GAMMA, lam_energy=1e-5, lam_force=1e-5)
    assert model.coef.dtype == np.float32
    forces = force_field.predict_forces(model, R_test.astype(np.float32))
    assert forces.dtype == np.float32
    assert np.sqrt(np.mean((np.asarray(forces) - F_test) ** 2)) < 0.1 * np.sqrt(np.mean(F_test**2))
    energies = np.asarray(force_field.predict_energy(model, R_test.astype(np.float32)))
    assert np.sqrt(np.mean((energies - E_test) ** 2)) < 0.1 * np.std(E_test)


def test_bad_input_is_named():
    R, E, F = configurations(3, seed=0)
    with pytest.raises(ValueError, match="R must be \\(M configurations, n ≥ 2 atoms, 3\\)"):
        force_field.fit(R[:, :, :2], E, F, gamma=1.0)
    with pytest.raises(ValueError, match="F must have the shape of R"):
        force_field.fit(R, E, F[:, :3], gamma=1.0)
    with pytest.raises(ValueError, match="E must be \\(M,\\)"):
        force_field.fit(R, E[:2], F, gamma=1.0)
    with pytest.raises(ValueError, match="gamma"):
        force_field.fit(R, E, F, gamma=0.0)
    with pytest.raises(SingularMatrixError, match="raise lam_energy"):
        force_field.fit(np.concatenate([R, R]), np.concatenate([E, E]), np.concatenate([F, F]), gamma=1.0,
                        lam_energy=0.0, lam_force=0.0)


def test_the_force_error_bars_are_the_gaussian_process_posterior(fitted):
    """predict_force_std equals σ² (k_FF** − k_F*ᵀ(K + Λ)⁻¹k_F*) from one dense joint covariance, is
    small at the training configurations, and is the right size for the real errors elsewhere."""
    model, (R, E, F) = fitted
    R_new = configurations(3, seed=11)[0]
    std = np.asarray(force_field.predict_force_std(model, R_new))
    assert std.shape == R_new.shape
    both = np.asarray(force_field._covariance(model.gamma, jnp.asarray(np.concatenate([R, R_new]))))
    N = len(R) * 13
    noise = np.tile(np.r_[1e-8, np.full(12, 1e-8)], len(R))
    K, K_star, K_new = both[:N, :N] + np.diag(noise), both[N:, :N], both[N:, N:]
    covariance = float(model.signal_variance) * (K_new - K_star @ np.linalg.solve(K, K_star.T))
    force_rows = np.concatenate([np.arange(1, 13) + 13 * i for i in range(3)])
    np.testing.assert_allclose(std.reshape(-1), np.sqrt(np.diag(covariance)[force_rows]), rtol=1e-5, atol=1e-9)
    # σ² is the maximum-likelihood signal variance tᵀ(K + Λ)⁻¹t / N
    t = np.concatenate([(E - E.mean())[:, None], F.reshape(len(R), 12)], axis=1).reshape(-1)
    assert float(model.signal_variance) == pytest.approx(t @ np.linalg.solve(K, t) / N, rel=1e-6)
    at_training = np.asarray(force_field.predict_force_std(model, R[:3]))
    assert at_training.max() < 0.05 * std.mean()     # ≈ σ√λ_F at a training configuration
    R_test, _, F_test = configurations(30, seed=7)
    z = (np.asarray(force_field.predict_forces(model, R_test)) - F_test) / np.asarray(
        force_field.predict_force_std(model, R_test))
    assert 0.2 < np.sqrt(np.mean(z**2)) < 5     # errors of the size the model predicts, not 100× off
