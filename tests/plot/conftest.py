"""A tiny trained image classifier shared by the plot tests."""

import numpy as np
import pytest

NAMES = ["circle", "bar", "cross"]


def _images(n, rng):
    """3 classes of 8x8 images that a small MLP separates in a few epochs."""
    y = np.arange(n) % 3
    x = rng.normal(0.0, 0.15, size=(n, 8, 8)).astype("float32")
    x[y == 0, 2:6, 2:6] += 1.0
    x[y == 1, :, 3:5] += 1.0
    x[y == 2, 3:5, :] += 1.0
    x[y == 2, :, 3:5] += 1.0
    return x, y


@pytest.fixture(scope="session")
def tiny_data():
    rng = np.random.default_rng(1)
    return _images(60, rng), _images(30, rng), NAMES


@pytest.fixture(scope="session")
def tiny_model(tiny_data):
    """A trained Flatten-Dense-Dense(3, softmax) model and its History."""
    import keras

    from kerasdoc.examples import baseline_mlp

    keras.utils.set_random_seed(0)
    (x, y), (xt, yt), _ = tiny_data
    model = baseline_mlp((8, 8), 3)
    history = model.fit(x, y, validation_data=(xt, yt), epochs=3, batch_size=16,
                        verbose=0)
    return model, history


@pytest.fixture(scope="session")
def tiny_doctor(tiny_data):
    """A Doctor that watched 3 epochs of the tiny model (every 4 steps)."""
    import keras

    import kerasdoc
    from kerasdoc.examples import baseline_mlp

    keras.utils.set_random_seed(0)
    (x, y), (xt, yt), _ = tiny_data
    model = baseline_mlp((8, 8), 3)
    doctor = kerasdoc.Doctor(every=4)
    model.fit(x, y, validation_data=(xt, yt), epochs=3, batch_size=16, verbose=0,
              callbacks=[doctor])
    return doctor
