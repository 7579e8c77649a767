"""The `keras.datasets` image sets read from files already on this machine; never downloaded.

`load_local(name, path)` reads mnist, fashion_mnist, cifar10 or cifar100 in
the formats `keras.datasets` stores them, from `path` or the Keras cache
(`~/.keras/datasets`, or `$KERAS_HOME/datasets`):

- mnist: `mnist.npz` (arrays `x_train`, `y_train`, `x_test`, `y_test`),
  read with `allow_pickle=False`;
- fashion_mnist: the four official IDX `.gz` files (see
  `kerasdoc.datasets.load_fashion_mnist`);
- cifar10: the folder `cifar-10-batches-py` (`data_batch_1` to
  `data_batch_5`, `test_batch`, `batches.meta`);
- cifar100: the folder `cifar-100-python` (`train`, `test`, `meta`), fine
  labels.

CIFAR's own files are Python pickles, and unpickling a file can run code.
They are therefore read only from a folder the user names explicitly
(`path`, the command line's `--data-dir`), never found by search, and with
an unpickler that builds nothing but plain containers, numbers, strings and
numpy arrays: any other object in the file is refused with
`DataIntegrityError`.

Nothing here imports TensorFlow or Keras.
"""

import os
import pickle
from pathlib import Path

import numpy as np

from kerasdoc._errors import DataIntegrityError, InvalidInputError

__all__ = ["KERAS_DATASETS", "CIFAR10_CLASS_NAMES", "load_local"]

KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100")
"""The `keras.datasets` names `load_local` reads."""

CIFAR10_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                       "horse", "ship", "truck")
_CIFAR_DIRS = {"cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}
_CIFAR_FILES = {
    "cifar10": ([f"data_batch_{i}" for i in range(1, 6)], ["test_batch"], "batches.meta",
                "labels", "label_names"),
    "cifar100": (["train"], ["test"], "meta", "fine_labels", "fine_label_names"),
}


def _keras_datasets_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _received(path):
    return f"Received: path={None if path is None else str(path)!r}"


def _check_images(name, x, y, file, pixel_shape):
    if x.dtype != np.uint8 or x.ndim != 1 + len(pixel_shape) or x.shape[1:] != pixel_shape:
        raise DataIntegrityError(
            f"{file} holds {name} images of shape {x.shape} dtype {x.dtype}, not "
            f"uint8 (N, {', '.join(map(str, pixel_shape))}). Received: path={str(file)!r}")
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise DataIntegrityError(
            f"{file} holds {len(x)} images but labels of shape {y.shape} dtype {y.dtype}. "
            f"Received: path={str(file)!r}")


def _load_mnist(path):
    candidates = []
    if path is not None:
        path = Path(path)
        candidates.append(path if path.suffix == ".npz" else path / "mnist.npz")
    candidates.append(_keras_datasets_dir() / "mnist.npz")
    file = next((c for c in candidates if c.is_file()), None)
    if file is None:
        raise InvalidInputError(
            "mnist.npz not found (looked for " + ", ".join(map(str, candidates)) + "). "
            "kerasdoc never downloads: run keras.datasets.mnist.load_data() once, or "
            f"point --data-dir at the folder holding mnist.npz. {_received(path)}")
    try:
        with np.load(file, allow_pickle=False) as archive:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test")
                       if k not in archive.files]
            if missing:
                raise DataIntegrityError(
                    f"{file} lacks {', '.join(missing)} (it holds {archive.files}). "
                    f"Received: path={str(file)!r}")
            arrays = {k: archive[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except DataIntegrityError:
        raise
    except Exception as exc:  # not a zip, a damaged member, pickled arrays...
        raise DataIntegrityError(
            f"{file} is not a readable .npz archive of arrays ({type(exc).__name__}: "
            f"{exc}). Received: path={str(file)!r}") from None
    for split in ("train", "test"):
        _check_images("mnist", arrays[f"x_{split}"], arrays[f"y_{split}"], file, (28, 28))
    names = tuple(str(i) for i in range(10))
    return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]),
            names)


class _PlainUnpickler(pickle.Unpickler):
    """Builds only what CIFAR's files hold: dicts, lists, bytes, numbers, numpy arrays.

    The only callables it hands the pickle are numpy's array reconstructors
    and `codecs.encode` (how Python 3 writes bytes at protocol 2).
    """

    def find_class(self, module, name):
        if name in ("_reconstruct", "scalar") and module in (
                "numpy.core.multiarray", "numpy._core.multiarray"):
            try:
                from numpy._core import multiarray
            except ImportError:  # numpy < 2
                from numpy.core import multiarray
            return getattr(multiarray, name)
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if (module, name) == ("_codecs", "encode"):  # bytes, in Python 3's protocol 2
            import codecs

            return codecs.encode
        raise DataIntegrityError(
            f"{self.file_name} holds a pickled {module}.{name}, which a CIFAR file never "
            f"does; it is not loaded (unpickling it could run code). "
            f"Received: path={self.file_name!r}")


def _unpickle(file):
    try:
        with open(file, "rb") as handle:
            unpickler = _PlainUnpickler(handle, encoding="bytes")
            unpickler.file_name = str(file)
            value = unpickler.load()
    except DataIntegrityError:
        raise
    except Exception as exc:  # truncated, not a pickle, ...
        raise DataIntegrityError(
            f"{file} is not a readable CIFAR batch ({type(exc).__name__}: {exc}). "
            f"Received: path={str(file)!r}") from None
    if not isinstance(value, dict):
        raise DataIntegrityError(f"{file} does not hold a dict, as a CIFAR batch does. "
                                 f"Received: path={str(file)!r}")
    return {k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k): v
            for k, v in value.items()}


def _cifar_folder(name, path):
    """The folder holding the CIFAR files, from the folder the user named."""
    sub = _CIFAR_DIRS[name]
    path = Path(path)
    first = _CIFAR_FILES[name][0][0]
    for folder in (path, path / sub, path / f"{sub}-target" / sub):
        if (folder / first).is_file():
            return folder
    return path


def _load_cifar(name, path):
    train_files, test_files, meta_file, label_key, names_key = _CIFAR_FILES[name]
    if path is None:
        cache = _keras_datasets_dir()
        hint = ""
        for folder in (cache / _CIFAR_DIRS[name], cache / f"{_CIFAR_DIRS[name]}-target"
                       / _CIFAR_DIRS[name]):
            if folder.is_dir():
                hint = f" Keras's copy is in {folder}: pass --data-dir {folder}."
                break
        raise InvalidInputError(
            f"{name} is stored as Python pickles, which can run code when loaded, so "
            f"kerasdoc reads them only from a folder you name with --data-dir (the "
            f"folder {_CIFAR_DIRS[name]} that keras.datasets.{name}.load_data() "
            f"unpacks).{hint} {_received(path)}")
    folder = _cifar_folder(name, path)
    splits = {}
    for split, files in (("train", train_files), ("test", test_files)):
        xs, ys = [], []
        for file_name in files:
            file = folder / file_name
            if not file.is_file():
                raise InvalidInputError(
                    f"{file_name} not found in {folder}: {name} needs "
                    f"{', '.join(train_files + test_files)}. kerasdoc never downloads. "
                    f"{_received(path)}")
            batch = _unpickle(file)
            if "data" not in batch or label_key not in batch:
                raise DataIntegrityError(
                    f"{file} lacks 'data' or '{label_key}' (it holds {sorted(batch)}). "
                    f"Received: path={str(file)!r}")
            data = np.asarray(batch["data"])
            labels = np.asarray(batch[label_key])
            if data.ndim != 2 or data.shape[1] != 3072:
                raise DataIntegrityError(
                    f"{file} holds data of shape {data.shape}, not (N, 3072) "
                    f"(32x32 pixels, 3 channels). Received: path={str(file)!r}")
            # CIFAR rows are channel-major; keras.datasets returns (N, 32, 32, 3).
            x = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            _check_images(name, x, labels, file, (32, 32, 3))
            xs.append(x)
            ys.append(labels.astype(np.uint8))
        splits[split] = (np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys))
    names = CIFAR10_CLASS_NAMES if name == "cifar10" else None
    meta = folder / meta_file
    if meta.is_file():
        found = _unpickle(meta).get(names_key)
        if isinstance(found, (list, tuple)) and found:
            names = tuple(n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)
                          for n in found)
    return splits["train"], splits["test"], names


def load_local(name, path=None, *, progress=None):
    """Load a `keras.datasets` image set from files on this machine; never download.

    Args:
        name: one of `"mnist"`, `"fashion_mnist"`, `"cifar10"`, `"cifar100"`.
        path: where the files are: for mnist, `mnist.npz` or its folder; for
            fashion_mnist, the folder of the four `.gz` files; for CIFAR, the
            folder `cifar-10-batches-py` / `cifar-100-python` or a folder
            holding it. mnist and fashion_mnist are also looked for in the
            Keras cache; CIFAR's pickles are read only from this explicitly
            named folder (see the module docstring). Defaults to `None`.
        progress: `progress(file name, bytes read, total bytes)`, used for
            fashion_mnist's large files. Defaults to `None`.

    Returns:
        `(x_train, y_train), (x_test, y_test), class_names`, as
        `keras.datasets.<name>.load_data()` returns them (images `uint8`,
        channels last), plus the class names (`None` for a cifar100 folder
        without its `meta` file).

    Raises:
        InvalidInputError: an unknown name, or a file that is not there (the
            message names it).
        DataIntegrityError: a file that is damaged or not in the format
            `keras.datasets` uses.

    Example:

    >>> (x, y), (xt, yt), names = load_local("mnist")  # doctest: +SKIP
    """
    if name not in KERAS_DATASETS:
        raise InvalidInputError(f"`name` must be one of {KERAS_DATASETS}. "
                                f"Received: name={name!r}")
    if name == "mnist":
        return _load_mnist(path)
    if name == "fashion_mnist":
        from kerasdoc.datasets._fashion_mnist import load_fashion_mnist

        return load_fashion_mnist(path, download=False, progress=progress)
    return _load_cifar(name, path)
