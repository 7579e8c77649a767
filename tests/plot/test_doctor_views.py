"""Displays fed by the Doctor's history: gradient flow, activations, curves."""

import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError
from kerasdoc.plot import ActivationStatsDisplay, GradientFlowDisplay, TrainingCurvesDisplay


def _history():
    """A hand-made Doctor history: 3 read-backs, 3 layers, vanishing towards the input."""
    return {
        "step": np.array([4, 8, 12]), "samples": np.array([4.0, 4.0, 0.0]),
        "weight_layers": ["conv", "dense", "out"],
        "grad_norm": np.array([[1e-6, 1e-2, 1.0], [2e-6, 2e-2, 2.0], [np.nan] * 3]),
        "activation_layers": ["conv", "dense", "out"],
        "activation_kinds": ["relu", "tanh", "softmax"],
        "activation_mean": np.array([[0.5, 0.0, 0.1], [0.6, 0.1, 0.1], [0, 0, 0]]),
        "activation_std": np.array([[1.0, 0.9, 0.2], [1.1, 0.8, 0.2], [0, 0, 0]]),
        "dead_fraction": np.array([[0.1, np.nan, np.nan], [0.7, np.nan, np.nan],
                                   [np.nan] * 3]),
        "saturated_fraction": np.array([[np.nan, 0.2, np.nan], [np.nan, 0.3, np.nan],
                                        [np.nan] * 3]),
        "epoch/loss": np.array([1.0, 0.8]), "epoch/val_loss": np.array([1.1, 0.9]),
    }


def test_gradient_flow_from_history(pyplot):
    disp = GradientFlowDisplay.from_doctor(_history())
    np.testing.assert_array_equal(disp.steps, [4, 8])  # rows without samples dropped
    np.testing.assert_allclose(disp.median_norms, [1.5e-6, 1.5e-2, 1.5])
    profile, over_time = disp.ax_
    assert profile.get_title() == "Gradient flow"
    assert [t.get_text() for t in profile.get_xticklabels()] == ["conv", "dense", "out"]
    assert profile.get_yscale() == "log"
    lines = profile.get_lines()
    assert len(lines) == 3  # two read-backs and the median
    np.testing.assert_allclose(lines[0].get_ydata(), [1e-6, 1e-2, 1.0])
    assert [t.get_text() for t in over_time.get_legend().get_texts()] == [
        "conv", "dense", "out"]


def test_activation_stats_from_history(pyplot):
    disp = ActivationStatsDisplay.from_doctor(_history())
    assert disp.layers == ["conv", "dense"]  # softmax output left out
    spread, dead = disp.ax_
    assert [t.get_text() for t in spread.get_legend().get_texts()] == [
        "conv (relu)", "dense (tanh)"]
    assert [t.get_text() for t in dead.get_legend().get_texts()] == [
        "conv dead", "dense saturated"]
    np.testing.assert_allclose(dead.get_lines()[0].get_ydata(), [0.1, 0.7])
    assert dead.get_title() == "Dead ReLU / saturated units"


def test_curves_read_the_doctors_epoch_logs(pyplot):
    disp = TrainingCurvesDisplay.from_history({"history": None, **_history()})
    assert disp.metrics == ["loss"]
    np.testing.assert_allclose(disp.ax_[0].get_lines()[1].get_ydata(), [1.1, 0.9])


def test_real_doctor(pyplot, tiny_doctor):
    flow = GradientFlowDisplay.from_doctor(tiny_doctor)
    assert flow.layer_names == tiny_doctor.history["weight_layers"]
    assert len(flow.steps) >= 3 and np.all(np.isfinite(flow.grad_norms))
    acts = ActivationStatsDisplay.from_doctor(tiny_doctor)
    assert "relu" in acts.kinds and len(acts.layers) == len(acts.kinds)
    curves = TrainingCurvesDisplay.from_history(tiny_doctor)
    assert curves.metrics == ["loss", "accuracy"]
    np.testing.assert_allclose(curves.ax_[0].get_lines()[0].get_ydata(),
                               tiny_doctor.history["epoch/loss"])


def test_bad_inputs():
    with pytest.raises(InvalidTypeError, match="kerasdoc.Doctor"):
        GradientFlowDisplay.from_doctor([1, 2])
    with pytest.raises(InvalidInputError, match="train first"):
        GradientFlowDisplay.from_doctor({})
    with pytest.raises(InvalidInputError, match="train first"):
        ActivationStatsDisplay.from_doctor({"step": []})
    with pytest.raises(InvalidInputError, match="one column per layer"):
        GradientFlowDisplay(["a"], [[1.0, 2.0]], [1])


def test_sharpness_display_from_history(pyplot):
    from kerasdoc.plot import SharpnessDisplay

    h = {"step": np.array([16, 32, 48]), "sharpness_step": np.array([10, 20, 48]),
         "sharpness": np.array([5.0, np.nan, 40.0]),
         "stability_bound": np.array([20.0, np.nan, 20.0])}
    disp = SharpnessDisplay.from_doctor(h)
    np.testing.assert_array_equal(disp.steps, [10, 48])  # rows without an estimate dropped
    np.testing.assert_allclose(disp.ratio, [0.25, 2.0])
    left, right = disp.ax_
    assert left.get_yscale() == "log"
    np.testing.assert_allclose(left.get_lines()[1].get_ydata(), [20.0, 20.0])
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), [0.25, 2.0])
    with pytest.raises(InvalidInputError, match="sharpness"):
        SharpnessDisplay.from_doctor({"step": np.array([1])})
    with pytest.raises(InvalidInputError, match="Received: len"):
        SharpnessDisplay([1, 2], [1.0], [1.0])
