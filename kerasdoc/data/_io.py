"""Saving subsets as `.npy` files with a manifest (`load_subset` reads them back).

`save_subset` writes the walkthrough's file names (`x_train_s.npy`,
`y_train_s.npy`, `x_test_s.npy`, `y_test_s.npy`) and a `manifest.json`
holding the source, the seed, per-class counts, the source indices, the
sha256, shape and dtype of every file and the kerasdoc and numpy versions.
Everything is written into a temporary directory beside the target first and
moved in with `os.replace`, the manifest last, so an interrupted write never
leaves something `load_subset` accepts.
"""

import hashlib
import json
import numbers
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import check_array, check_same_length, received
from kerasdoc.data._subset import Subset, class_counts, labels_to_int

__all__ = ["save_subset", "MANIFEST_NAME", "SUBSET_FILES"]

MANIFEST_NAME = "manifest.json"
FORMAT = "kerasdoc.subset"
FORMAT_VERSION = 1
SUBSET_FILES = {
    "train": ("x_train_s.npy", "y_train_s.npy"),
    "test": ("x_test_s.npy", "y_test_s.npy"),
}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_npy(path, array):
    with open(path, "wb") as handle:
        np.save(handle, array, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


def _split_arrays(split, x, y, indices):
    if x is None and y is None:
        return None
    if x is None or y is None:
        raise InvalidInputError(
            f"Give both `x_{split}` and `y_{split}`, or neither. Received: "
            f"x_{split}={'None' if x is None else 'array'}, "
            f"y_{split}={'None' if y is None else 'array'}")
    x = check_array(x, f"x_{split}", numeric=False)
    if x.dtype == object:
        raise InvalidTypeError(f"`x_{split}` must not be an object array. "
                               f"{received(f'x_{split}', x)}")
    y = check_array(y, f"y_{split}")
    check_same_length(x, f"x_{split}", y, f"y_{split}")
    labels, n_classes = labels_to_int(y, f"y_{split}")
    if indices is not None:
        indices = check_array(indices, f"indices[{split!r}]", max_ndim=1)
        if not np.issubdtype(indices.dtype, np.integer) or len(indices) != len(x):
            raise InvalidInputError(
                f"`indices[{split!r}]` must be {len(x)} integer source indices, one "
                f"per row of x_{split}. {received(f'indices[{split!r}]', indices)}")
        indices = [int(i) for i in indices]
    return np.asarray(x), np.asarray(y), class_counts(labels, n_classes), indices


def _to_json(manifest):
    """Indented JSON, but each list of numbers on one line (indices, shapes)."""
    def compact(value):
        if isinstance(value, list) and value and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            return "\x00" + json.dumps(value, separators=(",", ":")) + "\x00"
        if isinstance(value, dict):
            return {k: compact(v) for k, v in value.items()}
        return value

    text = json.dumps(compact(manifest), indent=1)
    return text.replace('"\\u0000', "").replace('\\u0000"', "") + "\n"


def _normalize_indices(indices, train, test):
    if indices is None:
        result = {}
    elif isinstance(indices, dict):
        unknown = set(indices) - {"train", "test"}
        if unknown:
            raise InvalidInputError(
                "`indices` keys must be 'train' and/or 'test'. "
                f"{received('indices', sorted(unknown))}")
        result = dict(indices)
    else:
        result = {"train": indices}
    for split, sub in (("train", train), ("test", test)):
        if sub is not None and split not in result:
            result[split] = sub.indices
    return result


def save_subset(out_dir, *, x_train=None, y_train=None, x_test=None, y_test=None,
                train: Subset | None = None, test: Subset | None = None,
                class_names=None, source=None, seed: int | None = None,
                indices=None, overwrite: bool = False) -> Path:
    """Save a subset as `.npy` files plus a `manifest.json`, atomically.

    Args:
        out_dir: Directory to create (or fill, if it exists without a subset).
        x_train, y_train: Training arrays. Defaults to `None` (then `train`
            must be given).
        x_test, y_test: Test arrays, optional. Defaults to `None`.
        train, test: `Subset` results of `stratified_subset`, instead of the
            arrays; their indices and seed go into the manifest. Defaults to
            `None`.
        class_names: Names of the classes, in class-id order. Defaults to `None`.
        source: JSON-serialisable description of where the data came from
            (e.g. a dataset name and directory). Defaults to `None`.
        seed: Seed that built the subset. Defaults to `None` (the seed of
            `train`, if given).
        indices: Source indices: an array (train) or a dict with keys
            `'train'`/`'test'`. Defaults to `None` (those of `train`/`test`).
        overwrite: Replace an existing subset in `out_dir`. Defaults to `False`.

    Returns:
        The `pathlib.Path` of the directory written.

    Raises:
        InvalidInputError: missing or mismatched arrays, bad class names, or
            an existing subset without `overwrite=True`.

    Example:

    >>> sub = stratified_subset(x, y, per_class=100, seed=0)
    >>> save_subset("tmp", train=sub, class_names=names, seed=0)
    """
    for split, sub in (("train", train), ("test", test)):
        if sub is None:
            continue
        if not isinstance(sub, Subset):
            raise InvalidTypeError(f"`{split}` must be a Subset from stratified_subset. "
                                   f"{received(split, sub)}")
        if (x_train if split == "train" else x_test) is not None:
            raise InvalidInputError(f"Give `{split}` or `x_{split}`/`y_{split}`, not both.")
    if train is not None:
        x_train, y_train = train.x, train.y
        seed = train.seed if seed is None else seed
    if test is not None:
        x_test, y_test = test.x, test.y
    if x_train is None and y_train is None:
        raise InvalidInputError("`x_train` and `y_train` (or `train`) are required. "
                                "Received: x_train=None, y_train=None")
    index_map = _normalize_indices(indices, train, test)
    splits = {}
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        parsed = _split_arrays(split, x, y, index_map.get(split))
        if parsed is not None:
            splits[split] = parsed
    if "test" not in splits and "test" in index_map:
        raise InvalidInputError("`indices['test']` was given without x_test/y_test.")
    n_classes = max(len(s[2]) for s in splits.values())
    if class_names is not None:
        if isinstance(class_names, str) or not isinstance(class_names, Iterable) or not all(
                isinstance(n, str) for n in class_names):
            raise InvalidTypeError("`class_names` must be a sequence of strings. "
                                   f"{received('class_names', class_names)}")
        class_names = list(class_names)
        if len(class_names) < n_classes:
            raise InvalidInputError(
                f"`class_names` has {len(class_names)} names but the labels use "
                f"{n_classes} classes. {received('class_names', class_names)}")
    try:
        json.dumps(source)
    except (TypeError, ValueError):
        raise InvalidTypeError("`source` must be JSON-serialisable. "
                               f"{received('source', source)}") from None
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise InvalidTypeError(
                f"`seed` must be an integer or None. {received('seed', seed)}")
        seed = int(seed)

    if not isinstance(out_dir, (str, os.PathLike)) or "\x00" in os.fspath(out_dir):
        raise InvalidTypeError(f"`out_dir` must be a path. {received('out_dir', out_dir)}")
    out_dir = Path(out_dir)
    existing = out_dir.exists()
    if existing and not out_dir.is_dir():
        raise InvalidInputError(f"`out_dir` exists and is not a directory. "
                                f"{received('out_dir', str(out_dir))}")
    names = [MANIFEST_NAME] + [n for pair in SUBSET_FILES.values() for n in pair]
    if existing and not overwrite:
        clash = [n for n in names if (out_dir / n).exists()]
        if clash:
            raise InvalidInputError(
                f"{out_dir} already holds a subset ({', '.join(clash)}); pass "
                f"overwrite=True (--overwrite) to replace it. "
                f"{received('out_dir', str(out_dir))}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)

    from kerasdoc import __version__

    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "source": source, "seed": seed,
        "class_names": class_names,
        "kerasdoc_version": __version__, "numpy_version": np.__version__,
        "splits": {}, "files": {},
    }
    split_seeds = {split: sub.seed for split, sub in (("train", train), ("test", test))
                   if sub is not None}
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the subset is a normal folder
    try:
        for split, (x, y, counts, idx) in splits.items():
            x_name, y_name = SUBSET_FILES[split]
            for name, array in ((x_name, x), (y_name, y)):
                _write_npy(tmp / name, array)
                manifest["files"][name] = {
                    "sha256": _sha256(tmp / name), "bytes": (tmp / name).stat().st_size,
                    "shape": list(array.shape), "dtype": array.dtype.str,
                }
            manifest["splits"][split] = {
                "x": x_name, "y": y_name, "n": int(len(x)),
                "counts": {str(c): n for c, n in counts.items()},
                "seed": split_seeds.get(split),
                "indices": idx,
            }
        text = _to_json(manifest)
        with open(tmp / MANIFEST_NAME, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if not existing:
            os.replace(tmp, out_dir)  # one atomic rename of the whole directory
            return out_dir
        # The directory holds other files too: retire the old manifest first
        # (no manifest = no subset), move the arrays in, the manifest last.
        (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
        for name in names[1:]:
            if name not in manifest["files"]:
                (out_dir / name).unlink(missing_ok=True)
        for name in manifest["files"]:
            os.replace(tmp / name, out_dir / name)
        os.replace(tmp / MANIFEST_NAME, out_dir / MANIFEST_NAME)
        return out_dir
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
