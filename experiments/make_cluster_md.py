"""The force-field example's data set, made offline: molecular dynamics of a 13-atom copper
icosahedron under ASE's EMT potential, with the positions, energies and forces of every sampled
step. Writes experiments/data/cu13_emt_md.npz (about 0.4 MB), which chapter 9 and
experiments/force_field.py read; only this script needs ASE (pip install ase).

    python experiments/make_cluster_md.py [--out experiments/data/cu13_emt_md.npz]

The trajectory: Langevin dynamics at 300 K (2 fs steps, friction 0.01 fs⁻¹), 500 steps of
equilibration, then 8 000 steps of which every 20th is kept (400 configurations, 0.04 ps apart).
"""

import argparse
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).parent / "data" / "cu13_emt_md.npz"


def cluster(temperature_K: float = 300.0, seed: int = 0):
    """The Cu13 icosahedron with EMT attached and Maxwell-Boltzmann velocities at temperature_K."""
    from ase.calculators.emt import EMT
    from ase.cluster import Icosahedron
    from ase.constraints import FixCom
    from ase.md.velocitydistribution import Stationary, ZeroRotation, thermalize_momenta

    atoms = Icosahedron("Cu", noshells=2)
    atoms.calc = EMT()
    atoms.set_constraint(FixCom())      # the cluster's centre of mass stays put
    thermalize_momenta(atoms, temperature_K=temperature_K, rng=np.random.default_rng(seed))
    Stationary(atoms)
    ZeroRotation(atoms)
    return atoms


def langevin(atoms, temperature_K: float = 300.0, seed: int = 0):
    """ASE's Langevin integrator: 2 fs steps, friction 0.01 fs⁻¹ (a thermostat, not a model of Cu)."""
    from ase import units
    from ase.md.langevin import Langevin

    return Langevin(atoms, timestep=2 * units.fs, temperature_K=temperature_K, friction=0.01 / units.fs,
                    fixcm=False, rng=np.random.default_rng(seed + 1))


def run(n_configurations: int = 400, every: int = 20, equilibration: int = 500, seed: int = 0) -> dict:
    """R (n, 13, 3) in Å, E (n,) in eV and F (n, 13, 3) in eV/Å along one trajectory."""
    atoms = cluster(seed=seed)
    dynamics = langevin(atoms, seed=seed)
    dynamics.run(equilibration)
    R, E, F = [], [], []
    for _ in range(n_configurations):
        dynamics.run(every)
        R.append(atoms.get_positions())
        E.append(atoms.get_potential_energy())
        F.append(atoms.get_forces())
    return {"R": np.array(R), "E": np.array(E), "F": np.array(F), "symbols": np.array(atoms.get_chemical_symbols()),
            "temperature_K": 300.0, "timestep_fs": 2.0, "every": every}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    data = run()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **data)
    print(f"{args.out}: {len(data['E'])} configurations of Cu13, E {data['E'].min():.3f} … {data['E'].max():.3f} eV, "
          f"|F| rms {np.sqrt(np.mean(data['F'] ** 2)):.3f} eV/Å")


if __name__ == "__main__":
    main()
