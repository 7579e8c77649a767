"""The probes' pure judges, on evidence arrays: no model, no training, milliseconds.

Each probe measures on a copy of the model (`measure_*`, an evidence object
of plain numbers) and a pure `judge_*(evidence, settings, task)` decides.
These tests feed the judges the evidence of a broken run, of a healthy run,
and of a run the budget cut short, as the live detectors' tests do.
"""

import dataclasses
import inspect
import math

import numpy as np
import pytest

from kerasdoc.probes._batch_mixing import BatchMixingEvidence, judge_batch_mixing
from kerasdoc.probes._gradient_check import GradientCheckEvidence, judge_gradient_check
from kerasdoc.probes._initial_loss import InitialLossEvidence, judge_initial_loss
from kerasdoc.probes._input_independence import (InputIndependenceEvidence,
                                                 judge_input_independence)
from kerasdoc.probes._lr_range import LRRangeEvidence, judge_lr_range
from kerasdoc.probes._overfit import OverfitEvidence, judge_overfit


def _severity(finding):
    return str(finding.severity)


# -- probe.initial_loss -------------------------------------------------------

def test_initial_loss_judge_fires_on_logits_scaled_up():
    evidence = InitialLossEvidence(measured=31.4, n_classes=10, prior_entropy=math.log(10),
                                   n_samples=256, standardized_loss=30.9)
    [finding] = judge_initial_loss(evidence)
    assert finding.code == "probe.initial_loss" and _severity(finding) == "warning"
    assert finding.evidence["ratio"] == pytest.approx(31.4 / math.log(10))
    assert finding.evidence["limit"] == pytest.approx(1.5 * math.log(10))
    assert "still above" in finding.message and "softmax" in finding.fix


def test_initial_loss_judge_is_info_when_the_input_scale_explains_it():
    evidence = InitialLossEvidence(measured=9.0, n_classes=3, prior_entropy=1.0,
                                   n_samples=150, standardized_loss=1.2)
    [finding] = judge_initial_loss(evidence)
    assert _severity(finding) == "info" and finding.evidence["explained_by_input_scale"]
    assert "Normalization" in finding.fix


def test_initial_loss_judge_silent_on_a_fresh_classifier_and_reads_tolerance():
    healthy = InitialLossEvidence(measured=2.4, n_classes=10, prior_entropy=2.3,
                                  n_samples=256)
    assert judge_initial_loss(healthy) == []
    # Two classes: the limit is ln 2 + 1 nat, not 1.5 ln 2 (a fresh net's spread).
    narrow = InitialLossEvidence(measured=1.6, n_classes=2, prior_entropy=0.69,
                                 n_samples=64)
    assert judge_initial_loss(narrow) == []
    high = InitialLossEvidence(measured=6.0, n_classes=10, prior_entropy=2.3, n_samples=9)
    assert judge_initial_loss(high) and judge_initial_loss(high, {"tolerance": 2.0}) == []


def test_initial_loss_judge_fires_on_a_nonfinite_loss():
    evidence = InitialLossEvidence(measured=float("nan"), n_classes=10, prior_entropy=2.3,
                                   n_samples=8)
    [finding] = judge_initial_loss(evidence)
    assert _severity(finding) == "warning"


# -- probe.batch_mixing -------------------------------------------------------

def test_batch_mixing_judge_fires_when_gradient_reaches_other_samples():
    norms = np.array([[0.5, 0.0, 0.2, 0.0],    # sample 0 reaches sample 2
                      [0.0, 0.4, 0.0, 0.0]])
    [finding] = judge_batch_mixing(BatchMixingEvidence(norms, (0, 1)))
    assert finding.code == "probe.batch_mixing" and _severity(finding) == "error"
    assert dict(finding.evidence["leaked_to"]) == {"0": (2,)}
    assert finding.evidence["leak_ratio"] == pytest.approx(0.4)
    assert finding.evidence["batch_size"] == 4


def test_batch_mixing_judge_silent_on_a_per_sample_model_and_below_tolerance():
    diagonal = np.diag([0.3, 0.7, 0.1])
    assert judge_batch_mixing(BatchMixingEvidence(diagonal, (0, 1, 2))) == []
    tiny = np.array([[1.0, 1e-9, 0.0]])  # float round-off, below the 1e-6 tolerance
    assert judge_batch_mixing(BatchMixingEvidence(tiny, (0,))) == []
    assert judge_batch_mixing(BatchMixingEvidence(tiny, (0,)), {"tolerance": 1e-10})


def test_batch_mixing_judge_leaves_out_nonfinite_checks():
    norms = np.array([[np.inf, 1.0, 0.0], [0.0, 0.5, 0.0]])
    evidence = BatchMixingEvidence(norms, (0, 1))
    assert list(evidence.conclusive) == [False, True]
    assert judge_batch_mixing(evidence) == []  # the overflowing row says nothing
    nothing = BatchMixingEvidence(np.full((2, 3), np.nan), (0, 1))
    assert not nothing.conclusive.any() and judge_batch_mixing(nothing) == []


# -- probe.input_independent --------------------------------------------------

def _curve(start, end, steps=100):
    return tuple(np.geomspace(start, end, steps))


def test_input_independence_judge_fires_when_real_inputs_do_no_better():
    # Both copies learn the label prior to the same loss; the paired gap is nil.
    evidence = InputIndependenceEvidence(
        real_losses=_curve(2.3, 1.6), zero_losses=_curve(2.3, 1.6), start_real=2.3,
        start_zero=2.3, output_spread=0.2, gap=0.001, gap_z=0.4, n_samples=256,
        track=(np.full(256, 1.61), np.full(256, 1.6)), stopped="max_steps")
    [finding] = judge_input_independence(evidence)
    assert finding.code == "probe.input_independent" and _severity(finding) == "error"
    assert finding.evidence["real_loss"] == pytest.approx(np.mean(_curve(2.3, 1.6)[-10:]))
    assert "zeroed inputs" in finding.message


def test_input_independence_judge_silent_when_real_inputs_win():
    evidence = InputIndependenceEvidence(
        real_losses=_curve(2.3, 0.3, 40), zero_losses=_curve(2.3, 1.6, 40), start_real=2.3,
        start_zero=2.3, output_spread=0.2, gap=1.3, gap_z=25.0, n_samples=256,
        stopped="clear")
    assert judge_input_independence(evidence) == []


def test_input_independence_judge_is_inconclusive_on_a_copy_still_learning():
    rng = np.random.default_rng(0)
    mid = 1.0 + rng.random(256)
    evidence = InputIndependenceEvidence(   # level with zeros, but still falling
        real_losses=_curve(2.3, 1.6), zero_losses=_curve(2.3, 1.6), start_real=2.3,
        start_zero=2.3, output_spread=0.2, gap=0.0, gap_z=0.1, n_samples=256,
        track=(mid, mid - 0.3), stopped="max_steps")
    [finding] = judge_input_independence(evidence)
    assert _severity(finding) == "info" and finding.evidence["still_falling"]
    assert finding.evidence["conclusive"] is False
    # A copy that learned nothing (a rate far too small) proves nothing either way.
    flat = InputIndependenceEvidence(
        real_losses=_curve(2.3, 2.29), zero_losses=_curve(2.3, 2.29), start_real=2.3,
        start_zero=2.3, output_spread=0.2, gap=0.0, gap_z=0.0, n_samples=256,
        stopped="time_budget")
    assert judge_input_independence(flat) == []
    # ...unless the untrained output does not vary with the input at all.
    blind = dataclasses.replace(flat, output_spread=0.0)
    assert _severity(judge_input_independence(blind)[0]) == "error"


# -- probe.learning_rate ------------------------------------------------------

def _sweep(configured, *, sane_low=1e-3, steps=100, diverge=True):
    """A range test's evidence: the loss falls between 1e-4 and 1e-1, diverges past 1."""
    rates = np.geomspace(1e-7, 10.0, steps)
    fall = 1.0 / (1.0 + np.exp(-3 * (np.log10(rates) + 2.5)))  # 0 -> 1 around 3e-3
    losses = 2.3 - 2.0 * fall
    if diverge:
        losses = losses + np.where(rates > 1.0, 50.0 * (rates - 1.0), 0.0)
    smoothed, average = [], 0.0
    for step, loss in enumerate(losses):
        average = 0.9 * average + 0.1 * loss
        smoothed.append(average / (1 - 0.9 ** (step + 1)))
    smoothed = np.array(smoothed)
    past = np.flatnonzero((rates > 1.0) & (smoothed > 4 * smoothed.min()))
    end = int(past[0]) if diverge and len(past) else steps - 1
    return LRRangeEvidence(
        learning_rates=tuple(rates[:end + 1]), losses=tuple(losses[:end + 1]),
        smoothed=tuple(smoothed[:end + 1]),
        diverged_at=float(rates[end]) if diverge and len(past) else None,
        configured_lr=configured, sane_low=sane_low, min_lr=1e-7,
        stopped="diverged" if diverge else "max_steps")


def test_lr_range_judge_fires_on_a_rate_past_divergence_and_far_below_the_range():
    [past] = judge_lr_range(_sweep(10.0))
    assert past.code == "probe.learning_rate" and _severity(past) == "warning"
    assert "at or past" in past.message and past.evidence["suggestion"] > 1e-4
    [low] = judge_lr_range(_sweep(1e-7))
    assert "below the range" in low.message
    assert low.evidence["suggestion"] == pytest.approx(past.evidence["suggestion"])


def test_lr_range_judge_silent_on_a_usual_rate():
    assert judge_lr_range(_sweep(1e-3)) == []
    # Below the suggestion by less than `below_factor`, or within the optimizer's range.
    assert judge_lr_range(_sweep(1e-4)) == []
    assert judge_lr_range(_sweep(1e-6, sane_low=1e-7)) == []
    assert judge_lr_range(_sweep(1e-6), {"below_factor": 1e6}) == []


def test_lr_range_judge_concludes_nothing_from_a_nonfinite_or_short_sweep():
    nan = LRRangeEvidence(learning_rates=(1e-7, 1e-6), losses=(np.nan, np.nan),
                          smoothed=(np.nan, np.nan), diverged_at=1e-7, configured_lr=1.0)
    assert judge_lr_range(nan) == []
    # A sweep the budget cut before the curve turned: no suggestion, no "too low".
    cut = dataclasses.replace(_sweep(1e-7, diverge=False), stopped="time_budget")
    cut = dataclasses.replace(cut, learning_rates=cut.learning_rates[:30],
                              losses=cut.losses[:30], smoothed=cut.smoothed[:30])
    assert judge_lr_range(cut) == []


# -- probe.gradient_check -----------------------------------------------------

def _derivative(layer, target, analytic, numeric, dtype="float64"):
    rel = abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12)
    return {"layer": layer, "target": target, "analytic": analytic, "numeric": numeric,
            "rel_error": rel, "dtype": dtype}


def test_gradient_check_judge_fires_once_per_layer_on_its_worst_derivative():
    evidence = GradientCheckEvidence(checks=(
        _derivative("twice", "input", 2.0, 1.0),      # a gradient twice too large
        _derivative("twice", "kernel", 3.0, 1.0),
        _derivative("fine", "input", 1.0, 1.0 + 1e-9),
        _derivative("<loss>", "y_pred", -1.0, 1.0)))
    findings = judge_gradient_check(evidence)
    assert [f.layer for f in findings] == ["twice", None]
    assert all(f.code == "probe.gradient_check" and _severity(f) == "error" for f in findings)
    assert findings[0].evidence["target"] == "kernel" and "layer 'twice'" in findings[0].message
    assert findings[0].evidence["tolerance"] == pytest.approx(1e-2)
    assert "the loss" in findings[1].message


def test_gradient_check_judge_silent_within_tolerance_and_float32_is_looser():
    evidence = GradientCheckEvidence(checks=(
        _derivative("smooth", "input", 1.0, 1.0 + 1e-9),
        _derivative("f32", "input", 1.0, 1.03, dtype="float32")))  # within 5 x 1e-2
    assert judge_gradient_check(evidence) == []
    assert [f.layer for f in judge_gradient_check(evidence, {"tolerance": 1e-3})] == ["f32"]


def test_gradient_check_judge_concludes_nothing_without_checks():
    assert judge_gradient_check(GradientCheckEvidence(checks=())) == []
    skipped = GradientCheckEvidence(checks=(), skipped_layers={"noisy": "random ops"})
    assert judge_gradient_check(skipped) == []


# -- probe.cannot_overfit_batch -----------------------------------------------

def _one_batch(losses, **kwargs):
    values = dict(initial=float(losses[0]), target=0.05 * math.log(10),
                  trainable_params=100_000, batch_target_values=160, batch_size=16,
                  task_kind="multiclass", stopped="plateau")
    values.update(kwargs)
    return OverfitEvidence(losses=tuple(float(v) for v in losses), **values)


def test_overfit_judge_fires_on_a_floor_and_on_divergence():
    floor = _one_batch(np.r_[np.geomspace(2.3, 1.2, 60), np.full(60, 1.2)])
    [finding] = judge_overfit(floor)
    assert finding.code == "probe.cannot_overfit_batch" and _severity(finding) == "error"
    assert finding.evidence["pattern"] == "plateau" and "stuck at a floor" in finding.message
    assert finding.evidence["steps"] == 120 and finding.evidence["batch_size"] == 16
    nan = _one_batch([2.3, 5.0, float("nan")], stopped="diverged")
    [finding] = judge_overfit(nan)
    assert finding.evidence["pattern"] == "nonfinite" and _severity(finding) == "error"


def test_overfit_judge_silent_when_the_batch_is_memorised():
    assert judge_overfit(_one_batch(np.geomspace(2.3, 0.01, 40), stopped="converged")) == []


def test_overfit_judge_is_info_when_inconclusive():
    # Plain SGD still falling when the steps ran out: the budget, not a floor.
    slow = _one_batch(np.linspace(2.3, 1.0, 300), rate_limited=True, stopped="max_steps")
    [finding] = judge_overfit(slow)
    assert finding.evidence["pattern"] == "still_falling" and _severity(finding) == "info"
    assert finding.evidence["steps_needed_at_this_pace"] > 0
    # Too few parameters to memorise the batch's values: a floor that says little.
    tiny = _one_batch(np.r_[np.geomspace(2.3, 1.2, 60), np.full(60, 1.2)],
                      trainable_params=50)
    [finding] = judge_overfit(tiny)
    assert _severity(finding) == "info" and "too few to memorise" in finding.message



def test_overfit_judge_names_the_models_own_loss_terms_at_the_input_blind_level():
    # Twin of keras-io's subclassed VAE (KL add_loss averaged over 32 latent units
    # next to an MSE averaged over 784 pixels): its one-batch curve settles at the
    # loss of predicting the batch's mean image, the KL term outweighing the fit
    # (the trained program reconstructs no better than the mean image).
    curve = np.r_[np.geomspace(0.159, 0.066, 80), np.full(200, 0.0658)]
    values = dict(task_kind="reconstruction", value_targets=True, mean_target_loss=0.0652,
                  target=0.00326, batch_target_values=12544)
    [finding] = judge_overfit(_one_batch(curve, own_loss_terms=1, **values))
    assert _severity(finding) == "error" and finding.evidence["own_loss_terms"] == 1
    assert "loss term(s) of its own" in finding.message and "KL" in finding.fix
    # The same curve without terms of the model's own: the usual causes.
    [finding] = judge_overfit(_one_batch(curve, **values))
    assert "of its own" not in finding.message and "labels" in finding.fix
    # Own terms, but the model went well below the input-blind level: not them.
    lower = np.r_[np.geomspace(0.159, 0.03, 80), np.full(200, 0.03)]
    [finding] = judge_overfit(_one_batch(lower, own_loss_terms=1, **values))
    assert "of its own" not in finding.message

# -- every judge is pure ------------------------------------------------------

JUDGES = [judge_initial_loss, judge_batch_mixing, judge_input_independence,
          judge_lr_range, judge_gradient_check, judge_overfit]


_IMPURE_NAMES = {"tf", "keras", "tensorflow", "model", "clone"}
_IMPURE_CALLS = {"probe_copy", "train_loss", "per_sample_loss", "fit", "predict",
                 "train_on_batch", "GradientTape"}


@pytest.mark.parametrize("judge", JUDGES, ids=lambda j: j.__name__)
def test_judges_touch_no_tensorflow_or_keras(judge):
    import ast
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(judge)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
            assert not any(n.split(".")[0] in ("keras", "tensorflow") for n in names)
        if isinstance(node, ast.Name):
            assert node.id not in _IMPURE_NAMES, f"{judge.__name__} reads {node.id}"
        if isinstance(node, ast.Attribute):
            assert node.attr not in _IMPURE_CALLS, f"{judge.__name__} calls {node.attr}"
