"""check_data on what `fit` takes: token ids, text, several inputs and outputs, weights."""

import keras
import numpy as np
import pytest

import kerasdoc


def _texts(n=400, length=20, vocab=400, seed=0):
    """Token ids whose class is in which words occur (even ids vs odd ids), padded with 0."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    ids = np.zeros((n, length), dtype="int32")
    for i in range(n):
        k = rng.integers(8, length + 1)
        words = rng.integers(1, vocab // 2, k) * 2 + y[i]  # parity carries the class
        common = rng.random(k) < 0.5
        words[common] = rng.integers(1, vocab, common.sum())  # shared words
        ids[i, :k] = words
    return ids, y


def _text_model(vocab=400, length=20):
    model = keras.Sequential([keras.Input((length,), dtype="int32"),
                              keras.layers.Embedding(vocab + 2, 8),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_healthy_token_classifier_is_silent():
    ids, y = _texts()
    report = kerasdoc.check_data(ids, y, model=_text_model())
    assert not report.has("data.label_misalignment")
    assert not report.has("data.not_normalized")
    assert "token ids" in report.skipped["data.not_normalized"]
    assert "data.label_misalignment" in report.ran
    # without the model the same integers are a table of raw ids, which a
    # linear model cannot read: the misalignment error the issue reported
    assert kerasdoc.check_data(ids, y).has("data.label_misalignment")


def test_token_labels_shuffled_apart_are_still_caught():
    ids, y = _texts()
    shuffled = np.random.default_rng(1).permutation(y)
    report = kerasdoc.check_data(ids, shuffled, input_kinds="tokens")
    (finding,) = report.by_code("data.label_misalignment")
    assert finding.severity == kerasdoc.Severity.ERROR


def test_text_strings_are_audited_through_their_words():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    words = [["good", "great", "fine"], ["bad", "awful", "poor"]]
    text = np.array([" ".join(rng.choice(words[c] + ["the", "a", "movie"], 6))
                     for c in y])
    healthy = kerasdoc.check_data(text, y)
    assert not healthy.has("data.label_misalignment") and "data.label_misalignment" in healthy.ran
    assert "string inputs" in healthy.skipped["data.not_normalized"]
    broken = kerasdoc.check_data(text, rng.permutation(y))
    assert broken.has("data.label_misalignment")


def test_several_inputs_and_outputs_each_audited_against_their_own():
    rng = np.random.default_rng(0)
    n = 300
    cls = rng.integers(0, 3, n)
    image = rng.random((n, 8, 8)).astype("float32") * 0.1
    image[np.arange(n), cls, cls] += 1.0  # the class is drawn into the image
    table = rng.normal(size=(n, 4)).astype("float32")
    table[:, 0] *= 1000.0  # one raw-scale column
    price = table[:, 1] * 3 + rng.normal(size=n)
    x = {"image": image, "table": table}
    y = {"kind": cls, "price": price}
    report = kerasdoc.check_data(x, y)
    wide = report.by_code("data.not_normalized")
    assert wide and all(f.evidence["input"] == "table" and "Input 'table'" in f.message
                        for f in wide)
    assert "data.label_misalignment (output 'kind')" in report.ran
    assert "regression" in report.skipped["data.label_misalignment (output 'price')"] or \
        "continuous" in report.skipped["data.label_misalignment (output 'price')"]
    # the classification output's labels shuffled apart: caught, named
    broken = kerasdoc.check_data(x, {"kind": rng.permutation(cls), "price": price})
    (f,) = broken.by_code("data.label_misalignment")
    assert f.evidence["output"] == "kind"
    # lists work the same way
    listed = kerasdoc.check_data([image, table], [cls, price])
    assert listed.by_code("data.not_normalized")[0].evidence["input"] == "1"


def test_duplicates_are_whole_samples_across_inputs():
    """A few binary tags repeat by chance; a sample is a copy only when all its inputs are."""
    rng = np.random.default_rng(0)
    n = 320
    ids = rng.integers(1, 200, (n, 8)).astype("int32")
    tags = rng.integers(0, 2, (n, 12)).astype("float32")
    y = rng.integers(0, 2, n)
    assert len({t.tobytes() for t in tags}) < n  # repeats within the one input
    report = kerasdoc.check_data({"ids": ids, "tags": tags}, y)
    assert not report.has("data.duplicates"), list(report)
    assert "data.duplicates" in report.ran
    copied_ids, copied_tags = ids.copy(), tags.copy()
    copied_ids[:40], copied_tags[:40] = ids[40:80], tags[40:80]  # whole samples copied
    (f,) = kerasdoc.check_data({"ids": copied_ids, "tags": copied_tags}, y).by_code(
        "data.duplicates")
    assert "40 groups" in f.message


def test_class_weight_and_sample_weight_that_balance_the_classes_silence_imbalance():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(550, int), np.ones(50, int)]
    x = rng.normal(size=(600, 4)).astype("float32") + y[:, None]
    p = rng.permutation(600)
    x, y = x[p], y[p]
    assert kerasdoc.check_data(x, y).has("data.class_imbalance")
    assert not kerasdoc.check_data(x, y, class_weight={0: 1.0, 1: 11.0}).has(
        "data.class_imbalance")
    weights = np.where(y == 1, 11.0, 1.0)
    assert not kerasdoc.check_data(x, y, sample_weight=weights).has("data.class_imbalance")
    # a class_weight that does not compensate the imbalance still fires
    assert kerasdoc.check_data(x, y, class_weight={0: 2.0, 1: 1.0}).has(
        "data.class_imbalance")


@pytest.mark.parametrize("stream", ["dataset", "pydataset", "generator"])
def test_streams_give_the_arrays_findings(stream):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (300, 8, 8)).astype("uint8")
    y = np.arange(300) % 3
    expected = kerasdoc.check_data(x, y)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return x[i * 30:(i + 1) * 30], y[i * 30:(i + 1) * 30]

    source = {"dataset": lambda: tf.data.Dataset.from_tensor_slices((x, y)).batch(30),
              "pydataset": Batches,
              "generator": lambda: ((x[i:i + 30], y[i:i + 30]) for i in range(0, 300, 30))}
    report = kerasdoc.check_data(source[stream]())
    assert sorted(report.codes) == sorted(expected.codes)
    bounded = kerasdoc.check_data(source[stream](), max_samples=60)
    assert "first 2 batches" in bounded.skipped["stream"]
