"""A small machine-learned force field: jaxlearn.force_field on the Cu13 EMT trajectory of
experiments/make_cluster_md.py.

    python experiments/force_field.py [--out results/force_field] [--quick]

Writes, under --out:
- learning_curve.png: energy and force errors (MAE on 100 held-out configurations) against the
  number of training configurations, the field's standard plot;
- calibration.png: the predicted force error bar σ against the real error, per force component;
- on_the_fly.png: an on-the-fly run (needs ASE): the model drives Langevin dynamics and the
  reference (EMT) is computed only where the largest predicted force σ exceeds a threshold;
- summary.json with every number.
"""

import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from _common import parse_args, write_summary

from jaxlearn import force_field, plots

NAME = "force_field"
DATA = Path(__file__).parent / "data" / "cu13_emt_md.npz"
GAMMA = 1.0                  # exp(−γ‖Δd‖²) on inverse distances in 1/Å (chosen on the training split)
LAM = 1e-6                   # ridge terms of the energies and forces (noise-to-signal variance ratios)


def load(path=DATA):
    data = np.load(path)
    return data["R"], data["E"], data["F"]


def errors(model, R, E, F):
    """Energy MAE (eV), force MAE (eV/Å) and the predicted forces' σ on held-out configurations."""
    energy = np.asarray(force_field.predict_energy(model, R))
    forces = np.asarray(force_field.predict_forces(model, R))
    return float(np.abs(energy - E).mean()), float(np.abs(forces - F).mean()), forces


def learning_curve(R, E, F, sizes, train, test):
    rows = []
    for M in sizes:
        start = time.perf_counter()
        model = force_field.fit(R[train[:M]], E[train[:M]], F[train[:M]], gamma=GAMMA, lam_energy=LAM, lam_force=LAM)
        energy_mae, force_mae, _ = errors(model, R[test], E[test], F[test])
        rows.append({"M": M, "energy_mae_eV": energy_mae, "force_mae_eV_per_A": force_mae,
                     "seconds": time.perf_counter() - start})
        print(f"  M = {M:4d}: energy MAE {energy_mae * 1000:7.1f} meV, force MAE {force_mae * 1000:6.1f} meV/Å "
              f"({rows[-1]['seconds']:.1f} s)")
    return rows


def on_the_fly(R0, E0, F0, *, steps: int, threshold: float, seed: int = 1):
    """Langevin dynamics on the model's forces; EMT is called (and the model refitted) only when the
    largest predicted force σ of the current configuration exceeds threshold (eV/Å)."""
    import make_cluster_md
    from ase.calculators.calculator import Calculator, all_changes
    from ase.calculators.emt import EMT

    R_train, E_train, F_train = list(R0), list(E0), list(F0)
    model = force_field.fit(np.array(R_train), np.array(E_train), np.array(F_train), gamma=GAMMA,
                            lam_energy=LAM, lam_force=LAM)
    reference = EMT()
    log = {"step": [], "max_sigma": [], "reference_calls": []}

    class Model(Calculator):
        implemented_properties = ["energy", "forces"]

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            nonlocal model
            super().calculate(atoms, properties, system_changes)
            R = atoms.get_positions()[None]
            sigma = float(jnp.max(force_field.predict_force_std(model, R)))
            if sigma > threshold:          # too uncertain: ask the reference, learn it, go on with it
                probe = atoms.copy()
                probe.calc = reference
                R_train.append(R[0])
                E_train.append(probe.get_potential_energy())
                F_train.append(probe.get_forces())
                model = force_field.fit(np.array(R_train), np.array(E_train), np.array(F_train), gamma=GAMMA,
                                        lam_energy=LAM, lam_force=LAM)
            log["max_sigma"].append(sigma)
            log["reference_calls"].append(len(R_train) - len(R0))
            self.results["energy"] = float(force_field.predict_energy(model, R)[0])
            self.results["forces"] = np.asarray(force_field.predict_forces(model, R)[0])

    atoms = make_cluster_md.cluster(seed=seed)
    atoms.calc = Model()
    dynamics = make_cluster_md.langevin(atoms, seed=seed)
    for step in range(steps):
        dynamics.run(1)
        log["step"].append(step)
    return model, log


def main(out_dir, quick: bool = False) -> dict:
    R, E, F = load()
    order = np.random.default_rng(0).permutation(len(E))
    train, test = order[:300], order[300:]
    sizes = [10, 20, 40] if quick else [10, 20, 40, 80, 160]
    print("learning curve (Cu13, EMT, 300 K):")
    curve = learning_curve(R, E, F, sizes, train, test)

    fig, ax = plots.new_axes()
    M = [row["M"] for row in curve]
    ax.loglog(M, [1000 * row["energy_mae_eV"] for row in curve], "o-", label="energy MAE (meV)")
    ax.loglog(M, [1000 * row["force_mae_eV_per_A"] for row in curve], "s-", label="force MAE (meV/Å)")
    ax.set_xlabel("training configurations M (each: 1 energy + 39 force components)")
    ax.set_ylabel("error on 100 held-out configurations")
    ax.set_title("Cu13 (EMT, 300 K): kernel ridge on energies and forces")
    ax.legend()
    plots.save(fig, out_dir / "learning_curve.png")

    model = force_field.fit(R[train[:sizes[-2]]], E[train[:sizes[-2]]], F[train[:sizes[-2]]], gamma=GAMMA,
                            lam_energy=LAM, lam_force=LAM)
    _, _, forces = errors(model, R[test], E[test], F[test])
    sigma = np.asarray(force_field.predict_force_std(model, R[test])).ravel()
    error = np.abs(forces - F[test]).ravel()
    z_rms = float(np.sqrt(np.mean((error / sigma) ** 2)))
    bins = np.quantile(sigma, np.linspace(0, 1, 11))
    which = np.clip(np.digitize(sigma, bins[1:-1]), 0, 9)
    binned = [(float(sigma[which == b].mean()), float(np.sqrt(np.mean(error[which == b] ** 2)))) for b in range(10)]
    fig, ax = plots.new_axes()
    ax.scatter(sigma * 1000, error * 1000, s=3, alpha=0.3, label="force components")
    ax.plot([1000 * s for s, _ in binned], [1000 * e for _, e in binned], "o-", color="C1",
            label="RMS error per decile of σ")
    top = 1000 * max(sigma.max(), error.max())
    ax.plot([0, top], [0, top], "k--", lw=1, label="error = σ")
    ax.set_xlabel("predicted σ of a force component (meV/Å)")
    ax.set_ylabel("|error| (meV/Å)")
    ax.set_title(f"error bars against real errors, M = {sizes[-2]} (RMS error/σ = {z_rms:.2f})")
    ax.legend()
    plots.save(fig, out_dir / "calibration.png")
    summary = {"data": str(DATA.name), "gamma": GAMMA, "lam": LAM, "learning_curve": curve,
               "calibration": {"M": sizes[-2], "rms_error_over_sigma": z_rms, "deciles": binned}}

    try:
        import ase  # noqa: F401
    except ImportError:
        print("on-the-fly run skipped: it needs ASE (pip install ase) for its reference calculations")
        write_summary(out_dir, summary)
        return summary
    steps, threshold = (200, 0.1) if quick else (1000, 0.05)
    start = time.perf_counter()
    model, log = on_the_fly(R[train[:5]], E[train[:5]], F[train[:5]], steps=steps, threshold=threshold)
    energy_mae, force_mae, _ = errors(model, R[test], E[test], F[test])
    calls = log["reference_calls"][-1]
    print(f"on the fly: {steps} MD steps, {calls} EMT calls (threshold σ > {threshold} eV/Å), then on the held-out "
          f"trajectory: energy MAE {energy_mae * 1000:.1f} meV, force MAE {force_mae * 1000:.1f} meV/Å "
          f"({time.perf_counter() - start:.0f} s)")
    fig, (left, right) = plots.new_axes(2)
    left.plot(log["max_sigma"], lw=0.8)
    left.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold} eV/Å")
    left.set_yscale("log")
    left.set_xlabel("force evaluation (MD step)")
    left.set_ylabel("largest predicted force σ (eV/Å)")
    left.legend()
    right.plot(log["reference_calls"])
    right.set_xlabel("force evaluation (MD step)")
    right.set_ylabel("reference (EMT) calls so far")
    right.set_title(f"{calls} reference calls in {len(log['max_sigma'])} force evaluations")
    plots.save(fig, out_dir / "on_the_fly.png")
    summary["on_the_fly"] = {"steps": steps, "threshold_eV_per_A": threshold, "reference_calls": calls,
                             "force_evaluations": len(log["max_sigma"]), "held_out_energy_mae_eV": energy_mae,
                             "held_out_force_mae_eV_per_A": force_mae}
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0], NAME)
    main(args.out, quick=args.quick)
