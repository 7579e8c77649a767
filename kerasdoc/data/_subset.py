"""Class-balanced (stratified) subsets that never copy the whole of `x`.

The walkthrough draws 100 random indices per class with `np.where` and
concatenates them class by class, so its subset is sorted by label (every
batch then holds one class). `stratified_subset` draws the same kind of
subset in one pass over the labels and shuffles the final order across
classes. Only the chosen rows of `x` are read, in increasing index order, so
`x` can be a memory-mapped `.npy` far larger than memory.
"""

from dataclasses import dataclass, field

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import (check_array, check_float, check_int,
                                  check_same_length, received)

_MAX_CLASS_ID = 1 << 24  # guards np.bincount against ids such as 10**12

__all__ = ["Subset", "stratified_subset", "labels_to_int", "class_counts"]


@dataclass(frozen=True, eq=False)
class Subset:
    """The result of `stratified_subset`.

    Attributes:
        x: The chosen rows of `x`, in the shuffled order (a plain in-memory
            array with the dtype of `x`).
        y: The matching labels, same format and dtype as the input labels.
        indices: `int64` indices of the rows in the source arrays, so
            `x[indices]` equals `self.x`.
        counts: `{class: count}` of the subset, for every class of the source.
        seed: The seed that reproduces this subset (drawn from fresh entropy
            and recorded here when none was given).
    """

    x: np.ndarray
    y: np.ndarray
    indices: np.ndarray
    counts: dict = field(default_factory=dict)
    seed: int | None = None

    def __len__(self):
        return len(self.indices)

    def __repr__(self):
        return (f"Subset(n={len(self)}, x.shape={self.x.shape}, "
                f"x.dtype={self.x.dtype}, counts={self.counts}, seed={self.seed})")


def _id_dtype(n_classes):
    """The narrowest unsigned dtype for class ids below `n_classes`.

    Narrow ids keep memory at a few bytes per row, and numpy sorts 8- and
    16-bit keys with a linear-time radix sort.
    """
    if n_classes <= 1 << 8:
        return np.uint8
    return np.uint16 if n_classes <= 1 << 16 else np.uint32


def labels_to_int(y, name="y"):
    """Integer class ids (`int64`, 1-D) from integer or one-hot labels.

    Accepts integer arrays of shape `(n,)` or `(n, 1)`, float arrays holding
    whole numbers, and one-hot arrays of shape `(n, n_classes)`.

    Returns:
        `(labels, n_classes)`: 1-D class ids in the narrowest unsigned dtype
        (a view of `y` when no conversion is needed) and `n_classes`, the
        one-hot width or `max(labels) + 1`.
    """
    y = check_array(y, name)
    if y.dtype == np.bool_ and y.ndim == 1:
        raise InvalidTypeError(
            f"`{name}` must hold integer class ids, not booleans. {received(name, y)}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            whole = np.isfinite(y) & (y == np.round(y))
            if not whole.all():
                bad = int(np.argmin(whole))
                raise InvalidInputError(
                    f"`{name}` must hold integer class ids; {name}[{bad}]={y[bad]!r} "
                    f"is not a whole number. {received(name, y)}")
        low = y.min()
        if low < 0:
            bad = int(np.argmin(y))
            raise InvalidInputError(
                f"`{name}` must hold non-negative class ids; {name}[{bad}]={int(low)}. "
                f"{received(name, y)}")
        high = int(y.max())
        if high >= _MAX_CLASS_ID:
            raise InvalidInputError(
                f"`{name}` holds class id {high}; class ids must be small integers "
                f"0..n_classes-1 (below {_MAX_CLASS_ID}). Map your labels to class "
                f"ids first, e.g. with np.unique(y, return_inverse=True). "
                f"{received(name, y)}")
        return y.astype(_id_dtype(high + 1), copy=False), high + 1
    if y.ndim == 2:
        ones = y == 1
        valid = ((ones | (y == 0)).all(axis=1)) & (ones.sum(axis=1) == 1)
        if not valid.all():
            bad = int(np.argmin(valid))
            raise InvalidInputError(
                f"`{name}` has {y.shape[1]} columns, so it must be one-hot: every row "
                f"exactly one 1 and zeros elsewhere; row {bad} is {y[bad].tolist()}. "
                f"{received(name, y)}")
        return np.argmax(y, axis=1).astype(_id_dtype(y.shape[1])), y.shape[1]
    raise InvalidInputError(
        f"`{name}` must be 1-D class ids or 2-D one-hot rows, got {y.ndim} dimensions. "
        f"{received(name, y)}")


def _bincount(labels, n_classes, chunk=1 << 20):
    """np.bincount in chunks: its int64 temporary stays at 8 MB, not 8 bytes/row."""
    counts = np.zeros(n_classes, dtype=np.int64)
    for start in range(0, len(labels), chunk):
        counts += np.bincount(labels[start:start + chunk], minlength=n_classes)
    return counts


def class_counts(labels, n_classes=None):
    """`{class: count}` for integer `labels` (classes `0..n_classes-1`)."""
    n_classes = n_classes or (int(labels.max()) + 1 if len(labels) else 0)
    return {int(c): int(n) for c, n in enumerate(_bincount(labels, n_classes))}


def _ranks_to_indices(labels, n_classes, ranks, chunk=1 << 20):
    """Map `{class: ranks}` (r-th sample of the class) to source row indices.

    One pass over the labels in chunks: each chunk is grouped by class with a
    stable argsort (radix sort for 8/16-bit ids), so memory stays at a few MB
    whatever the number of rows, and the result equals a stable argsort of
    all labels indexed at `start_of_class + rank`.
    """
    order_of = {c: np.argsort(r, kind="stable") for c, r in ranks.items()}
    sorted_ranks = {c: r[order_of[c]] for c, r in ranks.items()}
    found = {c: np.empty(len(r), dtype=np.int64) for c, r in ranks.items()}
    done = dict.fromkeys(ranks, 0)
    seen = np.zeros(n_classes, dtype=np.int64)
    for start in range(0, len(labels), chunk):
        part = labels[start:start + chunk]
        grouped = np.argsort(part, kind="stable")
        counts = np.bincount(part, minlength=n_classes)
        offsets = np.cumsum(counts) - counts
        for c, wanted in sorted_ranks.items():
            stop = int(np.searchsorted(wanted, seen[c] + counts[c]))
            if stop > done[c]:
                local = wanted[done[c]:stop] - seen[c] + offsets[c]
                found[c][done[c]:stop] = grouped[local] + start
                done[c] = stop
        seen += counts
    result = {}
    for c in ranks:
        result[c] = np.empty_like(found[c])
        result[c][order_of[c]] = found[c]
    return result


def _largest_remainder(fraction, available):
    """Per-class counts of `fraction` of each class, summing to round(fraction * n)."""
    exact = fraction * available.astype(np.float64)
    take = np.floor(exact).astype(np.int64)
    missing = int(round(fraction * int(available.sum()))) - int(take.sum())
    if missing > 0:
        order = np.argsort(-(exact - take), kind="stable")
        take[order[:missing]] += 1
    return np.minimum(take, available)


def stratified_subset(x, y, *, per_class: int | None = None,
                      fraction: float | None = None, seed: int | None = None,
                      allow_fewer: bool = False) -> Subset:
    """Draw a class-balanced random subset, shuffled across classes.

    Exactly `per_class` samples of every class (or `fraction` of each class,
    rounded by largest remainder so the class proportions hold), no index
    twice, in a random order that mixes classes. The same `seed` gives the
    same subset on any machine (`np.random.Generator`, PCG64). The labels are
    read once; of `x`, only the chosen rows are read (sorted, so a
    memory-mapped `.npy` is read front to back), so `x` may be far larger
    than memory.

    Args:
        x: Inputs, any array with `len(x) == len(y)` (may be a `np.memmap`).
        y: Integer class ids (`(n,)` or `(n, 1)`) or one-hot rows
            (`(n, n_classes)`); returned in the same format and dtype.
        per_class: Number of samples to draw from every class. Give exactly
            one of `per_class` and `fraction`. Defaults to `None`.
        fraction: Share of every class to draw, in `(0, 1]`. Defaults to `None`.
        seed: Integer seed; `None` draws one from fresh entropy and records it
            in the result's `seed`. Defaults to `None`.
        allow_fewer: With `per_class`, take all samples of a class that has
            fewer than asked instead of raising. Defaults to `False`.

    Returns:
        A `Subset` with `x`, `y`, `indices` (source rows), `counts` and `seed`.

    Raises:
        InvalidInputError: mismatched lengths, empty arrays, negative or
            non-integer labels, both or neither of `per_class`/`fraction`, or a
            class with fewer samples than asked.

    Example:

    >>> (x, y), _, names = kerasdoc.datasets.load_fashion_mnist()
    >>> sub = stratified_subset(x, y, per_class=100, seed=0)
    >>> sub.x.shape, sub.counts[0]
    ((1000, 28, 28), 100)
    """
    if (per_class is None) == (fraction is None):
        raise InvalidInputError(
            "Give exactly one of `per_class` and `fraction`. "
            f"Received: per_class={per_class!r}, fraction={fraction!r}")
    per_class = check_int(per_class, "per_class", minimum=1, allow_none=True)
    if fraction is not None:
        fraction = check_float(fraction, "fraction", minimum=0.0, maximum=1.0,
                               exclusive_minimum=True)
    seed = check_int(seed, "seed", minimum=0, allow_none=True)
    x = check_array(x, "x", numeric=False)
    if x.dtype == object:
        raise InvalidTypeError(f"`x` must not be an object array. {received('x', x)}")
    y_source = check_array(y, "y")
    check_same_length(x, "x", y_source, "y")
    y_memory = np.array(y_source)  # the labels are read once, into memory
    labels, n_classes = labels_to_int(y_memory, "y")
    available = _bincount(labels, n_classes)
    present = available > 0
    if y_memory.ndim == 2 and y_memory.shape[1] > 1 and not present.all():
        # one-hot columns declare the classes; an empty column is a class too
        present = np.ones_like(present)

    if per_class is not None:
        wanted = min(per_class, int(available.max()) + 1)  # numpy-safe for huge asks
        take = np.where(present, wanted, 0)
        short = np.flatnonzero(present & (available < wanted))
        if short.size and not allow_fewer:
            c = int(short[0])
            others = "" if short.size == 1 else (
                f" ({short.size} classes are short: {short.tolist()})")
            raise InvalidInputError(
                f"Class {c} has only {int(available[c])} samples, fewer than "
                f"per_class={per_class}{others}. Lower `per_class` or pass "
                f"allow_fewer=True to take every sample of the short classes. "
                f"Received: per_class={per_class}")
        take = np.minimum(take, available)
    else:
        take = _largest_remainder(fraction, available)
        if take.sum() == 0:
            raise InvalidInputError(
                f"`fraction` is too small: it selects no sample of {len(labels)}. "
                f"{received('fraction', fraction)}")

    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    rng = np.random.default_rng(seed)
    # The r-th sample of class c (in index order) for the drawn ranks r.
    ranks = {c: rng.choice(int(available[c]), size=int(take[c]), replace=False)
             for c in range(n_classes) if take[c] > 0}
    indices = np.concatenate(list(_ranks_to_indices(labels, n_classes, ranks).values()))
    del labels
    indices = indices[rng.permutation(len(indices))].astype(np.int64, copy=False)

    order = np.argsort(indices, kind="stable")
    x_sub = np.empty((len(indices),) + x.shape[1:], dtype=x.dtype)
    x_sub[order] = np.take(x, indices[order], axis=0)  # front-to-back read
    y_sub = np.asarray(y_memory[indices])
    counts = {int(c): int(take[c]) for c in range(n_classes) if present[c]}
    return Subset(x=x_sub, y=y_sub, indices=indices, counts=counts, seed=seed)
