"""The Doctor on models nesting other models (transfer-learning backbones)."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdoc import Doctor  # noqa: E402
from kerasdoc.training._probe import Probe  # noqa: E402


def _fit(model, x, y, callbacks=()):
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0,
              callbacks=list(callbacks))
    return model.get_weights()


def _mobilenet_head():
    inputs = keras.Input((32, 32, 3))
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35,
                                          include_top=False, weights=None)
    x = base(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    # No XLA: compiling MobileNetV2 twice would dominate the test's time
    # (the XLA step is covered by test_doctor.py::test_xla_compiled_step).
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  jit_compile=False)
    return model


def _nested_sequential():
    inner = keras.Sequential([keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(16, activation="relu")],
                             name="inner")
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              inner, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, size=(32, 32, 32, 3)).astype("float32")
    return x, rng.integers(0, 10, size=32)


@pytest.mark.slow
def test_nested_application_backbone_trains_exactly_and_is_tapped(images,
                                                                  weights_close):
    x, y = images
    keras.utils.set_random_seed(0)
    plain = _mobilenet_head()
    watched = _mobilenet_head()
    watched.set_weights(plain.get_weights())
    expected = _fit(plain, x, y)
    doctor = Doctor(every=2)
    got = _fit(watched, x, y, [doctor])
    assert weights_close(expected, got, atol=1e-5)
    h = doctor.history
    # The backbone is one observed layer, tapped at its outer-graph output.
    names = list(h["activation_layers"])
    assert names[0].startswith("mobilenetv2") and len(names) == 3
    assert h["activation_mean"].shape == (len(h["step"]), 3)
    assert np.all(np.isfinite(h["activation_mean"][h["samples"] > 0]))
    assert "activation statistics" not in doctor.report.skipped
    assert not doctor.report.errors


def test_nested_sequential_is_tapped_as_one_layer(small01, weights_close):
    x, y = small01
    keras.utils.set_random_seed(0)
    plain = _nested_sequential()
    watched = _nested_sequential()
    watched.set_weights(plain.get_weights())
    expected = _fit(plain, x, y)
    doctor = Doctor(every=5)
    got = _fit(watched, x, y, [doctor])
    assert weights_close(expected, got)
    h = doctor.history
    assert list(h["activation_layers"]) == ["inner", watched.layers[-1].name]
    assert list(h["weight_layers"]) == ["inner", watched.layers[-1].name]
    assert np.all(np.isfinite(h["activation_mean"][h["samples"] > 0]))
    assert doctor.report.skipped == {}
    assert len(doctor.report) == 0


def test_tap_model_failure_falls_back_to_gradients(small01, weights_close,
                                                   monkeypatch):
    from kerasdoc.training import _probe

    def refuse(inputs, outputs, name):
        raise ValueError("Output with path 3 is not connected to inputs")

    x, y = small01
    keras.utils.set_random_seed(0)
    plain = _nested_sequential()
    model = _nested_sequential()
    model.set_weights(plain.get_weights())
    monkeypatch.setattr(_probe, "_tap_model", refuse)
    probe = Probe.from_model(model)
    assert probe.tap_model is None and probe.taps == ()
    assert "not connected" in probe.note
    doctor = Doctor(every=5)
    expected = _fit(plain, x, y)
    assert weights_close(expected, _fit(model, x, y, [doctor]))
    assert "not connected" in doctor.report.skipped["activation statistics"]
    h = doctor.history
    assert h["activation_mean"].shape == (len(h["step"]), 0)
    assert h["grad_norm"].shape == (len(h["step"]), 2) and np.all(h["grad_norm"] > 0)
