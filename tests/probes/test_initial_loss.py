"""probe.initial_loss: loss at initialisation vs -ln(1/C) and the prior entropy."""

import math

import numpy as np
import pytest

from kerasdoc.probes import initial_loss


def test_silent_on_baseline(baseline, small):
    result = initial_loss(baseline, *small)
    assert result.findings == ()
    assert result.expected == pytest.approx(math.log(10))
    assert result.n_classes == 10
    assert result.n_samples == 256
    assert 1.8 < result.measured < 3.0
    assert result.report.ran == ("initial_loss",)


def test_fires_on_output_scaled_by_100(twins, small):
    result = initial_loss(twins.scaled_output(), *small)
    assert [f.code for f in result.findings] == ["probe.initial_loss"]
    finding = result.findings[0]
    assert str(finding.severity) == "warning"
    assert finding.evidence["measured"] > 10 * math.log(10)
    assert finding.evidence["expected"] == pytest.approx(math.log(10))
    assert finding.evidence["ratio"] > 4
    assert "softmax" in finding.fix


def test_tolerance_is_the_threshold(twins, small):
    result = initial_loss(twins.scaled_output(), *small)
    looser = initial_loss(twins.scaled_output(), *small,
                          tolerance=result.ratio)  # limit above the measurement
    assert looser.findings == ()


def test_prior_entropy_of_imbalanced_labels(baseline, small):
    x, y = small
    y = np.where(np.arange(len(y)) % 10 == 0, y, 0)  # ~90% class 0
    result = initial_loss(baseline, x, y)
    counts = np.bincount(y, minlength=10) / len(y)
    p = counts[counts > 0]
    assert result.prior_entropy == pytest.approx(float(-(p * np.log(p)).sum()))
    assert result.prior_entropy < result.expected


def test_skipped_for_regression_losses(small):
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    result = initial_loss(model, small[0], small[1].astype("float32"))
    assert result.findings == ()
    assert "cross-entropy" in result.skipped
    assert result.report.skipped == {"initial_loss": result.skipped}


def test_skipped_for_a_trained_model(baseline, small):
    x, y = small
    baseline.fit(x[:32], y[:32], epochs=1, batch_size=32, verbose=0)
    result = initial_loss(baseline, x, y)
    assert "already been trained" in result.skipped


def test_bad_arguments(baseline, small):
    x, y = small
    with pytest.raises(ValueError, match="Received: tolerance=-1"):
        initial_loss(baseline, x, y, tolerance=-1)
    with pytest.raises(ValueError, match="n_samples"):
        initial_loss(baseline, x, y, n_samples=0)
    with pytest.raises(ValueError, match="same number of samples"):
        initial_loss(baseline, x, y[:-1])


def test_binary_classifier_with_flat_labels(small):
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = small
    result = initial_loss(model, x, (y > 4).astype("float32"))  # shape (n,) vs (n, 1)
    assert result.n_classes == 2
    assert result.expected == pytest.approx(math.log(2))
    assert result.findings == ()


def test_raw_scale_tabular_features_are_info_not_a_warning():
    """Twin of MachineLearningMastery's first network (Pima, raw columns such as
    glucose ~120 and insulin up to ~800): a fresh ReLU net's logits are large
    because the features are, not because of the model."""
    import keras

    rng = np.random.default_rng(0)
    x = np.stack([rng.poisson(3.8, 300), rng.normal(121, 32, 300),
                  rng.exponential(80, 300), rng.normal(32, 8, 300)], 1).astype("float32")
    y = (x[:, 1] + rng.normal(0, 20, 300) > 130).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(12, activation="relu"),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    result = initial_loss(model, x, y)
    [finding] = result.findings
    assert str(finding.severity) == "info"
    assert finding.evidence["explained_by_input_scale"]
    assert finding.evidence["standardized_inputs_loss"] <= finding.evidence["limit"]
    assert finding.evidence["measured"] > finding.evidence["limit"]


def test_scaled_logits_are_not_explained_by_the_input_scale(twins, small):
    result = initial_loss(twins.scaled_output(), *small)
    [finding] = result.findings
    assert str(finding.severity) == "warning"
    assert not finding.evidence["explained_by_input_scale"]
    assert finding.evidence["standardized_inputs_loss"] > finding.evidence["limit"]


def test_a_narrow_fresh_head_on_raw_iris_is_info_not_a_warning():
    """Twin of MachineLearningMastery's iris tutorial: raw centimetres, Dense(8, relu)
    -> Dense(3, softmax). The fresh head's own logit spread adds up to ~1 nat to
    ln 3 on standardised inputs; the rest of the gap is the input scale."""
    import keras
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    result = initial_loss(model, x.astype("float32"), keras.utils.to_categorical(y, 3))
    assert all(str(f.severity) == "info" for f in result.findings), result.findings
    assert all(f.evidence["limit"] >= math.log(3) + 1.0 for f in result.findings)
