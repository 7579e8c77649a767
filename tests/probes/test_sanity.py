"""sanity_check, and what every probe promises: untouched model, same numbers twice."""

import random
import time

import numpy as np
import pytest

import kerasdoc
from kerasdoc._modelcopy import ModelState
from kerasdoc.probes import (PROBES, batch_mixing, gradient_check, initial_loss,
                             input_independence, lr_range_test, overfit_batch,
                             sanity_check)
from kerasdoc.probes import _common

# Each probe with settings small enough for a quick test.
QUICK = {
    "initial_loss": lambda m, x, y: initial_loss(m, x, y, n_samples=64),
    "batch_mixing": lambda m, x, y: batch_mixing(m, x),
    "gradient_check": lambda m, x, y: gradient_check(m, x, y, layers="all"),
    "overfit_batch": lambda m, x, y: overfit_batch(m, x, y, max_steps=10),
    "input_independence": lambda m, x, y: input_independence(m, x, y, max_steps=10),
    "lr_range_test": lambda m, x, y: lr_range_test(m, x, y, max_steps=10),
}


def _global_rng():
    """Python's, NumPy's and Keras's global random state (created if missing)."""
    from keras.src.random.seed_generator import global_seed_generator

    gen = global_seed_generator()
    return random.getstate(), np.random.get_state()[1].copy(), gen.state.numpy().copy()


def _same_rng(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


@pytest.fixture
def trained(baseline, small):
    """A baseline with optimizer state (iterations=2) and a cached train_function."""
    x, y = small
    baseline.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    return baseline


@pytest.mark.parametrize("name", sorted(QUICK))
def test_probe_leaves_model_and_global_rng_untouched(name, trained, small):
    before, rng_before = ModelState.capture(trained), _global_rng()
    QUICK[name](trained, *small)
    assert ModelState.capture(trained).diff(before) == []
    assert int(trained.optimizer.iterations) == 2
    assert _same_rng(_global_rng(), rng_before)


@pytest.mark.parametrize("name", ["overfit_batch", "input_independence", "lr_range_test"])
def test_probe_leaves_model_untouched_when_it_raises(name, trained, small, monkeypatch):
    calls = []
    original = _common.train_loss

    def failing(model, xb, yb):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected")
        return original(model, xb, yb)

    monkeypatch.setattr(_common, "train_loss", failing)
    before, rng_before = ModelState.capture(trained), _global_rng()
    with pytest.raises(RuntimeError, match="injected"):
        QUICK[name](trained, *small)
    assert ModelState.capture(trained).diff(before) == []
    assert _same_rng(_global_rng(), rng_before)


def test_dropout_copy_is_seeded_and_numbers_repeat(small):
    import keras

    def model():
        m = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dropout(0.5),
                              keras.layers.Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return m

    m = model()
    a = overfit_batch(m, *small, max_steps=15, seed=3)
    b = overfit_batch(m, *small, max_steps=15, seed=3)
    c = overfit_batch(m, *small, max_steps=15, seed=4)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.losses, c.losses)


def test_same_seed_same_numbers(baseline, small):
    for name in ("lr_range_test", "input_independence"):
        first, second = QUICK[name](baseline, *small), QUICK[name](baseline, *small)
        if name == "lr_range_test":
            np.testing.assert_array_equal(first.losses, second.losses)
        else:
            np.testing.assert_array_equal(first.real_losses, second.real_losses)
            np.testing.assert_array_equal(first.zero_losses, second.zero_losses)


@pytest.mark.slow
def test_silent_on_the_walkthrough_baseline(baseline, subset):
    before = ModelState.capture(baseline)
    start = time.perf_counter()
    report = kerasdoc.sanity_check(baseline, *subset)
    seconds = time.perf_counter() - start
    assert len(report) == 0, report.to_text()
    assert set(report.ran) == set(PROBES.values()) - {"probe.gradient_check"}
    assert "no custom layers" in report.skipped["probe.gradient_check"]
    assert set(report.timings) == set(PROBES.values())
    assert ModelState.capture(baseline).diff(before) == []
    assert seconds < 120  # "seconds" on an idle machine; generous when shared


@pytest.mark.parametrize("twin, code", [
    ("batch_mixer", "probe.batch_mixing"),
    ("scaled_output", "probe.initial_loss"),
    ("wrong_gradient", "probe.gradient_check"),
])
def test_fires_on_each_fast_twin(twins, small, twin, code):
    checks = ["initial_loss", "batch_mixing", "gradient_check"]
    report = sanity_check(getattr(twins, twin)(), *small, checks=checks)
    assert report.codes == {code}
    assert report.ran == tuple(PROBES[c] for c in checks)


@pytest.mark.slow
def test_fires_on_the_training_twins(twins, small):
    ignorer = sanity_check(twins.input_ignorer(), *small,
                           checks=["input_independence"])
    assert ignorer.codes == {"probe.input_independent"}
    sgd = sanity_check(twins.sgd_lr10(), *small,
                       checks=["overfit_batch", "lr_range_test"])
    assert sgd.codes == {"probe.cannot_overfit_batch", "probe.learning_rate"}


def test_bad_arguments(baseline, small):
    import keras

    x, y = small
    with pytest.raises(ValueError, match="unknown probe names \\['overfit'\\]"):
        sanity_check(baseline, x, y, checks=["overfit"])
    with pytest.raises(ValueError, match="Received: checks='overfit_batch'"):
        sanity_check(baseline, x, y, checks="overfit_batch")
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        sanity_check(baseline, x, y, batch_size=0)
    with pytest.raises(ValueError, match="same number of samples"):
        sanity_check(baseline, x, y[:10])
    with pytest.raises(ValueError, match="Received: seed=-1"):
        sanity_check(baseline, x, y, seed=-1)
    uncompiled = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                   keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="must be compiled"):
        sanity_check(uncompiled, x, y)
    with pytest.raises(TypeError, match="keras.Model"):
        sanity_check(object(), x, y)


def test_exported_at_top_level():
    assert kerasdoc.sanity_check is sanity_check
    assert kerasdoc.lr_range_test is lr_range_test
