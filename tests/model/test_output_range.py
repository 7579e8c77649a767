"""`model.output_range`: a bounded output activation that cannot reach the targets.

Real (tiny) compiled models on scikit-learn's bundled data sets: diabetes
progression for regression, 8x8 digits for an autoencoder. Nothing trains.
"""

import numpy as np
import pytest

import kerasdoc
from kerasdoc.model._output_range import check_output_range, output_range
from sklearn.datasets import load_diabetes, load_digits

CODE = "model.output_range"


@pytest.fixture(scope="module")
def diabetes():
    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    return x, y.astype("float32")[:, None]


@pytest.fixture(scope="module")
def digits():
    return (load_digits().data / 16.0).astype("float32").reshape(-1, 8, 8)


def _regressor(activation, n_features=10, loss="mean_squared_error"):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((n_features,)),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation=activation)])
    model.compile("adam", loss=loss)
    return model


def _autoencoder(activation="sigmoid"):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(64, activation=activation),
                              keras.layers.Reshape((8, 8))])
    model.compile("adam", loss="mean_squared_error")
    return model


def _standardise(y):
    return (y - y.mean()) / y.std()


def test_relu_output_on_standardised_targets_is_an_error(diabetes):
    x, y = diabetes
    report = kerasdoc.audit_model(_regressor("relu"), x=x, y=_standardise(y))
    assert report.task.kind == "regression"
    (finding,) = report.by_code(CODE)
    assert str(finding.severity) == "error"
    ev = finding.evidence
    assert ev["activation"] == "relu" and ev["range"][0] == 0.0
    assert 0.3 < ev["fraction_outside"] < 0.7 and ev["n_above"] == 0
    assert "below" in finding.message and "linear output" in finding.fix


def test_linear_and_in_range_outputs_are_silent(diabetes):
    x, y = diabetes
    assert CODE not in kerasdoc.audit_model(_regressor(None), x=x, y=_standardise(y)).codes
    # raw progression (25..346) is positive: a relu output can reach it
    report = kerasdoc.audit_model(_regressor("relu"), x=x, y=y)
    assert CODE in report.ran and CODE not in report.codes
    # targets scaled into [0, 1] behind a sigmoid, bounds included
    unit = (y - y.min()) / (y.max() - y.min())
    report = kerasdoc.audit_model(_regressor("sigmoid"), x=x, y=unit)
    assert CODE in report.ran and CODE not in report.codes


def test_a_few_outliers_warn_and_the_settings_reach_the_check(diabetes):
    x, y = diabetes
    unit = (y - y.min()) / (y.max() - y.min())
    unit[:20] += 1.5  # 20 of 442 targets (4.5%) above 1
    (finding,) = kerasdoc.audit_model(_regressor("sigmoid"), x=x, y=unit).by_code(CODE)
    assert str(finding.severity) == "warning" and finding.evidence["n_above"] == 20
    tolerant = kerasdoc.audit_model(_regressor("sigmoid"), x=x, y=unit,
                                    settings={CODE: {"max_fraction": 0.05}})
    assert CODE not in tolerant.codes


def test_sigmoid_autoencoder_on_unit_pixels_is_silent(digits):
    report = kerasdoc.audit_model(_autoencoder(), x=digits, y=digits)
    assert report.task.kind == "reconstruction"
    assert CODE in report.ran and CODE not in report.codes


def test_sigmoid_autoencoder_on_standardised_inputs_fires(digits):
    z = _standardise(digits)
    report = kerasdoc.audit_model(_autoencoder(), x=z, y=z)
    (finding,) = report.by_code(CODE)
    assert str(finding.severity) == "error"
    # read through the Reshape to the Dense layer that applies the sigmoid
    assert finding.evidence["activation"] == "sigmoid" and finding.layer != "reshape"
    assert finding.evidence["n_below"] > 0 and finding.evidence["n_above"] > 0


def test_classifiers_skip_it_by_task(diabetes):
    x, y = diabetes
    labels = (y[:, 0] > np.median(y)).astype("int64")
    report = kerasdoc.audit_model(_regressor("sigmoid", loss="binary_crossentropy"),
                                  x=x, y=labels)
    assert report.task.kind == "binary"
    assert "does not apply" in report.skipped[CODE]


def test_multi_output_names_the_head(diabetes):
    import keras

    x, y = diabetes
    keras.utils.set_random_seed(0)
    inputs = keras.Input((10,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, {
        "progression": keras.layers.Dense(1, activation="tanh", name="progression")(hidden),
        "high": keras.layers.Dense(1, activation="sigmoid", name="high")(hidden)})
    model.compile("adam", loss={"progression": "mean_squared_error",
                                "high": "binary_crossentropy"})
    targets = {"progression": y, "high": (y > np.median(y)).astype("float32")}
    report = kerasdoc.audit_model(model, x=x, y=targets)
    (finding,) = report.by_code(CODE)
    assert finding.evidence["output"] == "progression"
    assert finding.message.startswith("Output 'progression'")
    assert "does not apply" in report.skipped[f"{CODE} (output 'high')"]


def test_the_judge_on_arrays():
    import keras

    layer = keras.layers.Dense(1, activation="tanh")
    assert output_range(layer)[:2] == ("tanh", (-1.0, 1.0))
    assert output_range(keras.layers.Dense(1)) is None  # linear: unbounded
    assert output_range(keras.layers.ReLU(max_value=6.0))[1] == (0.0, 6.0)
    assert output_range(keras.layers.ReLU(negative_slope=0.1)) is None
    inside = np.linspace(-1.0, 1.0, 1000)
    assert check_output_range(layer, inside) == []
    assert check_output_range(layer, inside * 1.0005) == []  # within the margin
    assert check_output_range(layer, np.array([np.nan, 0.5, np.inf])) == []
    (finding,) = check_output_range(layer, inside * 3.0)
    assert str(finding.severity) == "error" and finding.evidence["n_outside"] > 600
    assert check_output_range(layer, np.array(["a", "b"])) == []
