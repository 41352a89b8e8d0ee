"""Atomic file writes, and the cleanup of temporaries that a killed process left behind.

A file is written to `.<name>.tmp<pid>` in its own folder and renamed into place
(`os.replace` is atomic on POSIX and Windows), so readers see the old file or the new one,
never half of one. A process killed mid-write (SIGKILL, power loss) leaves its temporary
behind; `remove_stale_temporaries` deletes those whose process is gone.
"""

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.tmp(?P<pid>\d+)$")


def temporary_path(path: Path) -> Path:
    """Where `atomic_write` writes `path` first: `.<name>.tmp<pid>` beside it."""
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def atomic_write(path, write: Callable[[BinaryIO], None], verify: Callable[[Path], None] | None = None) -> Path:
    """Call write(file) on a temporary beside `path`, then rename it into place.

    verify(temporary path), when given, runs before the rename: if it raises, the temporary is
    removed and `path` is left as it was.
    """
    path = Path(path)
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as f:
            write(f)
        if verify is not None:
            verify(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_temporaries(folder) -> list[Path]:
    """Delete `.<name>.tmp<pid>` files in `folder` whose writing process no longer runs."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _TEMPORARY.match(path.name)
        if match and path.is_file():
            pid = int(match["pid"])
            if pid == os.getpid() or not _process_exists(pid):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed
