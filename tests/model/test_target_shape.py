"""`model.target_shape`: a regression/reconstruction output whose shape differs from its targets'.

Real (tiny) compiled models on scikit-learn's bundled diabetes and 8x8 digits
sets, audited with `audit_model` (nothing trains), and the pure judge on shapes.
"""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits

import kerasdoc
from kerasdoc.model._target_shape import aligned_shapes, check_target_shape

CODE = "model.target_shape"


@pytest.fixture(scope="module")
def diabetes():
    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    # A second real target: the sixth blood serum measurement, taken out of the inputs.
    two = np.stack([y, x[:, 9]], axis=1)
    return x[:, :9], y[:, None], two


def _regressor(units, n_features=9, loss="mean_squared_error"):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((n_features,)),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(units)])
    model.compile("adam", loss=loss)
    return model


def _codes(report):
    return [f for f in report if f.code == CODE]


def test_one_unit_against_several_target_columns_fires(diabetes):
    x, _, two = diabetes
    report = kerasdoc.audit_model(_regressor(1), x=x, y=two, batch_size=32)
    [finding] = _codes(report)
    assert str(finding.severity) == "error"
    assert finding.evidence["output_shape"] == (1,)
    assert finding.evidence["target_shape"] == (2,) and finding.evidence["broadcasts"]
    assert "mean of several target columns" in finding.message


def test_ten_units_against_one_target_fires(diabetes):
    x, y, _ = diabetes
    for loss in ("mean_squared_error", "mean_absolute_error", "huber"):
        report = kerasdoc.audit_model(_regressor(10, loss=loss), x=x, y=y, batch_size=32)
        [finding] = _codes(report)
        assert "several outputs to the same target values" in finding.message, loss
    # 3 units against 2 columns do not broadcast: fit would raise; said before it does.
    x2, _, two = diabetes
    [finding] = _codes(kerasdoc.audit_model(_regressor(3), x=x2, y=two, batch_size=32))
    assert not finding.evidence["broadcasts"] and "will raise" in finding.message


def test_matching_shapes_are_silent(diabetes):
    import keras

    x, y, two = diabetes
    for model, target in ((_regressor(1), y), (_regressor(1), y[:, 0]),   # (n,) vs (n, 1)
                          (_regressor(2), two)):
        report = kerasdoc.audit_model(model, x=x, y=target, batch_size=32)
        assert not _codes(report) and CODE in report.ran
    # An autoencoder reshaped back to the images' shape: silent; left flat, it fires.
    images = (load_digits().data / 16.0).astype("float32").reshape(-1, 8, 8)[:300]
    keras.utils.set_random_seed(0)
    flat = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                             keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(64, activation="sigmoid")])
    flat.compile("adam", loss="mse")
    shaped = keras.Sequential([keras.Input((8, 8))] + flat.layers + [keras.layers.Reshape((8, 8))])
    shaped.compile("adam", loss="mse")
    assert not _codes(kerasdoc.audit_model(shaped, x=images, y=images, batch_size=32))
    [finding] = _codes(kerasdoc.audit_model(flat, x=images, y=images, batch_size=32))
    assert finding.evidence["output_shape"] == (64,)
    # A classifier is left to model.output_units: the check does not apply to its task.
    clf = _regressor(3, loss="sparse_categorical_crossentropy")
    report = kerasdoc.audit_model(clf, x=x, y=np.arange(len(x)) % 3, batch_size=32)
    assert "does not apply" in report.skipped[CODE]


def test_judge_on_shapes():
    assert aligned_shapes((1,), ()) == ((), ())
    assert aligned_shapes((5,), (5, 1)) == ((5,), (5,))
    assert check_target_shape((1,), np.zeros((4, 1))) == []
    assert check_target_shape((None, 3), np.zeros((4, 7, 3))) == []  # unknown steps
    assert check_target_shape(None, np.zeros((4, 3))) == []   # no graph: nothing concluded
    assert check_target_shape((1,), None) == []
    [finding] = check_target_shape((1,), np.zeros((4, 3)))
    assert finding.code == CODE and finding.evidence["target_shape"] == (3,)
    [finding] = check_target_shape((28, 28, 1), np.zeros((2, 784)))
    assert not finding.evidence["broadcasts"]
