"""Shared fixtures: quiet TensorFlow, Agg plots, seeds, the bundled data."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def bundled_subset():
    """The walkthrough subset committed in `data/` (100/30 per class)."""
    from kerasdoc.data import load_subset

    return load_subset(DATA_DIR)


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """Directory of the official FashionMNIST .gz files; skips if there is none.

    CI sets KERASDOC_DATA to the shared copy. Tests never download.
    """
    from kerasdoc.datasets import find_fashion_mnist

    path = find_fashion_mnist(download=False)
    if path is None:
        pytest.skip("FashionMNIST files not found (set KERASDOC_DATA)")
    return path


@pytest.fixture(scope="session")
def fashion_mnist(fashion_mnist_dir):
    """The full real FashionMNIST: ((x_train, y_train), (x_test, y_test), names)."""
    from kerasdoc.datasets import load_fashion_mnist

    return load_fashion_mnist(fashion_mnist_dir)


@pytest.fixture(autouse=True)
def _seed():
    """Fixed seeds (Python, numpy, TensorFlow/Keras) before every test."""
    import keras

    keras.utils.set_random_seed(0)
    yield


@pytest.fixture
def pyplot():
    """matplotlib.pyplot on the Agg backend; closes every figure afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
