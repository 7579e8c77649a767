"""Probe: does the model do better on its real inputs than on zeros?"""

import dataclasses
import time
from typing import Optional, Tuple

import numpy as np

from kerasdoc._validation import check_float, check_int
from kerasdoc.findings import Finding
from kerasdoc.probes import _common
from kerasdoc.probes._result import ProbeResult, get_axes, setting_of

__all__ = ["InputIndependenceResult", "InputIndependenceEvidence", "input_independence",
           "measure_input_independence", "judge_input_independence"]

# Samples the output spread is measured over (the first of the drawn ones).
_SPREAD_SAMPLES = 32


class InputIndependenceResult(ProbeResult):
    """Losses of two copies trained alike, one on real inputs, one on zeros.

    Attributes:
        real_losses: training loss per step of the copy fed real inputs.
        zero_losses: training loss per step of the copy fed zeros.
        real_loss: mean of the last `check_every` real losses.
        zero_loss: the same for the zero-input copy.
        output_spread: how much the outputs of the untrained copy vary across
            samples, relative to their size (0 when the output ignores the input).
        gap: mean over the samples of (zero-input copy's loss on zeros minus
            real copy's loss on the real inputs), both in inference mode after
            training, or `None` when the loss has no per-sample form.
        gap_z: `gap` in standard errors of that paired mean (`inf` when every
            difference is equal and positive), or `None`.
        conclusive: False when the real-input copy learned nothing in the
            budget, or training diverged, so equal losses say nothing about
            the input; or when it ended significantly worse than the
            zero-input copy, which shows its output depends on the input
            and it was still learning (reported at info); or when it was
            level with the zero-input copy while its loss on the same
            samples was still falling significantly over the run's second
            half (also info).
    """

    name = "input_independence"

    def __init__(self, *, real_losses=(), zero_losses=(), real_loss=None,
                 zero_loss=None, output_spread=None, gap=None, gap_z=None,
                 conclusive=True, **kwargs):
        super().__init__(**kwargs)
        self.real_losses = np.asarray(real_losses, dtype=np.float64)
        self.zero_losses = np.asarray(zero_losses, dtype=np.float64)
        self.real_loss = real_loss
        self.zero_loss = zero_loss
        self.output_spread = output_spread
        self.gap = gap
        self.gap_z = gap_z
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
    """Mean over outputs of the std across samples, relative to the mean |output|.

    Probabilities are read as the logits they came from (Keras keeps them on
    a sigmoid's or softmax's output): raw-scale inputs saturate a fresh
    sigmoid at exactly 1.0 for every sample while its logits still vary
    with the input, and a saturated output is not an input-blind one.
    """
    import keras

    outputs = model(xs, training=False)
    from kerasdoc._keras import keras_logits

    outputs = [t if keras_logits(t) is None else keras_logits(t)
               for t in keras.tree.flatten(outputs)]
    out = _common.output_matrix(outputs, _common.count(xs))
    scale = float(np.mean(np.abs(out)))
    return float(np.mean(out.std(axis=0)) / scale) if scale > 0 else 0.0


def _initial(loss, model, xs, ys):
    """Mean loss of `model` on (xs, ys) before training, or None."""
    fn = _common.per_sample_loss(loss)
    if fn is None:
        return None
    return float(np.mean(np.asarray(fn(ys, model(xs, training=False)))))


def _paired_gap(fn, real, blank, xs, zeros, ys, track=None):
    """(mean, z) of per-sample zero-copy loss minus real-copy loss, or (None, None).

    When `track` is a list, the real copy's per-sample losses (inference
    mode, the same samples every time) are appended to it.
    """
    if fn is None:
        return None, None
    n = _common.count(xs)
    lose_real = np.asarray(fn(ys, real(xs, training=False)), np.float64)
    lose_zero = np.asarray(fn(ys, blank(zeros, training=False)), np.float64)
    if lose_real.ndim == 0 or lose_real.shape[0] != n or lose_zero.shape != lose_real.shape:
        # A user loss that reduces over the batch itself (a contrastive loss
        # returning one number) has no per-sample form: no paired test.
        return None, None
    lose_real, lose_zero = lose_real.reshape(n, -1), lose_zero.reshape(n, -1)
    if track is not None:
        track.append(lose_real.mean(axis=1))
    diff = lose_zero.mean(axis=1) - lose_real.mean(axis=1)
    gap = float(np.mean(diff))
    if not np.isfinite(gap):
        return None, None
    error = float(np.std(diff, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    if error > 0:
        return gap, gap / error
    return gap, (np.inf if gap > 0 else 0.0)


def _still_falling(track, z):
    """Whether the real copy's loss fell significantly over the run's second half.

    `track` holds the real copy's per-sample losses at each check, always
    on the same samples in inference mode, so the paired difference between
    the check halfway through and the last one has no batch noise: a mean
    drop `z` standard errors above zero (and above 1 % of the loss, beyond
    float drift) is a copy still learning when the probe stopped.
    """
    if len(track) < 2:
        return False
    mid, last = track[(len(track) - 1) // 2], track[-1]
    if mid is last:
        return False
    drop = mid - last
    mean = float(np.mean(drop))
    if not np.isfinite(mean) or mean <= 0.01 * abs(float(np.mean(mid))):
        return False
    error = float(np.std(drop, ddof=1) / np.sqrt(len(drop))) if len(drop) > 1 else 0.0
    return error == 0 or mean / error >= z


def input_independence(model, x, y=None, *, batch_size: int = 32, n_samples: int = 256,
                       max_steps: int = 100, check_every: int = 10,
                       margin: float = 0.1, z: float = 3.0,
                       spread_tolerance: float = 1e-6,
                       time_budget: Optional[float] = 60.0,
                       seed: int = 0) -> InputIndependenceResult:
    """Train one copy on real inputs and one on zeros; compare their losses.

    With zeroed inputs a model can only learn the label prior. If the copy
    trained on the real inputs does no better, the model is not using its
    input: a layer that drops or overwrites it, a wrong input wired in, or
    inputs so badly scaled that nothing passes. Both copies start from the
    model's weights, use its loss and a fresh copy of its optimizer, and see
    the same batches in the same order.

    Early in training a model that uses its input may beat the zero-input
    copy only by a few percent. So after training both copies are scored
    per sample (inference mode, the same samples): the real copy counts as
    better when it wins by `margin` of the zero-input loss, or when its mean
    per-sample advantage is `z` standard errors above zero (a paired test).
    The loop stops early once both hold.

    When the real-input copy's loss did not move in the budget (a learning
    rate far too small) or training diverged (far too large: dead units make
    any model constant), equal losses prove nothing; the result is then
    marked inconclusive and the probe stays silent unless the untrained
    model's outputs do not vary with the input at all. When the real-input
    copy ends significantly worse than the zero-input copy (a paired `z`
    test), its output depends on the input (a model that ignored it would
    compute the same function as the zero copy): it started further from the
    label prior and is still learning, which an info finding says.

    Args:
        model: a compiled Keras model.
        x: inputs.
        y: labels (a dict or list for several outputs);
            `None` when `x` is a stream yielding `(x, y)`. Defaults to `None`.
        batch_size: batch size of the training steps. Defaults to `32`.
        n_samples: samples (drawn at random) to train on. Defaults to `256`.
        max_steps: most steps per copy. Defaults to `100`.
        check_every: steps between comparisons; the loop stops early once the
            real copy is better by both `margin` and `z`. Defaults to `10`.
        margin: the real copy is better when its loss is at least this
            fraction below the zero-input loss. Defaults to `0.1`.
        z: the real copy is also better when its per-sample advantage is at
            least this many standard errors above zero. Defaults to `3.0`.
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
    z = check_float(z, "z", minimum=0.0)
    spread_tolerance = check_float(spread_tolerance, "spread_tolerance", minimum=0.0)
    _common.check_common(seed, time_budget)
    start = time.perf_counter()

    evidence = measure_input_independence(
        model, x, y, batch_size=batch_size, n_samples=n_samples, max_steps=max_steps,
        check_every=check_every, margin=margin, z=z, time_budget=time_budget, seed=seed)
    settings = {"margin": margin, "z": z, "spread_tolerance": spread_tolerance,
                "check_every": check_every}
    verdict = _assess(evidence, settings)
    findings = judge_input_independence(evidence, settings)
    return InputIndependenceResult(
        real_losses=evidence.real_losses, zero_losses=evidence.zero_losses,
        real_loss=verdict["real_loss"], zero_loss=verdict["zero_loss"],
        output_spread=evidence.output_spread, gap=evidence.gap, gap_z=evidence.gap_z,
        conclusive=verdict["conclusive"], findings=findings, stopped=evidence.stopped,
        seconds=time.perf_counter() - start)


@dataclasses.dataclass(frozen=True)
class InputIndependenceEvidence:
    """What the input-independence probe measured: plain numbers, no model.

    Attributes:
        real_losses: training loss per step of the copy fed real inputs.
        zero_losses: the same for the copy fed zeros.
        start_real: the real copy's mean loss before training (inference
            mode), or `None` when the loss has no per-sample form.
        start_zero: the same for the zero-input copy on zeros.
        output_spread: relative variation of the untrained outputs across
            samples (`_output_spread`).
        gap: mean per-sample (zero copy's loss on zeros minus real copy's
            loss on real inputs) after training, or `None`.
        gap_z: `gap` in standard errors, or `None`.
        track: the real copy's per-sample losses at each comparison (same
            samples, inference mode), oldest first.
        n_samples: samples trained on.
        stopped: why the loop ended (`"clear"`, `"max_steps"`,
            `"time_budget"`).
    """

    real_losses: Tuple[float, ...]
    zero_losses: Tuple[float, ...]
    start_real: Optional[float]
    start_zero: Optional[float]
    output_spread: float
    gap: Optional[float]
    gap_z: Optional[float]
    track: Tuple[np.ndarray, ...] = ()
    n_samples: int = 0
    stopped: Optional[str] = None


def measure_input_independence(model, x, y, *, batch_size=32, n_samples=256, max_steps=100,
                               check_every=10, margin=0.1, z=3.0, time_budget=60.0,
                               seed=0):
    """Train a real-input and a zero-input copy alike; an `InputIndependenceEvidence`.

    The loop stops early once the real copy is better by both `margin` and
    `z` (so these settings shape the measurement too). Inputs are taken as
    checked by `input_independence`; the model is not touched.

    Returns:
        An `InputIndependenceEvidence`.
    """
    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        take = np.sort(rng.choice(_common.count(x), size=min(n_samples, _common.count(x)),
                                  replace=False))
        xs, ys = _common.take(x, take), _common.take(y, take)
        zeros = _common.zeros_like(xs)
        real = _common.probe_copy(model, seed=seed, sample_x=xs)
        blank = _common.probe_copy(model, seed=seed, sample_x=xs)
        batches = _common.batch_indices(_common.count(xs), batch_size, rng)
        budget = _common.Budget(max_steps, time_budget)
        # The spread is across samples: at least _SPREAD_SAMPLES of them,
        # whatever the batch size (one sample, at batch_size=1, has none).
        spread = _output_spread(real, _common.take(
            xs, slice(0, max(batch_size, _SPREAD_SAMPLES))))
        start_real = _initial(model.loss, real, xs, ys)
        start_zero = _initial(model.loss, blank, zeros, ys)
        per_sample = _common.per_sample_loss(model.loss)
        real_losses, zero_losses, stopped = [], [], None
        gap, gap_z = None, None
        track = []
        while stopped is None:
            index = next(batches)
            real_losses.append(_common.train_loss(real, _common.take(xs, index),
                                                  _common.take(ys, index)))
            zero_losses.append(_common.train_loss(blank, _common.take(zeros, index),
                                                   _common.take(ys, index)))
            step = len(real_losses)
            if step % check_every == 0 and step >= 2 * check_every:
                gap, gap_z = _paired_gap(per_sample, real, blank, xs, zeros, ys, track)
                if np.mean(real_losses[-check_every:]) < (1 - margin) * np.mean(
                        zero_losses[-check_every:]) and (gap_z is None or gap_z >= z):
                    stopped = "clear"
            stopped = stopped or budget.reason(step)
        if stopped != "clear":
            gap, gap_z = _paired_gap(per_sample, real, blank, xs, zeros, ys, track)

    return InputIndependenceEvidence(
        real_losses=tuple(float(v) for v in real_losses),
        zero_losses=tuple(float(v) for v in zero_losses),
        start_real=start_real, start_zero=start_zero, output_spread=spread, gap=gap,
        gap_z=gap_z, track=tuple(track), n_samples=int(len(take)), stopped=stopped)


def _assess(evidence, settings):
    """The judge's reading of `evidence`: a dict of plain values (pure)."""
    margin = setting_of(settings, "margin", 0.1)
    z = setting_of(settings, "z", 3.0)
    spread_tolerance = setting_of(settings, "spread_tolerance", 1e-6)
    check_every = setting_of(settings, "check_every", 10)
    real_losses, zero_losses = list(evidence.real_losses), list(evidence.zero_losses)
    start_real, start_zero = evidence.start_real, evidence.start_zero
    spread, gap, gap_z = evidence.output_spread, evidence.gap, evidence.gap_z
    track = list(evidence.track)
    window = max(1, min(check_every, len(real_losses) // 2))
    real_loss = float(np.mean(real_losses[-window:]))
    zero_loss = float(np.mean(zero_losses[-window:]))
    start_real = real_losses[0] if start_real is None else start_real
    start_zero = zero_losses[0] if start_zero is None else start_zero
    # Judged on the real copy alone: the zero copy learning the label prior
    # while the real one learns nothing is no evidence that the input is unused.
    learned = real_loss < start_real * (1 - margin)
    curves = np.array(real_losses + zero_losses)
    diverged = not np.all(np.isfinite(curves)) or curves.max() > 10 * max(
        abs(start_real), abs(start_zero), 1e-12)
    constant = spread <= spread_tolerance
    significant = gap_z is not None and gap_z >= z and gap > 0
    # Both copies start from the same weights and see the same batches: a
    # model whose output ignores its input computes the same function on
    # both and ends with the same losses. A real copy significantly WORSE
    # than the zero copy therefore does depend on its input; it started
    # further from the label prior (the zero copy starts at it) and is still
    # learning. Whether the input helps is then undecided, not refuted.
    worse = (gap_z <= -z and gap < 0) if gap_z is not None else (
        real_loss > zero_loss * (1 + margin))
    no_better = not (real_loss < zero_loss * (1 - margin) or significant)
    # A real copy level with the zero copy but whose loss on the same samples
    # was still falling significantly over the second half of the run has
    # not finished learning: an input-blind model would have stopped where
    # the zero copy stopped (the label prior), so level losses at that point
    # say nothing yet.
    falling = bool(no_better and _still_falling(track, z))
    still_learning = bool((worse or falling) and not constant and learned
                          and not diverged)
    conclusive = constant or (learned and not diverged and not worse and not falling)
    return {"real_loss": real_loss, "zero_loss": zero_loss, "start_real": start_real,
            "learned": learned, "diverged": diverged, "constant": constant,
            "worse": worse, "no_better": no_better, "falling": falling,
            "still_learning": still_learning, "conclusive": conclusive,
            "margin": margin, "z": z}


def judge_input_independence(evidence, settings=None, task=None):
    """The `probe.input_independent` findings `evidence` supports; pure (no TensorFlow).

    An error when the real-input copy is, conclusively, no better than the
    zero-input copy (by `margin` or a paired `z` test); info when the real
    copy is still learning (worse than the zero copy, or level but still
    falling), so nothing is concluded; nothing when the real copy learned
    nothing or diverged (inconclusive) unless the output ignores the input.

    Args:
        evidence: an `InputIndependenceEvidence`.
        settings: the check's settings (`margin`, `z`, `spread_tolerance`,
            `check_every`). Defaults to `None`: the probe's defaults.
        task: unused. Defaults to `None`.

    Returns:
        list of `Finding`.
    """
    v = _assess(evidence, settings)
    real_loss, zero_loss, start_real = v["real_loss"], v["zero_loss"], v["start_real"]
    margin, z, falling, constant = v["margin"], v["z"], v["falling"], v["constant"]
    still_learning, conclusive, no_better = (v["still_learning"], v["conclusive"],
                                             v["no_better"])
    gap, gap_z, spread = evidence.gap, evidence.gap_z, evidence.output_spread
    real_losses = evidence.real_losses
    findings = []
    if still_learning:
        findings.append(Finding(
            "probe.input_independent", severity="info",
            message=(f"Inconclusive: after {len(real_losses)} steps the copy on real "
                     f"inputs was still learning (loss {start_real:.4g} -> "
                     f"{real_loss:.4g}"
                     + (", still falling over the run's second half" if falling else "")
                     + ") and had not yet got below the label prior the "
                     f"zero-input copy sits at ({zero_loss:.4g}); its outputs do "
                     "depend on the input."),
            evidence={"real_loss": real_loss, "zero_loss": zero_loss,
                      "still_falling": falling,
                      "start_real_loss": start_real, "margin": margin, "gap": gap,
                      "gap_z": gap_z, "z": z, "steps": len(real_losses),
                      "output_spread": spread, "output_constant": constant,
                      "conclusive": False, "n_samples": evidence.n_samples},
            fix=("Nothing to fix on this evidence; run input_independence with a "
                 "larger max_steps to settle it."),
        ))
    elif conclusive and no_better:
        findings.append(Finding(
            "probe.input_independent",
            message=(f"The model does as well on zeroed inputs as on real ones "
                     f"(training loss {real_loss:.4g} on real inputs vs "
                     f"{zero_loss:.4g} on zeros after {len(real_losses)} steps)."),
            evidence={"real_loss": real_loss, "zero_loss": zero_loss,
                      "margin": margin, "gap": gap, "gap_z": gap_z, "z": z,
                      "steps": len(real_losses),
                      "output_spread": spread, "output_constant": constant,
                      "n_samples": evidence.n_samples},
            fix=("Check that the input reaches the output: a layer that "
                 "multiplies it by zero or replaces it, a branch that is not "
                 "connected, the wrong tensor passed as input, or inputs scaled "
                 "so that every unit saturates or dies."),
        ))
    return findings

