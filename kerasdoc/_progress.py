"""Progress of `diagnose`: tqdm bars in terminals and notebooks, lines for a callable, or none.

`diagnose(progress=...)` takes:

- `None` (the default): bars when someone is watching, that is when stderr
  is a terminal or the code runs in a Jupyter kernel; nothing otherwise
  (logs, CI, captured output).
- `True`: bars on stderr, always.
- `False`: nothing.
- a callable: called with one line of text per event (the command line
  prints them to stderr when stderr is not a terminal).

The bars are tqdm's (`tqdm.notebook` in a Jupyter kernel with ipywidgets,
the text bar otherwise): one bar over the parts, and during the training
part one over its epochs.
"""

import os
import sys

from kerasdoc._errors import InvalidTypeError
from kerasdoc._validation import received

__all__ = ["Progress", "check_progress"]


def check_progress(progress):
    """`progress` validated: None, True, False or a callable taking one string."""
    if progress is None or isinstance(progress, bool) or callable(progress):
        return progress
    raise InvalidTypeError(
        "`progress` must be True, False, None (bars when stderr is a terminal or in "
        f"a notebook) or a callable taking one line of text. "
        f"{received('progress', progress)}")


def _in_notebook():
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:  # an IPython without a running shell
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def _watched():
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or _in_notebook()


def _width():
    """tqdm's width options: follow the terminal, or 80 columns where it reports none."""
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return {"dynamic_ncols": True} if columns > 0 else {"ncols": 80, "nrows": 24}


def _bar_class():
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401  (tqdm.notebook needs it)
            from tqdm.notebook import tqdm

            return tqdm
        except ImportError:
            pass
    from tqdm.std import tqdm

    return tqdm


class Progress:
    """What `diagnose` reports as it goes: part starts and ends, epochs, notes.

    Args:
        progress: see the module docstring.
        parts: the number of parts that will be run (the bar's total).
    """

    def __init__(self, progress, parts):
        progress = check_progress(progress)
        if progress is None:
            progress = _watched()
        self.lines = progress if callable(progress) and progress is not True else None
        self.bars = progress is True
        self._bar = None
        self._tqdm = None
        if self.bars:
            self._tqdm = _bar_class()
            self._bar = self._tqdm(total=parts, desc="kerasdoc", unit="part",
                                   file=sys.stderr, **_width())

    def say(self, message):
        """A one-line note (the task, a failure)."""
        if self.lines is not None:
            self.lines(message)
        elif self._bar is not None:
            self._bar.write(f"kerasdoc: {message}", file=sys.stderr)

    def start(self, part):
        if self.lines is not None:
            self.lines(f"{part}: running")
        elif self._bar is not None:
            self._bar.set_description(f"kerasdoc: {part}")

    def done(self, part, summary, *, failed=False):
        """The part ended (ran, skipped or failed); `summary` is its line."""
        if self.lines is not None:
            self.lines(f"{part}: {summary}")
        elif self._bar is not None:
            if failed:
                self._bar.write(f"kerasdoc: {part}: {summary}", file=sys.stderr)
            self._bar.set_postfix_str(f"{part}: {summary}", refresh=False)
            self._bar.update(1)

    def epochs(self, total):
        """A Keras callback showing the training part's epochs, or None."""
        if self.lines is None and self._bar is None:
            return None
        import keras

        owner = self

        class EpochProgress(keras.callbacks.Callback):
            """Shows each epoch of the training part (reads logs only)."""

            def on_train_begin(self, logs=None):
                self.bar = None
                if owner._bar is not None:
                    self.bar = owner._tqdm(total=total, desc="training", unit="epoch",
                                           leave=False, file=sys.stderr, **_width())

            def on_epoch_end(self, epoch, logs=None):
                loss = (logs or {}).get("loss")
                text = "" if loss is None else f"loss {float(loss):.4g}"
                if self.bar is not None:
                    self.bar.set_postfix_str(text, refresh=False)
                    self.bar.update(1)
                else:
                    owner.lines(f"training: epoch {epoch + 1}/{total}"
                                + (f": {text}" if text else ""))

            def on_train_end(self, logs=None):
                if self.bar is not None:
                    self.bar.close()
                    self.bar = None

        return EpochProgress()

    def close(self):
        if self._bar is not None:
            self._bar.set_description("kerasdoc: done")
            self._bar.close()
            self._bar = None
