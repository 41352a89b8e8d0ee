"""A research-style study through `jaxlearn sweep`: the MNIST MLP (784-128-10, Adam, cosine) at
four learning rates × three seeds, each seed its own initialisation and shuffles, as one vmapped
program. Writes the study folder (results.csv, summary.md with mean ± std over seeds, curves.png
with a mean curve and a min–max band per learning rate, the best model) under OUT/study, and
summary.json. --quick: 2 000 images, two rates × two seeds, two epochs."""

import csv
import os

from _common import parse_args, write_summary

from jaxlearn.cli import main as jaxlearn

NAME = "lr_seed_study"


def main(out_dir, quick: bool = False) -> dict:
    study = out_dir / "study"
    rates, seeds = ("1e-3,1e-2", "0,1") if quick else ("3e-4,1e-3,3e-3,1e-2", "0,1,2")
    size = ["--train-size", "2000", "--validation-size", "500"] if quick else []
    argv = ["sweep", "--lr", rates, "--seeds", seeds, "--hidden", "128", "--epochs", "2" if quick else "5",
            *size, "--no-progress", "--out", str(study)]
    if os.environ.get("JAXLEARN_DATA_DIR"):
        argv += ["--data-dir", os.environ["JAXLEARN_DATA_DIR"]]
    if jaxlearn(argv) != 0:
        raise RuntimeError(f"jaxlearn {' '.join(argv)} failed")
    with open(study / "results.csv") as f:
        rows = list(csv.DictReader(f))
    last = max(int(r["epoch"]) for r in rows)
    final = {}
    for r in rows:
        if int(r["epoch"]) == last:
            final.setdefault(float(r["learning_rate"]), []).append(float(r["val_accuracy"]))
    summary = {"final_val_accuracy": {f"{rate:g}": values for rate, values in sorted(final.items())},
               "summary_md": (study / "summary.md").read_text()}
    write_summary(out_dir, summary)
    return summary


if __name__ == "__main__":
    args = parse_args(__doc__, NAME)
    print(main(args.out, args.quick)["summary_md"])
