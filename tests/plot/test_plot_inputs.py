"""The Displays' from_model on what `fit` takes: streams and dict inputs."""

import keras
import numpy as np
import pytest

import kerasdoc


def _model_and_data():
    rng = np.random.default_rng(0)
    y = np.arange(40) % 3
    images = rng.random((40, 6, 6)).astype("float32")
    meta = rng.normal(size=(40, 2)).astype("float32")
    image = keras.Input((6, 6), name="image")
    extra = keras.Input((2,), name="meta")
    h = keras.layers.Concatenate()([keras.layers.Flatten()(image), extra])
    out = keras.layers.Dense(3, activation="softmax")(h)
    return keras.Model({"image": image, "meta": extra}, out), {"image": images,
                                                               "meta": meta}, y


@pytest.mark.parametrize("source", ["dict", "dataset", "generator"])
def test_from_model_takes_dicts_and_streams(source):
    import tensorflow as tf

    model, x, y = _model_and_data()
    expected = kerasdoc.ConfusionMatrixDisplay.from_model(model, x, y, plot=False)

    def make():
        if source == "dict":
            return (x, y)
        if source == "dataset":
            return (tf.data.Dataset.from_tensor_slices((x, y)).batch(8), None)
        return (((({k: v[i:i + 8] for k, v in x.items()}), y[i:i + 8])
                 for i in range(0, 40, 8)), None)

    cm = kerasdoc.ConfusionMatrixDisplay.from_model(model, *make(), plot=False)
    np.testing.assert_array_equal(cm.confusion_matrix, expected.confusion_matrix)
    top = kerasdoc.TopLossesDisplay.from_model(model, *make(), n=4, plot=False)
    assert len(top.indices) == 4 and top.samples.shape[1:] == (6, 6)  # the image input
    single = kerasdoc.SinglePredictionDisplay.from_model(model, *make(), 3, plot=False)
    assert single.true_label == 0 and single.sample.shape == (6, 6)
