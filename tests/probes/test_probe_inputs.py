"""The probes on what `fit` takes: streams, dict inputs, token ids."""

import keras
import numpy as np
import pytest

import kerasdoc
from kerasdoc.probes import initial_loss


def _dict_model():
    image = keras.Input((4, 4, 1), name="image")
    meta = keras.Input((3,), name="meta")
    h = keras.layers.Concatenate()([keras.layers.Flatten()(image), meta])
    h = keras.layers.Dense(16, activation="relu")(h)
    out = keras.layers.Dense(3, activation="softmax")(h)
    model = keras.Model({"image": image, "meta": meta}, out)
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def _dict_data(n=96):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    meta = rng.normal(size=(n, 3)).astype("float32")
    meta[np.arange(n), y] += 2.0
    return {"image": rng.random((n, 4, 4, 1)).astype("float32"), "meta": meta}, y


def test_sanity_check_on_dict_inputs_runs_every_probe_it_applies_to():
    x, y = _dict_data()
    model = _dict_model()
    before = [w.copy() for w in model.get_weights()]
    report = kerasdoc.sanity_check(model, x, y, checks=[
        "initial_loss", "batch_mixing", "overfit_batch", "input_independence"])
    assert set(report.ran) == {"probe.initial_loss", "probe.batch_mixing",
                               "probe.cannot_overfit_batch",
                               "probe.input_independent"}, report.skipped
    assert not report.codes
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("stream", ["dataset", "pydataset"])
def test_probes_read_streams(stream):
    import tensorflow as tf

    x, y = _dict_data()

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return {k: v[i * 16:(i + 1) * 16] for k, v in x.items()}, y[i * 16:(i + 1) * 16]

    source = (tf.data.Dataset.from_tensor_slices((x, y)).batch(16) if stream == "dataset"
              else Batches())
    report = kerasdoc.sanity_check(_dict_model(), source, checks=["initial_loss",
                                                                   "overfit_batch"])
    assert set(report.ran) == {"probe.initial_loss", "probe.cannot_overfit_batch"}
    result = kerasdoc.overfit_batch(_dict_model(), source)
    assert result.skipped is None
    with pytest.raises(kerasdoc.InvalidInputError, match="`y` must be None"):
        kerasdoc.sanity_check(_dict_model(), source, y)


def test_batch_mixing_checks_token_ids_by_replacement():
    # Token ids have no input gradient: the probe replaces samples instead
    # (an output may move only when its own sample is replaced), so a
    # per-sample Embedding model is checked, not skipped, and stays silent.
    ids = np.random.default_rng(0).integers(1, 30, (16, 8))
    model = keras.Sequential([keras.Input((8,), dtype="int32"),
                              keras.layers.Embedding(30, 4),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2, activation="softmax")])
    result = kerasdoc.batch_mixing(model, ids)
    assert not result.skipped
    assert len(result.checked) > 0
    assert not result.findings


def test_overfit_batch_that_does_not_converge_on_a_two_output_model_is_judged():
    """A structure of predictions (list outputs, dict targets): counted per leaf, no crash."""
    rng = np.random.default_rng(0)
    n = 32
    inputs = keras.Input((6,))
    h = keras.layers.Dense(4, activation="relu")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(1, activation="sigmoid", name="a")(h),
                                 keras.layers.Dense(3, activation="softmax", name="b")(h)])
    model.compile(keras.optimizers.SGD(1e-4), loss={"a": "binary_crossentropy",
                                                   "b": "sparse_categorical_crossentropy"})
    x = rng.normal(size=(n, 6)).astype("float32")
    y = {"a": rng.integers(0, 2, (n, 1)).astype("float32"), "b": rng.integers(0, 3, n)}
    result = kerasdoc.overfit_batch(model, x, y, batch_size=16, max_steps=20)
    (finding,) = result.findings  # a tiny learning rate: not converged in 20 steps
    assert finding.evidence["batch_target_values"] == 16 * (1 + 3)


def _sequence_model(loss):
    """keras-io's addition_rnn, small: LSTM -> RepeatVector -> LSTM -> per-step softmax."""
    model = keras.Sequential([
        keras.Input((5, 12)), keras.layers.LSTM(16), keras.layers.RepeatVector(3),
        keras.layers.LSTM(16, return_sequences=True),
        keras.layers.Dense(12, activation="softmax")])
    model.compile(optimizer="adam", loss=loss)
    return model


def test_probes_take_per_step_targets_of_a_sequence_output():
    rng = np.random.default_rng(0)
    x = np.eye(12, dtype="float32")[rng.integers(0, 12, (64, 5))]
    ids = rng.integers(0, 12, (64, 3))
    models = {loss: _sequence_model(loss) for loss in
              ("categorical_crossentropy", "sparse_categorical_crossentropy")}
    for loss, y in (("categorical_crossentropy", np.eye(12, dtype="float32")[ids]),
                    ("sparse_categorical_crossentropy", ids)):
        result = initial_loss(models[loss], x, y)
        assert result.skipped is None and result.findings == ()
        assert result.measured == pytest.approx(np.log(12), rel=0.2)
    with pytest.raises(ValueError, match=r"one-hot rows of width 12 .*y.shape=\(64, 12\)"):
        initial_loss(models["categorical_crossentropy"], x,
                     np.eye(12, dtype="float32")[ids[:, 0]])
    with pytest.raises(ValueError, match=r"class ids of shape \(n, 3\)"):
        initial_loss(models["sparse_categorical_crossentropy"], x, ids[:, :2])


def test_sparse_labels_the_model_cannot_take_are_named():
    """One decoder (the data audit's) reads the labels; the first bad one is named."""
    from kerasdoc.probes._common import _check_labels

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    for bad, index in [(1.5, 4), (-1, 2), (3, 5), (np.nan, 0)]:
        y = np.zeros(8)
        y[index] = bad
        y[7] = 2.5  # a later bad label: the first one is named
        with pytest.raises(kerasdoc.InvalidInputError,
                           match=rf"class ids 0\.\.3-1.*y\[{index}\]"):
            _check_labels(y, model)
    with pytest.raises(kerasdoc.InvalidInputError, match=r"y\[1\]"):
        _check_labels(np.array([0, 7, 1, 2, 0, 1, 2, 0]), model)  # ids past the width
    _check_labels(np.array([[0], [2], [1]]), model)  # (n, 1) ids are fine
    per_step = _sequence_model("sparse_categorical_crossentropy")
    ids = np.zeros((4, 3))
    ids[2, 1] = 12  # one step's id past the 12 classes
    with pytest.raises(kerasdoc.InvalidInputError, match=r"y\[7\]=.*12"):
        _check_labels(ids, per_step)  # flat index 2 * 3 + 1
    # through the entry point
    with pytest.raises(kerasdoc.InvalidInputError, match=r"y\[4\]=.*1\.5"):
        kerasdoc.sanity_check(model, np.zeros((8, 4), "float32"),
                              np.array([0, 1, 2, 0, 1.5, 1, 2, 0]), checks=["initial_loss"])
