"""Bad inputs the sweep found in the probes, plots, training and diagnose modules.

Each call raised a bare Python, numpy, Keras or TensorFlow error (or named
the wrong argument); each now raises kerasdoc's own error naming the
argument. Pinned here so the sweep's random draws need not find them again.
"""

import re

import numpy as np
import pytest

import kerasdoc
from kerasdoc._errors import KerasDocError


def _raises_naming(call, name):
    with pytest.raises(KerasDocError) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError))
    assert re.search(rf"`{name}`|\b{name}=", str(info.value)), str(info.value)


@pytest.fixture(scope="module")
def mlp_data():
    from kerasdoc.examples import baseline_mlp

    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28)).astype("float32")
    y = np.arange(32) % 10
    return baseline_mlp(), x, y


PROBES = ("initial_loss", "overfit_batch", "input_independence", "lr_range_test")
FAST = {"overfit_batch": dict(max_steps=2, time_budget=5),
        "input_independence": dict(max_steps=2, check_every=1, time_budget=5),
        "lr_range_test": dict(max_steps=4, time_budget=5),
        "initial_loss": dict(n_samples=16)}


@pytest.mark.parametrize("probe", PROBES + ("batch_mixing",))
def test_probe_x_of_wrong_shape_names_x(probe, mlp_data):
    model, x, y = mlp_data
    bad = np.zeros((32, 5, 5, 1), np.float32)
    fn = getattr(kerasdoc, probe)
    args = (model, bad) if probe == "batch_mixing" else (model, bad, y)
    _raises_naming(lambda: fn(*args, **FAST.get(probe, {})), "x")


@pytest.mark.parametrize("probe", PROBES)
def test_probe_model_of_other_input_shape(probe, mlp_data):
    from kerasdoc.examples import baseline_mlp

    _, x, y = mlp_data
    other = baseline_mlp(input_shape=(5,))
    fn = getattr(kerasdoc, probe)
    with pytest.raises(KerasDocError):
        fn(other, x, y, **FAST[probe])


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize("labels", ["huge", "fractional", "rank3"])
def test_probe_bad_label_values_name_y(probe, labels, mlp_data):
    model, x, _ = mlp_data
    y = {"huge": np.full(32, 10**6), "fractional": np.full(32, 0.5),
         "rank3": np.zeros((32, 3, 2))}[labels]
    fn = getattr(kerasdoc, probe)
    _raises_naming(lambda: fn(model, x, y, **FAST[probe]), "y")


def test_confusion_display_labels_int():
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay(np.eye(3, dtype=int),
                                                           display_labels=3),
                   "display_labels")


def test_confusion_constructors_name_their_own_arguments(mlp_data):
    model, x, y = mlp_data
    D = kerasdoc.ConfusionMatrixDisplay
    _raises_naming(lambda: D.from_predictions(y, y, class_names="ab"), "class_names")
    _raises_naming(lambda: D.from_model(model, x, np.full(32, 0.5)), "y")


@pytest.mark.parametrize("x", [None, np.float32(3.0)])
def test_single_prediction_x_not_an_array(x):
    proba = np.full((4, 10), 0.1)
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        x, np.zeros(4, int), proba, 0, plot=False), "x")


@pytest.mark.parametrize("path", [None, 3, "\x00"])
def test_write_html_report_bad_path(path):
    _raises_naming(lambda: kerasdoc.write_html_report(kerasdoc.Report([]), path), "path")


@pytest.mark.parametrize("grads", [None, [np.array(["a"])]])
def test_clip_gradients_bad_grads(grads):
    _raises_naming(lambda: kerasdoc.clip_gradients(grads, clip_norm=1.0), "grads")


@pytest.mark.parametrize("x", [np.zeros((3, 5, 5, 3), np.uint8),
                               np.zeros((0, 28, 28), np.float32)])
def test_confusion_from_model_bad_x(x, mlp_data):
    model, _, _ = mlp_data
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay.from_model(
        model, x, np.zeros(len(x), int)), "x")


def test_confusion_from_model_other_input_model(mlp_data):
    from kerasdoc.examples import baseline_mlp

    import keras

    _, x, y = mlp_data
    for model in (baseline_mlp(input_shape=(5,)), keras.Sequential()):
        with pytest.raises(KerasDocError):
            kerasdoc.ConfusionMatrixDisplay.from_model(model, x, y)


def test_single_prediction_empty_x():
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        np.zeros((0, 28, 28)), np.zeros(4, int), np.full((4, 10), 0.1), 0, plot=False), "x")


def test_single_prediction_nan_proba_names_y_proba():
    proba = np.full((4, 10), np.nan)
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        np.zeros((4, 28, 28)), np.zeros(4, int), proba, 0, plot=False), "y_proba")


def test_subset_display_bad_directory_and_count():
    D = kerasdoc.SubsetDisplay
    _raises_naming(lambda: D.from_directory(None, plot=False), "directory")
    _raises_naming(lambda: D.from_arrays(np.zeros((4, 28, 28)), np.arange(4),
                                         per_class=2**64, plot=False), "per_class")


def test_write_html_report_to_a_directory(tmp_path):
    report = kerasdoc.Report([])
    _raises_naming(lambda: kerasdoc.write_html_report(report, ""), "path")
    _raises_naming(lambda: kerasdoc.write_html_report(report, tmp_path), "path")


def test_clip_gradients_integer_grads():
    _raises_naming(lambda: kerasdoc.clip_gradients([np.arange(3)], clip_norm=1.0), "grads")


def test_checks_and_parts_not_sequences(mlp_data):
    model, x, y = mlp_data
    _raises_naming(lambda: kerasdoc.sanity_check(model, x, y, checks=3), "checks")
    _raises_naming(lambda: kerasdoc.diagnose(model, x, y, parts=3), "parts")


def test_confusion_matrix_complex():
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay(np.eye(3, dtype=np.complex64)),
                   "confusion_matrix")


def test_display_inputs_found_with_more_examples():
    proba = np.full((4, 10), 0.1)
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay(np.full((3, 3), np.nan)),
                   "confusion_matrix")
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        np.zeros((4, 28, 28)), np.full(4, 10**12), proba, 0, plot=False), "y_true")
    _raises_naming(lambda: kerasdoc.TopLossesDisplay.from_predictions(
        np.array(["a"] * 4), np.zeros(4, int), proba, plot=False), "x")


@pytest.mark.timeout(60)
def test_huge_class_ids_do_not_hang_the_subset_view():
    _raises_naming(lambda: kerasdoc.SubsetDisplay.from_arrays(
        np.zeros((4, 28, 28)), np.full(4, 2**62), plot=False), "y")
