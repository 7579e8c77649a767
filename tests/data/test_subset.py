"""stratified_subset: exact per-class counts, shuffled, reproducible, no full copy."""

import tracemalloc

import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError, Subset, stratified_subset


def labelled(counts, *, features=3, dtype=np.float32, label_dtype=np.int64, seed=0):
    """x rows that encode their own index, and labels with `counts` per class."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts).astype(label_dtype)
    rng.shuffle(y)
    x = np.repeat(np.arange(len(y))[:, None], features, axis=1).astype(dtype)
    return x, y


def test_exact_counts_no_duplicates_and_rows_match_indices():
    x, y = labelled([50, 40, 30])
    sub = stratified_subset(x, y, per_class=20, seed=0)
    assert isinstance(sub, Subset) and len(sub) == 60
    assert sub.counts == {0: 20, 1: 20, 2: 20}
    np.testing.assert_array_equal(np.bincount(sub.y), [20, 20, 20])
    assert len(np.unique(sub.indices)) == 60 and sub.indices.dtype == np.int64
    np.testing.assert_array_equal(sub.x, x[sub.indices])
    np.testing.assert_array_equal(sub.y, y[sub.indices])
    assert sub.x.dtype == np.float32 and sub.y.dtype == np.int64
    assert type(sub.x) is np.ndarray


def test_order_is_shuffled_across_classes():
    x, y = labelled([200] * 10)
    sub = stratified_subset(x, y, per_class=100, seed=0)
    # The walkthrough's loop returns labels sorted by class (9 label changes);
    # a random order of 10 balanced classes changes label ~90% of the time.
    changes = int(np.count_nonzero(np.diff(sub.y)))
    assert changes > 800
    assert len(set(sub.y[:100].tolist())) == 10


def test_same_seed_same_subset_different_seed_different_subset():
    x, y = labelled([300, 300, 300])
    a = stratified_subset(x, y, per_class=50, seed=7)
    b = stratified_subset(x, y, per_class=50, seed=7)
    c = stratified_subset(x, y, per_class=50, seed=8)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert a.seed == 7


def test_seed_none_records_a_seed_that_reproduces_it():
    x, y = labelled([30, 30])
    first = stratified_subset(x, y, per_class=10)
    assert isinstance(first.seed, int)
    again = stratified_subset(x, y, per_class=10, seed=first.seed)
    np.testing.assert_array_equal(first.indices, again.indices)


def test_one_hot_labels_stay_one_hot():
    x, y = labelled([40, 25, 30])
    onehot = np.eye(3, dtype=np.float32)[y]
    sub = stratified_subset(x, onehot, per_class=20, seed=0)
    assert sub.y.shape == (60, 3) and sub.y.dtype == np.float32
    assert sub.counts == {0: 20, 1: 20, 2: 20}
    np.testing.assert_array_equal(sub.y, onehot[sub.indices])
    # Same draw as with the integer labels.
    np.testing.assert_array_equal(
        sub.indices, stratified_subset(x, y, per_class=20, seed=0).indices)


def test_column_labels_and_whole_float_labels():
    x, y = labelled([12, 12])
    column = stratified_subset(x, y[:, None].astype(np.uint8), per_class=5, seed=1)
    assert column.y.shape == (10, 1) and column.y.dtype == np.uint8
    floats = stratified_subset(x, y.astype(np.float64), per_class=5, seed=1)
    np.testing.assert_array_equal(floats.indices, column.indices)


def test_fraction_keeps_class_proportions():
    x, y = labelled([600, 300, 100])
    sub = stratified_subset(x, y, fraction=0.1, seed=0)
    assert sub.counts == {0: 60, 1: 30, 2: 10}
    # Largest-remainder rounding: the total is round(fraction * n).
    x, y = labelled([7, 7, 6])
    sub = stratified_subset(x, y, fraction=0.5, seed=0)
    assert len(sub) == 10 and sorted(sub.counts.values()) == [3, 3, 4]
    assert stratified_subset(x, y, fraction=1.0, seed=0).counts == {0: 7, 1: 7, 2: 6}


def test_short_class_error_and_allow_fewer():
    x, y = labelled([50, 8, 50])
    with pytest.raises(InvalidInputError,
                       match=r"Class 1 has only 8 samples, fewer than per_class=10.*"
                             r"allow_fewer=True"):
        stratified_subset(x, y, per_class=10, seed=0)
    sub = stratified_subset(x, y, per_class=10, seed=0, allow_fewer=True)
    assert sub.counts == {0: 10, 1: 8, 2: 10}


def test_empty_one_hot_column_is_a_short_class():
    y = np.zeros((20, 3), dtype=np.uint8)
    y[:10, 0] = 1
    y[10:, 2] = 1
    with pytest.raises(InvalidInputError, match="Class 1 has only 0 samples"):
        stratified_subset(np.zeros((20, 2)), y, per_class=5, seed=0)


def test_missing_integer_class_ids_are_not_classes():
    x = np.zeros((20, 1))
    y = np.array([0] * 10 + [2] * 10)
    assert stratified_subset(x, y, per_class=5, seed=0).counts == {0: 5, 2: 5}


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, InvalidInputError, "exactly one of `per_class` and `fraction`.*per_class=None"),
    ({"per_class": 2, "fraction": 0.5}, InvalidInputError, "exactly one of"),
    ({"per_class": 0}, InvalidInputError, r"`per_class` must be >= 1. Received: per_class=0"),
    ({"per_class": 2.5}, InvalidTypeError, "`per_class` must be an integer"),
    ({"fraction": 0.0}, InvalidInputError, r"`fraction` must be > 0.0"),
    ({"fraction": 1.5}, InvalidInputError, r"`fraction` must be <= 1.0"),
    ({"fraction": 0.01}, InvalidInputError, "`fraction` is too small"),
    ({"per_class": 2, "seed": -1}, InvalidInputError, "`seed` must be >= 0"),
    ({"per_class": 2, "seed": "0"}, InvalidTypeError, "`seed` must be an integer"),
])
def test_bad_options(kwargs, error, match):
    x, y = labelled([10, 10])
    with pytest.raises(error, match=match):
        stratified_subset(x, y, **kwargs)


@pytest.mark.parametrize("x, y, error, match", [
    (np.zeros((5, 2)), np.zeros(4, int), InvalidInputError,
     r"same number of samples. Received: len\(x\)=5, len\(y\)=4"),
    (np.zeros((0, 2)), np.zeros(0, int), InvalidInputError, "`x` must not be empty"),
    (np.zeros(3), np.array([0, 1, -2]), InvalidInputError,
     r"non-negative class ids; y\[2\]=-2"),
    (np.zeros(3), np.array([0, 1.5, 1]), InvalidInputError,
     r"integer class ids; y\[1\]=.*1\.5"),
    (np.zeros(3), np.array([0, np.nan, 1]), InvalidInputError, "integer class ids"),
    (np.zeros(3), np.array(["a", "b", "a"]), InvalidTypeError, "`y` must hold numbers"),
    (np.zeros(3), np.array([True, False, True]), InvalidTypeError, "not booleans"),
    (np.zeros(2), np.array([[1, 0, 0], [0, 1, 1]]), InvalidInputError,
     r"must be one-hot.*row 1 is \[0, 1, 1\]"),
    (np.zeros(2), np.array([[0.5, 0.5], [0, 1]]), InvalidInputError, "row 0"),
    (np.zeros(2), np.zeros((2, 2, 2)), InvalidInputError, "1-D class ids or 2-D one-hot"),
    (np.zeros(2), np.array([0, 10**12]), InvalidInputError, "class ids must be small"),
    (np.array([None, None]), np.array([0, 1]), InvalidTypeError, "object array"),
    ("abc", np.array([0, 1, 1]), InvalidTypeError, "`x` must be an array"),
])
def test_bad_arrays(x, y, error, match):
    with pytest.raises(error, match=match):
        stratified_subset(x, y, per_class=1, seed=0)


def test_memmap_source_is_not_copied(tmp_path):
    n, width = 200_000, 256
    x = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.uint8,
                                  shape=(n, width))  # sparse: never filled
    x[::1000] = 7
    x.flush()
    y = np.lib.format.open_memmap(tmp_path / "y.npy", mode="w+", dtype=np.uint8,
                                  shape=(n,))
    y[:] = np.arange(n) % 10
    y.flush()
    del x, y
    x = np.load(tmp_path / "x.npy", mmap_mode="r")
    y = np.load(tmp_path / "y.npy", mmap_mode="r")
    tracemalloc.start()
    try:
        sub = stratified_subset(x, y, per_class=100, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert type(sub.x) is np.ndarray and sub.x.shape == (1000, width)
    np.testing.assert_array_equal(sub.x, x[sub.indices])
    # Memory follows the labels (~26 bytes per row), not the 51 MB of images.
    assert peak < 0.2 * x.nbytes, (peak, x.nbytes)


@pytest.mark.parametrize("chunk", [1, 97, 4096, 1 << 20])
def test_chunked_rank_lookup_equals_a_global_stable_sort(chunk):
    from kerasdoc.data._subset import _ranks_to_indices

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 5000).astype(np.uint8)
    labels[labels == 5] = 4  # an absent class id
    available = np.bincount(labels, minlength=7)
    ranks = {c: rng.choice(int(available[c]), size=min(40, int(available[c])),
                           replace=False) for c in range(7) if available[c]}
    got = _ranks_to_indices(labels, 7, ranks, chunk=chunk)
    by_class = np.argsort(labels, kind="stable")
    starts = np.cumsum(available) - available
    for c, r in ranks.items():
        np.testing.assert_array_equal(got[c], by_class[starts[c] + r])
        assert (labels[got[c]] == c).all()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 60), min_size=1, max_size=8),
       per_class=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_property_balanced_unique_and_consistent(counts, per_class, seed):
    x, y = labelled(counts, features=1, label_dtype=np.uint8, seed=seed % 1000)
    if per_class > min(counts):
        with pytest.raises(InvalidInputError, match="fewer than per_class"):
            stratified_subset(x, y, per_class=per_class, seed=seed)
        sub = stratified_subset(x, y, per_class=per_class, seed=seed, allow_fewer=True)
        expected = [min(c, per_class) for c in counts]
    else:
        sub = stratified_subset(x, y, per_class=per_class, seed=seed)
        expected = [per_class] * len(counts)
    assert list(sub.counts.values()) == expected
    np.testing.assert_array_equal(np.bincount(sub.y, minlength=len(counts)), expected)
    assert len(np.unique(sub.indices)) == len(sub)
    np.testing.assert_array_equal(sub.x[:, 0], sub.indices)  # rows encode their index
    np.testing.assert_array_equal(sub.y, y[sub.indices])
