"""Probe: the loss at initialisation against -ln(1/C) and the label-prior entropy."""

import dataclasses
import math
import time
from typing import Optional

import numpy as np

from kerasdoc import _deadline
from kerasdoc._task import resolve_task
from kerasdoc._validation import check_float, check_int
from kerasdoc.findings import Finding
from kerasdoc.probes import _common, _shared
from kerasdoc.probes._result import ProbeResult, setting_of

__all__ = ["InitialLossResult", "InitialLossEvidence", "initial_loss", "measure_initial_loss",
           "judge_initial_loss", "initial_loss_limit"]

# Nats above ln C that a fresh network's own logit spread may add (see `limit`).
_FRESH_LOGITS_NATS = 1.0


class InitialLossResult(ProbeResult):
    """Measured and expected loss of a classifier before training.

    Attributes:
        measured: mean loss of the model on the sampled data.
        expected: -ln(1/n_classes), the loss of uniform predictions.
        prior_entropy: entropy of the label prior, the loss of predicting the
            class frequencies (equal to `expected` for balanced classes).
        n_classes: number of classes.
        n_samples: samples the loss was measured on.
        ratio: `measured / expected`.
    """

    name = "initial_loss"

    def __init__(self, *, measured=None, expected=None, prior_entropy=None,
                 n_classes=None, n_samples=0, **kwargs):
        super().__init__(**kwargs)
        self.measured = measured
        self.expected = expected
        self.prior_entropy = prior_entropy
        self.n_classes = n_classes
        self.n_samples = n_samples
        self.ratio = (measured / expected
                      if measured is not None and expected else None)

    def _summary(self):
        return f"measured={self.measured:.4g} expected={self.expected:.4g}"


def _standardized(x):
    """`x` with each float feature at mean 0 and standard deviation 1, or None.

    Integer and non-float inputs (token ids, strings) are left as they are;
    None when there is no float input to rescale.
    """
    import keras

    changed = []

    def scale(a):
        a = np.asarray(a)
        if not np.issubdtype(a.dtype, np.floating) or a.ndim == 0:
            return a
        values = a.astype(np.float64)
        mean = values.mean(axis=0, keepdims=True)
        std = values.std(axis=0, keepdims=True)
        std = np.where(std > 0, std, 1.0)
        changed.append(True)
        return ((values - mean) / std).astype(a.dtype)

    out = keras.tree.map_structure(scale, x)
    return out if changed else None


def initial_loss(model, x, y=None, *, n_samples: int = 512, tolerance: float = 0.5,
                 batch_size: int = 128, seed: int = 0, task=None) -> InitialLossResult:
    """Compare the loss at initialisation with what a fresh classifier should give.

    A freshly initialised C-class softmax classifier predicts roughly uniform
    probabilities, so its cross-entropy sits near -ln(1/C) (2.303 for ten
    classes), or near the entropy of the label prior when the output bias is
    set to the class log-prior. A loss far above that means an output scaled
    up (large logits), a bad initialisation of the last layer, or
    unnormalised inputs. The loss is measured in inference mode on a copy of
    the model, without regularisation terms. Only cross-entropy losses are
    checked, and only when the targets are classes: regression and
    reconstruction (an autoencoder trained with binary cross-entropy on
    [0, 1] pixels), other losses, and models that were already trained
    (`optimizer.iterations > 0`), are skipped.

    When the loss is too high, the same fresh copy is measured again on the
    same samples with every float input feature standardised. If that brings
    it within the limit, the input scale (raw counts, lab values, 0-255
    pixels) explains the large logits, not the model: the finding is `info`
    (the optimizer shrinks the first layer's weights within its first steps;
    the data audit's `data.not_normalized` owns the cause). Otherwise it is a
    `warning`: the model itself scales its logits up.

    Args:
        model: a compiled Keras classifier.
        x: inputs.
        y: labels in the encoding the loss expects (a dict or list for several outputs);
            `None` when `x` is a stream yielding `(x, y)`. Defaults to `None`.
        n_samples: samples (drawn at random) to measure the loss on; the
            probe's budget (one forward pass over them). Defaults to `512`.
        tolerance: the probe fires when the measured loss exceeds
            `(1 + tolerance) * -ln(1/C)`, and at least `-ln(1/C) + 1` (the
            most a fresh network's own logit spread adds). Defaults to `0.5`.
        batch_size: batch size of the forward passes. Defaults to `128`.
        seed: seed of the sample draw. Defaults to `0`.
        task: the task (`kerasdoc.Task` or a kind name). Defaults to `None`:
            inferred from the model and the data (`kerasdoc.infer_task`).

    Returns:
        An `InitialLossResult` (finding code `probe.initial_loss`).

    Example:

    >>> result = initial_loss(model, x_train, y_train)  # doctest: +SKIP
    >>> result.measured, result.expected                # doctest: +SKIP
    (2.41, 2.303)
    """
    _common.check_compiled(model)
    x, y = _common.check_xy(x, y, model)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    tolerance = check_float(tolerance, "tolerance", minimum=0.0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    _common.check_common(seed, None)
    start = time.perf_counter()

    kind = _common.loss_kind(model.loss)
    if kind is None:
        return InitialLossResult(skipped=(
            f"loss {model.loss!r} is not a cross-entropy; the expected initial "
            "loss is only known for classifiers"))
    task = resolve_task(task, model, x, y)
    if not task.is_classification:
        return InitialLossResult(skipped=(
            f"does not apply to the task ({task.describe()}): the expected initial "
            "loss -ln(1/C) is only known when the targets are classes"))
    iterations = int(np.asarray(model.optimizer.iterations)) if model.optimizer else 0
    if iterations > 0:
        return InitialLossResult(skipped=(
            f"the model has already been trained (optimizer.iterations={iterations}); "
            "the initial loss is only meaningful before training"))

    evidence = measure_initial_loss(model, x, y, n_samples=n_samples,
                                    tolerance=tolerance, batch_size=batch_size,
                                    seed=seed, kind=kind)
    findings = judge_initial_loss(evidence, {"tolerance": tolerance}, task)
    return InitialLossResult(
        measured=evidence.measured, expected=evidence.expected,
        prior_entropy=evidence.prior_entropy, n_classes=evidence.n_classes,
        n_samples=evidence.n_samples, findings=findings,
        seconds=time.perf_counter() - start)


@dataclasses.dataclass(frozen=True)
class InitialLossEvidence:
    """What `measure_initial_loss` measured: plain numbers, no model.

    Attributes:
        measured: mean loss of the fresh copy on the sampled data.
        n_classes: number of classes C of the output.
        prior_entropy: entropy of the label prior.
        n_samples: samples the loss was measured on.
        standardized_loss: the same copy's loss on the same samples with every
            float input feature standardised; `None` when it was not measured
            (the loss was within the limit, or no input is float).
    """

    measured: float
    n_classes: int
    prior_entropy: float
    n_samples: int
    standardized_loss: Optional[float] = None

    @property
    def expected(self):
        """-ln(1/C), the loss of uniform predictions."""
        return math.log(self.n_classes)


def initial_loss_limit(n_classes, tolerance):
    """The initial loss above which the probe fires: `max((1 + tol) ln C, ln C + 1)`.

    A fresh network's logits are not exactly 0: with variance s^2 they add
    about s^2 (C - 1) / (2 C) nats to ln C, under 1 nat for s^2 <= 2
    (He-initialised layers keep unit-scale inputs at variance ~2), at any C.
    So the limit never sits less than `_FRESH_LOGITS_NATS` above ln C, which
    a relative tolerance would for few classes (0.35 nats at C = 2: a fresh
    Dense(3) head over 8 ReLU units on standardised iris starts at 1.71,
    limit 1.65).

    Args:
        n_classes: number of classes C.
        tolerance: the relative tolerance above ln C.

    Returns:
        float.
    """
    uniform = math.log(n_classes)
    return max((1.0 + tolerance) * uniform, uniform + _FRESH_LOGITS_NATS)


def measure_initial_loss(model, x, y, *, n_samples=512, tolerance=0.5, batch_size=128,
                         seed=0, kind=None):
    """Measure a fresh copy's loss on a sample of `(x, y)`; an `InitialLossEvidence`.

    When the loss is above `initial_loss_limit`, the same copy is measured
    again on the same samples with every float input feature standardised
    (the counterfactual the judge reads). Inputs are taken as checked by
    `initial_loss`.

    Args:
        model: a compiled Keras classifier (not touched: a copy is measured).
        x: inputs.
        y: labels in the encoding the loss expects.
        n_samples: samples to measure on. Defaults to `512`.
        tolerance: decides whether the counterfactual is measured.
            Defaults to `0.5`.
        batch_size: batch size of the forward passes. Defaults to `128`.
        seed: seed of the sample draw. Defaults to `0`.
        kind: the loss kind (`_common.loss_kind`). Defaults to `None`: read
            from `model.loss`.

    Returns:
        An `InitialLossEvidence`.
    """
    kind = kind or _common.loss_kind(model.loss)
    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        take = np.sort(rng.choice(_common.count(x), size=min(n_samples, _common.count(x)),
                                  replace=False))
        clone = _common.probe_copy(model, seed=seed, compile=False,
                                   sample_x=_common.take(x, slice(0, 1)))
        fn = _common.per_sample_loss(model.loss)

        xs, ys = _common.take(x, take), _common.take(y, take)

        # Inside `diagnose` the passes stop at the probe's deadline: the loss
        # is then the mean over the samples measured (at least one batch,
        # the first a small one), and the evidence says how many.
        deadline = _deadline.current()
        used = [len(take)]

        def mean_loss(inputs):
            losses, out, begin, per_sample = [], None, 0, None
            while begin < used[0]:
                size = batch_size if deadline is None or begin else min(batch_size, 32)
                if begin and deadline is not None and (
                        deadline.left() < per_sample * min(size, used[0] - begin)):
                    used[0] = begin
                    break
                part = slice(begin, min(begin + size, used[0]))
                tick = time.perf_counter()
                out = clone(_common.take(inputs, part), training=False)
                losses.append(np.asarray(fn(_common.take(ys, part), out),
                                         dtype=np.float64).reshape(-1))
                if not begin:  # one forward pass of the model, for planning
                    _shared.note_cost("eager_forward", time.perf_counter() - tick)
                seconds = (time.perf_counter() - tick) / (part.stop - part.start)
                per_sample = seconds if per_sample is None else min(per_sample, seconds)
                begin = part.stop
            return float(np.mean(np.concatenate(losses))), out

        measured, y_pred = mean_loss(xs)
        limit = initial_loss_limit(_common.n_classes_of(kind, y_pred), tolerance)
        # The counterfactual: the same fresh copy on the same samples with
        # every float input feature standardised (token ids left alone).
        scaled = None
        if not _common.finite(measured) or measured > limit:
            standardized = _standardized(xs)
            if standardized is not None:
                scaled, _ = mean_loss(standardized)

    prior_entropy = _common.entropy(_common.label_prior(
        y, _common.n_classes_of(kind, y_pred), kind))
    return InitialLossEvidence(
        measured=measured, n_classes=int(_common.n_classes_of(kind, y_pred)),
        prior_entropy=prior_entropy, n_samples=int(used[0]), standardized_loss=scaled)


def judge_initial_loss(evidence, settings=None, task=None):
    """The `probe.initial_loss` findings `evidence` supports; pure (no TensorFlow).

    Fires when the measured loss is non-finite or above
    `initial_loss_limit(C, tolerance)`. When standardised inputs bring the
    same fresh model back within the limit, the input scale explains the
    gap and the finding is `info`; otherwise a `warning`.

    Args:
        evidence: an `InitialLossEvidence`.
        settings: the check's settings (an object or mapping with
            `tolerance`). Defaults to `None`: the probe's default `0.5`.
        task: the task (unused: the probe applies to classifiers only).
            Defaults to `None`.

    Returns:
        list of `Finding`.
    """
    tolerance = setting_of(settings, "tolerance", 0.5)
    measured, scaled = evidence.measured, evidence.standardized_loss
    n_classes, expected = evidence.n_classes, evidence.expected
    prior_entropy = evidence.prior_entropy
    limit = initial_loss_limit(n_classes, tolerance)
    findings = []
    if not _common.finite(measured) or measured > limit:
        # The input scale explains the gap when standardised inputs bring the
        # same fresh model back within the limit: the model is fine, the logits
        # are large because the features are (raw counts, lab values, pixels
        # 0-255). That is the data audit's finding (data.not_normalized); the
        # optimizer shrinks the first layer's weights within the first steps,
        # so it slows the start, it does not break training: info.
        by_scale = scaled is not None and _common.finite(scaled) and scaled <= limit
        message = (f"The loss at initialisation is {measured:.4g}, far above the "
                   f"{expected:.4g} (-ln(1/{n_classes})) a fresh {n_classes}-class "
                   "classifier should start from.")
        if by_scale:
            message += (f" With the inputs standardised the same model starts at "
                        f"{scaled:.4g}: the input scale, not the model, puts the "
                        "logits far from zero (training recovers from it, more "
                        "slowly).")
        elif scaled is not None:
            message += (f" Standardised inputs do not explain all of it: the same "
                        f"model starts at {scaled:.4g} on them, still above the "
                        f"{limit:.4g} limit.")
        findings.append(Finding(
            "probe.initial_loss", severity="info" if by_scale else None,
            message=message,
            evidence={"measured": measured, "expected": expected,
                      "prior_entropy": prior_entropy, "limit": limit,
                      "ratio": measured / expected, "n_classes": n_classes,
                      "n_samples": evidence.n_samples, "standardized_inputs_loss": scaled,
                      "explained_by_input_scale": bool(by_scale)},
            fix=("Standardise or min-max scale the input features (e.g. a "
                 "keras.layers.Normalization adapted on the training data)."
                 if by_scale else
                 "Look for logits scaled up before the softmax (a multiply, a "
                 "temperature, a large-scale initializer on the last layer), and "
                 "scale inputs to [0, 1]; the last layer should start with small "
                 "weights and its bias at zero or at the log class prior."),
        ))
    return findings
