"""The probes of one call share a model copy and its traced step, with the same results.

`kerasdoc.probes._shared`: inside `sharing(model)` each probe gets the same
copy back with every variable as it was made (weights, a fresh optimizer's
state, its generators seeded from the probe's seed), so a probe computes
exactly what it computes on its own fresh copy, and the train step is
traced once per copy instead of once per probe.
"""

import numpy as np
import pytest

from kerasdoc.probes import _shared


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:256] / 16.0).astype("float32"), y[:256]


def _model(optimizer="adam"):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.2),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _run_all(model, x, y):
    from kerasdoc.probes import (initial_loss, input_independence, lr_range_test,
                                 overfit_batch)

    return [initial_loss(model, x, y).measured,
            overfit_batch(model, x, y, max_steps=6).losses,
            *_both(input_independence(model, x, y, max_steps=6, check_every=50)),
            lr_range_test(model, x, y, max_steps=6, seed=3).losses]


def _both(result):
    return result.real_losses, result.zero_losses


@pytest.mark.slow  # ten traces of a small MLP: ~30 s on the loaded 2-core machine
def test_shared_copies_give_the_numbers_of_fresh_copies(digits):
    x, y = digits
    # Adam: its moments and iteration count (bias correction) must start
    # fresh for each probe; Dropout: the generators are re-seeded.
    alone = _run_all(_model(), x, y)
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with _shared.sharing(model) as pool:
        shared = _run_all(model, x, y)
        shapes = [slot.shapes for slot in pool.slots]
        more = pool.traces_needed(2, 64)  # another batch size: traced already
        # Only copies are lent; the user's model is untouched.
        assert pool.slots and all(slot.clone is not model for slot in pool.slots)
    assert not model.optimizer.built or int(model.optimizer.iterations) == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(alone, shared):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Four probe runs, one with two copies at once: two copies made in all,
    # each traced once, with an open batch size (None) that serves 16 and 32.
    assert pool.copies_made == 2
    assert shapes == [{None, 16, 32}, {None, 32}], shapes
    assert more == 0


def test_a_scheduled_rate_swept_as_a_constant_gets_its_own_copy(digits):
    import keras

    from kerasdoc.probes import lr_range_test

    x, y = digits
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)
    model = _model(keras.optimizers.Adam(schedule))
    alone = lr_range_test(model, x, y, max_steps=10).losses
    with _shared.sharing(model) as pool:
        shared = lr_range_test(model, x, y, max_steps=10).losses
    np.testing.assert_array_equal(alone, shared)
    assert pool.copies_made == 1  # made, then refused for the sweep's optimizer
