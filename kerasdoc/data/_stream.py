"""`tf.data.Dataset` inputs for the data audit: streamed once into a disk-backed array.

The audit reads its inputs several times (a chunked scan, then sampled rows
for the model-based checks), but a dataset can only be iterated, and may not
fit in memory. So the dataset is iterated ONCE, its inputs are appended
`chunk_size` rows at a time to a raw file in a temporary folder and
memory-mapped back as a `np.memmap`; the labels (a few bytes per sample) are
kept in memory. The folder is removed when the audit ends. TensorFlow is
never imported here: a `tf.data.Dataset` can only exist if it already was.
"""

import contextlib
import os
import shutil
import sys
import tempfile

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import received

__all__ = ["is_dataset", "spooled"]


def is_dataset(value):
    """Whether `value` is a `tf.data.Dataset` (without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(value, tf.data.Dataset)


def _is_batched(x_spec, y_spec):
    """Infer from the element spec whether elements are batches.

    Unbatched: scalar labels, or fully known shapes whose leading dimensions
    differ between inputs and labels. Batched: an unknown leading dimension
    (`.batch()` without `drop_remainder`), or inputs and labels sharing it.
    """
    x_shape, y_shape = x_spec.shape, y_spec.shape
    if y_shape.rank == 0 or x_shape.rank is None or x_shape.rank < 2:
        return False
    if x_shape[0] is None:
        return True
    return y_shape.rank >= 1 and y_shape[0] == x_shape[0]


def _spool(dataset, x_name, y_name, chunk_size, folder):
    spec = dataset.element_spec
    if not (isinstance(spec, (tuple, list)) and len(spec) == 2
            and all(hasattr(s, "shape") for s in spec)):
        raise InvalidInputError(
            f"`{x_name}` must be a tf.data.Dataset of (x, y) pairs (or batches of "
            f"them). Received: {x_name}.element_spec={spec!r}")
    if not _is_batched(*spec):
        dataset = dataset.batch(chunk_size)
    path = os.path.join(folder, f"{x_name}.raw")
    labels, n, sample_shape, dtype = [], 0, None, None
    with open(path, "wb") as handle:
        for x, y in dataset.as_numpy_iterator():
            x, y = np.asarray(x), np.asarray(y)
            if sample_shape is None:
                sample_shape, dtype = x.shape[1:], x.dtype
            if x.shape[1:] != sample_shape or x.dtype != dtype or len(y) != len(x):
                raise InvalidInputError(
                    f"Every batch of `{x_name}` must hold inputs of one shape and dtype "
                    f"and as many labels as inputs; batch at row {n} has x {x.shape} "
                    f"{x.dtype}, y {y.shape} after x {sample_shape} {dtype}. "
                    f"{received(x_name, dataset)}")
            if x.dtype == object or not (np.issubdtype(x.dtype, np.number)
                                         or x.dtype == np.bool_):
                raise InvalidTypeError(
                    f"`{x_name}` must yield numeric inputs, not dtype {x.dtype}. "
                    f"{received(x_name, dataset)}")
            handle.write(np.ascontiguousarray(x).tobytes())
            labels.append(y)
            n += len(x)
    if n == 0:
        raise InvalidInputError(f"`{x_name}` yielded no samples. {received(x_name, dataset)}")
    x = np.memmap(path, dtype=dtype, mode="r", shape=(n,) + sample_shape)
    return x, np.concatenate(labels)


@contextlib.contextmanager
def spooled(pairs, *, chunk_size):
    """Arrays for `pairs` of `(x, y, x_name, y_name)`; datasets are streamed once.

    Yields a list of `(x, y)`; an `x` that is a `tf.data.Dataset` (whose `y`
    must be None: its labels come from its elements) is replaced by a
    read-only `np.memmap` of its inputs, removed on exit.
    """
    folder = None
    try:
        out = []
        for x, y, x_name, y_name in pairs:
            if not is_dataset(x):
                out.append((x, y))
                continue
            if y is not None:
                raise InvalidInputError(
                    f"`{y_name}` must be None when `{x_name}` is a tf.data.Dataset: the "
                    f"labels come from its (x, y) elements. {received(y_name, y)}")
            if folder is None:
                folder = tempfile.mkdtemp(prefix="kerasdoc-stream-")
            out.append(_spool(x, x_name, y_name, chunk_size, folder))
        yield out
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
