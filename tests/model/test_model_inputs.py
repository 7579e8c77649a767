"""audit_model on what `fit` takes, and on models with several outputs."""

import keras
import numpy as np
import pytest

import kerasdoc


def _two_heads(kind_activation="softmax", kind_loss="sparse_categorical_crossentropy"):
    image = keras.Input((6, 6, 1), name="image")
    meta = keras.Input((3,), name="meta")
    h = keras.layers.Concatenate()([keras.layers.Flatten()(image), meta])
    h = keras.layers.Dense(8, activation="relu")(h)
    kind = keras.layers.Dense(3, activation=kind_activation, name="kind")(h)
    price = keras.layers.Dense(1, name="price")(h)
    model = keras.Model({"image": image, "meta": meta}, {"kind": kind, "price": price})
    model.compile("adam", loss={"kind": kind_loss, "price": "mse"})
    return model


def _data(n=64):
    rng = np.random.default_rng(0)
    x = {"image": rng.random((n, 6, 6, 1)).astype("float32"),
         "meta": rng.normal(size=(n, 3)).astype("float32")}
    y = {"kind": rng.integers(0, 3, n), "price": rng.normal(size=n).astype("float32")}
    return x, y


def test_each_output_is_audited_against_its_own_loss_and_targets():
    x, y = _data()
    healthy = kerasdoc.audit_model(_two_heads(), x=x, y=y)
    assert not [f for f in healthy if f.code.startswith("model.")], list(healthy)
    assert {"model.loss_mismatch (output 'kind')",
            "model.loss_mismatch (output 'price')"} <= set(healthy.ran)
    # the classification head given a sigmoid with a sparse cross-entropy: caught, named
    broken = kerasdoc.audit_model(_two_heads(kind_activation="sigmoid"), x=x, y=y)
    named = [f for f in broken if f.evidence.get("output") == "kind"]
    assert named and all("Output 'kind'" in f.message for f in named)
    assert not [f for f in broken if f.evidence.get("output") == "price"]


@pytest.mark.parametrize("stream", ["dataset", "generator"])
def test_streams_and_dict_inputs(stream):
    import tensorflow as tf

    x, y = _data()
    if stream == "dataset":
        source = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    else:
        source = iter([({k: v[i:i + 16] for k, v in x.items()},
                        {k: v[i:i + 16] for k, v in y.items()}) for i in range(0, 64, 16)])
    report = kerasdoc.audit_model(_two_heads(), x=source)
    assert "model.loss_mismatch (output 'kind')" in report.ran
    assert not [f for f in report if f.code.startswith("model.")]
