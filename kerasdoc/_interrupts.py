"""Ctrl-C is never swallowed: a guard that remembers every SIGINT.

Python raises `KeyboardInterrupt` wherever the interpreter happens to be when
the signal handler runs. Inside a `__del__` (TensorFlow frees variables,
functions and iterators of discarded model copies that way), a weakref
callback or a Python function called from TensorFlow's C++ runtime, the
exception is printed as "Exception ignored" or turned into a TensorFlow
error, and the work goes on. `interrupt_guard()` installs a SIGINT handler
that records the interrupt before raising it, and `checkpoint()`, called at
the natural breaks of kerasdoc's loops (each probe step, each part of
`diagnose`), raises it again if it was lost. At the end of the guarded block
a recorded interrupt that did not propagate is raised.
"""

import contextlib
import functools
import gc
import signal
import threading


class _State:
    pending = False
    depth = 0


_STATE = _State()


def _handler(signum, frame):
    _STATE.pending = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_guard():
    """Remember every Ctrl-C inside the block; see the module docstring.

    Only installed in the main thread and when SIGINT has Python's default
    handler (a program with its own handler keeps it). Nested guards share
    the outer one.
    """
    install = (_STATE.depth == 0
               and threading.current_thread() is threading.main_thread()
               and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    # Objects older than the block are set aside (`gc.freeze`), so the
    # collections inside it (Python's own, each time enough new objects
    # survive) and the one at its end walk only what the block made (a
    # process holding TensorFlow has ~450k objects: a full collection takes
    # 0.6 s unloaded, 1.5-10 s under load). Not when the program (or an
    # enclosing block, or another thread's) froze objects: unfreezing would
    # release theirs.
    freeze = _STATE.depth == 0 and gc.get_freeze_count() == 0
    if _STATE.depth == 0 and not install:
        if freeze:
            gc.freeze()
        try:
            yield
        finally:
            if freeze:
                gc.unfreeze()
        return
    if install:
        _STATE.pending = False
        signal.signal(signal.SIGINT, _handler)
    if freeze:
        gc.freeze()
    _STATE.depth += 1
    propagated = False
    try:
        yield
    except KeyboardInterrupt:
        propagated = True
        raise
    finally:
        _STATE.depth -= 1
        if _STATE.depth == 0:
            try:
                # Free the block's discarded copies now, while the guard can
                # still see an interrupt their finalizers swallow.
                gc.collect()
            except KeyboardInterrupt:
                _STATE.pending = True
            finally:
                if freeze:
                    gc.unfreeze()
                signal.signal(signal.SIGINT, signal.default_int_handler)
            pending, _STATE.pending = _STATE.pending, False
            if pending and not propagated:
                raise KeyboardInterrupt  # lost on the way (see above)


def guarded(function):
    """Run `function` inside `interrupt_guard()`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with interrupt_guard():
            return function(*args, **kwargs)

    return wrapper


def checkpoint():
    """Raise `KeyboardInterrupt` if a Ctrl-C arrived and was swallowed since."""
    if _STATE.pending:
        _STATE.pending = False
        raise KeyboardInterrupt
