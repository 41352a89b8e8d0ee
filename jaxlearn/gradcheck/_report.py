"""What `check_gradient` found: one row per parameter leaf, a verdict, and a table to print."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class LeafReport:
    """One parameter leaf: the hand gradient against autodiff and finite differences.

    Attributes:
        name: the leaf's place in the pytree ("W1", "b2", "['kernel']", ".theta", "params").
        shape: the parameter's shape; hand_shape the hand gradient's (they differ for a shape bug).
        max_abs_error: max |hand − autodiff| over the entries (NaN when the shapes differ).
        rel_error: max |hand − autodiff| / max |autodiff| (the floor of `tiny` against 0 / 0).
        worst_index: the entry where |hand − autodiff| is largest (None when the shapes differ).
        fd_error: finite differences against autodiff: max |FD − ⟨autodiff, v⟩| over the probed
            directions v, relative to the largest |⟨autodiff, v⟩| (None when not probed).
        fd_hand_error: the same against the hand gradient.
        fd_probes: how many directions were probed, and how ("all entries", "8 directions + 17 entries").
        ok: hand ≈ autodiff and autodiff ≈ finite differences, within the tolerances.
        diagnosis: what the difference looks like, in words (None when ok or unexplained).
    """

    name: str
    shape: tuple
    hand_shape: tuple
    max_abs_error: float
    rel_error: float
    worst_index: tuple | None
    fd_error: float | None
    fd_hand_error: float | None
    fd_probes: str
    ok: bool
    diagnosis: str | None = None


@dataclasses.dataclass(frozen=True)
class GradientReport:
    """The verdict of `check_gradient` (or `check_hessian`): `.ok`, `str()` for the table,
    `.assert_ok()` for tests."""

    leaves: tuple
    dtype: str
    rtol: float
    fd_rtol: float
    loss_value: float
    what: str = "gradient"
    notes: tuple = ()

    @property
    def ok(self) -> bool:
        return all(leaf.ok for leaf in self.leaves)

    def __getitem__(self, name: str) -> LeafReport:
        for leaf in self.leaves:
            if leaf.name == name:
                return leaf
        raise KeyError(f"no leaf {name!r}; the leaves are {', '.join(leaf.name for leaf in self.leaves)}")

    @property
    def diagnoses(self) -> dict:
        """A dict from leaf name to diagnosis, for the leaves that have one."""
        return {leaf.name: leaf.diagnosis for leaf in self.leaves if leaf.diagnosis}

    def assert_ok(self) -> None:
        """Raise AssertionError with the table when any leaf disagrees."""
        if not self.ok:
            raise AssertionError(f"the hand {self.what} does not match:\n{self}")

    def __str__(self) -> str:
        head = ("leaf", "shape", "max|hand−auto|", "rel. error", "worst index", "FD vs auto", "FD probes", "ok")
        rows = [(leaf.name, _shape(leaf), _number(leaf.max_abs_error), _number(leaf.rel_error),
                 "" if leaf.worst_index is None else str(tuple(int(i) for i in leaf.worst_index)),
                 "" if leaf.fd_error is None else _number(leaf.fd_error), leaf.fd_probes,
                 "ok" if leaf.ok else "FAIL") for leaf in self.leaves]
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        lines = [f"hand {self.what} vs jax.{'hessian' if self.what == 'Hessian' else 'grad'} and central finite "
                 f"differences ({self.dtype}; rel. tolerance {self.rtol:.0e}, FD {self.fd_rtol:.0e}; "
                 f"loss = {self.loss_value:.6g}): {'ok' if self.ok else 'MISMATCH'}"]
        lines += ["  ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [head, *rows]]
        lines += [f"  {leaf.name}: {leaf.diagnosis}" for leaf in self.leaves if leaf.diagnosis]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:      # a notebook shows the table as it prints
        return f"```\n{self}\n```"


def _shape(leaf: LeafReport) -> str:
    shape = str(tuple(leaf.shape))
    return shape if tuple(leaf.hand_shape) == tuple(leaf.shape) else f"{shape} (hand {tuple(leaf.hand_shape)})"


def _number(x) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.2e}"      # — : not comparable (shapes differ)
