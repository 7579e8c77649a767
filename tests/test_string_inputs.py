"""diagnose on a model that takes raw strings (StringLookup inside it): every part runs."""

import warnings

import numpy as np
import pytest

import kerasdoc


def _lookup_model(dict_inputs):
    import keras

    colour = keras.Input((1,), name="colour", dtype="string")
    onehot = keras.layers.StringLookup(vocabulary=["red", "green", "blue"],
                                       output_mode="one_hot")(colour)
    if dict_inputs:
        height = keras.Input((1,), name="height")
        inputs = {"colour": colour, "height": height}
        onehot = keras.layers.Concatenate()([onehot, height])
    else:
        inputs = colour
    outputs = keras.layers.Dense(2, activation="softmax")(onehot)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _data(dict_inputs):
    colours = np.array([["red"], ["blue"], ["green"], ["red"]] * 16, dtype=object)
    y = (colours[:, 0] == "red").astype("int64")
    x = {"colour": colours, "height": np.linspace(0, 1, 64, dtype="float32")[:, None]} \
        if dict_inputs else colours
    return x, y


@pytest.mark.parametrize("dict_inputs", [False, True])
def test_text_inputs_train_in_the_training_part(dict_inputs):
    x, y = _data(dict_inputs)
    model = _lookup_model(dict_inputs)
    before = [w.copy() for w in model.get_weights()]
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        report = kerasdoc.diagnose(model, x, y, validation_data=(x, y), epochs=1,
                                   batch_size=16, parts=("training",), progress=False)
    assert report.failed == {}, report.failed  # was "Invalid dtype: object"
    assert report.ran == ("training",)
    assert not [str(w.message) for w in leaked if "shuffle" in str(w.message)]
    for a, b in zip(before, model.get_weights()):  # the user's model is untouched
        np.testing.assert_array_equal(a, b)


def test_input_independence_blanks_text_with_empty_strings():
    x, y = _data(False)
    result = kerasdoc.input_independence(_lookup_model(False), x, y, batch_size=16,
                                         max_steps=10, check_every=5)
    assert np.isfinite(result.zero_loss) and np.isfinite(result.real_loss)


def test_blank_text_is_the_empty_string():
    from kerasdoc.probes._common import zeros_like

    text = np.array([["a"], ["b"]], dtype=object)
    blank = zeros_like({"t": text, "n": np.ones((2, 1))})
    assert blank["t"].tolist() == [[""], [""]] and blank["n"].sum() == 0
    assert zeros_like(np.array([[b"a"]], dtype=object)).tolist() == [[b""]]
