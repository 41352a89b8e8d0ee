"""`jaxlearn verify`: every hand-derived formula of the library through `check_gradient`.

Each formula of `jaxlearn.gradcheck.formulas` runs in float32 (at float32 precision, the user's)
and float64 (under a scoped x64): one row each with the worst relative error of hand against
autodiff and of finite differences against autodiff, and pass or fail. --quick takes one
backpropagation formula per activation instead of every activation × loss × output pair.
"""

import dataclasses
import time

import jax
import numpy as np

from jaxlearn.gradcheck._check import check_gradient, check_hessian
from jaxlearn.gradcheck.formulas import Formula, formulas

DTYPES = ("float32", "float64")


@dataclasses.dataclass(frozen=True)
class VerifyRow:
    formula: str
    equation: str
    errors: dict            # dtype → (worst rel. error hand vs autodiff, worst FD vs autodiff)
    failures: dict          # dtype → the report's table, for the formulas that failed
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures


def selected(quick: bool) -> list[Formula]:
    """Every formula; quick: the backprop ones for cross-entropy (one per activation) only."""
    chosen = formulas()
    if quick:
        chosen = [f for f in chosen if not f.name.startswith("backprop") or "cross_entropy" in f.name]
    return chosen


def verify_formula(formula: Formula) -> VerifyRow:
    started = time.perf_counter()
    errors, failures = {}, {}
    for dtype in DTYPES:
        with jax.enable_x64(dtype == "float64"):
            loss, hand, params, args = formula.build(np.dtype(dtype))
        check = check_hessian if formula.hessian else check_gradient
        report = check(loss, hand, params, *args, dtype=dtype)
        finite = [leaf.rel_error for leaf in report.leaves if np.isfinite(leaf.rel_error)]
        errors[dtype] = (max(finite, default=float("inf")),
                         max((leaf.fd_error for leaf in report.leaves if leaf.fd_error is not None), default=0.0))
        if not report.ok:
            failures[dtype] = str(report)
    return VerifyRow(formula.name, formula.equation, errors, failures, time.perf_counter() - started)


def table(rows: list, markdown: bool = False) -> str:
    head = ["formula", "eq.", *(f"{d} hand vs autodiff" for d in DTYPES), *(f"{d} FD vs autodiff" for d in DTYPES),
            "result"]
    body = [[r.formula, r.equation, *(f"{r.errors[d][0]:.1e}" for d in DTYPES),
             *(f"{r.errors[d][1]:.1e}" for d in DTYPES), "pass" if r.ok else "FAIL"] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in body])
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [head, *body])
