"""Fixtures of the training tests: the walkthrough subset scaled to [0, 1]."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def subset01(bundled_subset):
    """(x_train, y_train, x_test, y_test) of the bundled subset, inputs / 255."""
    s = bundled_subset
    return (s.x_train.astype("float32") / 255.0, s.y_train.astype("int64"),
            s.x_test.astype("float32") / 255.0, s.y_test.astype("int64"))


@pytest.fixture(scope="session")
def small01(subset01):
    """The first 320 training samples (10 steps of 32): for broken-run tests."""
    x, y, _, _ = subset01
    return x[:320], y[:320]


@pytest.fixture(scope="session")
def weights_close():
    """`close(a, b, atol=1e-5)`: two lists of weight arrays agree."""

    def close(a, b, atol=1e-5):
        return len(a) == len(b) and all(
            x.shape == y.shape and np.allclose(x, y, atol=atol, rtol=1e-5)
            for x, y in zip(a, b))

    return close
