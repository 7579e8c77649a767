"""The Doctor on real fits: exactness, the swap of the train step, arguments."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kerasdoc  # noqa: E402
from kerasdoc import Doctor, InvalidInputError, InvalidTypeError  # noqa: E402
from kerasdoc._modelcopy import ModelState  # noqa: E402
from kerasdoc.examples import baseline_mlp, small_cnn  # noqa: E402


def _fit(model, x, y, callbacks=(), **kw):
    kw.setdefault("epochs", 1)
    model.fit(x, y, batch_size=32, shuffle=False, verbose=0,
              callbacks=list(callbacks), **kw)
    return model.get_weights()


@pytest.mark.parametrize("every", [4, 1])
@pytest.mark.parametrize("build", [baseline_mlp, small_cnn], ids=["mlp", "cnn"])
def test_exactness_with_doctor_attached(build, every, small01, weights_close):
    # every=1 takes its own path (no conditionals).
    x, y = small01
    keras.utils.set_random_seed(0)
    plain = build(input_shape=(28, 28))
    start = plain.get_weights()
    keras.utils.set_random_seed(0)
    watched = build(input_shape=(28, 28))
    watched.set_weights(start)
    expected = _fit(plain, x, y, epochs=2)
    doctor = Doctor(every=every)
    got = _fit(watched, x, y, [doctor], epochs=2)
    assert weights_close(expected, got, atol=1e-5)
    h = doctor.history
    assert h["step"][-1] == 20  # 2 epochs of 10 steps, read every 4 and at epoch ends
    assert np.all(np.isfinite(h["grad_norm"][h["samples"] > 0]))
    if every == 1:
        assert len(h["step"]) == 20 and np.all(h["samples"] == 1)
        # The update of each step is seen.
        assert np.all(h["update_ratio"] > 0)


def test_steps_per_execution_goes_through_keras_make_function(small01, weights_close):
    # The step is built by the model's private `_make_function` (pinned here):
    # steps_per_execution loops over the iterator exactly as Keras does.
    assert callable(getattr(keras.Model, "_make_function", None))
    x, y = small01
    keras.utils.set_random_seed(0)
    plain = baseline_mlp()
    plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  steps_per_execution=3)
    watched = baseline_mlp()
    watched.set_weights(plain.get_weights())
    watched.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                    steps_per_execution=3)
    expected = _fit(plain, x, y)
    doctor = Doctor(every=4)
    got = _fit(watched, x, y, [doctor])
    assert weights_close(expected, got)
    h = doctor.history
    # calls end at steps 3, 6, 9, 10: reads when a multiple of 4 is crossed + epoch end
    assert h["step"].tolist() == [6, 9, 10]
    assert h["loss"].shape == (3,) and np.all(np.isfinite(h["loss"]))


def test_train_function_restored_and_model_settings_untouched(small01):
    x, y = small01
    model = baseline_mlp()
    _fit(model, x[:64], y[:64])
    before = ModelState.capture(model)
    _fit(model, x, y, [Doctor()])
    after = ModelState.capture(model)
    diff = after.diff(before)
    assert not [d for d in diff if not d.startswith(("weight ", "optimizer variable"))]
    assert model.train_function is not None
    assert not getattr(model.train_function, "_kerasdoc_doctor", False)


class _Boom(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            raise RuntimeError("boom")


def test_next_fit_does_not_run_the_doctor_step_after_an_exception(small01):
    x, y = small01
    model = baseline_mlp()
    doctor = Doctor(every=1)
    with pytest.raises(RuntimeError, match="boom"):
        _fit(model, x, y, [doctor, _Boom()])
    counter = int(doctor._instrument.counter.numpy())
    assert counter == 3
    _fit(model, x, y)  # plain fit: must run Keras's own step
    assert int(doctor._instrument.counter.numpy()) == counter
    assert not getattr(model.train_function, "_kerasdoc_doctor", False)
    # and the same Doctor works again afterwards
    _fit(model, x, y, [doctor])
    assert doctor.history["step"][-1] == 10


def test_one_doctor_serves_several_fits(small01):
    x, y = small01
    model = baseline_mlp()
    doctor = Doctor(every=5)
    _fit(model, x, y, [doctor])
    first = doctor.history["step"].tolist()
    _fit(model, x, y, [doctor])
    assert doctor.history["step"].tolist() == first == [5, 10]


def test_xla_compiled_step(small01, weights_close):
    x, y = small01
    keras.utils.set_random_seed(0)
    plain = baseline_mlp()
    plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  jit_compile=True)
    watched = baseline_mlp()
    watched.set_weights(plain.get_weights())
    watched.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                    jit_compile=True)
    expected = _fit(plain, x, y)
    doctor = Doctor(every=4)
    assert weights_close(expected, _fit(watched, x, y, [doctor]), atol=1e-4)
    h = doctor.history
    assert np.all(np.isfinite(h["activation_mean"][h["samples"] > 0]))


class SubclassedMLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.flat = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(32, activation="relu")
        self.out = keras.layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(self.flat(x)))


def test_subclassed_model_falls_back_and_says_so(small01, weights_close):
    x, y = small01
    keras.utils.set_random_seed(0)
    plain = SubclassedMLP()
    plain.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    _fit(plain, x[:32], y[:32])
    model = SubclassedMLP()  # unbuilt: Keras builds it in the first step
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    doctor = Doctor(every=5)
    _fit(model, x[:32], y[:32], [doctor])  # builds it
    model.set_weights(plain.get_weights())
    expected = _fit(plain, x, y)
    assert weights_close(expected, _fit(model, x, y, [doctor]))
    h = doctor.history
    assert h["step"].tolist() == [5, 10]
    assert h["activation_mean"].shape == (2, 0)
    assert h["grad_norm"].shape == (2, 2) and np.all(h["grad_norm"] > 0)
    assert "subclassed" in doctor.report.skipped["activation statistics"]
    assert len(doctor.report) == 0


def test_unbuilt_model_first_step_runs_uninstrumented(small01):
    x, y = small01
    model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert not model.built
    doctor = Doctor(every=4)
    _fit(model, x, y, [doctor])
    h = doctor.history
    assert h["step"].tolist() == [4, 8, 10]
    assert "first 1 step" in doctor.report.skipped["first steps"]
    assert h["activation_mean"].shape[1] == 2  # the graph exists after step 1


@pytest.mark.parametrize("kwargs, name", [
    ({"every": 0}, "every"),
    ({"stop_on": "fatal"}, "stop_on"),
    ({"clip_norm": -1.0}, "clip_norm"),
    ({"dead_relu_fraction": 1.5}, "dead_relu_fraction"),
    ({"histogram_bins": 1}, "histogram_bins"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(InvalidInputError, match=f"Received: {name}="):
        Doctor(**kwargs)


def test_bad_argument_types_and_combinations():
    with pytest.raises(InvalidTypeError, match="Received: every='16'"):
        Doctor(every="16")
    with pytest.raises(InvalidInputError, match="at most one"):
        Doctor(clip_norm=1.0, clip_value=0.5)
    with pytest.raises(InvalidInputError, match="update_ratio_low"):
        Doctor(update_ratio_low=1.0, update_ratio_high=0.5)


def test_public_export():
    assert kerasdoc.Doctor is Doctor
    assert Doctor().report.codes == set() and Doctor().history == {}


def test_packed_rows_give_the_history_built_row_by_row(small01):
    # The fused step's read-backs are kept packed and turned into rows many
    # at a time; the same fit read row by row through `read()` and
    # `reduce_replicas` gives the same history.
    x, y = small01

    class RowByRow(Doctor):
        _rows_packed = False  # each read unpacked, reduced and appended

    histories = []
    for kind in (Doctor, RowByRow):
        keras.utils.set_random_seed(0)
        model = baseline_mlp()
        doctor = kind(every=3, stop_on=None)
        _fit(model, x, y, [doctor], epochs=2)
        histories.append(doctor.history)
    packed, rows = histories
    assert packed["step"].tolist() == rows["step"].tolist()
    assert packed["step"].tolist() == [3, 6, 9, 10, 12, 15, 18, 20]
    assert packed["epoch_end"].tolist() == rows["epoch_end"].tolist()
    for key in ("loss", "loss_sem", "samples", "grad_norm", "weight_norm",
                "update_ratio", "activation_mean", "activation_std",
                "dead_fraction", "max_logit", "saturated_fraction"):
        np.testing.assert_allclose(packed[key], rows[key], rtol=1e-6,
                                   equal_nan=True, err_msg=key)
    assert packed["initial_loss"] == pytest.approx(rows["initial_loss"])


def test_epoch_end_read_needs_no_second_compiled_function(small01):
    # 10 steps an epoch, read every 4: the epoch's last step packs its own
    # window (a flag set by the host), so `Instrument.read` is never traced.
    x, y = small01
    keras.utils.set_random_seed(0)
    doctor = Doctor(every=4, stop_on=None)
    _fit(baseline_mlp(), x, y, [doctor], epochs=1)
    assert doctor._instrument._read_fn is None
    h = doctor.history
    assert h["step"].tolist() == [4, 8, 10]
    assert h["epoch_end"].tolist() == [False, False, True]
    assert h["samples"].sum() > 0


def test_overfitting_found_at_info_is_raised_when_accuracy_falls(small01):
    """A validation loss that rose while accuracy held is info; when accuracy then
    falls too, the same finding becomes a warning (not kept at its first severity)."""
    x, y = small01
    val_loss = [0.5, 0.4, 0.45, 0.5, 0.55, 0.6]
    val_acc = [0.6, 0.7, 0.7, 0.7, 0.7, 0.68]
    severities = []

    class Scripted(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs.update(loss=1.0 / (epoch + 1), accuracy=0.5 + 0.05 * epoch,
                        val_loss=val_loss[epoch], val_accuracy=val_acc[epoch])

    class Seen(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            found = doctor.report.by_code("train.overfitting")
            severities.append(str(found[0].severity) if found else None)

    model = baseline_mlp()
    doctor = Doctor(every=5, stop_on=None)
    _fit(model, x, y, [Scripted(), doctor, Seen()], epochs=len(val_loss))
    assert severities == [None, None, None, None, "info", "warning"]
    (found,) = doctor.report.by_code("train.overfitting")
    assert found.evidence["val_accuracy_at_best_and_end"]["accuracy"] == (0.7, 0.68)
