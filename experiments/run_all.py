"""Run every lecture experiment and write its figures and summaries under --out (default results/)."""

import argparse
import time
from pathlib import Path

import classification
import cnn_targets
import gradient_descent_eta
import linear_vs_quadratic
import lr_seed_study
import mnist_targets
import nn_comparisons
import overfitting
import ridge
import solver_scaling

CLASSICAL = [linear_vs_quadratic, gradient_descent_eta, overfitting, ridge, solver_scaling, classification]
# these need MNIST: JAXLEARN_DATA_DIR or a download
NEURAL_NETWORKS = [nn_comparisons, mnist_targets, cnn_targets, lr_seed_study]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--quick", action="store_true", help="smaller problems, for a fast run")
    parser.add_argument("--only", choices=["classical", "nn"], default=None,
                        help="run only the regression/classification or only the neural-network experiments")
    args = parser.parse_args()
    chosen = {"classical": CLASSICAL, "nn": NEURAL_NETWORKS, None: CLASSICAL + NEURAL_NETWORKS}[args.only]
    for module in chosen:
        start = time.perf_counter()
        out_dir = args.out / module.NAME
        module.main(out_dir, quick=args.quick)
        figures = ", ".join(sorted(p.name for p in out_dir.glob("*.png")))
        print(f"[{time.perf_counter() - start:5.1f} s] {module.NAME}: {out_dir}/ ({figures})")


if __name__ == "__main__":
    main()
