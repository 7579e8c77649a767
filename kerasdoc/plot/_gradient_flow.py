"""Gradient flow from the Doctor: per-layer gradient norms, input to output, over time."""

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import received
from kerasdoc.plot._common import new_axes_grid

__all__ = ["GradientFlowDisplay", "doctor_history"]


def doctor_history(doctor, needed):
    """The Doctor's `history` dict (from a Doctor or the dict), checked for `needed` keys."""
    history = getattr(doctor, "history", doctor)
    if not isinstance(history, dict):
        raise InvalidTypeError(
            "`doctor` must be a kerasdoc.Doctor (after fit) or its `history` dict. "
            f"{received('doctor', doctor)}"
        )
    missing = [k for k in needed if k not in history]
    if missing:
        raise InvalidInputError(
            f"The Doctor's history has no {missing}: attach the Doctor to "
            f"model.fit and train first. {received('doctor', doctor)}"
        )
    return history


class GradientFlowDisplay:
    """Per-layer gradient norms recorded by the `Doctor`.

    Left panel: the gradient norm of every layer with weights, from the input
    side to the output, one line per read-back (light = early, dark = late);
    a line that drops by orders of magnitude towards the input is vanishing
    gradients, one that shoots up is exploding. Right panel: each layer's
    norm over the training steps.

    Args:
        layer_names: names of the layers with weights, input to output.
        grad_norms: `(read-backs, layers)` gradient norms.
        steps: training step of each read-back.

    Attributes:
        ax_: the two Axes after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = GradientFlowDisplay(["dense", "dense_1"], [[1.0, 2.0], [0.5, 1.0]],
    ...                            [16, 32])
    >>> disp.median_norms.tolist()
    [0.75, 1.5]
    """

    def __init__(self, layer_names, grad_norms, steps):
        norms = np.asarray(grad_norms, dtype=np.float64)
        if norms.ndim != 2 or norms.shape[1] != len(layer_names):
            raise InvalidInputError(
                "`grad_norms` must have one column per layer name. Received: "
                f"grad_norms.shape={norms.shape}, {len(layer_names)} layer name(s)"
            )
        self.layer_names = [str(n) for n in layer_names]
        self.grad_norms = norms
        self.steps = np.asarray(steps, dtype=np.int64).reshape(-1)
        if len(self.steps) != len(norms):
            raise InvalidInputError(
                "`steps` must have one entry per row of `grad_norms`. Received: "
                f"len(steps)={len(self.steps)}, grad_norms.shape={norms.shape}"
            )

    @property
    def median_norms(self):
        """Median gradient norm of each layer over the finite read-backs."""
        with np.errstate(all="ignore"):
            finite = np.where(np.isfinite(self.grad_norms), self.grad_norms, np.nan)
            return np.nanmedian(finite, axis=0) if len(finite) else np.full(
                len(self.layer_names), np.nan)

    @classmethod
    def from_doctor(cls, doctor, *, plot=True, ax=None, **plot_kwargs):
        """Read the gradient norms from a `kerasdoc.Doctor` (or its `history`).

        Args:
            doctor: a `Doctor` that was attached to `model.fit`, or its
                `history` dict.
            plot: draw it. Defaults to `True`.
            ax: two Axes. Defaults to `None` (new figure).
            **plot_kwargs: passed to `plot`.
        """
        history = doctor_history(doctor, ("grad_norm", "weight_layers", "step"))
        norms = np.asarray(history["grad_norm"], dtype=np.float64)
        rows = np.asarray(history.get("samples", np.ones(len(norms)))) > 0
        disp = cls(history["weight_layers"], norms[rows],
                   np.asarray(history["step"])[rows])
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    def plot(self, *, ax=None, cmap="viridis"):
        """Draw the per-layer profile (left) and the norms over steps (right).

        Args:
            ax: two Axes. Defaults to `None` (new figure).
            cmap: colormap from early to late read-backs. Defaults to `"viridis"`.

        Returns:
            `self`.
        """
        from kerasdoc.plot._common import pyplot

        fig, axes = new_axes_grid(ax, 2, ncols=2, panel_size=(5.0, 3.6))
        profile, over_time = axes[0], axes[1]
        colours = pyplot().get_cmap(cmap)(np.linspace(0.15, 0.95, max(len(self.steps), 1)))
        x = np.arange(len(self.layer_names))
        positive = self.grad_norms[np.isfinite(self.grad_norms) & (self.grad_norms > 0)]
        for row, colour in zip(range(len(self.steps)), colours):
            profile.plot(x, self.grad_norms[row], "-o", color=colour, markersize=3,
                         alpha=0.8, label=f"step {self.steps[row]}")
        profile.plot(x, self.median_norms, "k--", linewidth=2, label="median")
        if len(self.steps):
            import matplotlib.colors

            scale = pyplot().cm.ScalarMappable(
                cmap=pyplot().get_cmap(cmap),
                norm=matplotlib.colors.Normalize(self.steps.min(), self.steps.max()))
            fig.colorbar(scale, ax=profile, label="step (dashed: median)")
        profile.set_xticks(x)
        profile.set_xticklabels(self.layer_names, rotation=45, ha="right")
        profile.set_xlabel("layer (input \u2192 output)")
        profile.set_ylabel("gradient norm")
        profile.set_title("Gradient flow")
        for j, name in enumerate(self.layer_names):
            over_time.plot(self.steps, self.grad_norms[:, j], "-", label=name)
        over_time.set_xlabel("step")
        over_time.set_ylabel("gradient norm")
        over_time.set_title("Gradient norm per layer")
        if len(self.layer_names) <= 12:
            over_time.legend(fontsize="small")
        if positive.size:
            for a in (profile, over_time):
                a.set_yscale("log")
        self.ax_ = [profile, over_time]
        self.figure_ = fig
        return self
