"""The probes' pure judges, on evidence arrays: no model, no training, milliseconds.

Each probe measures on a copy of the model (`measure_*`, an evidence object
of plain numbers) and a pure `judge_*(evidence, settings, task)` decides.
These tests feed the judges the evidence of a broken run, of a healthy run,
and of a run the budget cut short, as the live detectors' tests do.
"""

import inspect
import math

import numpy as np
import pytest

from kerasdoc.probes._batch_mixing import BatchMixingEvidence, judge_batch_mixing
from kerasdoc.probes._initial_loss import InitialLossEvidence, judge_initial_loss


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


# -- every judge is pure ------------------------------------------------------

JUDGES = [judge_initial_loss, judge_batch_mixing]


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
