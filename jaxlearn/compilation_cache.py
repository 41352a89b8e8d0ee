"""A persistent compilation cache for jaxlearn's programs, so that a second run of a script
compiles nothing.

JAX can keep compiled programs on disk (its persistent compilation cache), but only where
`jax_compilation_cache_dir` is set, and only programs that took at least
`jax_persistent_cache_min_compile_time_secs` (1 s) to compile: almost none of jaxlearn's do.
So jaxlearn's estimators and trainers run inside `library_cache()`, which sets both for the
duration of the call only (JAX's configuration contexts are scoped to the thread): the folder
below, and a threshold of 0 s. Nothing global changes, and the user's own programs are not
cached unless they set that up themselves.

Where:
    JAXLEARN_COMPILATION_CACHE unset    the user cache folder: $XDG_CACHE_HOME/jaxlearn/xla,
                                        by default ~/.cache/jaxlearn/xla
    JAXLEARN_COMPILATION_CACHE=<folder> that folder
    JAXLEARN_COMPILATION_CACHE=0        off (also "off", "false", "no", or empty)

A cache set up through JAX's own configuration (`jax.config.update("jax_compilation_cache_dir",
...)` or JAX_COMPILATION_CACHE_DIR) wins: jaxlearn then uses it as the user configured it and
sets nothing. To clear jaxlearn's cache, delete the folder (`cache_folder()` names it).

A folder that cannot be created or written, or a disk without room, warns once
(`CompilationCacheWarning`) and jaxlearn goes on without the cache; so does any error JAX
reports while reading or writing an entry (a truncated or foreign file). Entries of another
JAX, jaxlib or XLA version are never used: their key differs.

Several processes may share one folder. jaxlearn sets JAX's size limit for it (MAX_BYTES; the
least recently used entries go first), which also makes JAX read and write each entry under a
file lock (`filelock`). Without the lock JAX writes an entry in place, and a process could read
one that another is still writing: CI's two pytest workers sharing the folder once crashed that
way (a segmentation fault deserialising a truncated executable).

Known problem, not mended: even with the lock, two full runs of the test suite whose two workers
and a training run shared one folder each lost a worker to a crash inside XLA:CPU while JAX
deserialised an entry that was intact (JAX 0.10.2: "Segmentation fault" once, "Fatal Python
error: Aborted" once, in `get_executable_and_time`); the same tests on the same folder then
passed three times. The tests give each worker a folder of its own. Processes that crash this
way can do the same (JAXLEARN_COMPILATION_CACHE), or turn the cache off.
"""

import contextlib
import os
import shutil
import tempfile
import threading
import time
import warnings
from pathlib import Path

import jax
from jax._src import config as jax_config  # the scoped forms of two public options (no public API)

ENVIRONMENT_VARIABLE = "JAXLEARN_COMPILATION_CACHE"
OFF_VALUES = ("", "0", "off", "false", "no")
MIN_FREE_BYTES = 64 << 20   # below this a cache is "full": entries are 0.1–2 MB each
MAX_BYTES = 1 << 30         # the folder's size limit (JAX evicts the least recently used entries)


class CompilationCacheWarning(UserWarning):
    """jaxlearn's compilation cache is unusable; fits go on, compiling as without it."""


_state = {"resolved": False, "folder": None, "warned": False}
_lock = threading.Lock()


def cache_folder() -> Path | None:
    """The folder jaxlearn's cache uses (None when off, or when the user's own JAX cache is in
    charge). Read from JAXLEARN_COMPILATION_CACHE; see the module docstring."""
    value = os.environ.get(ENVIRONMENT_VARIABLE)
    if value is not None and value.strip().lower() in OFF_VALUES:
        return None
    if value is not None:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jaxlearn" / "xla"


def _usable(folder: Path) -> str | None:
    """Why folder cannot hold the cache, or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
        free = shutil.disk_usage(folder).free
    except OSError as err:
        return f"{type(err).__name__}: {err}"
    if free < MIN_FREE_BYTES:
        return f"only {free / 2**20:.0f} MB free on its disk"
    return None


def _add_access_times(folder: Path) -> None:
    """Give every entry JAX's access-time file (<key>-atime), which its size limit reads: entries
    written without the limit (jaxlearn before it set one) have none, and eviction would fail."""
    for entry in folder.glob("*-cache"):
        stamp = entry.with_name(entry.name[:-len("-cache")] + "-atime")
        if not stamp.exists():
            try:
                stamp.write_bytes(time.time_ns().to_bytes(8, "little"))
            except OSError:
                return          # a read-only folder: JAX's own errors then switch the cache off


def _disable(reason: str) -> None:
    """Warn once and go on without the cache for the rest of the process."""
    with _lock:
        first = not _state["warned"]
        _state.update(resolved=True, folder=None, warned=True)
    if first:
        warnings.warn(f"jaxlearn's compilation cache is off for this process: {reason}. Fits go on, compiling "
                      f"each program; set {ENVIRONMENT_VARIABLE} to another folder, or to 0 to silence this.",
                      CompilationCacheWarning, stacklevel=4)


def _resolve() -> Path | None:
    """The folder to use, decided once per process (and checked then)."""
    with _lock:
        if _state["resolved"]:
            return _state["folder"]
        _state["resolved"] = True
    folder = None if jax.config.jax_compilation_cache_dir else cache_folder()
    if folder is not None:
        reason = _usable(folder)
        if reason is not None:
            _disable(f"folder {str(folder)!r} is unusable ({reason})")
            return None
        _add_access_times(folder)
    with _lock:
        _state["folder"] = folder
    return folder


def _is_cache_error(message: warnings.WarningMessage) -> bool:
    text = str(message.message)
    return "persistent compilation cache" in text and text.startswith(("Error reading", "Error writing"))


@contextlib.contextmanager
def library_cache():
    """Run jaxlearn's compilations of this block with jaxlearn's persistent cache (thread-scoped;
    nothing global changes). A no-op when the cache is off or the user configured JAX's own."""
    folder = _resolve()
    if folder is None:
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with jax_config.compilation_cache_dir(str(folder)), \
                jax_config.compilation_cache_max_size(MAX_BYTES), \
                jax_config.persistent_cache_min_compile_time_secs(0.0):
            yield
    errors = [w for w in caught if _is_cache_error(w)]
    for w in caught:
        if not _is_cache_error(w):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if errors:
        _disable(str(errors[0].message))


def reset() -> None:
    """Decide afresh at the next use (after changing JAXLEARN_COMPILATION_CACHE; for tests)."""
    with _lock:
        _state.update(resolved=False, folder=None, warned=False)
