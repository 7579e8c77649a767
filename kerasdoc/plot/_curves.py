"""Training curves: loss and metrics per epoch, training against validation."""

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import received
from kerasdoc.plot._common import new_axes_grid

__all__ = ["TrainingCurvesDisplay"]


def _history_dict(history):
    """`{name: [value per epoch]}` from a keras History, a Doctor or a dict."""
    source = history
    for attribute in ("history", "epoch_logs"):
        inner = getattr(source, attribute, None)
        if isinstance(inner, dict):
            source = inner
            break
    if not isinstance(source, dict):
        raise InvalidTypeError(
            "`history` must be a keras History (what `model.fit` returns), a "
            "Doctor, or a dict of metric name -> list of values. "
            f"{received('history', history)}"
        )
    if any(str(k).startswith("epoch/") for k in source):
        # The Doctor's history: per-epoch logs live under "epoch/<name>".
        source = {k[len("epoch/"):]: v for k, v in source.items()
                  if str(k).startswith("epoch/")}
    out = {}
    for name, values in source.items():
        try:
            array = np.asarray(values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            continue  # not a per-epoch series (e.g. the Doctor's layer tables)
        if array.size:
            out[str(name)] = array
    if not out:
        raise InvalidInputError(
            "`history` holds no per-epoch values: train for at least one epoch "
            f"first. {received('history', history)}"
        )
    return out


class TrainingCurvesDisplay:
    """Loss and metrics per epoch, one panel per quantity, train vs validation.

    Args:
        history: dict of metric name -> per-epoch values (Keras' naming:
            `"loss"`, `"val_loss"`, `"accuracy"`, ...).

    Attributes:
        metrics: the quantities plotted, one panel each (`"loss"` first).
        ax_: the list of Axes after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = TrainingCurvesDisplay({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> disp.metrics
    ['loss']
    """

    def __init__(self, history):
        self.history = _history_dict(history)
        names = [n for n in self.history if not n.startswith("val_")]
        names += [n[4:] for n in self.history
                  if n.startswith("val_") and n[4:] not in self.history]
        names = [n for n in names if n != "learning_rate"]
        self.metrics = sorted(set(names), key=lambda n: (n != "loss", names.index(n)))

    @classmethod
    def from_history(cls, history, *, plot=True, ax=None, **plot_kwargs):
        """Plot a keras `History` (what `model.fit` returns), a Doctor, or a dict.

        Args:
            history: `keras.callbacks.History`, an object with a `history`
                dict, or the dict itself.
            plot: draw it. Defaults to `True`.
            ax: at least one Axes per metric. Defaults to `None` (new figure).
            **plot_kwargs: passed to `plot`.
        """
        disp = cls(history)
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    def plot(self, *, ax=None, log_loss=False):
        """Draw one panel per quantity: training solid, validation dashed.

        Args:
            ax: at least one Axes per metric. Defaults to `None` (new figure).
            log_loss: logarithmic y axis for losses. Defaults to `False`.

        Returns:
            `self`.
        """
        fig, axes = new_axes_grid(ax, len(self.metrics), ncols=3,
                                  panel_size=(4.2, 3.2))
        for a, name in zip(axes, self.metrics):
            for key, style, label in ((name, "-o", "train"),
                                      (f"val_{name}", "--s", "validation")):
                if key in self.history:
                    values = self.history[key]
                    a.plot(np.arange(1, len(values) + 1), values, style,
                           label=label, markersize=3)
            a.set_title(name)
            a.set_xlabel("epoch")
            if log_loss and "loss" in name:
                a.set_yscale("log")
            a.legend()
        for a in axes[len(self.metrics):]:
            a.set_visible(False)
        self.ax_ = axes
        self.figure_ = fig
        return self
