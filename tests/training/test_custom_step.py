"""The Doctor on models whose class overrides `train_step` (the Keras guide's way).

The model's own step must run unchanged: same weights as plain `fit`, the
user's metrics in the logs, and the Doctor still reports what it can see.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdoc import Doctor, InvalidInputError  # noqa: E402
from kerasdoc.training._observer import call_overridden, custom_step_reason  # noqa: E402


class SmoothedModel(keras.Model):
    """A custom train_step written as the Keras guide writes it."""

    def __init__(self, *args, apply_updates=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.apply_updates = apply_updates
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.CategoricalAccuracy(name="acc")
        self.smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)

    def train_step(self, data):
        import tensorflow as tf

        x, y = data
        y1 = tf.one_hot(tf.cast(y, tf.int32), 10)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.smoothed(y1, y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        if self.apply_updates:
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(y1, y_pred)
        return {"loss": self.loss_tracker.result(), "acc": self.acc_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]


def _model(apply_updates=True, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28))
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dense(32, activation="relu")(h)
    h = keras.layers.Dropout(0.2)(h)  # seeded randomness inside the step
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    model = SmoothedModel(inputs, outputs, apply_updates=apply_updates)
    # Compiled with a *different* loss: an instrumented step would train on it.
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy")
    return model


def _fit(model, x, y, callbacks=(), epochs=2):
    keras.utils.set_random_seed(1)
    history = model.fit(x, y, batch_size=32, epochs=epochs, shuffle=False,
                        verbose=0, callbacks=list(callbacks))
    return model.get_weights(), history.history


def test_reasons():
    assert "overrides `train_step`" in custom_step_reason(_model())
    assert custom_step_reason(keras.Sequential([keras.layers.Dense(1)])) is None
    assert not call_overridden(keras.Sequential([keras.layers.Dense(1)]))


def test_custom_step_runs_unchanged_and_doctor_stays_silent_when_healthy(small01):
    x, y = small01
    expected, plain_logs = _fit(_model(), x, y)
    doctor = Doctor(every=4)
    watched = _model()
    got, logs = _fit(watched, x, y, [doctor])
    # Bit for bit: the user's own step ran, with the user's loss.
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))
    assert logs == plain_logs
    assert logs["acc"][-1] > 0.1  # the user's metric is live, not stuck at 0
    assert doctor.report.codes == set()
    skipped = doctor.report.skipped
    assert "train_step" in skipped["gradient statistics"]
    assert "inference mode" in skipped["gradient statistics"]  # what is observed
    # Activations come from a tap model on the sampled steps' inputs.
    assert "activation statistics" not in skipped
    assert {"train.dead_relu", "train.saturated_activations"} <= set(doctor.report.ran)
    # Detectors without their statistics are listed as skipped, not as ran.
    for name in ("train.exploding_gradients", "train.vanishing_gradients"):
        assert name not in doctor.report.ran and "train_step" in skipped[name]
    assert "train.weights_unchanged" in doctor.report.ran
    h = doctor.history
    relu = h["activation_kinds"].index("relu")
    sampled = h["samples"] > 0
    assert np.all(np.isfinite(h["activation_mean"][sampled, relu]))
    assert np.all(h["activation_mean"][sampled, relu] > 0)
    assert np.all(h["dead_fraction"][sampled, relu] < 0.5)
    assert h["step"].tolist() == [4, 8, 10, 12, 16, 20]
    assert np.allclose(h["epoch/acc"], logs["acc"])
    assert np.all(np.isfinite(h["loss"]))
    # The window means recovered from the running means match the epoch's.
    epoch0 = h["loss"][:3] * np.array([4, 4, 2])
    assert np.isclose(epoch0.sum() / 10, logs["loss"][0], rtol=1e-4)
    ratio = h["update_ratio"][h["samples"] > 0]
    assert ratio.shape[1] == 2 and np.all((ratio > 1e-5) & (ratio < 0.1))
    assert watched.train_function is not None
    assert not getattr(watched.train_function, "_kerasdoc_doctor", False)


def test_activation_taps_need_a_host_callback_and_the_layer_graph():
    """No host callback inside an XLA step, no layer graph past an overridden call."""
    from kerasdoc.training._observer import tap_reason

    model = _model()
    assert tap_reason(model) is None
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", jit_compile=True)
    assert "XLA" in tap_reason(model)
    assert "call" in tap_reason(CallOverride(model.inputs, model.outputs))


def test_custom_step_that_never_updates_is_reported(small01):
    x, y = small01
    doctor = Doctor(every=2, stop_on=None)
    before = _model(apply_updates=False).get_weights()
    model = _model(apply_updates=False)
    got, _ = _fit(model, x, y, [doctor], epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(before, got))
    found = [f for f in doctor.report if f.code == "train.weights_unchanged"]
    dense = {layer.name for layer in model.layers if layer.weights}
    assert len(dense) == 2 and {f.layer for f in found} == dense


def test_clipping_is_refused_for_a_custom_step(small01):
    x, y = small01
    with pytest.raises(InvalidInputError, match="Received: clip_norm=1.0"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[Doctor(clip_norm=1.0)])


class CallOverride(keras.Model):
    def call(self, inputs, training=False):
        return super().call(inputs * 0.5, training=training)


def test_functional_subclass_overriding_call_is_called_as_is(small01):
    x, y = small01

    def build():
        keras.utils.set_random_seed(0)
        inputs = keras.Input((28, 28))
        h = keras.layers.Flatten()(inputs)
        model = CallOverride(inputs, keras.layers.Dense(10, activation="softmax")(h))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    assert call_overridden(build())
    expected, _ = _fit(build(), x, y, epochs=1)
    doctor = Doctor(every=4)
    got, _ = _fit(build(), x, y, [doctor], epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))
    assert "overrides `call`" in doctor.report.skipped["activation statistics"]
    assert np.all(doctor.history["grad_norm"][doctor.history["samples"] > 0] > 0)


class OwnLoss(keras.Model):
    """`compute_loss` overridden (the guide's other way): reproduced exactly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = keras.metrics.Mean(name="own_loss")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        y1 = keras.ops.one_hot(keras.ops.cast(y, "int32"), 10)
        loss = keras.losses.categorical_crossentropy(y1, y_pred, label_smoothing=0.1)
        loss = keras.ops.mean(loss)
        self.tracker.update_state(loss)
        return loss


def test_compute_loss_override_is_reproduced_by_the_instrumented_step(small01):
    x, y = small01

    def build():
        keras.utils.set_random_seed(0)
        inputs = keras.Input((28, 28))
        h = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(inputs))
        model = OwnLoss(inputs, keras.layers.Dense(10, activation="softmax")(h))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    assert custom_step_reason(build()) is None
    expected, plain_logs = _fit(build(), x, y, epochs=1)
    doctor = Doctor(every=4)
    got, logs = _fit(build(), x, y, [doctor], epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))
    assert logs == plain_logs and logs["own_loss"][0] > 0
    assert np.all(doctor.history["grad_norm"][doctor.history["samples"] > 0] > 0)
