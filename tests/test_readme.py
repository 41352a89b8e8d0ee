"""The README's tour runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_tour_runs():
    tour = python_blocks()[0]
    namespace = {}
    exec(compile(tour, "README.md", "exec"), namespace)
    assert namespace["result"].theta.shape == (3, 3)
    assert bool(namespace["result"].converged.all())
