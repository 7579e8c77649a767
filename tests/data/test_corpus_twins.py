"""Minimal twins of real-world corpus programs that drew false data alarms.

Each silent test rebuilds, small, the data of a healthy program of
`benchmarks/realworld/programs/` that a data check misread; the firing
test next to it keeps the fault the check exists for.
"""

import numpy as np
import pytest

from kerasdoc import Severity, check_data


# data.label_misalignment ---------------------------------------------------------
# mlm_batchnorm_circles, mlm_deep_relu_circles, the AUTOTRAINER circle programs:
# the label is a non-linear function of the inputs, a linear model is at chance.
def _circles(n=500, seed=1):
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n, noise=0.1, random_state=seed)
    return x.astype("float32"), y.astype("int64")


def test_circles_are_not_misaligned():
    x, y = _circles()
    report = check_data(x, y)
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment"), report.to_text(color=False)


def test_circles_shuffled_apart_are_misaligned():
    x, y = _circles()
    report = check_data(x, np.random.default_rng(3).permutation(y))
    (finding,) = report.by_code("data.label_misalignment")
    assert finding.severity == Severity.ERROR
    assert set(finding.evidence["information_by_model"]) == {"linear", "knn"}
    assert max(finding.evidence["information_by_model"].values()) < 0.1


# timeseries_fcn, timeseries_transformer: FordA-like series whose class sets the
# frequencies at random phases; no per-step value tells the class.
def _series(n=400, length=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.linspace(0, 1, length)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    freq = (12 + 12 * y + rng.uniform(-1, 1, n))[:, None]
    x = np.sin(2 * np.pi * freq * t + phase) + 0.5 * rng.standard_normal((n, length))
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    return x[..., None].astype("float32"), y


def test_frequency_classes_of_series_are_not_misaligned():
    x, y = _series()
    report = check_data(x, y, input_kinds="sequence")
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment"), report.to_text(color=False)


def test_series_labels_shuffled_apart_are_misaligned():
    x, y = _series()
    report = check_data(x, np.random.default_rng(1).permutation(y), input_kinds="sequence")
    assert report.has("data.label_misalignment", "error")


# siamese_contrastive: two images in, the label says whether they show the
# same class; neither image alone carries it.
def _pairs(n=600, seed=0, side=8, classes=4):
    rng = np.random.default_rng(seed)
    protos = np.random.default_rng(9).random((classes, side, side))
    a_cls = rng.integers(0, classes, n)
    same = rng.integers(0, 2, n)
    b_cls = np.where(same == 1, a_cls, (a_cls + rng.integers(1, classes, n)) % classes)

    def draw(cls):
        return np.clip(protos[cls] + 0.2 * rng.standard_normal((n, side, side)), 0, 1)

    return draw(a_cls).astype("float32"), draw(b_cls).astype("float32"), same


def test_siamese_same_class_pairs_are_not_misaligned():
    a, b, same = _pairs()
    report = check_data([a, b], same, task="binary")
    assert any(r.startswith("data.label_misalignment") for r in report.ran)
    assert not report.has("data.label_misalignment"), report.to_text(color=False)


def test_siamese_pair_labels_shuffled_apart_are_misaligned():
    a, b, same = _pairs()
    report = check_data([a, b], np.random.default_rng(2).permutation(same), task="binary")
    assert report.has("data.label_misalignment")
