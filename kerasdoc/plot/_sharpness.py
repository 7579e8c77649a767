"""Sharpness from the Doctor: the loss's top Hessian eigenvalue against the stability bound."""

import numpy as np

from kerasdoc._errors import InvalidInputError
from kerasdoc.plot._common import new_axes_grid
from kerasdoc.plot._gradient_flow import doctor_history

__all__ = ["SharpnessDisplay"]


class SharpnessDisplay:
    """The sharpness the `Doctor` estimated, against the optimizer's stability bound.

    Left panel: the sharpness (the loss Hessian's top eigenvalue,
    preconditioned for Adam and RMSprop) at each estimate, and the bound it
    must stay under for the optimizer to be stable (2/lr for SGD,
    (2+2m)/lr with momentum, 38/lr for Adam), on a log scale. Healthy runs
    climb to the bound and hover there (the edge of stability); a run far
    above it while the loss stops falling is about to diverge. Right panel:
    their ratio, with 1 marked.

    Args:
        steps: step of each estimate.
        sharpness: the estimates.
        bound: the stability bound at each estimate (NaN if the optimizer
            has none).

    Attributes:
        ax_: the two Axes after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = SharpnessDisplay([10, 20], [5.0, 30.0], [20.0, 20.0])
    >>> disp.ratio.tolist()
    [0.25, 1.5]
    """

    def __init__(self, steps, sharpness, bound):
        self.steps = np.asarray(steps, dtype=np.float64).reshape(-1)
        self.sharpness = np.asarray(sharpness, dtype=np.float64).reshape(-1)
        self.bound = np.asarray(bound, dtype=np.float64).reshape(-1)
        if not (len(self.steps) == len(self.sharpness) == len(self.bound)):
            raise InvalidInputError(
                "`steps`, `sharpness` and `bound` must have the same length. "
                f"Received: len(steps)={len(self.steps)}, "
                f"len(sharpness)={len(self.sharpness)}, len(bound)={len(self.bound)}")

    @property
    def ratio(self):
        """Sharpness over the bound at each estimate (NaN without a bound)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.sharpness / self.bound

    @classmethod
    def from_doctor(cls, doctor, *, plot=True, ax=None):
        """Read the estimates from a `kerasdoc.Doctor` (or its `history`).

        Args:
            doctor: a `Doctor` that was attached to `model.fit`, or its
                `history` dict.
            plot: draw it. Defaults to `True`.
            ax: two Axes. Defaults to `None` (new figure).
        """
        history = doctor_history(doctor, ("sharpness", "stability_bound", "step"))
        sharp = np.asarray(history["sharpness"], dtype=np.float64)
        rows = np.isfinite(sharp)
        steps = np.asarray(history.get("sharpness_step", history["step"]),
                           dtype=np.float64)
        disp = cls(steps[rows], sharp[rows],
                   np.asarray(history["stability_bound"], dtype=np.float64)[rows])
        if plot:
            disp.plot(ax=ax)
        return disp

    def plot(self, *, ax=None):
        """Draw the sharpness and the bound (left) and their ratio (right).

        Args:
            ax: two Axes. Defaults to `None` (new figure).

        Returns:
            `self`.
        """
        fig, axes = new_axes_grid(ax, 2, ncols=2, panel_size=(5.0, 3.6))
        left, right = axes[0], axes[1]
        left.plot(self.steps, self.sharpness, "o-", label="sharpness")
        left.plot(self.steps, self.bound, "k--", label="stability bound")
        positive = np.concatenate([self.sharpness, self.bound])
        if np.any(np.isfinite(positive) & (positive > 0)):
            left.set_yscale("log")
        left.set_xlabel("step")
        left.set_ylabel("top Hessian eigenvalue")
        left.set_title("Sharpness against the stability bound")
        left.legend(fontsize="small")
        right.plot(self.steps, self.ratio, "o-", color="tab:red")
        right.axhline(1.0, color="k", linestyle="--", linewidth=1)
        right.set_xlabel("step")
        right.set_ylabel("sharpness / bound")
        right.set_title("Ratio (above 1: past the edge of stability)")
        self.ax_ = [left, right]
        self.figure_ = fig
        return self
