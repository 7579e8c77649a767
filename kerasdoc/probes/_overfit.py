"""Probe: can the model drive the loss on one small batch to (almost) zero?"""

import dataclasses
import math
import time
from typing import Optional, Tuple

import numpy as np

from kerasdoc._losses import classify_loss
from kerasdoc._task import resolve_task
from kerasdoc._validation import check_float, check_int
from kerasdoc.findings import Finding
from kerasdoc.probes import _common
from kerasdoc.probes._result import ProbeResult, get_axes, setting_of

__all__ = ["OverfitResult", "OverfitEvidence", "overfit_batch", "measure_overfit",
           "judge_overfit", "classify_curve"]

_PATTERN_TEXT = {
    "nonfinite": "the loss became NaN/Inf",
    "rising": "the loss rose instead of falling",
    "rising_after_falling": "the loss fell, then rose again",
    "oscillating": "the loss oscillates without settling",
    "plateau": "the loss is stuck at a floor",
    "still_falling": "the loss was still falling when the probe stopped",
}

_FIXES = {
    "nonfinite": ("Lower the learning rate (try Adam at 1e-3), clip gradients, "
                  "and check for log(0) or division by zero in custom losses."),
    "rising": ("Lower the learning rate by 10x; check that the loss is minimised "
               "(not a metric maximised) and that the labels match the outputs."),
    "rising_after_falling": ("Lower the learning rate or add a decay schedule; "
                             "the step size is too large once the loss is small."),
    "oscillating": ("Lower the learning rate; with SGD add momentum or switch "
                    "to Adam."),
    "plateau": ("Check the two most common causes: labels loaded in a different "
                "order than the inputs, and softmax applied twice (a softmax "
                "output fed to a loss with from_logits=True, or an activation "
                "before the softmax). Also check the model sees its input, has "
                "enough capacity, and that dropout/weight decay are not holding "
                "the loss up."),
    "still_falling": "Raise `max_steps` or the learning rate and run the probe again.",
}


# A value model whose best loss stays within this share of the mean-target
# loss has not used its input: it fits no better than an input-blind one.
_BLIND_MARGIN = 0.05

_OWN_TERMS_FIX = ("Weigh the model's own loss terms against the data loss: sum a KL "
                  "term over the latent units and the reconstruction error over the "
                  "outputs (or scale the KL term down, or anneal it from 0), or lower "
                  "the regularisation factors; then check the output follows the input.")


class OverfitResult(ProbeResult):
    """The loss curve of training on one fixed batch.

    Attributes:
        losses: training loss at each step (numpy array).
        initial: loss before the first update.
        target: the loss the batch had to reach.
        reached: whether the smoothed loss reached `target`.
        pattern: `"converged"` or the failure shape: `"nonfinite"`,
            `"rising"`, `"rising_after_falling"`, `"oscillating"`,
            `"plateau"`, `"still_falling"`.
        batch_size: samples in the batch.
    """

    name = "overfit_batch"

    def __init__(self, *, losses=(), initial=None, target=None, reached=False,
                 pattern=None, batch_size=0, **kwargs):
        super().__init__(**kwargs)
        self.losses = np.asarray(losses, dtype=np.float64)
        self.initial = initial
        self.target = target
        self.reached = reached
        self.pattern = pattern
        self.batch_size = batch_size

    def _summary(self):
        return f"{self.pattern} after {len(self.losses)} steps"

    def plot(self, ax=None):
        """Plot the loss curve and the target; sets `ax_`, `figure_`, returns self."""
        ax = get_axes(ax)
        steps = np.arange(1, len(self.losses) + 1)
        ax.plot(steps, self.losses, label="training loss")
        if self.target is not None:
            ax.axhline(self.target, color="tab:green", linestyle="--",
                       label=f"target {self.target:.3g}")
        if len(self.losses) and np.all(self.losses[np.isfinite(self.losses)] > 0):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title(f"Overfit one batch of {self.batch_size}: {self.pattern}")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _smooth(losses, window):
    """Trailing moving average (shorter at the start)."""
    values = np.asarray(losses, dtype=np.float64)
    out = np.empty_like(values)
    for i in range(len(values)):
        out[i] = values[max(0, i - window + 1):i + 1].mean()
    return out


def classify_curve(losses, *, initial, target, window=5, rate_limited=False,
                   value_targets=False, baseline=None):
    """Name the shape of a loss curve that did not reach `target`.

    A pure function of the numbers, so it is tested without training.

    Args:
        losses: loss per step.
        initial: the loss before training.
        target: the loss that counts as success.
        window: moving-average window used to smooth noise. Defaults to `5`.
        rate_limited: the optimizer is SGD (with or without momentum, no
            adaptive scaling), whose step moves the loss by only
            rate * |g|^2 (rate = lr / (1 - momentum)): a loss still falling
            at the end is then the step budget running out
            (`"still_falling"`), not a floor. Adaptive optimizers that still
            creep down after the budget are approaching a floor, unless
            `value_targets`. Defaults to `False`.
        value_targets: the targets are values (regression, reconstruction),
            not classes. A classifier starts at the loss of an input-blind
            model (-ln(1/C)) and, under an adaptive optimizer, falls fast
            below it once it uses its input; a slow fall there is a floor.
            Values with a raw scale start far from a fresh network's ~0
            outputs, and an adaptive optimizer moves each weight by about
            its learning rate a step, so the outputs need about
            scale / learning rate steps to get there while the loss falls at
            a steady pace (linearly for a mean absolute error, whose gradient
            has a constant size). For them a loss still falling at the end
            is a floor only when its fall visibly slows toward a level above
            `target` (`_heading_below`). Defaults to `False`.
        baseline: for value targets, the loss of predicting the batch's mean
            target, the best an input-blind model does. A loss that went
            below it by at least half the way to `target`
            (`_USES_ITS_INPUT`) maps inputs to outputs; when it is still
            falling at the end, its tail is slow, not a floor (a
            binary cross-entropy approaches the pixels' entropy with a
            long tail), so it is `"still_falling"`. Defaults to `None`.

    Returns:
        One of `"converged"`, `"nonfinite"`, `"rising"`,
        `"rising_after_falling"`, `"oscillating"`, `"plateau"`,
        `"still_falling"`.
    """
    values = np.asarray(losses, dtype=np.float64)
    if len(values) == 0:
        return "plateau"
    if not np.all(np.isfinite(values)):
        return "nonfinite"
    smooth = _smooth(values, window)
    if smooth.min() <= target:
        return "converged"
    final = smooth[-1]
    best = smooth.min()
    progress = initial - best
    if final > initial * 1.1 and progress < 0.2 * abs(initial):
        return "rising"
    if progress > 0.2 * abs(initial) and final - best > 0.5 * progress:
        return "rising_after_falling"
    tail = values[-max(10, len(values) // 4):]
    diffs = np.diff(tail)
    if len(diffs) >= 6:
        flips = np.mean(np.sign(diffs[1:]) != np.sign(diffs[:-1]))
        swing = (tail.max() - tail.min()) / max(abs(tail.mean()), 1e-12)
        if flips > 0.5 and swing > 0.3:
            return "oscillating"
    half = max(1, len(smooth) // 2)
    recent = smooth[half:]
    if len(recent) >= 4 and recent[-1] < recent[0] * 0.9:
        return "still_falling"
    if _falling_at_the_end(values) and (
            rate_limited or (value_targets and (
                _heading_below(values, target)
                or _closed_most_of_the_gap(values, baseline, target)))):
        return "still_falling"
    return "plateau"


# Share of the gap between the input-blind loss (predicting the batch's mean
# target) and the target that a value model must have closed for a slow,
# still-falling tail to count as inconclusive rather than a floor. An
# input-blind or broken model stays at (or above) the mean-target loss; one
# halfway to the target is demonstrably fitting its inputs.
_USES_ITS_INPUT = 0.5


def _closed_most_of_the_gap(values, baseline, target):
    """Whether the curve's best loss closed `_USES_ITS_INPUT` of baseline -> target."""
    if baseline is None or not baseline > target:
        return False
    best = float(np.min(values))
    return (baseline - best) >= _USES_ITS_INPUT * (baseline - target)


def _fixed_rate_sgd(optimizer):
    """Whether `optimizer` is SGD, with or without momentum: a step proportional to the gradient.

    Plain SGD steps by lr * g; heavy-ball or Nesterov momentum m settles on a
    step of lr / (1 - m) * g. Either way the step shrinks with the gradient,
    so on a flat stretch the loss falls by about rate * |g|^2 a step, slowly
    but steadily, until the step budget runs out. Adaptive optimizers (Adam,
    RMSprop, ...) divide by the gradient's own size and leave a flat stretch
    at their rate's pace, so their slow creep is a floor's sign.
    """
    import keras

    return isinstance(optimizer, keras.optimizers.SGD)


def _falling_at_the_end(values):
    """Whether the last quarter of the curve is still clearly below the one before.

    On one fixed batch the loss has no sampling noise; its only jitter is
    dropout's (and float rounding), measured as the spread of step-to-step
    changes. A last-quarter mean below the previous quarter's by more than 3
    standard errors of that jitter (and by 0.1 % of the loss, above float
    drift) is a loss still falling: plain SGD at a small rate moves the loss
    by lr * |g|^2 a step, so a few hundred steps may end long before the
    target on a healthy model. That is the step budget running out, not a
    floor: inconclusive (`still_falling`, info), never a failure.
    """
    q = len(values) // 4
    if q < 5:
        return False
    before, last = values[-2 * q:-q], values[-q:]
    jitter = float(np.std(np.diff(values[-2 * q:])))
    drop = float(np.mean(before) - np.mean(last))
    return drop > max(3.0 * jitter / np.sqrt(q), 1e-3 * abs(float(np.mean(before))))


# A fall counts as settling on a floor only when each quarter of the curve
# drops by at most this share of the quarter before: the geometric projection
# of the remaining fall, ratio / (1 - ratio) more quarters, then reaches at
# most 9 quarters past the data. Beyond that the curve has not shown where it
# stops, and extrapolating it would be a guess.
_SETTLING_RATIO = 0.9


def _heading_below(values, target):
    """Whether a curve still falling at its end is on its way below `target`.

    The last three quarters' means m1 > m2 > m3 fall by d1 = m1 - m2 and
    d2 = m2 - m3. A loss settling on a floor falls by shrinking amounts;
    fitting a geometric decay (ratio r = d2 / d1) projects its floor at
    m3 - d2 * r / (1 - r). The curve is heading below `target` when that
    floor is, or when it is not visibly settling: its fall keeps its pace
    or speeds up (r above `_SETTLING_RATIO`, or the slowing is within 3
    standard errors of the step-to-step jitter). That is the case of a
    loss whose gradient has a constant size, such as a mean absolute error
    under Adam (each step moves every weight by about the learning rate),
    whose loss falls linearly: raw targets of scale S need about S / lr
    steps, far more than a probe runs.
    """
    q = len(values) // 4
    if q < 5:
        return False
    m1, m2, m3 = (float(np.mean(values[-k * q:len(values) - (k - 1) * q]))
                  for k in (3, 2, 1))
    d1, d2 = m1 - m2, m2 - m3
    jitter = float(np.std(np.diff(values[-3 * q:])))
    # d1 - d2 = m1 - 2 m2 + m3; with step noise sigma = jitter / sqrt(2) per
    # value its standard error is sigma * sqrt(6 / q) = jitter * sqrt(3 / q).
    slowing = d1 - d2 > 3.0 * jitter * math.sqrt(3.0 / q)
    if d1 <= 0 or not slowing:
        return True
    ratio = d2 / d1
    if ratio > _SETTLING_RATIO:
        return True
    return m3 - d2 * ratio / (1.0 - ratio) <= target


def _steps_needed(values, target):
    """Steps a loss falling at its last quarter's pace needs to reach `target`."""
    values = np.asarray(values, dtype=np.float64)
    q = max(1, len(values) // 4)
    if len(values) < 2 * q:
        return None
    pace = (float(np.mean(values[-2 * q:-q])) - float(np.mean(values[-q:]))) / q
    if not pace > 0:
        return None
    return max(0.0, float(values[-1]) - target) / pace


def _value_target(fn, loss, xb, yb, y_pred, target_ratio):
    """The success loss for targets that are values: floor + ratio * (mean - floor).

    `floor` is the loss of predicting every target exactly and `mean` the
    loss of predicting the batch's mean target; None when they cannot be
    computed (a custom loss, targets not shaped like the outputs).
    """
    if fn is None or y_pred is None or isinstance(y_pred, (list, tuple, dict)):
        return None
    pred = np.asarray(y_pred)
    truth = np.asarray(yb, dtype=np.float32)
    if truth.size != pred.size:
        return None
    truth = truth.reshape(pred.shape)
    mean = np.broadcast_to(truth.mean(axis=0, keepdims=True), truth.shape)
    info = classify_loss(loss)
    if info is not None and info.from_logits and info.family == "bce":
        def as_logits(p):
            p = np.clip(p, 1e-7, 1 - 1e-7)
            return np.log(p / (1 - p))
        exact, baseline_pred = as_logits(truth), as_logits(mean)
    elif info is not None and info.from_logits:
        return None
    else:
        exact, baseline_pred = truth, mean
    try:
        floor = float(np.mean(np.asarray(fn(yb, exact.astype(pred.dtype)))))
        baseline = float(np.mean(np.asarray(fn(yb, np.ascontiguousarray(
            baseline_pred).astype(pred.dtype)))))
    except Exception:  # a loss that rejects these shapes: keep the old reference
        return None
    if not (math.isfinite(floor) and math.isfinite(baseline)) or baseline <= floor:
        return None
    return floor + target_ratio * (baseline - floor), baseline


def overfit_batch(model, x, y=None, *, batch_size: int = 16, max_steps: int = 300,
                  target_ratio: float = 0.05, patience: int = 60,
                  time_budget: Optional[float] = 60.0,
                  seed: int = 0, task=None) -> OverfitResult:
    """Train a copy of the model on one small batch until the loss nears zero.

    A healthy model memorises a handful of samples in a few dozen steps.
    When it cannot, the shape of the curve says why: a rising loss or NaN
    points at the learning rate, a floor at labels that do not belong to
    their inputs or a softmax applied twice. The copy uses the model's loss
    and a fresh optimizer built from its config; the original is not touched.

    The loop stops as soon as the answer is clear: the smoothed loss reached
    the target, the loss became non-finite or grew tenfold, or it made no
    new low for `patience` steps.

    Args:
        model: a compiled Keras model.
        x: inputs.
        y: labels (a dict or list for several outputs);
            `None` when `x` is a stream yielding `(x, y)`. Defaults to `None`.
        batch_size: samples in the batch. Defaults to `16`.
        max_steps: most optimizer steps. Defaults to `300`.
        target_ratio: success when the loss (5-step moving average) falls to
            `target_ratio` times the reference loss: -ln(1/C) for cross-entropy
            classifiers. For regression, reconstruction and other targets
            that are values, not classes, success is closing all but
            `target_ratio` of the gap between the loss of predicting the
            batch's mean target (what any model learns first) and the loss
            of predicting every target exactly (0 for MSE/MAE; the targets'
            own entropy for binary cross-entropy on [0, 1] pixels, which no
            model can go below). Defaults to `0.05`.
        patience: steps without a new low (by 1%) before stopping at a floor.
            Defaults to `60`.
        time_budget: seconds before the loop stops, or `None`.
            Defaults to `60.0`.
        seed: seed of the batch draw and the copy's dropout. Defaults to `0`.
        task: the task (`kerasdoc.Task` or a kind name) that decides the
            reference loss. Defaults to `None`: inferred from the model and
            the data (`kerasdoc.infer_task`).

    Returns:
        An `OverfitResult` (finding code `probe.cannot_overfit_batch`).
        A model with fewer trainable parameters than target values in the
        batch cannot be expected to memorise it; its failure is `info`.

    Example:

    >>> result = overfit_batch(model, x_train, y_train)  # doctest: +SKIP
    >>> result.pattern, result.losses[-1]                 # doctest: +SKIP
    ('converged', 0.09)
    """
    _common.check_compiled(model)
    x, y = _common.check_xy(x, y, model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    target_ratio = check_float(target_ratio, "target_ratio", minimum=0.0,
                               exclusive_minimum=True)
    patience = check_int(patience, "patience", minimum=1)
    _common.check_common(seed, time_budget)
    start = time.perf_counter()
    task = resolve_task(task, model, x, y)

    evidence = measure_overfit(model, x, y, batch_size=batch_size, max_steps=max_steps,
                               target_ratio=target_ratio, patience=patience,
                               time_budget=time_budget, seed=seed, task=task)
    findings = judge_overfit(evidence, {"target_ratio": target_ratio}, task)
    return OverfitResult(
        losses=evidence.losses, initial=evidence.initial, target=evidence.target,
        reached=evidence.pattern == "converged", pattern=evidence.pattern,
        batch_size=evidence.batch_size, findings=findings, stopped=evidence.stopped,
        seconds=time.perf_counter() - start)


@dataclasses.dataclass(frozen=True)
class OverfitEvidence:
    """What the one-batch probe measured: plain numbers, no model.

    Attributes:
        losses: training loss at each step on the batch.
        initial: the loss before the first update.
        target: the loss that counts as success.
        mean_target_loss: for value targets, the loss of predicting the
            batch's mean target (the input-blind best), else `None`.
        rate_limited: the optimizer is SGD (a step proportional to the
            gradient, with or without momentum).
        value_targets: the targets are values, not classes.
        trainable_params: trainable parameters of the model.
        batch_target_values: values the model predicts for the batch.
        batch_size: samples in the batch.
        stopped: why the loop ended (`"converged"`, `"diverged"`,
            `"plateau"`, `"max_steps"`, `"time_budget"`).
        task_kind: the task's kind name.
        own_loss_terms: loss terms the model adds to the compiled loss
            itself (`add_loss` in `call`, weight or activity regularizers),
            counted on the copy after a forward pass.
        loss_floor: the least loss any prediction reaches on the batch's
            targets (the entropy of soft class targets; 0 for hard labels);
            `target` is measured above it.
    """

    losses: Tuple[float, ...]
    initial: float
    target: float
    mean_target_loss: Optional[float] = None
    rate_limited: bool = False
    value_targets: bool = False
    trainable_params: int = 0
    batch_target_values: int = 0
    batch_size: int = 0
    stopped: Optional[str] = None
    task_kind: Optional[str] = None
    own_loss_terms: int = 0
    loss_floor: float = 0.0

    @property
    def pattern(self):
        """The curve's shape (`classify_curve`): `"converged"` or how it failed."""
        return classify_curve(self.losses, initial=self.initial, target=self.target,
                              rate_limited=self.rate_limited,
                              value_targets=self.value_targets,
                              baseline=self.mean_target_loss)


def measure_overfit(model, x, y, *, batch_size=16, max_steps=300, target_ratio=0.05,
                    patience=60, time_budget=60.0, seed=0, task=None):
    """Train a copy on one small batch; an `OverfitEvidence`.

    The loop stops once the smoothed loss reaches the target, the loss is
    non-finite or grew tenfold, or it made no new low for `patience` steps.
    Inputs are taken as checked by `overfit_batch`; `task` is resolved.

    Returns:
        An `OverfitEvidence`.
    """
    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(_common.count(x), size=min(batch_size, _common.count(x)),
                                   replace=False))
        xb, yb = _common.take(x, index), _common.take(y, index)
        clone = _common.probe_copy(model, seed=seed, sample_x=xb)
        fn = _common.per_sample_loss(model.loss)
        y_pred = clone(xb, training=False)
        own_terms = len(clone.losses)  # add_loss terms of this call, regularizers
        initial = None if fn is None else float(np.mean(np.asarray(fn(yb, y_pred))))
        kind = _common.loss_kind(model.loss)
        classes = kind is not None and task.is_classification
        value_target = None if classes else _value_target(
            fn, model.loss, xb, yb, y_pred, target_ratio)
        value_target, mean_loss = value_target if value_target else (None, None)
        floor = (_common.cross_entropy_floor(model.loss, kind, yb)
                 if classes else 0.0)
        budget = _common.Budget(max_steps, time_budget)
        losses, best, since_best, stopped = [], math.inf, 0, None
        target = None
        while stopped is None:
            loss = _common.train_loss(clone, xb, yb)
            losses.append(loss)
            if initial is None:
                initial = loss
            if target is None and value_target is not None:
                target = value_target
            if target is None:
                reference = (math.log(_common.n_classes_of(kind, y_pred)) if classes
                             else initial)
                # Soft class targets (mixup, label smoothing) cannot be fitted
                # below their entropy: success is measured above that floor.
                target = floor + target_ratio * abs(reference)
            smooth = float(np.mean(losses[-5:]))
            if not math.isfinite(loss) or loss > 10 * max(abs(initial), 1e-12):
                stopped = "diverged"
            elif smooth <= target:
                stopped = "converged"
            else:
                if smooth < best * 0.99:
                    best, since_best = smooth, 0
                else:
                    since_best += 1
                if since_best >= patience:
                    stopped = "plateau"
            stopped = stopped or budget.reason(len(losses))

    import keras

    n_params = int(sum(np.prod(w.shape) for w in clone.trainable_weights))
    # Every output's values (a multi-output model predicts a structure).
    n_values = 0 if y_pred is None else sum(
        int(np.prod(np.shape(leaf))) for leaf in keras.tree.flatten(y_pred))
    return OverfitEvidence(
        losses=tuple(float(v) for v in losses), initial=initial, target=target,
        mean_target_loss=mean_loss, rate_limited=_fixed_rate_sgd(model.optimizer),
        value_targets=not classes, trainable_params=n_params,
        batch_target_values=n_values, batch_size=int(len(index)), stopped=stopped,
        task_kind=task.kind, own_loss_terms=own_terms, loss_floor=floor)


def judge_overfit(evidence, settings=None, task=None):
    """The `probe.cannot_overfit_batch` findings `evidence` supports; pure (no TensorFlow).

    Nothing when the curve reached its target. Otherwise one finding named
    by the curve's shape (`classify_curve`): an error, or `info` when it is
    inconclusive (still falling when the probe stopped, a model with fewer
    parameters than the batch's target values, or value targets still over
    twice the mean-target loss yet falling).

    Args:
        evidence: an `OverfitEvidence`.
        settings: unused (the target is measured with `target_ratio`).
            Defaults to `None`.
        task: the task (its kind is read from the evidence). Defaults to `None`.

    Returns:
        list of `Finding`.
    """
    losses = list(evidence.losses)
    initial, target, mean_loss = evidence.initial, evidence.target, evidence.mean_target_loss
    n_params, n_values = evidence.trainable_params, evidence.batch_target_values
    stopped = evidence.stopped
    pattern = evidence.pattern
    findings = []
    if pattern != "converged":
        small = 0 < n_params < n_values
        # Values to regress whose loss is still above what predicting the
        # batch's mean target gives, yet falling: the output has not reached
        # the targets' scale within the probe's steps (raw targets far from
        # the ~0 a fresh network outputs). Inconclusive, not a broken model.
        # "Above" is more than twice: a model that learnt the offset (even one
        # blind to its input) sits at or below the mean-target loss.
        far = (mean_loss is not None and pattern == "plateau"
               and float(np.nanmin(losses)) > 2 * mean_loss and losses[-1] < initial)
        severity = "info" if pattern == "still_falling" or (
            (small or far) and pattern == "plateau") else None
        final = losses[-1]
        needed = _steps_needed(losses, target) if pattern == "still_falling" else None
        # A model that adds loss terms of its own optimises their sum with the
        # compiled loss. Settled at the input-blind level (the mean-target
        # loss), the curve says those terms outweigh fitting the inputs: the
        # output ignores its input (a variational autoencoder whose KL term
        # collapses the latent code), not that labels or a softmax are wrong.
        blind_by_own_terms = (
            pattern == "plateau" and evidence.own_loss_terms > 0 and mean_loss is not None
            and not far and float(np.nanmin(losses)) >= (1 - _BLIND_MARGIN) * mean_loss)
        findings.append(Finding(
            "probe.cannot_overfit_batch", severity=severity,
            message=(f"Training on a single batch of {evidence.batch_size} samples did not "
                     f"bring the loss near zero: {_PATTERN_TEXT[pattern]} "
                     f"({initial:.4g} -> {final:.4g} in {len(losses)} steps, "
                     f"target {target:.3g})."
                     + (f" The model has {n_params} trainable parameters for "
                        f"{n_values} target values in the batch, too few to memorise "
                        "it, so this says little." if small else "")
                     + (f" The loss is still over twice the {mean_loss:.4g} of predicting "
                        "the batch's mean target, yet falling: the output has not "
                        "reached the targets' scale in the probe's steps, so this is "
                        "inconclusive (standardised targets make it conclusive)."
                        if far else "")
                     + (f" The model adds {evidence.own_loss_terms} loss term(s) of its "
                        "own (add_loss, weight or activity regularizers) to the compiled "
                        f"loss, and it settled at the {mean_loss:.4g} of predicting the "
                        "batch's mean target: those terms outweigh fitting the inputs, "
                        "so the output ignores its input." if blind_by_own_terms else "")
                     + (f" At its pace over the last quarter of the run it needs about "
                        f"{needed:.3g} more steps to reach the target, so this is "
                        "inconclusive, not a failure." if needed else "")),
            evidence={"pattern": pattern, "initial_loss": initial,
                      "task": evidence.task_kind, "trainable_params": n_params,
                      "batch_target_values": n_values, "mean_target_loss": mean_loss,
                      "final_loss": final,
                      "min_loss": float(np.nanmin(losses)) if np.any(
                          np.isfinite(losses)) else float("nan"),
                      "target": target, "steps": len(losses),
                      "steps_needed_at_this_pace": needed,
                      "batch_size": int(evidence.batch_size), "stopped": stopped,
                      "own_loss_terms": int(evidence.own_loss_terms),
                      "loss_floor": float(evidence.loss_floor)},
            fix=_OWN_TERMS_FIX if blind_by_own_terms else _FIXES[pattern],
        ))
    return findings

