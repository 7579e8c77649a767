"""Loading subsets written by `save_subset`, verified against the manifest."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerasdoc._errors import DataIntegrityError, InvalidInputError, InvalidTypeError
from kerasdoc._validation import received
from kerasdoc.data._io import FORMAT, MANIFEST_NAME, SUBSET_FILES, _sha256
from kerasdoc.data._subset import class_counts, labels_to_int

__all__ = ["LoadedSubset", "load_subset"]


@dataclass(frozen=True, eq=False)
class LoadedSubset:
    """A subset read back by `load_subset`, verified against its manifest.

    Attributes:
        x_train, y_train: The training arrays.
        x_test, y_test: The test arrays, or `None` if none were saved.
        class_names: Tuple of class names, or `None`.
        manifest: The parsed `manifest.json` (a dict).
        path: The directory it was read from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    class_names: tuple | None
    manifest: dict
    path: Path

    def __repr__(self):
        test = None if self.x_test is None else self.x_test.shape
        return (f"LoadedSubset(path={str(self.path)!r}, x_train={self.x_train.shape}, "
                f"x_test={test}, classes={len(self.class_names or ())})")


def _fail(directory, message):
    raise DataIntegrityError(f"Subset in {directory}: {message}")


def _read_manifest(directory):
    path = directory / MANIFEST_NAME
    if not path.is_file():
        _fail(directory, f"{MANIFEST_NAME} is missing (not a kerasdoc subset, or an "
                         "interrupted write). Rebuild it with `kerasdoc subset`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(directory, f"{MANIFEST_NAME} is not valid JSON ({exc}).")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not \
            isinstance(manifest.get("files"), dict) or not isinstance(
                manifest.get("splits"), dict) or "train" not in manifest["splits"]:
        _fail(directory, f"{MANIFEST_NAME} is not a {FORMAT} manifest.")
    return manifest


def _load_file(directory, name, entry):
    path = directory / name
    if not path.is_file():
        _fail(directory, f"{name} is missing.")
    if entry is not None:
        size = path.stat().st_size
        if size != entry.get("bytes", size):
            _fail(directory, f"{name} is truncated or modified: {size} bytes, the "
                             f"manifest says {entry['bytes']}.")
        digest = _sha256(path)
        if digest != entry.get("sha256"):
            _fail(directory, f"{name} was modified: sha256 {digest[:12]}... does not "
                             f"match the manifest's {str(entry.get('sha256'))[:12]}...")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        _fail(directory, f"{name} is not a readable .npy file ({exc}).")
    if entry is not None and (list(array.shape) != entry.get("shape")
                              or array.dtype.str != entry.get("dtype")):
        _fail(directory, f"{name} holds shape {array.shape} dtype {array.dtype.str}; "
                         f"the manifest says {entry.get('shape')} {entry.get('dtype')}.")
    return array


def load_subset(directory, *, verify: bool = True) -> LoadedSubset:
    """Load a subset written by `save_subset` (or the bundled `data/`).

    Files are read with `allow_pickle=False`. With `verify=True` the sha256,
    size, shape and dtype of every file and the per-class counts are checked
    against `manifest.json`.

    Args:
        directory: The subset directory.
        verify: Check the files against the manifest. With `False`, a
            directory holding only the walkthrough's four `.npy` files (no
            manifest) is accepted too. Defaults to `True`.

    Returns:
        A `LoadedSubset` with `x_train`, `y_train`, `x_test`, `y_test`,
        `class_names`, `manifest` and `path`.

    Raises:
        InvalidInputError: `directory` does not exist or is not a directory.
        DataIntegrityError: a file is missing, truncated or modified, or the
            manifest is missing or unreadable.

    Example:

    >>> data = load_subset("data")
    >>> data.x_train.shape, data.class_names[6]
    ((1000, 28, 28), 'Shirt')
    """
    if not isinstance(directory, (str, os.PathLike)):
        raise InvalidTypeError(f"`directory` must be a path. {received('directory', directory)}")
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidInputError(f"Subset directory not found: {directory}. "
                                f"{received('directory', str(directory))}")
    if verify or (directory / MANIFEST_NAME).is_file():
        manifest = _read_manifest(directory)
    else:
        manifest = {"files": {}, "splits": {
            split: {"x": x, "y": y} for split, (x, y) in SUBSET_FILES.items()
            if split == "train" or (directory / x).is_file()}}
    files = manifest["files"] if verify else {}
    arrays = {}
    for split, info in manifest["splits"].items():
        if split not in SUBSET_FILES or not isinstance(info, dict):
            _fail(directory, f"unknown split {split!r} in {MANIFEST_NAME}.")
        x_name, y_name = SUBSET_FILES[split]
        if verify:
            for name in (x_name, y_name):
                if not isinstance(files.get(name), dict):
                    _fail(directory, f"{MANIFEST_NAME} has no entry for {name}, so it "
                                     "cannot be verified.")
        x = _load_file(directory, x_name, files.get(x_name) if verify else None)
        y = _load_file(directory, y_name, files.get(y_name) if verify else None)
        if len(x) != len(y):
            _fail(directory, f"{x_name} has {len(x)} rows but {y_name} has {len(y)}.")
        if verify:
            labels, n_classes = labels_to_int(y, y_name)
            counts = {str(c): n for c, n in class_counts(labels, n_classes).items()}
            expected = {k: v for k, v in info.get("counts", {}).items() if v}
            if {k: v for k, v in counts.items() if v} != expected:
                _fail(directory, f"{y_name} has class counts {counts}; the manifest "
                                 f"says {info.get('counts')}.")
        arrays[split] = (x, y)
    names = manifest.get("class_names")
    x_test, y_test = arrays.get("test", (None, None))
    return LoadedSubset(x_train=arrays["train"][0], y_train=arrays["train"][1],
                        x_test=x_test, y_test=y_test,
                        class_names=tuple(names) if names else None,
                        manifest=manifest, path=directory)
