"""probe.batch_mixing: sample i's loss must reach sample i's input only."""

import numpy as np
import pytest

from kerasdoc.probes import batch_mixing


def test_silent_on_baseline(baseline, small):
    result = batch_mixing(baseline, small[0])
    assert result.findings == ()
    assert result.leak_ratio == 0.0
    assert result.training is False
    norms = result.gradient_norms
    assert norms.shape == (4, 8)
    for row, i in zip(norms, result.checked):
        assert row[i] > 0
        assert np.count_nonzero(row) == 1


def test_silent_with_batchnorm(small):
    from kerasdoc.examples import small_cnn

    result = batch_mixing(small_cnn((28, 28)), small[0])
    assert result.findings == ()
    assert result.leak_ratio == 0.0


def test_fires_on_a_layer_that_rolls_the_batch(twins, small):
    result = batch_mixing(twins.batch_mixer(), small[0])
    [finding] = result.findings
    assert finding.code == "probe.batch_mixing"
    assert str(finding.severity) == "error"
    assert finding.evidence["training"] is False
    assert result.leak_ratio == float("inf")  # only the neighbour gets gradient
    for i, leaked in result.leaked_to.items():
        assert leaked == [(i - 1) % 8]


def test_fires_on_batch_axis_centering(twins, small):
    import keras
    from keras import ops

    class Centering(keras.layers.Layer):
        def call(self, x):
            return x - ops.mean(x, axis=0, keepdims=True)

    model = twins.mlp(Centering())
    result = batch_mixing(model, small[0])
    assert [f.code for f in result.findings] == ["probe.batch_mixing"]
    assert 0 < result.leak_ratio < 1


def test_skipped_for_integer_inputs():
    import keras

    model = keras.Sequential([keras.Input((5,), dtype="int32"),
                              keras.layers.Embedding(20, 4),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    result = batch_mixing(model, np.arange(40).reshape(8, 5) % 20)
    assert result.findings == ()
    assert "integer" in result.skipped


def test_bad_arguments(baseline, small):
    with pytest.raises(ValueError, match="Received: batch_size=1"):
        batch_mixing(baseline, small[0], batch_size=1)
    with pytest.raises(TypeError, match="keras.Model"):
        batch_mixing("model", small[0])
