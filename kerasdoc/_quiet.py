"""Keeping numerical-library warnings inside the checks and TensorFlow's logs out of the CLI.

Two jobs:

- `captured_warnings(sink)`: warnings that scikit-learn, numpy or scipy
  raise while a check computes its evidence (a `ConvergenceWarning`, "invalid
  value encountered in divide" on a constant column, an overflow on huge
  values) say something about that evidence, not about the user's program.
  They are collected into `sink` (the registry's runner attaches them to the
  check's findings as `evidence["warnings"]`) instead of leaking to the
  user's terminal. Warnings of any other origin (Keras, TensorFlow, the
  user's own code) are passed on unchanged, after the check.
- `quiet_tensorflow()`: the command line's TensorFlow import with its C++
  start-up logs (the CUDA probe, the CPU-instruction banner, absl's
  "log messages before absl::InitializeLog()") kept off the terminal.
"""

import contextlib
import os
import sys
import tempfile
import warnings

__all__ = ["captured_warnings", "describe_warning", "quiet_part", "quiet_tensorflow"]

# Origins whose warnings are about the evidence a check computes.
_LIBRARIES = ("sklearn", "numpy", "scipy", "kerasdoc")
_MAX_KEPT = 5


def _from_library(filename):
    parts = os.path.normpath(str(filename or "")).split(os.sep)
    return any(name in parts for name in _LIBRARIES)


def describe_warning(message):
    """`"Category: text"` of a `warnings.WarningMessage`, on one line."""
    text = " ".join(str(message.message).split())
    return f"{message.category.__name__}: {text}"


@contextlib.contextmanager
def captured_warnings(sink):
    """Collect the numerical libraries' warnings raised in the block into `sink`.

    Warnings from scikit-learn, numpy, scipy and kerasdoc itself, and every
    `RuntimeWarning` (numpy attributes its floating-point warnings to the
    caller's line), are appended to `sink` as `"Category: message"` strings,
    each at most once and at most 5 in all. Other warnings are re-issued
    after the block, through the filters the caller had set.

    Args:
        sink: a list to append the descriptions to.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield sink
    finally:  # also when the block raises: nothing is lost
        _sort(caught, sink)


def _sort(caught, sink):
    for message in caught:
        if issubclass(message.category, RuntimeWarning) or _from_library(message.filename):
            text = describe_warning(message)
            if text not in sink and len(sink) < _MAX_KEPT:
                sink.append(text)
        else:
            warnings.warn_explicit(message.message, message.category, message.filename,
                                   message.lineno, source=message.source)


@contextlib.contextmanager
def quiet_part(sink):
    """The context of one part of `diagnose`: library warnings into `sink`, no retracing logs.

    As `captured_warnings`, plus TensorFlow's Python logger held at ERROR:
    the probes build many short-lived copies of the model, and TensorFlow's
    "triggered tf.function retracing" warnings about them are about
    kerasdoc's own work, not the user's program. The logger's level is put
    back afterwards.

    Args:
        sink: a list to append the captured warnings' descriptions to.
    """
    import logging

    logger = logging.getLogger("tensorflow")
    level = logger.level
    if logger.getEffectiveLevel() < logging.ERROR:
        logger.setLevel(logging.ERROR)
    try:
        with captured_warnings(sink):
            yield sink
    finally:
        logger.setLevel(level)


def _level_wanted():
    """The TF_CPP_MIN_LOG_LEVEL the user set, or None."""
    value = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def quiet_tensorflow():
    """Import TensorFlow without its C++ start-up logs on the terminal.

    Sets `TF_CPP_MIN_LOG_LEVEL=3` unless the user set it, and imports
    TensorFlow (and initialises its devices, which logs the CUDA probe) with
    the process's stderr file descriptor pointed at a temporary file: some of
    those lines go through absl directly and ignore `TF_CPP_MIN_LOG_LEVEL`.
    If the import fails, the captured text is written to stderr before the
    exception propagates. TensorFlow's and absl's Python loggers are set to
    errors only. A user who set `TF_CPP_MIN_LOG_LEVEL` to 0 or 1 sees every
    log, as they asked. Does nothing when TensorFlow is already imported.
    """
    level = _level_wanted()
    if level is None:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        level = 3
    if "tensorflow" in sys.modules:
        return
    if level < 2:
        import tensorflow  # noqa: F401  (the user asked for the logs)

        return
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (an embedded interpreter)
        saved = None
    with tempfile.TemporaryFile(mode="w+b") as log:
        if saved is not None:
            os.dup2(log.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe logs here, once
        except BaseException:
            if saved is not None:
                os.dup2(saved, 2)
                log.seek(0)
                sys.stderr.write(log.read().decode("utf-8", "replace"))
            raise
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)
    tf.get_logger().setLevel("ERROR")
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # absl comes with TensorFlow; nothing to quiet otherwise
        pass
