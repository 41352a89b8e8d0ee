"""jaxlearn's persistent compilation cache: where it lives, off switches, a user's own JAX cache,
an unusable folder (one warning, fits go on), and two processes sharing one folder."""

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxlearn import compilation_cache
from jaxlearn.compilation_cache import CompilationCacheWarning, cache_folder, library_cache

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_cache_state(monkeypatch):
    compilation_cache.reset()
    yield monkeypatch
    compilation_cache.reset()


def test_cache_folder_from_the_environment(fresh_cache_state, tmp_path):
    monkeypatch = fresh_cache_state
    monkeypatch.delenv("JAXLEARN_COMPILATION_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "jaxlearn" / "xla"
    for off in ("0", "off", "False", ""):
        monkeypatch.setenv("JAXLEARN_COMPILATION_CACHE", off)
        assert cache_folder() is None
    monkeypatch.setenv("JAXLEARN_COMPILATION_CACHE", str(tmp_path / "elsewhere"))
    assert cache_folder() == tmp_path / "elsewhere"


def test_scoped_to_the_block_and_nothing_global_changes(fresh_cache_state, tmp_path):
    fresh_cache_state.setenv("JAXLEARN_COMPILATION_CACHE", str(tmp_path))
    before = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
    with library_cache():
        assert jax.config.jax_compilation_cache_dir == str(tmp_path)
        assert jax.config.jax_persistent_cache_min_compile_time_secs == 0
    assert (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs) == before


def test_a_cache_the_user_set_up_through_jax_wins(fresh_cache_state, tmp_path):
    fresh_cache_state.setenv("JAXLEARN_COMPILATION_CACHE", str(tmp_path / "jaxlearn"))
    previous = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(tmp_path / "users"))
    try:
        with library_cache():
            assert jax.config.jax_compilation_cache_dir == str(tmp_path / "users")
            assert jax.config.jax_persistent_cache_min_compile_time_secs == 1.0   # the user's settings
    finally:
        jax.config.update("jax_compilation_cache_dir", previous)
    assert not (tmp_path / "jaxlearn").exists()


def test_an_unusable_folder_warns_once_and_fits_go_on(fresh_cache_state, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    fresh_cache_state.setenv("JAXLEARN_COMPILATION_CACHE", str(blocker / "xla"))
    from jaxlearn.estimators import Ridge

    X, y = np.arange(12.0).reshape(6, 2), np.arange(6.0)
    with pytest.warns(CompilationCacheWarning, match="unusable") as record:
        Ridge().fit(X, y)
        Ridge().fit(X, y).predict(X)
    assert sum(issubclass(w.category, CompilationCacheWarning) for w in record) == 1


def _run(script: str, cache: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"JAXLEARN_COMPILATION_CACHE": str(cache), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", textwrap.dedent(script)], env=env,
                          capture_output=True, text=True, timeout=600)


SEARCH = """
    import warnings
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from jaxlearn.estimators import SVC, StandardScaler
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[::3], y[::3]
    search = GridSearchCV(make_pipeline(StandardScaler(), SVC()), {"svc__C": [0.5, 2.0]}, cv=3, n_jobs={jobs})
    print(round(search.fit(X, y).best_score_, 10))
"""


@pytest.mark.jax_defaults
def test_two_processes_share_one_cache(tmp_path):
    """GridSearchCV with n_jobs=2 (joblib's worker processes) fills and then reads one folder; the
    scores equal the same search in this process (JAX's defaults, as the script runs), and no
    cache error is reported (warnings are errors)."""
    cache = tmp_path / "shared"
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()) as reference:
        exec(textwrap.dedent(SEARCH.replace("{jobs}", "1")), namespace)
    first = _run(SEARCH.replace("{jobs}", "2"), cache)
    assert first.returncode == 0, first.stderr
    entries = sorted(p.name for p in cache.glob("*-cache"))
    assert entries, "the processes wrote no cache entries"
    second = _run(SEARCH.replace("{jobs}", "2"), cache)
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout == reference.getvalue()
    assert "Error" not in first.stderr + second.stderr


def test_the_cache_is_locked_bounded_and_takes_older_entries(fresh_cache_state, tmp_path):
    """jaxlearn sets JAX's size limit, so that JAX reads and writes entries under a file lock
    (processes sharing the folder never read an entry half written); an entry written before,
    without an access time, gets one (JAX's eviction reads it)."""
    from jaxlearn.estimators import Ridge

    fresh_cache_state.setenv("JAXLEARN_COMPILATION_CACHE", str(tmp_path))
    old = tmp_path / "jit_old_program-0123456789abcdef-cache"
    old.write_bytes(b"an entry of an earlier jaxlearn")
    jax.clear_caches()
    from jax._src import compilation_cache as jax_cache

    jax_cache.reset_cache()
    try:
        Ridge(alpha=0.5).fit(np.eye(5), np.arange(5.0))
    finally:
        jax_cache.reset_cache()
    assert (tmp_path / "jit_old_program-0123456789abcdef-atime").is_file()
    entries = list(tmp_path.glob("*-cache"))
    assert len(entries) > 1 and all(e.with_name(e.name[:-6] + "-atime").is_file() for e in entries)
    assert (tmp_path / ".lockfile").exists()
    assert compilation_cache.MAX_BYTES == 1 << 30
