"""The probes judge by the task: regression, autoencoder and multi-label twins.

Minimal twins of healthy programs that got classification verdicts before the
task profile: a regression MLP, a pixel autoencoder trained with binary
cross-entropy (`y = x`) and a multi-label sigmoid classifier.
"""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits

from kerasdoc.probes import initial_loss, overfit_batch
from kerasdoc.probes._overfit import _value_target, classify_curve


@pytest.fixture(scope="module")
def diabetes():
    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    return x, ((y - y.mean()) / y.std()).astype("float32")


@pytest.fixture(scope="module")
def digits():
    x, ids = load_digits(return_X_y=True)
    return (x / 16).astype("float32"), ids


def _mlp(inputs, units, activation, loss, hidden=(32,)):
    model = keras.Sequential(
        [keras.Input((inputs,))]
        + [keras.layers.Dense(h, activation="relu") for h in hidden]
        + [keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


def _loud(result):
    return [f for f in result.findings if str(f.severity) in ("warning", "error")]


def test_regression_mlp_memorises_its_batch(diabetes):
    x, y = diabetes
    result = overfit_batch(_mlp(10, 1, None, "mse", hidden=(64, 64)), x, y)
    assert result.reached and not result.findings
    # the target is 5% of the batch's variance above the floor (0 for MSE)
    assert 0 < result.target < 0.05 * 3


def test_regression_model_that_ignores_its_input_fires(diabetes):
    x, y = diabetes
    blind = keras.layers.Dense(10, kernel_initializer="zeros", use_bias=False,
                               trainable=False)  # the input never gets through
    model = keras.Sequential([keras.Input((10,)), blind,
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    result = overfit_batch(model, x, y, max_steps=200, patience=30)
    (finding,) = result.findings
    assert finding.code == "probe.cannot_overfit_batch"
    assert str(finding.severity) == "error" and finding.evidence["task"] == "regression"
    assert result.pattern == "plateau"


def test_too_few_parameters_to_memorise_is_info(diabetes):
    x, y = diabetes
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(1)])  # 11 weights
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    result = overfit_batch(model, x, y, batch_size=32, max_steps=200, patience=30)
    (finding,) = result.findings
    assert str(finding.severity) == "info"
    assert finding.evidence["trainable_params"] < finding.evidence["batch_target_values"]
    assert "too few to memorise" in finding.message


def test_raw_targets_not_reached_in_the_probe_are_inconclusive():
    # MachineLearningMastery's regression tutorial: 13 normal-init units, raw
    # targets 25..346, batch 5: the output creeps towards ~150 for thousands of
    # steps (it learns in the tutorial's 100 epochs), far beyond the probe's.
    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    model = keras.Sequential([
        keras.Input((10,)),
        keras.layers.Dense(13, kernel_initializer="normal", activation="relu"),
        keras.layers.Dense(1, kernel_initializer="normal")])
    model.compile(loss="mean_squared_error", optimizer="adam")
    result = overfit_batch(model, x, y.astype("float32"), batch_size=5, patience=30)
    (finding,) = result.findings
    assert finding.code == "probe.cannot_overfit_batch"
    assert str(finding.severity) == "info" and "inconclusive" in finding.message
    assert finding.evidence["min_loss"] > 2 * finding.evidence["mean_target_loss"]


def test_autoencoder_with_binary_crossentropy_is_not_an_error(digits):
    x, _ = digits
    model = _mlp(64, 64, "sigmoid", "binary_crossentropy", hidden=(32,))
    result = overfit_batch(model, x, x, max_steps=120)
    # BCE on [0, 1] pixels cannot go below the pixels' own entropy
    assert result.target > 0.1
    assert _loud(result) == []
    skipped = initial_loss(model, x, x)
    assert skipped.skipped and "reconstruction" in skipped.skipped


def test_value_target_is_floor_plus_ratio_of_the_gap(digits):
    x, _ = digits
    yb = x[:16]
    fn = keras.losses.BinaryCrossentropy().call
    target, _ = _value_target(fn, "binary_crossentropy", None, yb,
                              np.zeros_like(yb), 0.05)
    floor = float(np.mean(fn(yb, yb)))
    mean = float(np.mean(fn(yb, np.broadcast_to(yb.mean(0), yb.shape).copy())))
    assert target == pytest.approx(floor + 0.05 * (mean - floor), rel=1e-5)
    mse = keras.losses.MeanSquaredError().call
    target, mean_loss = _value_target(mse, "mse", None, yb, np.zeros_like(yb), 0.05)
    assert target == pytest.approx(0.05 * float(np.mean(yb.var(axis=0))), rel=1e-4)
    assert mean_loss == pytest.approx(float(np.mean(yb.var(axis=0))), rel=1e-4)


def test_multilabel_sigmoid_is_silent(digits):
    x, ids = digits
    y = np.stack([ids % 2 == 0, ids > 4, np.isin(ids, [2, 3, 5, 7])],
                 axis=1).astype("float32")
    model = _mlp(64, 3, "sigmoid", "binary_crossentropy")
    result = initial_loss(model, x, y)
    assert not result.skipped and not result.findings
    assert _loud(overfit_batch(model, x, y, max_steps=200)) == []


def test_classify_curve_slow_tail_after_most_of_the_gap_is_inconclusive():
    # A binary cross-entropy approaching the pixels' entropy: most of the
    # gap from the mean-target loss (0.48) to the target (0.235) is closed
    # in a few dozen steps, then a power-law tail that geometric
    # extrapolation projects above the target.
    steps = np.arange(300)
    tail = 0.222 + 0.27 / (1 + steps / 8.0) ** 0.6
    assert classify_curve(tail, initial=0.69, target=0.235,
                          value_targets=True) == "plateau"
    assert classify_curve(tail, initial=0.69, target=0.235, value_targets=True,
                          baseline=0.48) == "still_falling"
    # stuck near the input-blind loss: a floor, whatever the baseline says
    blind = 0.47 + 0.2 / (1 + steps / 8.0) ** 0.6
    assert classify_curve(blind, initial=0.69, target=0.235, value_targets=True,
                          baseline=0.48) == "plateau"
    # most of the gap closed but flat at the end: a floor
    flat = np.r_[np.linspace(0.69, 0.3, 100), np.full(200, 0.3)]
    assert classify_curve(flat, initial=0.69, target=0.235, value_targets=True,
                          baseline=0.48) == "plateau"


@pytest.mark.slow
def test_conv_autoencoder_slow_tail_is_not_an_error(digits):
    """Twin of keras-io's convolutional denoising autoencoder (first stage):
    Conv2D/MaxPool encoder, Conv2DTranspose decoder, sigmoid output, binary
    cross-entropy on [0, 1] pixels; most of the gap to the pixels' entropy
    closes fast, then a slow tail outlasts the probe's steps."""
    x, _ = digits
    images = x.reshape(-1, 8, 8, 1)
    keras.utils.set_random_seed(0)
    layers = keras.layers
    inputs = keras.Input((8, 8, 1))
    h = layers.Conv2D(16, 3, activation="relu", padding="same")(inputs)
    h = layers.MaxPooling2D(2, padding="same")(h)
    h = layers.Conv2DTranspose(16, 3, strides=2, activation="relu", padding="same")(h)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    result = overfit_batch(model, images, images)
    assert not result.reached
    assert _loud(result) == []
    [finding] = result.findings
    assert finding.evidence["pattern"] == "still_falling"
    assert finding.evidence["min_loss"] < finding.evidence["mean_target_loss"]
