"""Gradient clipping: the numbers of the pure function, and equivalence with
Keras's optimizer `clipnorm` / `clipvalue` / `global_clipnorm` in a real fit."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from kerasdoc import Doctor, clip_gradients  # noqa: E402
from kerasdoc.examples import baseline_mlp  # noqa: E402


def _grads():
    return [tf.constant([[3.0, 4.0]]), tf.constant([12.0]), None]


def test_global_norm_after_clipping_equals_threshold():
    clipped, stats = clip_gradients(_grads(), clip_global_norm=6.5)
    assert float(stats["norm_before"]) == pytest.approx(13.0)
    assert float(stats["norm_after"]) == pytest.approx(6.5)
    assert float(stats["clipped"]) == 1.0
    assert clipped[2] is None
    np.testing.assert_allclose(clipped[1].numpy(), [6.0])


def test_clipping_twice_changes_nothing():
    for kwargs in ({"clip_global_norm": 2.0}, {"clip_norm": 2.0}, {"clip_value": 2.0}):
        once, _ = clip_gradients(_grads(), **kwargs)
        twice, stats = clip_gradients(once, **kwargs)
        for a, b in zip(once, twice):
            if a is not None:
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_per_tensor_norm_and_value():
    clipped, stats = clip_gradients(_grads(), clip_norm=2.5)
    np.testing.assert_allclose(clipped[0].numpy(), [[1.5, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(clipped[1].numpy(), [2.5], rtol=1e-6)
    clipped, stats = clip_gradients(_grads(), clip_value=3.5)
    np.testing.assert_allclose(clipped[0].numpy(), [[3.0, 3.5]])
    assert float(stats["clipped"]) == 1.0


def test_below_threshold_is_untouched_and_not_counted():
    clipped, stats = clip_gradients(_grads(), clip_global_norm=100.0)
    np.testing.assert_allclose(clipped[0].numpy(), [[3.0, 4.0]])
    assert float(stats["clipped"]) == 0.0
    same, stats = clip_gradients(_grads())
    assert float(stats["norm_after"]) == pytest.approx(13.0)


@pytest.mark.slow
@pytest.mark.parametrize("ours, keras_name, value", [
    ("clip_norm", "clipnorm", 0.05),
    ("clip_value", "clipvalue", 0.002),
    ("clip_global_norm", "global_clipnorm", 0.1),
])
def test_doctor_clipping_matches_keras_optimizer(ours, keras_name, value, small01,
                                                 weights_close):
    x, y = small01
    keras.utils.set_random_seed(0)
    reference = baseline_mlp(compile=False)
    start = reference.get_weights()
    reference.compile(optimizer=keras.optimizers.SGD(0.1, **{keras_name: value}),
                      loss="sparse_categorical_crossentropy")
    reference.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)

    model = baseline_mlp(compile=False)
    model.set_weights(start)
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss="sparse_categorical_crossentropy")
    doctor = Doctor(every=2, **{ours: value})
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
              callbacks=[doctor])
    assert weights_close(reference.get_weights(), model.get_weights(), atol=1e-6)
    h = doctor.history
    assert np.all(h["clipped_fraction"] == 1.0)  # every step was clipped
    assert np.all(h["clip_norm_after"] < h["clip_norm_before"])
    if ours == "clip_global_norm":
        np.testing.assert_allclose(h["clip_norm_after"], value, rtol=1e-5)
