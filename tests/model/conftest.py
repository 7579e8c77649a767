"""Fixtures for the model and preprocessing audit: tiny models, image batches."""

import numpy as np
import pytest


def compiled(model, loss="sparse_categorical_crossentropy", optimizer=None, **kwargs):
    import keras

    model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=loss, **kwargs)
    return model


def mlp(*layers, input_shape=(8,)):
    """A Sequential with an Input, the given layers."""
    import keras

    return keras.Sequential([keras.Input(shape=input_shape), *layers])


def natural_images(n=8, size=32, *, seed=0, bgr=False):
    """Random images with ImageNet-like channel statistics (red > green > blue)."""
    rng = np.random.default_rng(seed)
    mean = np.array([123.68, 116.779, 103.939])
    x = np.clip(rng.normal(mean, 60.0, size=(n, size, size, 3)), 0, 255)
    x = x.astype("float32")
    return x[..., ::-1].copy() if bgr else x


@pytest.fixture(scope="session")
def keras():
    import keras as _keras

    return _keras


@pytest.fixture(scope="session")
def tabular():
    """(x, y): 200 samples, 8 features, 4 balanced classes."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = np.tile(np.arange(4), 50)
    return x, y


@pytest.fixture(scope="session")
def images():
    return natural_images()


@pytest.fixture(scope="session")
def mobilenet_v2(keras):
    return keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3),
                                          include_top=False)


@pytest.fixture(scope="session")
def resnet50_small(keras):
    return keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3),
                                       include_top=False)


@pytest.fixture(scope="session")
def kit():
    """Helpers for building test models (conftest is not importable in importlib mode)."""
    import types

    return types.SimpleNamespace(compiled=compiled, mlp=mlp,
                                 natural_images=natural_images)
