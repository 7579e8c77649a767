"""Task-specific target checks on small real data sets (scikit-learn's bundled ones)."""

import numpy as np
import pytest

import kerasdoc
from sklearn.datasets import load_diabetes, load_digits, load_linnerud

from kerasdoc.data._targets import (check_constant_target, check_label_imbalance,
                                    check_multilabel_empty, check_target_scale)


SCALE = "data.target_scale"
CONSTANT = "data.constant_target"
EMPTY = "data.multilabel_empty"
IMBALANCE = "data.label_imbalance"


def _codes(findings):
    return {f.code for f in findings}


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def digit_ids():
    return load_digits(return_X_y=True)[1]


def _properties(ids):
    """Multi-hot digit properties: even, greater than 4, prime."""
    return np.stack([ids % 2 == 0, ids > 4, np.isin(ids, [2, 3, 5, 7])],
                    axis=1).astype("float32")


# -- data.target_scale --------------------------------------------------------

def test_target_scale_silent_on_raw_diabetes_and_linnerud(diabetes):
    _, y = diabetes  # raw disease progression 25..346 (RMS ~170): trains fine
    assert SCALE not in _codes(check_target_scale(y, loss="mean_squared_error"))
    assert check_target_scale((y - y.mean()) / y.std()) == []
    targets = load_linnerud().target  # weight, waist, pulse: spreads within 10x
    assert check_target_scale(targets) == []


def test_target_scale_fires_on_targets_in_small_units(diabetes):
    _, y = diabetes
    (finding,) = check_target_scale(y * 1000, loss="mean_squared_error")
    assert finding.code == SCALE and str(finding.severity) == "warning"
    assert finding.evidence["rms"] > 1000 and "squared error" in finding.message


def test_target_scale_fires_on_tiny_and_on_mixed_spreads(diabetes):
    _, y = diabetes
    (tiny,) = check_target_scale(y * 1e-6)
    assert tiny.code == SCALE
    assert tiny.evidence["std"] < 1e-3 and "varies by only" in tiny.message
    targets = load_linnerud().target.astype(float)
    targets[:, 2] /= 1e4  # pulse written in a unit 10,000x larger
    (mixed,) = check_target_scale(targets)
    assert mixed.evidence["ratio"] > 100 and mixed.evidence["narrowest_target"] == 2


# -- data.constant_target -----------------------------------------------------

def test_constant_target_fires_on_a_constant_column(diabetes):
    _, y = diabetes
    (finding,) = check_constant_target(np.full_like(y, y[0]))
    assert finding.code == CONSTANT
    assert str(finding.severity) == "error" and list(finding.evidence["value"]) == [y[0]]
    targets = load_linnerud().target.astype(float)
    targets[:, 1] = 0.0
    (some,) = check_constant_target(targets)
    assert str(some.severity) == "warning" and list(some.evidence["constant_targets"]) == [1]


def test_constant_target_on_classes(digit_ids):
    assert CONSTANT not in _codes(check_constant_target(digit_ids, classes=True))
    (finding,) = check_constant_target(np.eye(10)[np.full(50, 3)], classes=True)
    assert finding.evidence["classes"] and "every sample has class" in finding.message


def test_constant_target_silent_on_real_targets(diabetes):
    assert CONSTANT not in _codes(check_constant_target(diabetes[1]))
    assert check_constant_target(load_linnerud().target) == []


# -- data.multilabel_empty ----------------------------------------------------

def test_multilabel_empty_silent_on_digit_properties(digit_ids):
    y = _properties(digit_ids)  # only the digit 1 has none of the three
    assert 0 < (~y.any(axis=1)).mean() < 0.5
    assert EMPTY not in _codes(check_multilabel_empty(y))


def test_multilabel_empty_fires_when_most_rows_are_empty(digit_ids):
    y = np.stack([digit_ids == 0, digit_ids == 1], axis=1).astype("float32")
    (finding,) = check_multilabel_empty(y)
    assert finding.code == EMPTY
    assert str(finding.severity) == "warning" and finding.evidence["empty_fraction"] > 0.7
    (every,) = check_multilabel_empty(np.zeros_like(y))
    assert str(every.severity) == "error" and "not loaded" in every.message


# -- data.label_imbalance -----------------------------------------------------

def test_label_imbalance_silent_on_digit_properties(digit_ids):
    assert IMBALANCE not in _codes(check_label_imbalance(_properties(digit_ids)))


def test_label_imbalance_fires_on_a_rare_and_a_missing_label(digit_ids):
    keep = np.concatenate([np.flatnonzero(digit_ids != 0),
                           np.flatnonzero(digit_ids == 0)[:5]])
    ids = digit_ids[keep]
    y = np.concatenate([_properties(ids), (ids == 0)[:, None],
                        np.zeros((len(ids), 1))], axis=1)
    (finding,) = check_label_imbalance(y)
    assert finding.code == IMBALANCE
    assert list(finding.evidence["never_on"]) == [4]
    assert 3 in finding.evidence["imbalanced_labels"]
    assert "label 3 on in 5" in finding.message
    assert check_label_imbalance(y[:10]) == []  # too few rows to judge


# -- through check_data: the task decides which checks run ---------------------

def _ran(report):
    return set(report.ran)


def test_check_data_regression_twin_is_silent(diabetes):
    x, y = diabetes  # raw disease progression: real targets, 214 distinct values
    report = kerasdoc.check_data(x, y)
    assert report.task.kind == "regression"
    assert SCALE in _ran(report) and CONSTANT in _ran(report)
    assert {f.code for f in report.findings} & {SCALE, CONSTANT, "data.label_range",
                                               "data.class_imbalance"} == set()
    for name in ("data.label_range", "data.class_imbalance", "data.unshuffled",
                 "data.label_misalignment"):
        assert "does not apply" in report.skipped[name]
    noisy = y + np.random.default_rng(0).normal(0, 0.3, len(y))  # not whole numbers
    assert "data.label_range" not in kerasdoc.check_data(x, noisy).codes


def test_check_data_regression_fires_target_checks(diabetes):
    x, y = diabetes
    assert SCALE in kerasdoc.check_data(x, y * 1000.0).codes
    constant = kerasdoc.check_data(x, np.full(len(y), 3.5))
    assert CONSTANT in constant.codes
    assert str(constant.by_code(CONSTANT)[0].severity) == "error"


def test_check_data_multilabel_twin_is_silent(digit_ids):
    x = load_digits().data / 16
    y = _properties(digit_ids)
    report = kerasdoc.check_data(x, y)
    assert report.task.kind == "multilabel"
    assert {EMPTY, IMBALANCE} <= _ran(report)
    assert {f.code for f in report.findings} & {EMPTY, IMBALANCE, "data.label_range",
                                               "data.class_imbalance"} == set()


def test_check_data_multilabel_fires_per_label_checks(digit_ids):
    x = load_digits().data / 16
    y = np.stack([digit_ids == 0, digit_ids == 1, np.zeros(len(digit_ids))],
                 axis=1).astype("float32")
    y[:20, 0] = y[:20, 1] = 1  # a few rows with two labels: multi-hot
    report = kerasdoc.check_data(x, y)
    assert report.task.kind == "multilabel"
    assert {EMPTY, IMBALANCE} <= report.codes
    assert "data.label_range" not in report.codes


def test_check_data_autoencoder_gets_no_label_checks(digit_ids):
    x = (load_digits().data / 16).astype("float32")
    report = kerasdoc.check_data(x, x)
    assert report.task.kind == "reconstruction"
    assert not {"data.label_range", "data.class_imbalance", SCALE, CONSTANT} & report.codes


def test_check_data_task_override_and_classes(digit_ids):
    x = load_digits().data / 16
    # whole-number targets read as classes unless the task says regression
    assert CONSTANT in _ran(kerasdoc.check_data(x, digit_ids))
    report = kerasdoc.check_data(x, digit_ids.astype(float), task="regression")
    assert report.task.kind == "regression" and "data.class_imbalance" in report.skipped
    with pytest.raises(kerasdoc.InvalidInputError, match="did you mean 'regression'"):
        kerasdoc.check_data(x, digit_ids, task="regresion")


def test_check_data_takes_sequence_autoencoder_targets():
    # keras-io timeseries anomaly detection: (n, 288, 1) windows, y = x
    x = np.sin(np.linspace(0, 60, 40 * 288)).reshape(40, 288, 1).astype("float32")
    report = kerasdoc.check_data(x, x)
    assert report.task.kind == "reconstruction" and not report.failed
    assert not {"data.label_range", "data.class_imbalance"} & report.codes
    with pytest.raises(kerasdoc.InvalidInputError, match="y_train"):
        kerasdoc.check_data(x, x, task="multiclass")  # class labels are 1-D or 2-D


def _two_heads(n_features, n_labels):
    """A compiled model with a class head, a regression head and a multi-label head."""
    import keras

    inputs = keras.Input((n_features,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = {"digit": keras.layers.Dense(10, activation="softmax", name="digit")(hidden),
               "ink": keras.layers.Dense(1, name="ink")(hidden),
               "props": keras.layers.Dense(n_labels, activation="sigmoid",
                                           name="props")(hidden)}
    model = keras.Model(inputs, outputs)
    model.compile("adam", loss={"digit": "sparse_categorical_crossentropy",
                                "ink": "mean_squared_error", "props": "binary_crossentropy"})
    return model


def test_check_data_multi_output_heads_get_their_task_checks(digit_ids):
    x = (load_digits().data / 16).astype("float32")
    ink = x.mean(axis=1, keepdims=True)
    ink = (ink - ink.mean()) / ink.std()
    props = _properties(digit_ids)
    model = _two_heads(x.shape[1], props.shape[1])
    healthy = kerasdoc.check_data(x, {"digit": digit_ids, "ink": ink, "props": props},
                                  model=model)
    assert healthy.task.kind == "multi_output"
    for code in (SCALE, CONSTANT):
        assert f"{code} (output 'ink')" in healthy.ran
    for code in (EMPTY, IMBALANCE):
        assert f"{code} (output 'props')" in healthy.ran
    assert f"{CONSTANT} (output 'digit')" in healthy.ran
    assert "does not apply" in healthy.skipped[f"{SCALE} (output 'props')"]
    assert not {SCALE, CONSTANT, EMPTY, IMBALANCE} & healthy.codes

    props[:, 2] = 0.0  # a tag never on
    broken = kerasdoc.check_data(
        x, {"digit": np.zeros_like(digit_ids), "ink": ink * 1e4, "props": props},
        model=model)
    assert {SCALE, CONSTANT, IMBALANCE} <= broken.codes
    (scale,) = broken.by_code(SCALE)
    assert scale.evidence["output"] == "ink" and scale.message.startswith("Output 'ink'")
    assert broken.by_code(CONSTANT)[0].evidence["output"] == "digit"
    assert broken.by_code(IMBALANCE)[0].evidence["output"] == "props"
