"""`kerasdoc subset` on image-folder trees and on keras.datasets files present locally.

Every file is generated here in the format Keras uses; nothing is downloaded.
"""

import gzip
import hashlib
import json
import os
import pickle
import struct

import numpy as np
import pytest

from kerasdoc import load_subset
from kerasdoc.cli import EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def tree(tmp_path):
    """3 classes of 4, 5 and 6 '.png' files (one nested), plus files to ignore."""
    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    for name, n in (("ant", 4), ("bee", 5), ("cow", 6)):
        (root / name / "more").mkdir(parents=True)
        for i in range(n):
            where = root / name / ("more" if i == 0 else "") / f"{i}.png"
            where.write_bytes(rng.bytes(64))
        (root / name / "notes.txt").write_text("not an image")
        (root / name / ".hidden.png").write_bytes(b"x")
    (root / ".cache").mkdir()
    return root


def _listing(root):
    return sorted((p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*")
                  if p.is_file())


def test_image_tree_subset_is_balanced_seeded_and_manifested(tree, tmp_path, capsys):
    before = _listing(tree)
    out = tmp_path / "small"
    argv = ["subset", "--images", str(tree), "--per-class", "3", "--seed", "7",
            "--out", str(out)]
    assert main(argv) == EXIT_OK
    stdout = capsys.readouterr().out
    assert f"wrote {out} (seed 7, files copy" in stdout and "train: 9 files" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "kerasdoc-image-subset" and manifest["seed"] == 7
    assert manifest["class_names"] == ["ant", "bee", "cow"]
    train = manifest["splits"]["train"]
    assert train["counts"] == {"ant": 3, "bee": 3, "cow": 3}
    for entry in train["files"]:  # copied bytes, recorded hash, class folder kept
        data = (out / entry["path"]).read_bytes()
        assert data == (tree / entry["source"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["path"].split("/")[0] == manifest["class_names"][entry["class"]]
        assert not (out / entry["path"]).is_symlink()
    assert not any(p.name.endswith((".txt",)) or p.name.startswith(".")
                   for p in out.rglob("*") if p.name != "manifest.json")
    # Same seed, same files; the source tree is untouched; no temporary folder left.
    assert main(argv[:-1] + [str(tmp_path / "again")]) == EXIT_OK
    again = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert [e["source"] for e in again["splits"]["train"]["files"]] == \
        [e["source"] for e in train["files"]]
    assert _listing(tree) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "photos", "small"]
    # An existing output is refused, then replaced with --overwrite.
    assert main(argv) == EXIT_USAGE
    assert "already exists" in capsys.readouterr().err
    assert main(argv + ["--overwrite", "--seed", "8"]) == EXIT_OK
    assert json.loads((out / "manifest.json").read_text())["seed"] == 8
    # diagnose --data on it points to --images.
    assert main(["diagnose", "m.keras", "--data", str(out), "--quiet"]) == EXIT_USAGE
    assert f"give it as --images {out}. Received: --data={out}" in capsys.readouterr().err


def test_image_tree_subset_links_test_split_and_errors(tree, tmp_path, capsys):
    out = tmp_path / "linked"
    assert main(["subset", "--images", str(tree), "--per-class", "2", "--test-per-class",
                 "2", "--files", "symlink", "--seed", "0", "--out", str(out)]) == EXIT_OK
    manifest = json.loads((out / "manifest.json").read_text())
    train = {e["source"] for e in manifest["splits"]["train"]["files"]}
    test = {e["source"] for e in manifest["splits"]["test"]["files"]}
    assert len(train) == 6 and len(test) == 6 and not train & test
    for entry in manifest["splits"]["test"]["files"]:
        link = out / entry["path"]
        assert entry["path"].startswith("test/") and link.is_symlink()
        assert os.path.realpath(link) == str((tree / entry["source"]).resolve())
    capsys.readouterr()
    assert main(["subset", "--images", str(tree), "--per-class", "5", "--out",
                 str(tmp_path / "o")]) == EXIT_USAGE
    assert "Class 0 has only 4 samples, fewer than per_class=5" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(["subset", "--images", str(tree), "--per-class", "5", "--allow-fewer",
                 "--out", str(tmp_path / "o"), "--quiet"]) == EXIT_OK
    counts = json.loads((tmp_path / "o" / "manifest.json").read_text())["splits"]["train"]
    assert counts["counts"] == {"ant": 4, "bee": 5, "cow": 5}
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    assert main(["subset", "--images", str(empty), "--per-class", "1", "--out",
                 str(tmp_path / "e")]) == EXIT_USAGE
    assert "No images in class subfolders" in capsys.readouterr().err
    assert main(["subset", "--images", str(tree), "--per-class", "1", "--out",
                 str(tree / "inside")]) == EXIT_USAGE
    assert "must not be inside the source tree" in capsys.readouterr().err


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    from kerasdoc.datasets import _fashion_mnist

    home = tmp_path / "keras-home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("KERASDOC_DATA", raising=False)
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian")
    return home / "datasets"


def _mnist_like(n, shape, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n,) + shape, dtype=np.uint8), (np.arange(n) % 10).astype(
        np.uint8)


def test_mnist_npz_from_the_keras_cache(keras_home, tmp_path, capsys):
    (x, y), (xt, yt) = _mnist_like(40, (28, 28), 0), _mnist_like(20, (28, 28), 1)
    np.savez_compressed(keras_home / "mnist.npz", x_train=x, y_train=y, x_test=xt,
                        y_test=yt)
    out = tmp_path / "m"
    assert main(["subset", "--dataset", "mnist", "--per-class", "3", "--test-per-class",
                 "1", "--seed", "0", "--out", str(out)]) == EXIT_OK
    data = load_subset(out)
    assert data.x_train.shape == (30, 28, 28) and data.x_test.shape == (10, 28, 28)
    idx = data.manifest["splits"]["train"]["indices"]
    np.testing.assert_array_equal(data.x_train, x[idx])
    assert data.class_names == tuple("0123456789")
    assert data.manifest["source"]["dataset"] == "mnist"
    os.remove(keras_home / "mnist.npz")
    assert main(["subset", "--dataset", "mnist", "--per-class", "3", "--test-per-class",
                 "1", "--out", str(tmp_path / "n")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "mnist.npz not found" in err and str(keras_home / "mnist.npz") in err
    assert "never downloads" in err
    # An .npz of pickled objects is not loaded.
    np.savez(tmp_path / "mnist.npz", x_train=np.array([{}], dtype=object), y_train=y,
             x_test=xt, y_test=yt)
    assert main(["subset", "--dataset", "mnist", "--data-dir", str(tmp_path),
                 "--per-class", "1", "--test-per-class", "1", "--out",
                 str(tmp_path / "p")]) == EXIT_USAGE
    assert "is not a readable .npz archive of arrays" in capsys.readouterr().err


def _cifar_batch(path, n, seed, label_key="labels"):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(i % 10) for i in range(n)]
    with open(path, "wb") as handle:
        pickle.dump({b"batch_label": b"x", b"data": data, label_key.encode(): labels,
                     b"filenames": [b"f"] * n}, handle, protocol=2)
    return data, labels


def test_cifar10_batches_read_only_from_a_named_folder(keras_home, tmp_path, capsys):
    folder = keras_home / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    train = [_cifar_batch(folder / f"data_batch_{i}", 10, i) for i in range(1, 6)]
    _cifar_batch(folder / "test_batch", 20, 9)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({b"label_names": [f"c{i}".encode() for i in range(10)]}, handle,
                    protocol=2)
    argv = ["subset", "--dataset", "cifar10", "--per-class", "4", "--test-per-class", "2",
            "--seed", "0"]
    # Found in the cache, but pickles are read only from a folder the user names.
    assert main(argv + ["--out", str(tmp_path / "a")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "stored as Python pickles" in err and f"pass --data-dir {folder}" in err
    out = tmp_path / "c"
    assert main(argv + ["--data-dir", str(keras_home / "cifar-10-batches-py-target"),
                        "--out", str(out)]) == EXIT_OK
    data = load_subset(out)
    assert data.x_train.shape == (40, 32, 32, 3) and data.x_train.dtype == np.uint8
    assert data.x_test.shape == (20, 32, 32, 3)
    assert data.class_names == tuple(f"c{i}" for i in range(10))
    # Channel-major rows become (32, 32, 3) images, as keras.datasets returns them.
    first = data.manifest["splits"]["train"]["indices"][0]
    row = train[first // 10][0][first % 10]
    np.testing.assert_array_equal(data.x_train[0][..., 0].ravel(), row[:1024])
    np.testing.assert_array_equal(data.x_train[0][..., 2].ravel(), row[2048:])
    os.remove(folder / "data_batch_3")
    assert main(argv + ["--data-dir", str(folder), "--out", str(tmp_path / "d")]) == \
        EXIT_USAGE
    assert f"data_batch_3 not found in {folder}" in capsys.readouterr().err


class _Planted:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_cifar_pickle_with_other_objects_is_refused(tmp_path, capsys):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    planted = tmp_path / "planted"
    with open(folder / "train", "wb") as handle:
        pickle.dump({b"data": _Planted(str(planted)), b"fine_labels": [0]}, handle,
                    protocol=2)
    _cifar_batch(folder / "test", 10, 0, label_key="fine_labels")
    assert main(["subset", "--dataset", "cifar100", "--data-dir", str(tmp_path),
                 "--per-class", "1", "--test-per-class", "1", "--out",
                 str(tmp_path / "o")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "holds a pickled posix.mkdir" in err or "holds a pickled os.mkdir" in err
    assert not planted.exists()


def test_cifar100_fine_labels_and_names(tmp_path):
    from kerasdoc.datasets import load_local

    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    _cifar_batch(folder / "train", 30, 0, label_key="fine_labels")
    _cifar_batch(folder / "test", 10, 1, label_key="fine_labels")
    with open(folder / "meta", "wb") as handle:
        pickle.dump({b"fine_label_names": [f"f{i}".encode() for i in range(100)]}, handle,
                    protocol=2)
    (x, y), (xt, yt), names = load_local("cifar100", folder)
    assert x.shape == (30, 32, 32, 3) and list(y[:3]) == [0, 1, 2] and len(xt) == 10
    assert names[:2] == ("f0", "f1") and len(names) == 100


def _idx_gz(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.tobytes())


def test_fashion_mnist_gz_files_from_the_keras_cache(keras_home, tmp_path, monkeypatch):
    from kerasdoc.datasets import FASHION_MNIST_FILES, _fashion_mnist

    (x, y), (xt, yt) = _mnist_like(30, (28, 28), 0), _mnist_like(20, (28, 28), 1)
    folder = keras_home / "fashion-mnist"
    folder.mkdir()
    for key, array in (("train_images", x), ("train_labels", y), ("test_images", xt),
                       ("test_labels", yt)):
        _idx_gz(folder / FASHION_MNIST_FILES[key], array)
    # The real files hold 60000/10000 images; these hold 30/20 in the same format.
    monkeypatch.setattr(_fashion_mnist, "_EXPECTED", {
        "train_images": (2051, (30, 28, 28)), "train_labels": (2049, (30,)),
        "test_images": (2051, (20, 28, 28)), "test_labels": (2049, (20,))})
    out = tmp_path / "f"
    assert main(["subset", "--dataset", "fashion_mnist", "--per-class", "2",
                 "--test-per-class", "2", "--seed", "1", "--out", str(out),
                 "--quiet"]) == EXIT_OK
    data = load_subset(out)
    np.testing.assert_array_equal(data.x_train,
                                  x[data.manifest["splits"]["train"]["indices"]])
    assert data.class_names[0] == "T-shirt/top" and len(data.y_test) == 20
