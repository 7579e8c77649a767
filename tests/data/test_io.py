"""save_subset / load_subset: manifest, hashes, atomic writes, every error path."""

import hashlib
import json
import os

import numpy as np
import pytest

import kerasdoc
from kerasdoc import (DataIntegrityError, InvalidInputError, InvalidTypeError,
                      load_subset, save_subset, stratified_subset)
from kerasdoc.data import _io

NAMES = ("a", "b", "c")


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40).astype(np.uint8)
    rng.shuffle(y)
    x = rng.integers(0, 256, (120, 4, 4), dtype=np.uint8)
    y_test = np.repeat(np.arange(3), 10).astype(np.uint8)
    x_test = rng.integers(0, 256, (30, 4, 4), dtype=np.uint8)
    return x, y, x_test, y_test


@pytest.fixture
def saved(arrays, tmp_path):
    x, y, x_test, y_test = arrays
    train = stratified_subset(x, y, per_class=10, seed=3)
    test = stratified_subset(x_test, y_test, per_class=5, seed=4)
    out = save_subset(tmp_path / "sub", train=train, test=test, class_names=NAMES,
                      source={"dataset": "toy"})
    return out, train, test


def test_round_trip_and_manifest(saved):
    out, train, test = saved
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "x_test_s.npy", "x_train_s.npy", "y_test_s.npy", "y_train_s.npy"]
    data = load_subset(out)
    np.testing.assert_array_equal(data.x_train, train.x)
    np.testing.assert_array_equal(data.y_train, train.y)
    np.testing.assert_array_equal(data.x_test, test.x)
    np.testing.assert_array_equal(data.y_test, test.y)
    assert data.y_train.dtype == np.uint8 and data.class_names == NAMES
    m = data.manifest
    assert m["seed"] == 3 and m["source"] == {"dataset": "toy"}
    assert m["kerasdoc_version"] == kerasdoc.__version__
    assert m["numpy_version"] == np.__version__
    assert m["splits"]["train"]["counts"] == {"0": 10, "1": 10, "2": 10}
    assert m["splits"]["train"]["indices"] == train.indices.tolist()
    assert m["splits"]["test"]["indices"] == test.indices.tolist()
    assert m["splits"]["test"]["seed"] == 4
    for name, entry in m["files"].items():
        assert entry["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    assert json.loads((out / "manifest.json").read_text()) == m


def test_save_from_plain_arrays_train_only(arrays, tmp_path):
    x, y, _, _ = arrays
    out = save_subset(tmp_path / "plain", x_train=x, y_train=y, seed=np.int64(1),
                      indices=np.arange(len(x)))
    data = load_subset(out)
    assert data.x_test is None and data.y_test is None and data.class_names is None
    assert data.manifest["splits"]["train"]["indices"] == list(range(len(x)))
    assert data.manifest["seed"] == 1
    assert data.manifest["splits"]["train"]["counts"] == {"0": 40, "1": 40, "2": 40}
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "x_train_s.npy", "y_train_s.npy"]


def test_refuses_to_overwrite_unless_asked(saved, arrays):
    out, train, _ = saved
    (out / "NOTICE.txt").write_text("keep me")
    with pytest.raises(InvalidInputError, match="already holds a subset.*overwrite=True"):
        save_subset(out, train=train)
    x, y, _, _ = arrays
    save_subset(out, x_train=x[:9], y_train=y[:9], overwrite=True)
    data = load_subset(out)
    assert len(data.x_train) == 9 and data.x_test is None
    assert not (out / "x_test_s.npy").exists()  # stale split removed
    assert (out / "NOTICE.txt").read_text() == "keep me"


def test_existing_directory_without_subset_is_filled(arrays, tmp_path):
    x, y, _, _ = arrays
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "README.md").write_text("hi")
    save_subset(tmp_path / "d", x_train=x, y_train=y)
    assert len(load_subset(tmp_path / "d").x_train) == 120


def test_interrupted_write_leaves_nothing_loadable(arrays, tmp_path, monkeypatch):
    x, y, x_test, y_test = arrays
    real_save = np.save
    calls = []

    def failing_save(handle, array, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        real_save(handle, array, **kwargs)

    monkeypatch.setattr(_io.np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        save_subset(tmp_path / "new", x_train=x, y_train=y, x_test=x_test, y_test=y_test)
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # temp dir cleaned up

    # Overwriting an existing subset: a crash while moving files in leaves
    # no manifest, so the half-written subset is refused.
    monkeypatch.setattr(_io.np, "save", real_save)
    out = save_subset(tmp_path / "old", x_train=x, y_train=y)
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("y_train_s.npy"):
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", failing_replace)
    with pytest.raises(OSError, match="power cut"):
        save_subset(out, x_train=x[:30], y_train=y[:30], overwrite=True)
    monkeypatch.setattr(_io.os, "replace", real_replace)
    with pytest.raises(DataIntegrityError, match="manifest.json is missing"):
        load_subset(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def _corrupt(path, how):
    data = path.read_bytes()
    if how == "modified":
        data = data[:-1] + bytes([data[-1] ^ 1])
    elif how == "truncated":
        data = data[: len(data) // 2]
    path.write_bytes(data)


@pytest.mark.parametrize("name, how, match", [
    ("x_train_s.npy", "modified", r"x_train_s.npy was modified: sha256"),
    ("y_test_s.npy", "truncated", r"y_test_s.npy is truncated or modified: \d+ bytes"),
    ("x_test_s.npy", "missing", r"x_test_s.npy is missing"),
    ("manifest.json", "missing", r"manifest.json is missing"),
    ("manifest.json", "truncated", r"manifest.json is not valid JSON"),
])
def test_load_detects_damage(saved, name, how, match):
    out = saved[0]
    if how == "missing":
        (out / name).unlink()
    else:
        _corrupt(out / name, how)
    with pytest.raises(DataIntegrityError, match=match):
        load_subset(out)


def _edit_manifest(out, edit):
    m = json.loads((out / "manifest.json").read_text())
    edit(m)
    (out / "manifest.json").write_text(json.dumps(m))


def test_load_checks_counts_shapes_and_format(saved):
    out = saved[0]
    _edit_manifest(out, lambda m: m["splits"]["train"]["counts"].update({"0": 11}))
    with pytest.raises(DataIntegrityError, match="y_train_s.npy has class counts"):
        load_subset(out)
    _edit_manifest(out, lambda m: (m["splits"]["train"]["counts"].update({"0": 10}),
                                   m["files"]["x_train_s.npy"].update(shape=[31, 4, 4])))
    with pytest.raises(DataIntegrityError, match=r"holds shape \(30, 4, 4\).*\[31, 4, 4\]"):
        load_subset(out)
    _edit_manifest(out, lambda m: (m["files"]["x_train_s.npy"].update(shape=[30, 4, 4]),
                                   m["files"].pop("y_test_s.npy")))
    with pytest.raises(DataIntegrityError, match="no entry for y_test_s.npy"):
        load_subset(out)
    _edit_manifest(out, lambda m: m.update(format="other"))
    with pytest.raises(DataIntegrityError, match="not a kerasdoc.subset manifest"):
        load_subset(out)


def test_pickled_arrays_are_never_loaded(saved):
    out = saved[0]
    np.save(out / "y_train_s.npy", np.array([{"evil": 1}] * 30, dtype=object),
            allow_pickle=True)
    digest = hashlib.sha256((out / "y_train_s.npy").read_bytes()).hexdigest()
    size = (out / "y_train_s.npy").stat().st_size
    _edit_manifest(out, lambda m: m["files"]["y_train_s.npy"].update(sha256=digest,
                                                                     bytes=size))
    with pytest.raises(DataIntegrityError, match="not a readable .npy file.*pickle"):
        load_subset(out)


def test_load_without_manifest_when_not_verifying(arrays, tmp_path):
    x, y, x_test, y_test = arrays
    for name, a in (("x_train_s", x), ("y_train_s", y), ("x_test_s", x_test),
                    ("y_test_s", y_test)):
        np.save(tmp_path / f"{name}.npy", a)  # the walkthrough's own files
    data = load_subset(tmp_path, verify=False)
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.manifest["files"] == {}
    with pytest.raises(DataIntegrityError, match="manifest.json is missing"):
        load_subset(tmp_path)


def test_load_missing_directory(tmp_path):
    with pytest.raises(InvalidInputError, match="Subset directory not found.*Received"):
        load_subset(tmp_path / "nope")


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, InvalidInputError, "`x_train` and `y_train` .* are required"),
    ({"x_train": "X"}, InvalidInputError, "Give both `x_train` and `y_train`"),
    ({"x_train": "X", "y_train": "Y", "x_test": "Xt"}, InvalidInputError,
     "Give both `x_test` and `y_test`"),
    ({"x_train": "X", "y_train": "Y5"}, InvalidInputError, "same number of samples"),
    ({"x_train": "X", "y_train": "Y", "class_names": ["a"]}, InvalidInputError,
     "`class_names` has 1 names but the labels use 3 classes"),
    ({"x_train": "X", "y_train": "Y", "class_names": "abc"}, InvalidTypeError,
     "sequence of strings"),
    ({"x_train": "X", "y_train": "Y", "source": {1, 2}}, InvalidTypeError,
     "`source` must be JSON-serialisable"),
    ({"x_train": "X", "y_train": "Y", "seed": 1.5}, InvalidTypeError, "`seed` must be"),
    ({"x_train": "X", "y_train": "Y", "indices": [1, 2]}, InvalidInputError,
     r"`indices\['train'\]` must be 120 integer source indices"),
    ({"x_train": "X", "y_train": "Y", "indices": {"val": [1]}}, InvalidInputError,
     "keys must be 'train' and/or 'test'"),
    ({"x_train": "X", "y_train": "Y", "indices": {"test": [1]}}, InvalidInputError,
     r"`indices\['test'\]` was given without"),
    ({"train": "not a subset"}, InvalidTypeError, "`train` must be a Subset"),
])
def test_save_bad_input(arrays, tmp_path, kwargs, error, match):
    x, y, x_test, _ = arrays
    swap = {"X": x, "Y": y, "Xt": x_test, "Y5": y[:5]}
    kwargs = {k: swap.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        save_subset(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_save_refuses_subset_and_arrays_together_and_file_target(saved, arrays, tmp_path):
    x, y, _, _ = arrays
    train = saved[1]
    with pytest.raises(InvalidInputError, match="Give `train` or `x_train`/`y_train`"):
        save_subset(tmp_path / "o", train=train, x_train=x, y_train=y)
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidInputError, match="exists and is not a directory"):
        save_subset(tmp_path / "file", x_train=x, y_train=y)


def test_bundled_data_loads_and_matches_its_manifest(bundled_subset):
    data = bundled_subset
    assert data.x_train.shape == (1000, 28, 28) and data.x_test.shape == (300, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(data.y_train), [100] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [30] * 10)
    assert data.class_names == kerasdoc.datasets.FASHION_MNIST_CLASS_NAMES
    m = data.manifest
    assert m["seed"] == 0 and m["source"]["dataset"] == "fashion_mnist"
    assert len(set(m["splits"]["train"]["indices"])) == 1000
    assert np.count_nonzero(np.diff(data.y_train)) > 800  # shuffled, not by class
    assert (data.path / "LICENSE-fashion-mnist.txt").read_text().count("Zalando SE") >= 1


@pytest.mark.slow
def test_bundled_data_indices_point_into_the_real_files(bundled_subset, fashion_mnist):
    (x_train, y_train), (x_test, y_test), _ = fashion_mnist
    m = bundled_subset.manifest
    train_idx = np.array(m["splits"]["train"]["indices"])
    test_idx = np.array(m["splits"]["test"]["indices"])
    np.testing.assert_array_equal(x_train[train_idx], bundled_subset.x_train)
    np.testing.assert_array_equal(y_train[train_idx], bundled_subset.y_train)
    np.testing.assert_array_equal(x_test[test_idx], bundled_subset.x_test)
    np.testing.assert_array_equal(y_test[test_idx], bundled_subset.y_test)
