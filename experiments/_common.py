"""Shared plumbing for the experiment scripts: float64, output folders, summaries."""

import argparse
import json
from pathlib import Path

import jax

# The experiments reproduce figures where precision is the point (degree-20
# polynomials, solver accuracy): the scripts, not the library, ask for float64.
jax.config.update("jax_enable_x64", True)

DEFAULT_RESULTS = Path("results")


def parse_args(description: str, name: str):
    """--out DIR (default results/<name>) and --quick (smaller, faster runs)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS / name,
                        help=f"folder for the figures and summary (default: results/{name})")
    parser.add_argument("--quick", action="store_true", help="smaller problems, for a fast run")
    return parser.parse_args()


def write_summary(out_dir: Path, summary: dict) -> Path:
    """Write summary.json into out_dir and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=float) + "\n")
    return path


def mse(prediction, target) -> float:
    """Mean squared error (1/M) Σ (ŷ − y)²."""
    return float(((prediction - target) ** 2).mean())
