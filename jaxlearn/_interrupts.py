"""Ctrl-C that always stops a run, at a point where its work is kept.

Python raises KeyboardInterrupt wherever the interpreter happens to be when SIGINT arrives. While
JAX traces and compiles it collects garbage often, and an interrupt raised inside JAX's
garbage-collection callback is printed ("Exception ignored in: <function _xla_gc_callback …>")
and swallowed: the run went on to its end and exited 0. So a training run records the signal
instead, and raises KeyboardInterrupt itself at its own safe points (`check`: between blocks of
batches, after each epoch's checkpoint, between the start-up phases). A second Ctrl-C raises at
once, for a run that is stuck between two safe points.

    with deferred_interrupts():
        for block in blocks:
            ...
            check()        # KeyboardInterrupt here if Ctrl-C was pressed

Signal handlers belong to the main thread: elsewhere, or where the program has installed its own
SIGINT handler, `deferred_interrupts` changes nothing and `check` never raises.
"""

import contextlib
import signal
import threading


class _Pending:
    """The Ctrl-Cs received by the innermost `deferred_interrupts` block."""

    def __init__(self):
        self.count = 0
        self.raised = False


_pending: _Pending | None = None


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed since the run began (a no-op outside
    `deferred_interrupts`)."""
    if _pending is not None and _pending.count and not _pending.raised:
        _pending.raised = True
        raise KeyboardInterrupt


def requested() -> bool:
    """Whether a Ctrl-C is waiting to be acted on."""
    return _pending is not None and _pending.count > 0


@contextlib.contextmanager
def deferred_interrupts():
    """Record SIGINT instead of raising it anywhere; `check` raises it at a safe point. An
    interrupt recorded after the last check is raised when the block ends. Nested blocks share
    the outermost one."""
    global _pending
    if (_pending is not None or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pending = _Pending()

    def record(signum, frame):
        pending.count += 1
        if pending.count > 1:                        # pressed again: stop now, wherever we are
            signal.signal(signal.SIGINT, signal.default_int_handler)
            pending.raised = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, record)
    _pending = pending
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _pending = None
    if pending.count and not pending.raised:         # arrived after the last safe point
        raise KeyboardInterrupt
