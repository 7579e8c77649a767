"""Activation statistics from the Doctor: per layer, over the training steps."""

import numpy as np

from kerasdoc.plot._common import new_axes_grid
from kerasdoc.plot._gradient_flow import doctor_history

__all__ = ["ActivationStatsDisplay"]


class ActivationStatsDisplay:
    """Mean and spread of every observed layer output, and the share of dead units.

    The Doctor accumulates the mean and standard deviation of each layer's
    output on the device and reads them back every few steps; it also
    tracks ReLU units that never fired in an epoch and tanh/sigmoid outputs
    stuck at their asymptotes. This display draws them over the steps: the
    left panel as mean +- one standard deviation per layer (a distribution
    that collapses to zero or blows up is visible at a glance), the right
    panel as the dead-ReLU and saturated fractions.

    Args:
        history: the Doctor's `history` dict.

    Attributes:
        layers: names of the layer outputs shown (softmax outputs excluded).
        ax_: the two Axes after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = ActivationStatsDisplay.from_doctor(doctor)  # doctest: +SKIP
    """

    _NEEDED = ("step", "activation_layers", "activation_kinds", "activation_mean",
               "activation_std", "dead_fraction", "saturated_fraction")

    def __init__(self, history):
        history = doctor_history(history, self._NEEDED)
        rows = np.asarray(history.get("samples", np.ones(len(history["step"])))) > 0
        kinds = list(history["activation_kinds"])
        names = list(history["activation_layers"])
        # Softmax outputs are probabilities, not a hidden layer's activations.
        keep = [i for i, kind in enumerate(kinds) if kind != "softmax"]
        self.layers = [names[i] for i in keep]
        self.kinds = [kinds[i] for i in keep]
        self.steps = np.asarray(history["step"])[rows]
        take = lambda key: np.asarray(history[key], dtype=np.float64)[rows][:, keep]  # noqa: E731
        self.mean = take("activation_mean")
        self.std = take("activation_std")
        self.dead_fraction = take("dead_fraction")
        self.saturated_fraction = take("saturated_fraction")

    @classmethod
    def from_doctor(cls, doctor, *, plot=True, ax=None, **plot_kwargs):
        """Read the statistics from a `kerasdoc.Doctor` (or its `history`).

        Args:
            doctor: a `Doctor` that was attached to `model.fit`, or its
                `history` dict.
            plot: draw it. Defaults to `True`.
            ax: two Axes. Defaults to `None` (new figure).
            **plot_kwargs: passed to `plot`.
        """
        disp = cls(getattr(doctor, "history", doctor))
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    def plot(self, *, ax=None):
        """Draw mean +- std per layer (left) and dead/saturated fractions (right).

        Args:
            ax: two Axes. Defaults to `None` (new figure).

        Returns:
            `self`.
        """
        fig, axes = new_axes_grid(ax, 2, ncols=2, panel_size=(5.0, 3.6))
        spread, dead = axes[0], axes[1]
        for j, name in enumerate(self.layers):
            line, = spread.plot(self.steps, self.mean[:, j], "-o", markersize=3,
                                label=f"{name} ({self.kinds[j]})")
            spread.fill_between(self.steps, self.mean[:, j] - self.std[:, j],
                                self.mean[:, j] + self.std[:, j],
                                color=line.get_color(), alpha=0.2)
        spread.set_xlabel("step")
        spread.set_ylabel("activation (mean \u00b1 std)")
        spread.set_title("Layer outputs")
        drawn = 0
        for j, name in enumerate(self.layers):
            for values, what in ((self.dead_fraction[:, j], "dead"),
                                 (self.saturated_fraction[:, j], "saturated")):
                if np.any(np.isfinite(values)):
                    dead.plot(self.steps, values, "-o", markersize=3,
                              label=f"{name} {what}")
                    drawn += 1
        dead.set_ylim(-0.02, 1.02)
        dead.set_xlabel("step")
        dead.set_ylabel("share of units")
        dead.set_title("Dead ReLU / saturated units")
        if not drawn:
            dead.text(0.5, 0.5, "no ReLU, tanh or sigmoid layers", ha="center",
                      va="center", transform=dead.transAxes)
        for a in axes[:2]:
            if a.get_legend_handles_labels()[0]:
                a.legend(fontsize="small")
        self.ax_ = [spread, dead]
        self.figure_ = fig
        return self
