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


def _id_recommender(mixing):
    """Users x items ids -> sigmoid(score): per-row dot product, or the batch-wide
    ops.tensordot(u, m, 2) that contracts over the batch axis too."""
    import keras
    from keras import layers, ops

    inputs = keras.Input((2,), dtype="int32")
    user = layers.Embedding(20, 4, embeddings_initializer="he_normal")(inputs[:, 0])
    item = layers.Embedding(30, 4, embeddings_initializer="he_normal")(inputs[:, 1])
    if mixing:
        dot = layers.Lambda(lambda t: ops.tensordot(t[0], t[1], 2) + 0 * t[0][:, :1])(
            [user, item])
    else:
        dot = layers.Lambda(lambda t: ops.sum(t[0] * t[1], axis=1, keepdims=True))(
            [user, item])
    model = keras.Model(inputs, layers.Activation("sigmoid")(dot))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _ids(n=64):
    rng = np.random.default_rng(0)
    return np.stack([rng.integers(0, 20, n), rng.integers(0, 30, n)], 1).astype("int32")


def test_silent_for_integer_inputs_by_replacement():
    import keras

    model = keras.Sequential([keras.Input((5,), dtype="int32"),
                              keras.layers.Embedding(20, 4),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    result = batch_mixing(model, np.arange(40).reshape(8, 5) % 20)
    assert result.skipped is None and result.findings == ()
    assert result.leak_ratio == 0.0
    result = batch_mixing(_id_recommender(mixing=False), _ids())
    assert result.skipped is None and result.findings == ()
    for row, i in zip(result.gradient_norms, result.checked):
        assert row[i] > 0 and np.count_nonzero(row) == 1  # only its own output moved


def test_fires_on_ids_contracted_over_the_batch_axis():
    result = batch_mixing(_id_recommender(mixing=True), _ids())
    [finding] = result.findings
    assert finding.code == "probe.batch_mixing"
    assert finding.evidence["method"] == "replacement"
    assert "tensordot" in finding.fix
    assert set(result.leaked_to) == set(result.checked)  # every checked output mixes
    for i, leaked in result.leaked_to.items():  # moved when only the others were replaced
        assert set(leaked) == set(range(8)) - set(result.checked)
    assert result.leak_ratio > 0.01


def test_bad_arguments(baseline, small):
    with pytest.raises(ValueError, match="Received: batch_size=1"):
        batch_mixing(baseline, small[0], batch_size=1)
    with pytest.raises(TypeError, match="keras.Model"):
        batch_mixing("model", small[0])


def _overflowing(kernel_initializer, width=16):
    """Two exponential Dense layers: outputs that overflow to inf for large inputs."""
    import keras

    model = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(width, activation="exponential",
                           kernel_initializer=kernel_initializer),
        keras.layers.Dense(width, activation="exponential",
                           kernel_initializer=kernel_initializer),
        keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_inconclusive_when_every_gradient_is_non_finite():
    import keras

    model = _overflowing(keras.initializers.RandomNormal(stddev=10.0, seed=0))
    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    assert not np.all(np.isfinite(model.predict(x, verbose=0)))
    result = batch_mixing(model, x)
    assert result.findings == ()
    assert result.skipped.startswith("non-finite gradients/loss: inconclusive")
    assert not np.all(np.isfinite(result.gradient_norms))
    assert result.report.skipped == {"batch_mixing": result.skipped}


def test_one_overflowing_sample_makes_the_batch_inconclusive():
    # Samples 0-3 are zeros (finite outputs), 4-7 overflow. Backpropagating
    # sample i's loss multiplies the zero upstream gradient of an overflowing
    # sample by its inf local derivative (0 * inf = NaN), so every check holds
    # NaN: no leak can be judged, and none may be reported to an empty set.
    model = _overflowing("ones", width=4)
    x = np.zeros((8, 8), "float32")
    x[4:] = 100.0
    outputs = model.predict(x, verbose=0)
    assert np.all(np.isfinite(outputs[:4])) and not np.all(np.isfinite(outputs[4:]))
    result = batch_mixing(model, x, batch_size=8, n_checks=8)
    assert result.findings == ()
    assert result.skipped.startswith("non-finite gradients/loss: inconclusive")
    assert result.leaked_to == {}
    # The same model on the finite samples alone is judged, and stays silent.
    finite = batch_mixing(model, np.zeros((8, 8), "float32"), n_checks=8)
    assert finite.skipped is None and finite.findings == ()
    assert finite.leak_ratio == 0.0
