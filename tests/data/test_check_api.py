"""check_data's boundary: argument errors, untouched inputs, memory-mapped arrays."""

import json
import tracemalloc

import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError, check_data


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    y = rng.permutation(np.arange(400) % 4)
    protos = np.random.default_rng(1).random((4, 8, 8))
    x = np.clip(protos[y] + 0.1 * rng.standard_normal((400, 8, 8)), 0, 1).astype(np.float32)
    return x, y


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(x_train=np.zeros(10)), InvalidInputError, "x_train.*2 dimensions"),
    (dict(y_train=np.zeros(9)), InvalidInputError, "same number of samples"),
    (dict(y_test=np.zeros(5)), InvalidInputError, "y_test` needs `x_test"),
    (dict(x_test=np.zeros((5, 7, 8))), InvalidInputError, "per-sample shape"),
    (dict(n_classes=1), InvalidInputError, "n_classes=1"),
    (dict(label_noise="yes"), InvalidTypeError, "label_noise='yes'"),
    (dict(label_noise=5), InvalidInputError, "label_noise=5"),
    (dict(categorical_columns=[0]), InvalidInputError, "tabular"),
    (dict(imbalance_ratio=0.5), InvalidInputError, "imbalance_ratio=0.5"),
    (dict(near_duplicate_similarity=2.0), InvalidInputError, "near_duplicate_similarity"),
    (dict(chunk_size=0), InvalidInputError, "chunk_size=0"),
    (dict(x_train={"a": np.zeros((10, 8)), "b": np.zeros((9, 8))}), InvalidInputError,
     r"len\(x_train\['b'\]\)=9"),
    (dict(input_kinds="text"), InvalidInputError, "input_kinds='text'"),
])
def test_bad_arguments(kwargs, error, match):
    args = dict(x_train=np.zeros((10, 8, 8)), y_train=np.zeros(10, int))
    args.update(kwargs)
    x, y = args.pop("x_train"), args.pop("y_train")
    with pytest.raises(error, match=match):
        check_data(x, y, **args)


def test_categorical_columns_out_of_range():
    with pytest.raises(InvalidInputError, match=r"\[0, 3\)"):
        check_data(np.zeros((10, 3)), np.zeros(10, int), categorical_columns=[3])


def test_inputs_are_not_modified(small):
    x, y = small
    x_nan = x.copy()
    x_nan[0, 0, 0] = np.nan
    arrays = [x_nan, y.astype(float), x[:100].copy(), y[:100].copy()]
    before = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False  # any write raises
    report = check_data(arrays[0], arrays[1], x_test=arrays[2], y_test=arrays[3],
                        label_noise=True)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    assert report.has("data.nonfinite")
    json.loads(report.to_json())


def test_memmap_gives_the_same_report_in_small_chunks(small, tmp_path):
    x, y = small
    np.save(tmp_path / "x.npy", x)
    x_map = np.load(tmp_path / "x.npy", mmap_mode="r", allow_pickle=False)
    order = np.argsort(y, kind="stable")
    x_map = x_map[order]  # fancy indexing reads a copy: re-save sorted
    np.save(tmp_path / "x_sorted.npy", x_map)
    x_map = np.load(tmp_path / "x_sorted.npy", mmap_mode="r", allow_pickle=False)
    a = check_data(x_map, y[order], x_test=x_map[::8], chunk_size=37)
    b = check_data(np.asarray(x_map), y[order], x_test=np.asarray(x_map[::8]))
    assert a.codes == b.codes == {"data.unshuffled", "data.split_leakage"}
    assert [f.to_dict() for f in a] == [f.to_dict() for f in b]
    assert isinstance(x_map, np.memmap)


def test_memmap_is_never_materialised_as_float64(tmp_path):
    n = 30_000
    x_map = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.uint8,
                                      shape=(n, 28, 28))
    rng = np.random.default_rng(0)
    for start in range(0, n, 5000):
        x_map[start:start + 5000] = rng.integers(0, 256, (5000, 28, 28), dtype=np.uint8)
    x_map.flush()
    x_map = np.load(tmp_path / "x.npy", mmap_mode="r")
    y = rng.integers(0, 10, n)
    tracemalloc.start()
    check_data(x_map, y, chunk_size=2048, model_samples=1000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    float64_bytes = n * 28 * 28 * 8
    assert peak < float64_bytes / 4, (peak, float64_bytes)


def test_report_records_timings_and_skips(small):
    x, y = small
    report = check_data(x, y)
    assert set(report.skipped) == {"data.split_leakage", "data.distribution_shift",
                                   "data.categorical_scaled", "data.label_noise",
                                   # the regression and multi-label target checks
                                   "data.target_scale", "data.multilabel_empty",
                                   "data.label_imbalance"}
    assert "does not apply" in report.skipped["data.target_scale"]
    assert "scan" in report.timings and "data.label_misalignment" in report.timings
    assert len(report) == 0


def test_label_noise_on_a_sample_reports_what_it_checked(small):
    x, y = small
    y_noisy = y.copy()
    y_noisy[:60] = (y[:60] + 1) % 4
    report = check_data(x, y_noisy, label_noise=200, label_noise_fraction=0.0)
    assert "data.label_noise" in report.ran
    (f,) = report.by_code("data.label_noise")
    assert f.evidence["n_checked"] == 200
    assert set(f.evidence["indices"]) <= set(range(len(y)))


def test_docstring_example_runs():
    import doctest

    from kerasdoc.data import _audit

    result = doctest.testmod(_audit, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_model_checks_skip_without_enough_labels():
    x = np.random.default_rng(0).random((30, 4))
    report = check_data(x, np.full(30, np.nan), label_noise=True)
    assert report.codes == {"data.nonfinite"}
    assert "needs at least 50" in report.skipped["data.label_misalignment"]
    assert "needs at least 50" in report.skipped["data.label_noise"]
