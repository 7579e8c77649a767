"""`kerasdoc._inputs`: input kinds on tiny real models."""

import keras
import numpy as np
import pytest

from kerasdoc._inputs import INPUT_KINDS, input_kind


def _token_model(vocab=50, length=12):
    return keras.Sequential([keras.Input((length,), dtype="int32"),
                             keras.layers.Embedding(vocab, 4),
                             keras.layers.GlobalAveragePooling1D(),
                             keras.layers.Dense(2, activation="softmax")])


def test_kinds_are_the_documented_five():
    assert INPUT_KINDS == ("image", "tabular", "tokens", "sequence", "string")


def test_integer_ids_into_embedding_are_tokens():
    x = np.random.default_rng(0).integers(0, 50, size=(20, 12))
    assert input_kind(_token_model(), x) == "tokens"
    # whole-number floats feeding an Embedding are token ids too
    assert input_kind(_token_model(), x.astype("float32")) == "tokens"
    # the same integers with no model to say what they are: a table
    assert input_kind(None, x) == "tabular"


def test_unbuilt_sequential_and_subclassed_embedding_models_see_tokens():
    x = np.random.default_rng(0).integers(0, 50, size=(20, 12))
    unbuilt = keras.Sequential([keras.layers.Embedding(50, 4),
                                keras.layers.GlobalAveragePooling1D(),
                                keras.layers.Dense(1)])
    assert input_kind(unbuilt, x) == "tokens"

    class Text(keras.Model):
        def __init__(self):
            super().__init__()
            self.emb = keras.layers.Embedding(50, 4)
            self.pool = keras.layers.GlobalAveragePooling1D()
            self.out = keras.layers.Dense(1)

        def call(self, t):
            return self.out(self.pool(self.emb(t)))

    assert input_kind(Text(), x) == "tokens"


def test_strings_and_lookup_layers():
    words = np.array([["red"], ["green"], ["blue"]] * 5)
    model = keras.Sequential([keras.Input((1,), dtype="string"),
                              keras.layers.StringLookup(vocabulary=["red", "green", "blue"],
                                                        output_mode="one_hot"),
                              keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    assert input_kind(model, words) == "string"
    ids = np.array([[1], [2], [3]] * 5)
    lookup = keras.Sequential([keras.Input((1,), dtype="int64"),
                               keras.layers.IntegerLookup(vocabulary=[1, 2, 3],
                                                          output_mode="one_hot"),
                               keras.layers.Flatten(), keras.layers.Dense(1)])
    assert input_kind(lookup, ids) == "tokens"


def test_sequence_image_and_tabular():
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(8, 10, 3)).astype("float32")
    rnn = keras.Sequential([keras.Input((10, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    conv1d = keras.Sequential([keras.Input((10, 3)), keras.layers.Conv1D(4, 3),
                               keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1)])
    assert input_kind(rnn, seq) == "sequence"
    assert input_kind(conv1d, seq) == "sequence"
    # the same rank-3 array flattened by an MLP is a grey-scale image
    mlp = keras.Sequential([keras.Input((10, 3)), keras.layers.Flatten(),
                            keras.layers.Dense(1)])
    assert input_kind(mlp, seq) == "image"
    images = rng.random((4, 8, 8, 1)).astype("float32")
    cnn = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3),
                            keras.layers.Flatten(), keras.layers.Dense(1)])
    assert input_kind(cnn, images) == "image"
    table = rng.normal(size=(6, 5)).astype("float32")
    dense = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    assert input_kind(dense, table) == "tabular"
    assert input_kind(None, table[:, 0]) == "tabular"


def test_dict_and_list_inputs_get_one_kind_each():
    ids = keras.Input((6,), dtype="int32", name="ids")
    num = keras.Input((3,), name="num")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(ids))
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([pooled, num]))
    model = keras.Model({"ids": ids, "num": num}, out)
    rng = np.random.default_rng(0)
    x = {"num": rng.normal(size=(5, 3)).astype("float32"),
         "ids": rng.integers(0, 20, size=(5, 6))}
    assert input_kind(model, x) == {"num": "tabular", "ids": "tokens"}
    listed = keras.Model([ids, num], out)
    assert input_kind(listed, [x["ids"], x["num"]]) == ["tokens", "tabular"]


def test_streams_are_sampled_for_their_kind():
    import tensorflow as tf

    x = np.random.default_rng(0).integers(0, 50, size=(20, 12))
    y = np.arange(20) % 2
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    assert input_kind(_token_model(), ds) == "tokens"
    text = tf.data.Dataset.from_tensor_slices((np.array(["a b", "c d"] * 4), y[:8])).batch(2)
    assert input_kind(None, text) == "string"


# --- sample_fit_data: what fit takes, read bounded -------------------------

from kerasdoc import InvalidInputError, InvalidTypeError  # noqa: E402
from kerasdoc._inputs import sample_fit_data, sample_validation_data  # noqa: E402


def _xy(n=40):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)).astype("float32"), np.arange(n) % 2


def test_arrays_and_structures_are_kept_whole():
    x, y = _xy()
    data = sample_fit_data(x, y, sample_weight=np.ones(40))
    assert data.x is x and data.n == 40 and data.complete and not data.is_stream
    multi = sample_fit_data({"a": x, "b": x[:, :1]}, {"out1": y, "out2": y * 1.0})
    assert set(multi.x) == {"a", "b"} and multi.multi_input and multi.multi_output
    listed = sample_fit_data([x, x], [y, y])
    assert isinstance(listed.x, list) and len(listed.y) == 2
    with pytest.raises(InvalidInputError, match=r"len\(x\['b'\]\)=39"):
        sample_fit_data({"a": x, "b": x[:39]}, y)
    with pytest.raises(InvalidInputError, match="Received: len"):
        sample_fit_data(x, y[:10])
    with pytest.raises(InvalidTypeError, match="class_weight"):
        sample_fit_data(x, y, class_weight=[1, 2])


def test_datasets_batched_or_not_with_weights_are_read_bounded():
    import tensorflow as tf

    x, y = _xy(100)
    w = np.linspace(0.5, 1.5, 100)
    batched = sample_fit_data(tf.data.Dataset.from_tensor_slices((x, y, w)).batch(16),
                              max_samples=40)
    assert batched.source == "dataset" and batched.batches == 3 and batched.n == 48
    assert not batched.complete and "first 3 batches" in batched.note
    np.testing.assert_allclose(batched.sample_weight, w[:48])
    np.testing.assert_array_equal(batched.y, y[:48])
    unbatched = sample_fit_data(tf.data.Dataset.from_tensor_slices((x, y)))
    assert unbatched.n == 100 and unbatched.complete and unbatched.x.shape == (100, 3)
    infinite = sample_fit_data(tf.data.Dataset.from_tensor_slices((x, y)).batch(10).repeat(),
                               max_samples=25)
    assert infinite.n == 30
    with pytest.raises(InvalidInputError, match="y` must be None"):
        sample_fit_data(tf.data.Dataset.from_tensor_slices((x, y)), y)


def test_reading_a_dataset_leaves_its_seeded_shuffle_order_unchanged():
    import tensorflow as tf

    def make():
        return tf.data.Dataset.range(20).shuffle(20, seed=1).map(
            lambda i: (tf.cast(tf.reshape(i, (1,)), "float32"), i % 2)).batch(5)

    expected = [b[1].tolist() for b in make().as_numpy_iterator()]
    ds = make()
    sample_fit_data(ds, max_samples=10)
    assert [b[1].tolist() for b in ds.as_numpy_iterator()] == expected


def test_pydataset_and_generator():
    x, y = _xy(64)

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch_ends = 0

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return {"a": x[i * 8:(i + 1) * 8]}, y[i * 8:(i + 1) * 8]

        def on_epoch_end(self):
            self.epoch_ends += 1

    pyds = Batches()
    data = sample_fit_data(pyds, max_samples=20)
    assert data.source == "pydataset" and data.n == 24 and set(data.x) == {"a"}
    assert pyds.epoch_ends == 0
    everything = sample_fit_data(pyds)
    assert everything.complete and everything.n == 64

    def gen():
        for i in range(8):
            yield x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    g = gen()
    data = sample_fit_data(g, max_samples=16)
    assert data.source == "generator" and data.n == 16 and not data.complete
    assert "no longer holds them" in data.note
    assert len(list(g)) == 6  # only the two batches needed were taken
    with pytest.raises(InvalidInputError, match="yielded no batches"):
        sample_fit_data(iter([]))


def test_steps_per_epoch_bounds_a_stream_that_loops_forever():
    """A generator looping over its data is read for one epoch, not into repeats."""
    x, y = _xy(64)

    def forever():
        while True:
            for i in range(8):
                yield x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    data = sample_fit_data(forever(), steps=8)
    assert data.n == 64 and data.complete
    assert len({row.tobytes() for row in data.x}) == len({row.tobytes() for row in x})
    looped = sample_fit_data(forever(), max_samples=256)  # no bound: it reads repeats
    assert looped.n == 256
    with pytest.raises(InvalidTypeError, match="steps_per_epoch"):
        sample_fit_data(forever(), steps="8")


def test_validation_data_takes_the_same_types():
    import tensorflow as tf

    x, y = _xy()
    assert sample_validation_data(None) is None
    assert sample_validation_data((x, y)).n == 40
    assert sample_validation_data((x, y, np.ones(40))).sample_weight.shape == (40,)
    assert sample_validation_data(tf.data.Dataset.from_tensor_slices((x, y)).batch(8)).n == 40
    with pytest.raises(InvalidInputError, match=r"pair.*Received: validation_data="):
        sample_validation_data(x)
    with pytest.raises(InvalidInputError, match=r"validation_data\[1\]"):
        sample_validation_data((x, y[:3]))
