"""kerasdoc._validation: messages name the argument and what was received."""

import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError
from kerasdoc._validation import check_array, check_int, check_model_input


def test_check_int_names_the_argument():
    with pytest.raises(InvalidInputError, match=r"`epochs` must be >= 1. Received: epochs=0"):
        check_int(0, "epochs", minimum=1)
    with pytest.raises(InvalidTypeError, match=r"Received: epochs=True"):
        check_int(True, "epochs")


def test_check_array_refuses_objects_and_empty():
    with pytest.raises(InvalidTypeError, match="must hold numbers"):
        check_array(np.array([{}, 1], dtype=object), "x")
    with pytest.raises(InvalidInputError, match="must not be empty"):
        check_array(np.zeros((0, 3)), "x")


def test_model_input_accepts_what_keras_accepts_and_refuses_the_rest():
    import keras

    cnn = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(2)])
    flat = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(2)])
    # A missing or extra trailing axis of size 1, as Keras itself adapts.
    check_model_input(np.zeros((4, 28, 28)), cnn)
    check_model_input(np.zeros((4, 28, 28, 1)), flat)
    cnn.predict(np.zeros((4, 28, 28)), verbose=0)
    with pytest.raises(InvalidInputError, match=r"input shape \(28, 28, 1\). Received: x.shape=\(4, 28, 27\)"):
        check_model_input(np.zeros((4, 28, 27)), cnn)
    with pytest.raises(InvalidInputError, match="Received: x.shape"):
        check_model_input(np.zeros((4, 28, 28, 3)), cnn)
