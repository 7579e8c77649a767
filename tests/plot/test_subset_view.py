import types

import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError
from kerasdoc.plot import SubsetDisplay


def test_grid_rows_per_class(pyplot, rng):
    x = rng.random((10, 5, 5))
    y = np.array([2, 0, 1, 0, 2, 2, 0, 1, 2, 2])
    disp = SubsetDisplay.from_arrays(x, y, class_names=["a", "b", "c"], per_class=3)
    np.testing.assert_array_equal(disp.indices, [[1, 3, 6], [2, 7, -1], [0, 4, 5]])
    np.testing.assert_array_equal(disp.counts, [3, 2, 5])
    assert disp.ax_.shape == (3, 3)
    assert [disp.ax_[c, 0].get_ylabel() for c in range(3)] == ["a\n(3)", "b\n(2)", "c\n(5)"]
    np.testing.assert_allclose(disp.ax_[1, 1].images[0].get_array(), x[7])
    assert not disp.ax_[1, 2].images  # class b has only two samples


def test_from_subset_object(pyplot, rng):
    subset = types.SimpleNamespace(x_train=rng.random((4, 3, 3)), y_train=[0, 1, 0, 1],
                                   x_test=rng.random((2, 3, 3)), y_test=[1, 0],
                                   class_names=("x", "y"))
    disp = SubsetDisplay.from_subset(subset, split="test", per_class=1)
    assert disp.figure_._suptitle.get_text() == "test: 2 samples"
    np.testing.assert_array_equal(disp.indices, [[1], [0]])
    with pytest.raises(InvalidInputError, match="Received: split='val'"):
        SubsetDisplay.from_subset(subset, split="val")
    with pytest.raises(InvalidTypeError, match="load_subset"):
        SubsetDisplay.from_subset(object())


def test_from_directory_round_trip(pyplot, tmp_path, rng):
    from kerasdoc.data import save_subset

    x = (rng.random((6, 4, 4)) * 255).astype("uint8")
    y = np.array([0, 1, 2, 0, 1, 2], dtype="uint8")
    save_subset(tmp_path / "s", x_train=x, y_train=y, x_test=x[:3], y_test=y[:3],
                class_names=["p", "q", "r"])
    disp = SubsetDisplay.from_directory(tmp_path / "s", per_class=2)
    np.testing.assert_array_equal(disp.indices, [[0, 3], [1, 4], [2, 5]])
    np.testing.assert_array_equal(disp.x, x)
    assert disp.class_names == ["p", "q", "r"]
    assert disp.figure_._suptitle.get_text() == (
        "train: 6 samples, verified against manifest.json")
    # A modified file is refused, not shown.
    from kerasdoc import DataIntegrityError

    tampered = np.load(tmp_path / "s" / "x_train_s.npy")
    tampered[0, 0, 0] ^= 1
    np.save(tmp_path / "s" / "x_train_s.npy", tampered)
    with pytest.raises(DataIntegrityError):
        SubsetDisplay.from_directory(tmp_path / "s", plot=False)
    with pytest.raises(InvalidInputError, match="existing folder"):
        SubsetDisplay.from_directory(tmp_path / "missing")
