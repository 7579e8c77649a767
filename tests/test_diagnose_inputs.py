"""diagnose on what `fit` takes: tf.data, PyDataset, generators, dicts, token ids."""

import keras
import numpy as np
import pytest

import kerasdoc

PARTS = ("data", "model", "probes", "training")


def _tabular(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 6)).astype("float32")
    x[np.arange(n), y] += 1.5
    return (x - x.mean(axis=0)) / x.std(axis=0) * 0.5, y


def _mlp():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _ran_everything(report):
    assert set(PARTS) <= set(report.ran), (report.ran, report.skipped, report.failed)
    assert not report.failed


@pytest.mark.slow
@pytest.mark.parametrize("stream", ["dataset", "dataset_weighted", "pydataset", "generator"])
def test_streams_are_diagnosed_like_arrays(stream):
    import tensorflow as tf

    x, y = _tabular()
    w = np.ones(len(x), "float32")

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]

    source = {
        "dataset": lambda: tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
            256, seed=0).batch(32),
        "dataset_weighted": lambda: tf.data.Dataset.from_tensor_slices((x, y, w)).batch(32),
        "pydataset": Batches,
        "generator": lambda: ((x[i:i + 32], y[i:i + 32]) for i in range(0, 256, 32)),
    }[stream]
    report = kerasdoc.diagnose(_mlp(), source(), epochs=2, parts=PARTS,
                               validation_data=_tabular(64, seed=1))
    _ran_everything(report)
    assert not [(f.code, f.message) for f in report
                if f.severity >= kerasdoc.Severity.WARNING]


@pytest.mark.slow
def test_dict_inputs_and_two_losses():
    rng = np.random.default_rng(0)
    n = 256
    kind = rng.integers(0, 3, n)
    table = rng.normal(size=(n, 4)).astype("float32")
    table[np.arange(n), kind] += 2.0
    ids = rng.integers(1, 50, (n, 10)).astype("int32")
    price = (table[:, 3] + rng.normal(0, 0.1, n)).astype("float32")
    tab_in = keras.Input((4,), name="table")
    ids_in = keras.Input((10,), dtype="int32", name="ids")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(ids_in))
    h = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()([tab_in, pooled]))
    model = keras.Model({"table": tab_in, "ids": ids_in},
                        {"kind": keras.layers.Dense(3, activation="softmax", name="kind")(h),
                         "price": keras.layers.Dense(1, name="price")(h)})
    model.compile(keras.optimizers.Adam(1e-2),
                  loss={"kind": "sparse_categorical_crossentropy", "price": "mse"})
    x = {"table": table, "ids": ids}
    y = {"kind": kind, "price": price}
    report = kerasdoc.diagnose(model, x, y, epochs=2, parts=PARTS)
    _ran_everything(report)
    assert not report.has("data.not_normalized")  # the token ids are not scaled
    assert not [f for f in report if f.severity >= kerasdoc.Severity.ERROR], list(report)


@pytest.mark.slow
def test_token_classifier_and_class_weight():
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.08).astype("int64")  # 1 in 12: imbalanced
    ids = rng.integers(1, 100, (n, 12)).astype("int32") * 2 + y[:, None]  # parity = class
    model = keras.Sequential([keras.Input((12,), dtype="int32"),
                              keras.layers.Embedding(202, 8),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    weights = {0: 1.0, 1: float((y == 0).sum() / (y == 1).sum())}
    report = kerasdoc.diagnose(model, ids, y, class_weight=weights, epochs=2,
                               parts=("data", "model"))
    assert not report.has("data.label_misalignment")
    assert not report.has("data.not_normalized")
    assert not report.has("data.class_imbalance")
    assert kerasdoc.diagnose(model, ids, y, parts=("data",)).has("data.class_imbalance")


def test_doctor_fits_a_token_model():
    """Embedding gradients are IndexedSlices: the Doctor's curvature step densifies them."""
    ids = np.random.default_rng(0).integers(1, 50, (64, 10)).astype("int32")
    y = np.arange(64) % 2
    model = keras.Sequential([keras.Input((10,), dtype="int32"), keras.layers.Embedding(50, 4),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    doctor = kerasdoc.Doctor(every=2, sharpness_every=2)
    model.fit(ids, y, epochs=2, batch_size=16, verbose=0, callbacks=[doctor])
    assert "train.sharpness_unstable" in doctor.report.ran
    assert not doctor.report.failed
