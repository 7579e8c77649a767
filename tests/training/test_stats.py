"""The on-device reductions and the probe, checked against numpy."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from kerasdoc.training import _stats  # noqa: E402
from kerasdoc.training._probe import Probe, activation_kind  # noqa: E402


def test_moments_and_sum_squares(rng):
    x = rng.normal(size=(4, 5)).astype("float32")
    total, squares, count = (float(v) for v in _stats.moments(x))
    assert total == pytest.approx(x.sum(), rel=1e-5)
    assert squares == pytest.approx((x ** 2).sum(), rel=1e-5)
    assert count == 20
    assert float(_stats.sum_squares(tf.constant(x, tf.float16))) == pytest.approx(
        (x.astype(np.float16).astype(np.float32) ** 2).sum(), rel=1e-3)


def test_flag_and_nonfinite_count():
    x = tf.constant([1.0, np.nan, np.inf, 2.0])
    assert float(_stats.nonfinite_count(x)) == 2.0
    assert float(_stats.flag(_stats.sum_squares(x))) == 1.0
    assert float(_stats.flag(_stats.sum_squares(tf.constant([1.0, 2.0])))) == 0.0


def test_active_units_per_last_axis():
    x = np.zeros((3, 2, 4), "float32")
    x[1, 0, 2] = 0.5
    x[2, 1, 0] = 1e-6
    np.testing.assert_array_equal(_stats.active_units(x).numpy(), [1, 0, 1, 0])


def test_saturated_count_and_max_abs():
    y = tf.constant([0.001, 0.5, 0.995, 0.02, 0.981])
    assert float(_stats.saturated_count(y, low=0.0, high=1.0, margin=0.02)) == 4.0
    t = tf.constant([-0.99, 0.0, 0.95])  # band: 0.02 * range 2 = 0.04
    assert float(_stats.saturated_count(t, low=-1.0, high=1.0, margin=0.02)) == 1.0
    assert float(_stats.max_abs(tf.constant([-7.0, 3.0, np.nan]))) == 7.0


def test_histogram_matches_numpy(rng):
    x = rng.normal(size=1000).astype("float32")
    x[:3] = np.nan
    low, high, counts = _stats.histogram(x, 10)
    finite = x[np.isfinite(x)]
    expected, edges = np.histogram(finite, bins=10, range=(finite.min(), finite.max()))
    assert float(low) == pytest.approx(edges[0]) and float(high) == pytest.approx(edges[-1])
    assert counts.numpy().sum() == len(finite)
    np.testing.assert_allclose(counts.numpy(), expected, atol=1)


def test_probe_of_the_walkthrough_model():
    from kerasdoc.examples import small_cnn

    model = small_cnn(input_shape=(28, 28))
    probe = Probe.from_model(model)
    kinds = {t.name: t.kind for t in probe.taps}
    relu_layer = next(layer for layer in model.layers
                      if isinstance(layer, keras.layers.ReLU))
    assert kinds[relu_layer.name] == "relu"
    assert kinds[model.layers[-2].name] == "relu"  # Dense(64, activation="relu")
    assert [t.kind for t in probe.taps][-1] == "softmax" and probe.taps[-1].is_output
    conv, bn = model.layers[1], model.layers[2]
    assert probe.weight_layers[:2] == (conv.name, bn.name)
    assert len(probe.weight_names) == len(model.trainable_weights)
    assert probe.note == ""
    assert activation_kind(keras.layers.ReLU(max_value=6.0)) == "other"
    assert activation_kind(keras.layers.Activation("tanh")) == "tanh"
