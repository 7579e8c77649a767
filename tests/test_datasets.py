"""kerasdoc.datasets: IDX parsing, file discovery, the FashionMNIST loader."""

import gzip
import struct
import sys
import types

import numpy as np
import pytest

from kerasdoc import DataIntegrityError, InvalidInputError
from kerasdoc.datasets import (FASHION_MNIST_CLASS_NAMES, FASHION_MNIST_FILES,
                               IDX_IMAGES, IDX_LABELS, find_fashion_mnist,
                               load_fashion_mnist, read_idx)
from kerasdoc.datasets import _fashion_mnist


def idx_bytes(array, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else (0x0800 | array.ndim)
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_gz(path, payload, **gzip_kwargs):
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb",
                                                 **gzip_kwargs) as gz:
        gz.write(payload)
    return path


def fake_fashion_dir(directory, n_train=6, n_test=4, names=None):
    """Four small IDX .gz files (wrong sizes for FashionMNIST, right format)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28)),
        "train_labels": np.arange(n_train) % 10,
        "test_images": rng.integers(0, 256, (n_test, 28, 28)),
        "test_labels": np.arange(n_test) % 10,
    }
    for key, official in FASHION_MNIST_FILES.items():
        name = (names or {}).get(key, official)
        write_gz(directory / name, idx_bytes(arrays[key]))
    return directory


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No KERASDOC_DATA, no Debian dir, an empty Keras home."""
    monkeypatch.delenv("KERASDOC_DATA", raising=False)
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path


# -- read_idx ---------------------------------------------------------------

def test_read_idx_round_trips_labels_and_images(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_gz(tmp_path / "i.gz", idx_bytes(images))
    write_gz(tmp_path / "l.gz", idx_bytes(labels))
    got_images = read_idx(tmp_path / "i.gz", expected_magic=IDX_IMAGES)
    got_labels = read_idx(tmp_path / "l.gz", expected_magic=IDX_LABELS)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.dtype == np.uint8 and got_images.flags.writeable


def test_read_idx_accepts_raw_files_and_other_gzip_headers(tmp_path):
    labels = np.arange(7, dtype=np.uint8)
    (tmp_path / "raw").write_bytes(idx_bytes(labels))
    # Debian recompresses: a stored file name, another mtime, max compression.
    write_gz(tmp_path / "deb.gz", idx_bytes(labels), filename="labels.idx",
             mtime=1234567890, compresslevel=9)
    assert (tmp_path / "deb.gz").read_bytes()[3] & 0x08  # FNAME flag is set
    for name in ("raw", "deb.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), labels)


def test_read_idx_reports_progress(tmp_path):
    write_gz(tmp_path / "i.gz", idx_bytes(np.zeros((3, 28, 28))))
    calls = []
    read_idx(tmp_path / "i.gz", progress=lambda done, total: calls.append((done, total)))
    total = (tmp_path / "i.gz").stat().st_size
    assert calls and calls[-1] == (total, total)


@pytest.mark.parametrize("magic, expected, match", [
    (0x12345678, None, "bad magic number"),
    (IDX_LABELS, IDX_IMAGES, "magic number 2049, expected 2051"),
])
def test_read_idx_rejects_wrong_magic(tmp_path, magic, expected, match):
    payload = struct.pack(">II", magic, 2) + b"\x00\x01"
    write_gz(tmp_path / "bad.gz", payload)
    with pytest.raises(DataIntegrityError, match=match) as info:
        read_idx(tmp_path / "bad.gz", expected_magic=expected)
    assert "bad.gz" in str(info.value)


def test_read_idx_truncated_gzip_names_the_file(tmp_path):
    write_gz(tmp_path / "train-images-idx3-ubyte.gz",
             idx_bytes(np.random.default_rng(0).integers(0, 256, (50, 28, 28))))
    data = (tmp_path / "train-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataIntegrityError, match=r"cut\.gz is (corrupt or )?truncated"):
        read_idx(tmp_path / "cut.gz")


def test_read_idx_data_shorter_than_header_says(tmp_path):
    payload = idx_bytes(np.zeros((10, 28, 28)))
    write_gz(tmp_path / "short.gz", payload[:-100])  # a valid gzip of too few bytes
    with pytest.raises(DataIntegrityError,
                       match=r"short\.gz is truncated: expected 7840 bytes of data, found 7740"):
        read_idx(tmp_path / "short.gz")


def test_read_idx_corrupt_gzip_body(tmp_path):
    write_gz(tmp_path / "x.gz",
             idx_bytes(np.random.default_rng(0).integers(0, 256, (20, 28, 28))))
    data = bytearray((tmp_path / "x.gz").read_bytes())
    for i in range(40, len(data) - 20, 97):
        data[i] ^= 0xFF
    (tmp_path / "x.gz").write_bytes(bytes(data))
    with pytest.raises(DataIntegrityError, match=r"x\.gz"):
        read_idx(tmp_path / "x.gz")


def test_read_idx_trailing_data_and_implausible_header(tmp_path):
    write_gz(tmp_path / "long.gz", idx_bytes(np.zeros(5)) + b"extra")
    with pytest.raises(DataIntegrityError, match=r"long\.gz has data after the 5 bytes"):
        read_idx(tmp_path / "long.gz")
    write_gz(tmp_path / "huge.gz", struct.pack(">IIII", IDX_IMAGES, 100000, 100000, 100))
    with pytest.raises(DataIntegrityError, match=r"huge\.gz has an implausible header"):
        read_idx(tmp_path / "huge.gz")
    with pytest.raises(DataIntegrityError, match="IDX file not found"):
        read_idx(tmp_path / "missing.gz")


# -- find_fashion_mnist -----------------------------------------------------

def test_find_searches_path_then_env_then_debian_then_keras_cache(isolated, monkeypatch):
    tmp = isolated
    assert find_fashion_mnist() is None
    cache = fake_fashion_dir(tmp / "keras-home" / "datasets" / "fashion-mnist")
    assert find_fashion_mnist() == cache
    debian = fake_fashion_dir(tmp / "debian")
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", debian)
    assert find_fashion_mnist() == debian
    env = fake_fashion_dir(tmp / "env")
    monkeypatch.setenv("KERASDOC_DATA", str(env))
    assert find_fashion_mnist() == env
    explicit = fake_fashion_dir(tmp / "explicit")
    assert find_fashion_mnist(explicit) == explicit
    # A path without the files falls through to the next place.
    assert find_fashion_mnist(tmp / "nowhere") == env


def test_find_accepts_debian_spellings(isolated):
    names = {"train_images": "train-images.idx3-ubyte.gz",
             "train_labels": "train-labels-idx1-ubyte",
             "test_images": "t10k-images.idx3-ubyte",
             "test_labels": "t10k-labels-idx1-ubyte.gz"}
    directory = fake_fashion_dir(isolated / "deb", names=names)
    assert find_fashion_mnist(directory) == directory
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()  # one file missing
    assert find_fashion_mnist(directory) is None


def test_find_download_uses_keras_only_when_asked(isolated, monkeypatch):
    calls = []

    def load_data():
        calls.append(1)
        fake_fashion_dir(isolated / "keras-home" / "datasets" / "fashion-mnist")

    fake_keras = types.ModuleType("keras")
    fake_keras.datasets = types.SimpleNamespace(
        fashion_mnist=types.SimpleNamespace(load_data=load_data))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    assert find_fashion_mnist(download=False) is None and not calls
    found = find_fashion_mnist(download=True)
    assert calls == [1]
    assert found == isolated / "keras-home" / "datasets" / "fashion-mnist"


# -- load_fashion_mnist -----------------------------------------------------

def test_load_not_found_names_the_places_and_variable(isolated):
    with pytest.raises(InvalidInputError, match="KERASDOC_DATA") as info:
        load_fashion_mnist(isolated / "here", download=False)
    assert str(isolated / "here") in str(info.value)
    assert "Received: path=" in str(info.value)


def test_load_rejects_wrong_counts_and_labels(isolated):
    small = fake_fashion_dir(isolated / "small")
    with pytest.raises(DataIntegrityError,
                       match=r"holds shape \(\d+, 28, 28\), expected \(60000, 28, 28\)"):
        load_fashion_mnist(small, download=False)


@pytest.mark.slow
def test_load_real_fashion_mnist(fashion_mnist):
    (x_train, y_train), (x_test, y_test), names = fashion_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert names == FASHION_MNIST_CLASS_NAMES and len(names) == 10
    assert names[y_train[0]] == "Ankle boot"  # the dataset's well-known first image
    assert x_train.max() == 255 and x_train.min() == 0


@pytest.mark.slow
def test_load_real_file_truncated_copy_is_refused(fashion_mnist_dir, tmp_path):
    for official in FASHION_MNIST_FILES.values():
        data = (fashion_mnist_dir / official).read_bytes()
        if official.startswith("t10k-images"):
            data = data[: len(data) - 5000]
        (tmp_path / official).write_bytes(data)
    with pytest.raises(DataIntegrityError, match="t10k-images-idx3-ubyte.gz"):
        load_fashion_mnist(tmp_path, download=False)
