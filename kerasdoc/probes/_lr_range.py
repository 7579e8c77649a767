"""Probe: the learning-rate range test (exponential sweep on a copy)."""

import dataclasses
import math
import time
from typing import Optional, Tuple

import numpy as np

from kerasdoc._errors import InvalidInputError
from kerasdoc._validation import check_choice, check_float, check_int, received
from kerasdoc.findings import Finding
from kerasdoc.model._optim import DEFAULT_LR_RANGES
from kerasdoc.probes import _common
from kerasdoc.probes._result import ProbeResult, get_axes, setting_of

__all__ = ["LRRangeResult", "LRRangeEvidence", "lr_range_test", "measure_lr_range",
           "judge_lr_range"]


class LRRangeResult(ProbeResult):
    """The loss as the learning rate grows exponentially, step by step.

    Attributes:
        learning_rates: rate used at each step.
        losses: raw training loss at each step.
        smoothed: bias-corrected exponential moving average of `losses`.
        diverged_at: the rate at which the smoothed loss exceeded
            `diverge_factor` times its minimum (or became non-finite), or
            `None` if the sweep never diverged.
        configured_lr: the model's own learning rate (a schedule's current
            value), or `None` if unreadable.
    """

    name = "lr_range_test"

    def __init__(self, *, learning_rates=(), losses=(), smoothed=(),
                 diverged_at=None, configured_lr=None, skip_start=5,
                 min_drop=0.05, **kwargs):
        super().__init__(**kwargs)
        self.learning_rates = np.asarray(learning_rates, dtype=np.float64)
        self.losses = np.asarray(losses, dtype=np.float64)
        self.smoothed = np.asarray(smoothed, dtype=np.float64)
        self.diverged_at = diverged_at
        self.configured_lr = configured_lr
        self._skip_start = skip_start
        self.min_drop = min_drop

    def _summary(self):
        suggestion = self.suggestion()
        text = "no suggestion" if suggestion is None else f"suggestion={suggestion:.3g}"
        return f"{text} diverged_at={self.diverged_at}"

    def _usable(self):
        """Indices of finite points from the start to the lowest smoothed loss."""
        finite = np.isfinite(self.smoothed)
        if not finite.any():
            return np.arange(0)
        low = int(np.nanargmin(np.where(finite, self.smoothed, np.nan)))
        keep = np.arange(min(self._skip_start, low), low + 1)
        return keep[finite[keep]]

    @property
    def turned(self):
        """Whether the curve turned up before the sweep ended (diverged, or its
        minimum lies before the last tenth of the steps). A curve still falling
        at `max_lr` says more about the inputs' scale than about the rate."""
        if self.diverged_at is not None:
            return True
        finite = np.isfinite(self.smoothed)
        if not finite.any():
            return False
        low = int(np.nanargmin(np.where(finite, self.smoothed, np.nan)))
        return low < len(self.smoothed) - max(1, len(self.smoothed) // 10)

    def suggestion(self, method: str = "steepest") -> Optional[float]:
        """A learning rate read off the curve.

        Args:
            method: `"steepest"`: where the smoothed loss falls fastest per
                decade of learning rate, before its minimum; `"minimum"`: a
                tenth of the rate at the lowest smoothed loss.
                Defaults to `"steepest"`.

        Returns:
            The rate, or `None` when the curve is too short or the loss never
            fell by `min_drop` (a fraction of its starting value).
        """
        check_choice(method, "method", ("steepest", "minimum"))
        keep = self._usable()
        if len(keep) < 3:
            return None
        first = self.smoothed[keep[0]]
        if first - self.smoothed[keep[-1]] < self.min_drop * abs(first):
            return None
        lrs, loss = self.learning_rates[keep], self.smoothed[keep]
        if method == "minimum":
            return float(lrs[int(np.argmin(loss))] / 10)
        slope = np.gradient(loss, np.log10(lrs))
        return float(lrs[int(np.argmin(slope))])

    def plot(self, ax=None, *, suggest: bool = True):
        """Plot smoothed loss against learning rate (log x axis).

        Args:
            ax: matplotlib axes. Defaults to `None` (a new figure).
            suggest: mark `suggestion()`, the configured rate and the
                divergence point. Defaults to `True`.

        Returns:
            self, with `ax_` and `figure_` set.
        """
        ax = get_axes(ax)
        ax.plot(self.learning_rates, self.smoothed, label="smoothed loss")
        ax.set_xscale("log")
        if suggest:
            rate = self.suggestion()
            if rate is not None:
                ax.axvline(rate, color="tab:green", linestyle="--",
                           label=f"suggestion {rate:.2g}")
            if self.configured_lr:
                ax.axvline(self.configured_lr, color="tab:blue", linestyle=":",
                           label=f"configured {self.configured_lr:.2g}")
            if self.diverged_at is not None:
                ax.axvline(self.diverged_at, color="tab:red", linestyle="-.",
                           label=f"diverged {self.diverged_at:.2g}")
        finite = self.smoothed[np.isfinite(self.smoothed)]
        if len(finite):
            low = finite.min()
            ax.set_ylim(low - 0.05 * abs(low), max(finite[0], low) * 2 + 1e-12)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("Learning-rate range test")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _sweep_optimizer(optimizer, min_lr):
    config = dict(optimizer.get_config())
    if "learning_rate" not in config:
        return None
    config["learning_rate"] = float(min_lr)
    return optimizer.__class__.from_config(config)


def _sane_low(optimizer, lr_ranges):
    """Lower end of the optimizer's sane learning-rate range, or None if unknown."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    ranges = dict(DEFAULT_LR_RANGES, **(lr_ranges or {}))
    low_high = ranges.get(type(optimizer).__name__.lower())
    return None if low_high is None else float(low_high[0])


def lr_range_test(model, x, y=None, *, min_lr: float = 1e-7, max_lr: float = 10.0,
                  max_steps: int = 100, batch_size: int = 32,
                  smoothing: float = 0.9, diverge_factor: float = 4.0,
                  below_factor: float = 100.0, min_drop: float = 0.05,
                  lr_ranges: Optional[dict] = None, warmup: Optional[int] = None,
                  time_budget: Optional[float] = 60.0,
                  seed: int = 0) -> LRRangeResult:
    """Sweep the learning rate exponentially on a copy and find where it works.

    The copy starts from the model's weights with a fresh optimizer of the
    same class and config, except that its learning rate grows from `min_lr`
    to `max_lr` over `max_steps` steps (one batch each). The loss is
    smoothed with a bias-corrected exponential moving average; once the
    average has warmed up (`warmup` steps), the sweep stops when it is
    `diverge_factor` times its minimum since then, or non-finite. Before
    that, a jump in the loss is batch noise (e.g. the first batch holding a
    rare class), not the rate. The probe warns when the configured rate is at
    or past the divergence point, or far below the useful range: more than
    `below_factor` times below the suggested rate AND below the sane range of
    the optimizer (`lr_ranges`). The suggestion is a rough guide (the sweep
    spends a step or two at each rate, so the steepest fall lags behind rates
    that work well over a real training run): Adam at its default 1e-3 is
    never "far below". The "below" warning also needs the curve to turn up
    before `max_lr` (a loss still falling at a rate of 10 points at the
    inputs' scale, not at the rate). When the loss is already inf or NaN at
    the model's own weights (the first step), no rate is to blame: the probe
    is skipped as inconclusive.

    Args:
        model: a compiled Keras model.
        x: inputs.
        y: labels (a dict or list for several outputs);
            `None` when `x` is a stream yielding `(x, y)`. Defaults to `None`.
        min_lr: first rate of the sweep. Defaults to `1e-7`.
        max_lr: last rate of the sweep. Defaults to `10.0`.
        max_steps: steps of the sweep (the step budget). Defaults to `100`.
        batch_size: samples per step. Defaults to `32`.
        smoothing: weight of the past in the moving average (higher is
            smoother but lags further behind the rate). Defaults to `0.9`.
        diverge_factor: smoothed loss over its minimum that counts as
            divergence. Defaults to `4.0`.
        below_factor: how far below the suggestion the configured rate may
            be before the probe warns. Defaults to `100.0`.
        min_drop: the smoothed loss must fall by this fraction of its start
            before a rate is suggested (a flat curve suggests nothing).
            Defaults to `0.05`.
        lr_ranges: dict optimizer class name (lower case) -> (low, high),
            merged over `kerasdoc.model.DEFAULT_LR_RANGES`; a configured rate
            at or above `low` is never reported as too low. For an optimizer
            not listed, `below_factor` alone decides. Defaults to `None`.
        warmup: steps before divergence can be declared, or `None` for
            `ceil(1 / (1 - smoothing))` (the span of the moving average).
            Defaults to `None`.
        time_budget: seconds before the sweep stops, or `None`.
            Defaults to `60.0`.
        seed: seed of the batch order and the copy's dropout. Defaults to `0`.

    Returns:
        An `LRRangeResult` with `suggestion()` and `plot(ax=None)` (finding
        code `probe.learning_rate`).

    Example:

    >>> result = lr_range_test(model, x_train, y_train)  # doctest: +SKIP
    >>> result.suggestion()                               # doctest: +SKIP
    0.0032
    >>> result.plot()                                     # doctest: +SKIP
    """
    _common.check_compiled(model)
    x, y = _common.check_xy(x, y, model)
    min_lr = check_float(min_lr, "min_lr", minimum=0.0, exclusive_minimum=True)
    max_lr = check_float(max_lr, "max_lr", minimum=0.0, exclusive_minimum=True)
    if max_lr <= min_lr:
        raise InvalidInputError(
            f"`max_lr` must be greater than `min_lr` ({min_lr}). "
            f"{received('max_lr', max_lr)}")
    max_steps = check_int(max_steps, "max_steps", minimum=3, maximum=1_000_000)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    smoothing = check_float(smoothing, "smoothing", minimum=0.0, maximum=0.999)
    diverge_factor = check_float(diverge_factor, "diverge_factor", minimum=1.0,
                                 exclusive_minimum=True)
    below_factor = check_float(below_factor, "below_factor", minimum=1.0)
    min_drop = check_float(min_drop, "min_drop", minimum=0.0, maximum=1.0)
    if lr_ranges is not None:
        bad = not isinstance(lr_ranges, dict) or not all(
            isinstance(k, str) and isinstance(v, (tuple, list)) and len(v) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool)
                    and 0 < b < math.inf for b in v) and v[0] <= v[1]
            for k, v in lr_ranges.items())
        if bad:
            raise InvalidInputError(
                "`lr_ranges` must be a dict of optimizer name -> (low, high) with "
                f"0 < low <= high, or None. {received('lr_ranges', lr_ranges)}")
    if warmup is None:
        warmup = math.ceil(1.0 / (1.0 - smoothing))
    warmup = check_int(warmup, "warmup", minimum=0)
    _common.check_common(seed, time_budget)
    start = time.perf_counter()

    configured = _common.configured_learning_rate(model.optimizer)
    optimizer = _sweep_optimizer(model.optimizer, min_lr)
    if optimizer is None:
        return LRRangeResult(skipped=(
            f"the optimizer {type(model.optimizer).__name__} has no "
            "`learning_rate` in its config"))
    rates = min_lr * (max_lr / min_lr) ** (np.arange(max_steps) / (max_steps - 1))

    evidence = measure_lr_range(model, x, y, optimizer=optimizer, rates=rates,
                                batch_size=batch_size, smoothing=smoothing,
                                diverge_factor=diverge_factor, warmup=warmup,
                                time_budget=time_budget, seed=seed,
                                configured=configured,
                                sane_low=_sane_low(model.optimizer, lr_ranges))
    losses, smoothed, stopped = list(evidence.losses), list(evidence.smoothed), evidence.stopped
    if not np.any(np.isfinite(losses)):
        # The first step's loss is computed at the model's own weights, before
        # any update: when it is already inf or NaN no rate is to blame, and
        # the sweep cannot tell where the loss diverges.
        return LRRangeResult(
            learning_rates=rates[:len(losses)], losses=losses, smoothed=smoothed,
            configured_lr=configured, min_drop=min_drop, stopped=stopped,
            skipped=("non-finite gradients/loss: inconclusive (the loss was "
                     f"{losses[0]} on the first batch, at the model's own weights "
                     f"and the lowest rate {min_lr:.3g})"),
            seconds=time.perf_counter() - start)
    findings = judge_lr_range(evidence, {"below_factor": below_factor, "min_drop": min_drop})
    result = LRRangeResult(
        learning_rates=evidence.learning_rates, losses=losses, smoothed=smoothed,
        diverged_at=evidence.diverged_at, configured_lr=configured, min_drop=min_drop,
        stopped=stopped, findings=findings)
    result.seconds = time.perf_counter() - start
    return result


@dataclasses.dataclass(frozen=True)
class LRRangeEvidence:
    """What the learning-rate range test measured: plain numbers, no model.

    Attributes:
        learning_rates: the rate of each step run.
        losses: raw training loss at each step.
        smoothed: bias-corrected exponential moving average of `losses`.
        diverged_at: the rate where the smoothed loss diverged, or `None`.
        configured_lr: the model's own learning rate, or `None`.
        sane_low: low end of the optimizer's usual range, or `None`.
        min_lr: the sweep's first rate.
        stopped: why the sweep ended (`"diverged"`, `"max_steps"`,
            `"time_budget"`).
    """

    learning_rates: Tuple[float, ...]
    losses: Tuple[float, ...]
    smoothed: Tuple[float, ...]
    diverged_at: Optional[float]
    configured_lr: Optional[float]
    sane_low: Optional[float] = None
    min_lr: float = 1e-7
    stopped: Optional[str] = None


def measure_lr_range(model, x, y, *, optimizer, rates, batch_size, smoothing,
                     diverge_factor, warmup, time_budget, seed, configured, sane_low):
    """Run the exponential sweep on a copy; an `LRRangeEvidence`.

    The sweep stops once the smoothed loss exceeds `diverge_factor` times
    its minimum (after `warmup` steps) or becomes non-finite. Inputs are
    taken as checked by `lr_range_test`; the model is not touched.

    Returns:
        An `LRRangeEvidence`.
    """
    max_steps = len(rates)
    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        clone = _common.probe_copy(model, seed=seed, optimizer=optimizer,
                                   sample_x=_common.take(x, slice(0, 1)))
        batches = _common.batch_indices(_common.count(x), batch_size, rng)
        budget = _common.Budget(max_steps, time_budget)
        losses, smoothed, average, best = [], [], 0.0, math.inf
        diverged_at, stopped = None, None
        while stopped is None:
            step = len(losses)
            rate = float(rates[step])
            clone.optimizer.learning_rate = rate
            index = next(batches)
            loss = _common.train_loss(clone, _common.take(x, index),
                                          _common.take(y, index))
            losses.append(loss)
            average = smoothing * average + (1 - smoothing) * loss
            value = average / (1 - smoothing ** (step + 1))
            smoothed.append(value)
            if not math.isfinite(value) or (step > warmup and value > diverge_factor * best):
                diverged_at, stopped = rate, "diverged"
            if step >= warmup and math.isfinite(value):
                best = min(best, value)
            stopped = stopped or budget.reason(len(losses))

    return LRRangeEvidence(
        learning_rates=tuple(float(r) for r in rates[:len(losses)]),
        losses=tuple(float(v) for v in losses), smoothed=tuple(float(v) for v in smoothed),
        diverged_at=diverged_at, configured_lr=configured, sane_low=sane_low,
        min_lr=float(rates[0]), stopped=stopped)


def judge_lr_range(evidence, settings=None, task=None):
    """The `probe.learning_rate` findings `evidence` supports; pure (no TensorFlow).

    Fires when the configured rate is at or past the rate where the sweep
    diverged, or when it is more than `below_factor` times below the
    suggested rate of a sweep that turned (and below the optimizer's usual
    range). A sweep whose every loss is non-finite concludes nothing.

    Args:
        evidence: an `LRRangeEvidence`.
        settings: the check's settings (`below_factor`, `min_drop`).
            Defaults to `None`: `100.0` and `0.05`.
        task: unused. Defaults to `None`.

    Returns:
        list of `Finding`.
    """
    below_factor = setting_of(settings, "below_factor", 100.0)
    min_drop = setting_of(settings, "min_drop", 0.05)
    losses = list(evidence.losses)
    if not np.any(np.isfinite(losses)):
        return []
    configured, diverged_at = evidence.configured_lr, evidence.diverged_at
    min_lr, sane_low = evidence.min_lr, evidence.sane_low
    result = LRRangeResult(
        learning_rates=evidence.learning_rates, losses=losses, smoothed=evidence.smoothed,
        diverged_at=diverged_at, configured_lr=configured, min_drop=min_drop)
    findings = []
    suggestion = result.suggestion()
    facts = {"configured_lr": configured, "suggestion": suggestion,
             "sane_low": sane_low,
             "diverged_at": diverged_at, "min_lr": min_lr,
             "max_lr": float(result.learning_rates[-1]), "steps": len(losses)}
    if configured is not None and diverged_at is not None and configured >= diverged_at:
        findings.append(Finding(
            "probe.learning_rate",
            message=(f"The configured learning rate {configured:.3g} is at or past "
                     f"{diverged_at:.3g}, where the loss diverged in the range test."),
            evidence=facts,
            fix=(f"Use a learning rate near the suggestion ({suggestion:.2g})."
                 if suggestion else "Lower the learning rate by 10x or more."),
        ))
    elif (configured is not None and suggestion and result.turned
          and configured * below_factor < suggestion
          and (sane_low is None or configured < sane_low)):
        findings.append(Finding(
            "probe.learning_rate",
            message=(f"The configured learning rate {configured:.3g} is more than "
                     f"{below_factor:g}x below the range where the loss falls "
                     f"fastest (around {suggestion:.3g})."),
            evidence=facts,
            fix=f"Raise the learning rate towards {suggestion:.2g}.",
        ))
    return findings
