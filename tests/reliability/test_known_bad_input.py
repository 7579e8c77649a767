"""Bad inputs the sweep found in modules whose owners were still at work.

Each test states what the call should do (raise kerasdoc's own error naming
the argument). They are strict xfails: when the module is fixed the test
starts passing, the xfail turns into a failure, and the marker (and the
matching entry of `KNOWN` in `test_bad_input_sweep.py`) must go.
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


@pytest.mark.xfail(strict=True, reason="issue 5 (kerasdoc/probes) active: x of another "
                   "shape than the model's input reaches Keras, which raises its own "
                   "ValueError from Sequential.call")
@pytest.mark.parametrize("probe", PROBES + ("batch_mixing",))
def test_probe_x_of_wrong_shape_names_x(probe, mlp_data):
    model, x, y = mlp_data
    bad = np.zeros((32, 5, 5, 1), np.float32)
    fn = getattr(kerasdoc, probe)
    args = (model, bad) if probe == "batch_mixing" else (model, bad, y)
    _raises_naming(lambda: fn(*args, **FAST.get(probe, {})), "x")


@pytest.mark.xfail(strict=True, reason="issue 5 (kerasdoc/probes) active: a model whose "
                   "input shape differs from x gives Keras's ValueError, not one naming "
                   "`model`/`x`")
@pytest.mark.parametrize("probe", PROBES)
def test_probe_model_of_other_input_shape(probe, mlp_data):
    from kerasdoc.examples import baseline_mlp

    _, x, y = mlp_data
    other = baseline_mlp(input_shape=(5,))
    fn = getattr(kerasdoc, probe)
    with pytest.raises(KerasDocError):
        fn(other, x, y, **FAST[probe])


@pytest.mark.xfail(strict=True, reason="issue 5 (kerasdoc/probes) active: class ids "
                   ">= n_classes reach SparseSoftmaxCrossEntropyWithLogits and raise "
                   "tf.errors.InvalidArgumentError")
@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize("labels", ["huge", "fractional", "rank3"])
def test_probe_bad_label_values_name_y(probe, labels, mlp_data):
    model, x, _ = mlp_data
    y = {"huge": np.full(32, 10**6), "fractional": np.full(32, 0.5),
         "rank3": np.zeros((32, 3, 2))}[labels]
    fn = getattr(kerasdoc, probe)
    _raises_naming(lambda: fn(model, x, y, **FAST[probe]), "y")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: "
                   "class_names_for iterates a non-sequence (bare TypeError)")
def test_confusion_display_labels_int():
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay(np.eye(3, dtype=int),
                                                           display_labels=3),
                   "display_labels")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: "
                   "from_predictions/from_model name the internal arguments "
                   "(`display_labels`, `y_true`) instead of the caller's")
def test_confusion_constructors_name_their_own_arguments(mlp_data):
    model, x, y = mlp_data
    D = kerasdoc.ConfusionMatrixDisplay
    _raises_naming(lambda: D.from_predictions(y, y, class_names="ab"), "class_names")
    _raises_naming(lambda: D.from_model(model, x, np.full(32, 0.5)), "y")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: _check_index "
                   "calls len(x) before x is validated")
@pytest.mark.parametrize("x", [None, np.float32(3.0)])
def test_single_prediction_x_not_an_array(x):
    proba = np.full((4, 10), 0.1)
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        x, np.zeros(4, int), proba, 0, plot=False), "x")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: os.fspath/"
                   "open raise bare TypeError/ValueError for a non-path `path`")
@pytest.mark.parametrize("path", [None, 3, "\x00"])
def test_write_html_report_bad_path(path):
    _raises_naming(lambda: kerasdoc.write_html_report(kerasdoc.Report([]), path), "path")


@pytest.mark.xfail(strict=True, reason="issue 6 (kerasdoc/training) active: "
                   "clip_gradients iterates/casts `grads` unchecked (bare TypeError, "
                   "tf UnimplementedError for strings)")
@pytest.mark.parametrize("grads", [None, [np.array(["a"])]])
def test_clip_gradients_bad_grads(grads):
    _raises_naming(lambda: kerasdoc.clip_gradients(grads, clip_norm=1.0), "grads")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: from_model "
                   "passes x of another shape (or empty) straight to model.predict")
@pytest.mark.parametrize("x", [np.zeros((3, 5, 5, 3), np.uint8),
                               np.zeros((0, 28, 28), np.float32)])
def test_confusion_from_model_bad_x(x, mlp_data):
    model, _, _ = mlp_data
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay.from_model(
        model, x, np.zeros(len(x), int)), "x")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: a model whose "
                   "input shape differs from x reaches model.predict (Keras ValueError)")
def test_confusion_from_model_other_input_model(mlp_data):
    from kerasdoc.examples import baseline_mlp

    import keras

    _, x, y = mlp_data
    for model in (baseline_mlp(input_shape=(5,)), keras.Sequential()):
        with pytest.raises(KerasDocError):
            kerasdoc.ConfusionMatrixDisplay.from_model(model, x, y)


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: an empty `x` "
                   "is reported as a bad `index` ('below 0')")
def test_single_prediction_empty_x():
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        np.zeros((0, 28, 28)), np.zeros(4, int), np.full((4, 10), 0.1), 0, plot=False), "x")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: the message "
                   "names the internal `probabilities` instead of `y_proba`")
def test_single_prediction_nan_proba_names_y_proba():
    proba = np.full((4, 10), np.nan)
    _raises_naming(lambda: kerasdoc.SinglePredictionDisplay.from_predictions(
        np.zeros((4, 28, 28)), np.zeros(4, int), proba, 0, plot=False), "y_proba")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: "
                   "SubsetDisplay.from_directory(None) and per_class=2**64 reach "
                   "pathlib/numpy unchecked")
def test_subset_display_bad_directory_and_count():
    D = kerasdoc.SubsetDisplay
    _raises_naming(lambda: D.from_directory(None, plot=False), "directory")
    _raises_naming(lambda: D.from_arrays(np.zeros((4, 28, 28)), np.arange(4),
                                         per_class=2**64, plot=False), "per_class")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: an empty path "
                   "or an existing directory gives FileNotFoundError/IsADirectoryError")
def test_write_html_report_to_a_directory(tmp_path):
    report = kerasdoc.Report([])
    _raises_naming(lambda: kerasdoc.write_html_report(report, ""), "path")
    _raises_naming(lambda: kerasdoc.write_html_report(report, tmp_path), "path")


@pytest.mark.xfail(strict=True, reason="issue 6 (kerasdoc/training) active: integer "
                   "and complex gradients reach tf.sqrt (InvalidArgumentError)")
def test_clip_gradients_integer_grads():
    _raises_naming(lambda: kerasdoc.clip_gradients([np.arange(3)], clip_norm=1.0), "grads")


@pytest.mark.xfail(strict=True, reason="issues 5/7 active: `checks`/`parts` that are not "
                   "sequences are iterated unchecked (bare TypeError)")
def test_checks_and_parts_not_sequences(mlp_data):
    model, x, y = mlp_data
    _raises_naming(lambda: kerasdoc.sanity_check(model, x, y, checks=3), "checks")
    _raises_naming(lambda: kerasdoc.diagnose(model, x, y, parts=3), "parts")


@pytest.mark.xfail(strict=True, reason="issue 7 (kerasdoc/plot) active: a complex "
                   "confusion matrix reaches scikit-learn's ValueError")
def test_confusion_matrix_complex():
    _raises_naming(lambda: kerasdoc.ConfusionMatrixDisplay(np.eye(3, dtype=np.complex64)),
                   "confusion_matrix")
