"""Datasets larger than memory: memory-mapped arrays and `tf.data.Dataset` inputs.

Memory is measured with `tracemalloc` (numpy reports its buffers to it);
pages of a memory-mapped file are not allocations and are not counted. The
10-million-row figures are in `benchmarks/bench_scale.py`.
"""

import os
import tempfile
import tracemalloc

import numpy as np
import pytest

import kerasdoc
from kerasdoc._errors import InvalidInputError


def _memmaps(directory, rows, *, seed=0, block=1024, every=16):
    """x (rows, 28, 28) uint8 and y (rows,) uint8 .npy files, memory-mapped.

    The image file is sparse: only every `every`-th block of `block` rows is
    written (random pixels); the rest stays unwritten zeros.
    """
    rng = np.random.default_rng(seed)
    y = np.lib.format.open_memmap(directory / "y.npy", mode="w+", dtype=np.uint8,
                                  shape=(rows,))
    y[:] = rng.integers(0, 10, rows, dtype=np.uint8)
    y.flush()
    x = np.lib.format.open_memmap(directory / "x.npy", mode="w+", dtype=np.uint8,
                                  shape=(rows, 28, 28))
    for start in range(0, rows, block * every):
        stop = min(rows, start + block)
        x[start:stop] = rng.integers(0, 256, (stop - start, 28, 28), dtype=np.uint8)
    x.flush()
    del x, y
    return (np.load(directory / "x.npy", mmap_mode="r"),
            np.load(directory / "y.npy", mmap_mode="r"))


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """200,000 and 100,000-row memory-mapped image sets (157 MB and 78 MB apparent)."""
    return {rows: _memmaps(tmp_path_factory.mktemp(f"rows{rows}"), rows)
            for rows in (100_000, 200_000)}


@pytest.mark.slow
def test_check_data_memory_grows_per_row_not_per_image(big):
    peaks, reports = {}, {}
    for rows, (x, y) in big.items():
        reports[rows], peaks[rows] = _peak(lambda: kerasdoc.check_data(
            x, y, n_classes=10, chunk_size=4096))
    per_row = (peaks[200_000] - peaks[100_000]) / 100_000
    assert per_row < 80, f"{per_row:.0f} bytes per extra row (an image is 784)"
    assert isinstance(x, np.memmap) and not x.flags.writeable  # read in place
    report = reports[200_000]
    # mostly-zero sparse images are exact copies of each other: found, in evidence
    assert report.has("data.duplicates") and "data.label_misalignment" in report.ran


@pytest.mark.slow
def test_check_data_peak_follows_chunk_size(big):
    x, y = big[100_000]
    _, small = _peak(lambda: kerasdoc.check_data(x, y, n_classes=10, chunk_size=1024))
    _, large = _peak(lambda: kerasdoc.check_data(x, y, n_classes=10, chunk_size=32768))
    # 31,744 more rows of 784 float32 values per chunk: at least ~50 MB more
    assert large - small > 50e6
    assert small < 0.25 * x.nbytes


def test_stratified_subset_reads_only_the_chosen_rows(big):
    x, y = big[200_000]
    sub, peak = _peak(lambda: kerasdoc.stratified_subset(x, y, per_class=100, seed=0))
    assert sub.x.shape == (1000, 28, 28) and sub.counts == {c: 100 for c in range(10)}
    np.testing.assert_array_equal(sub.x, x[sub.indices])
    assert peak < 0.05 * x.nbytes  # labels plus the subset, not the images


# -- tf.data.Dataset inputs -----------------------------------------------------

@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (600, 28, 28)).astype("uint8")
    y = (np.arange(600) % 10).astype("int64")
    x[:20] = x[20:40]  # some duplicates
    return x, y, x[:100].copy(), y[:100].copy()


def _same(a, b):
    assert sorted(a.codes) == sorted(b.codes)
    for f, g in zip(a, b):
        assert f.code == g.code and f.evidence == g.evidence


@pytest.mark.parametrize("shape", ["elements", "batches", "fixed_batches"])
def test_check_data_dataset_equals_arrays(tf, arrays, shape):
    x, y, xt, yt = arrays
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    test = tf.data.Dataset.from_tensor_slices((xt, yt))
    if shape == "batches":
        ds, test = ds.batch(64), test.batch(7)
    elif shape == "fixed_batches":
        ds, test = ds.batch(50, drop_remainder=True), test.batch(25, drop_remainder=True)
    expected = kerasdoc.check_data(x, y, x_test=xt, y_test=yt)
    assert expected.has("data.split_leakage") and expected.has("data.duplicates")
    _same(kerasdoc.check_data(ds, x_test=test), expected)


def test_dataset_is_streamed_once_and_its_files_removed(tf, arrays, monkeypatch, tmp_path):
    x, y, _, _ = arrays
    calls = []

    def generate():
        calls.append(1)
        for start in range(0, len(x), 32):
            yield x[start:start + 32], y[start:start + 32]

    ds = tf.data.Dataset.from_generator(generate, output_signature=(
        tf.TensorSpec((None, 28, 28), tf.uint8), tf.TensorSpec((None,), tf.int64)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    report = kerasdoc.check_data(ds, chunk_size=100)
    assert len(calls) == 1
    _same(report, kerasdoc.check_data(x, y, chunk_size=100))
    assert os.listdir(tmp_path) == []


def test_dataset_errors_name_the_argument(tf, arrays):
    x, y, _, _ = arrays
    pairs = tf.data.Dataset.from_tensor_slices((x, y))
    with pytest.raises(InvalidInputError, match="`y_train` must be None"):
        kerasdoc.check_data(pairs, y)
    with pytest.raises(InvalidInputError, match=r"`x_train` must yield \(x, y\) pairs"):
        kerasdoc.check_data(tf.data.Dataset.from_tensor_slices(x))
    with pytest.raises(InvalidInputError, match="`x_train` yielded no batches"):
        kerasdoc.check_data(pairs.take(0))
    with pytest.raises(InvalidInputError, match="`y_train` is required"):
        kerasdoc.check_data(x)
    # text is audited, not refused: the value checks skip it with the reason
    strings = tf.data.Dataset.from_tensor_slices((np.array(["a b", "c"] * 40), np.arange(80) % 2))
    report = kerasdoc.check_data(strings)
    assert "string inputs" in report.skipped["data.not_normalized"]
