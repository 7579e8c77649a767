"""Probe: does the model do better on its real inputs than on zeros?"""

import time
from typing import Optional

import numpy as np

from kerasdoc._validation import check_float, check_int
from kerasdoc.findings import Finding
from kerasdoc.probes import _common
from kerasdoc.probes._result import ProbeResult, get_axes

__all__ = ["InputIndependenceResult", "input_independence"]


class InputIndependenceResult(ProbeResult):
    """Losses of two copies trained alike, one on real inputs, one on zeros.

    Attributes:
        real_losses: training loss per step of the copy fed real inputs.
        zero_losses: training loss per step of the copy fed zeros.
        real_loss: mean of the last `check_every` real losses.
        zero_loss: the same for the zero-input copy.
        output_spread: how much the outputs of the untrained copy vary across
            samples, relative to their size (0 when the output ignores the input).
        conclusive: False when neither copy learned anything in the budget, or
            training diverged, so equal losses say nothing about the input.
    """

    name = "input_independence"

    def __init__(self, *, real_losses=(), zero_losses=(), real_loss=None,
                 zero_loss=None, output_spread=None, conclusive=True, **kwargs):
        super().__init__(**kwargs)
        self.real_losses = np.asarray(real_losses, dtype=np.float64)
        self.zero_losses = np.asarray(zero_losses, dtype=np.float64)
        self.real_loss = real_loss
        self.zero_loss = zero_loss
        self.output_spread = output_spread
        self.conclusive = conclusive

    def _summary(self):
        return f"real={self.real_loss:.4g} zeros={self.zero_loss:.4g}"

    def plot(self, ax=None):
        """Plot both loss curves; sets `ax_`, `figure_`, returns self."""
        ax = get_axes(ax)
        ax.plot(np.arange(1, len(self.real_losses) + 1), self.real_losses,
                label="real inputs")
        ax.plot(np.arange(1, len(self.zero_losses) + 1), self.zero_losses,
                label="zeroed inputs")
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.set_title("Input-independent baseline")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _output_spread(model, xs):
    """Mean over outputs of the std across samples, relative to the mean |output|."""
    out = _common.output_matrix(model(xs, training=False), len(xs))
    scale = float(np.mean(np.abs(out)))
    return float(np.mean(out.std(axis=0)) / scale) if scale > 0 else 0.0


def _initial(loss, model, xs, ys):
    """Mean loss of `model` on (xs, ys) before training, or None."""
    fn = _common.per_sample_loss(loss)
    if fn is None:
        return None
    return float(np.mean(np.asarray(fn(ys, model(xs, training=False)))))


def input_independence(model, x, y, *, batch_size: int = 32, n_samples: int = 256,
                       max_steps: int = 100, check_every: int = 10,
                       margin: float = 0.1, spread_tolerance: float = 1e-6,
                       time_budget: Optional[float] = 60.0,
                       seed: int = 0) -> InputIndependenceResult:
    """Train one copy on real inputs and one on zeros; compare their losses.

    With zeroed inputs a model can only learn the label prior. If the copy
    trained on the real inputs does no better, the model is not using its
    input: a layer that drops or overwrites it, a wrong input wired in, or
    inputs so badly scaled that nothing passes. Both copies start from the
    model's weights, use its loss and a fresh copy of its optimizer, and see
    the same batches in the same order.

    When neither copy's loss moved in the budget (a learning rate far too
    small) or training diverged (far too large: dead units make any model
    constant), equal losses prove nothing; the result is then marked
    inconclusive and the probe stays silent unless the untrained model's
    outputs do not vary with the input at all.

    Args:
        model: a compiled Keras model.
        x: inputs.
        y: labels.
        batch_size: batch size of the training steps. Defaults to `32`.
        n_samples: samples (drawn at random) to train on. Defaults to `256`.
        max_steps: most steps per copy. Defaults to `100`.
        check_every: steps between comparisons; the loop stops early once the
            real copy's loss is under half the zero copy's. Defaults to `10`.
        margin: the probe fires when the real loss is not at least this
            fraction below the zero-input loss. Defaults to `0.1`.
        spread_tolerance: relative output variation across samples below
            which the output counts as constant. Defaults to `1e-6`.
        time_budget: seconds before the loop stops, or `None`.
            Defaults to `60.0`.
        seed: seed of the sample draw, batch order and dropout. Defaults to `0`.

    Returns:
        An `InputIndependenceResult` (finding code `probe.input_independent`).

    Example:

    >>> result = input_independence(model, x_train, y_train)  # doctest: +SKIP
    >>> result.real_loss < result.zero_loss                    # doctest: +SKIP
    True
    """
    _common.check_compiled(model)
    x, y = _common.check_xy(x, y, model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    check_every = check_int(check_every, "check_every", minimum=1)
    margin = check_float(margin, "margin", minimum=0.0, maximum=1.0)
    spread_tolerance = check_float(spread_tolerance, "spread_tolerance", minimum=0.0)
    _common.check_common(seed, time_budget)
    start = time.perf_counter()

    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        take = np.sort(rng.choice(len(x), size=min(n_samples, len(x)), replace=False))
        xs, ys = x[take], y[take]
        zeros = np.zeros_like(xs)
        real = _common.probe_copy(model, seed=seed, sample_x=xs)
        blank = _common.probe_copy(model, seed=seed, sample_x=xs)
        batches = _common.batch_indices(len(xs), batch_size, rng)
        budget = _common.Budget(max_steps, time_budget)
        spread = _output_spread(real, xs[:batch_size])
        start_real = _initial(model.loss, real, xs, ys)
        start_zero = _initial(model.loss, blank, zeros, ys)
        real_losses, zero_losses, stopped = [], [], None
        while stopped is None:
            index = next(batches)
            real_losses.append(_common.train_loss(real, xs[index], ys[index]))
            zero_losses.append(_common.train_loss(blank, zeros[index], ys[index]))
            step = len(real_losses)
            if step % check_every == 0 and step >= 2 * check_every:
                if np.mean(real_losses[-check_every:]) < 0.5 * np.mean(
                        zero_losses[-check_every:]):
                    stopped = "clear"
            stopped = stopped or budget.reason(step)

    window = max(1, min(check_every, len(real_losses) // 2))
    real_loss = float(np.mean(real_losses[-window:]))
    zero_loss = float(np.mean(zero_losses[-window:]))
    start_real = real_losses[0] if start_real is None else start_real
    start_zero = zero_losses[0] if start_zero is None else start_zero
    learned = (real_loss < start_real * (1 - margin)
               or zero_loss < start_zero * (1 - margin))
    curves = np.array(real_losses + zero_losses)
    diverged = not np.all(np.isfinite(curves)) or curves.max() > 10 * max(
        abs(start_real), abs(start_zero), 1e-12)
    constant = spread <= spread_tolerance
    conclusive = constant or (learned and not diverged)
    no_better = not (real_loss < zero_loss * (1 - margin))
    findings = []
    if conclusive and no_better:
        findings.append(Finding(
            "probe.input_independent",
            message=(f"The model does as well on zeroed inputs as on real ones "
                     f"(training loss {real_loss:.4g} on real inputs vs "
                     f"{zero_loss:.4g} on zeros after {len(real_losses)} steps)."),
            evidence={"real_loss": real_loss, "zero_loss": zero_loss,
                      "margin": margin, "steps": len(real_losses),
                      "output_spread": spread, "output_constant": constant,
                      "n_samples": int(len(take))},
            fix=("Check that the input reaches the output: a layer that "
                 "multiplies it by zero or replaces it, a branch that is not "
                 "connected, the wrong tensor passed as input, or inputs scaled "
                 "so that every unit saturates or dies."),
        ))
    return InputIndependenceResult(
        real_losses=real_losses, zero_losses=zero_losses, real_loss=real_loss,
        zero_loss=zero_loss, output_spread=spread, conclusive=conclusive,
        findings=findings, stopped=stopped, seconds=time.perf_counter() - start)
