"""Finding and loading the official FashionMNIST IDX files."""

import os
from pathlib import Path

from kerasdoc._errors import DataIntegrityError, InvalidInputError
from kerasdoc._validation import received
from kerasdoc.datasets._idx import IDX_IMAGES, IDX_LABELS, read_idx

__all__ = [
    "FASHION_MNIST_CLASS_NAMES",
    "FASHION_MNIST_FILES",
    "DATA_ENV_VAR",
    "find_fashion_mnist",
    "load_fashion_mnist",
]

FASHION_MNIST_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# Official names (what Keras downloads). Debian's copy may be uncompressed or
# use a dot before "idx"; `_locate` accepts those spellings too.
FASHION_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
DATA_ENV_VAR = "KERASDOC_DATA"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

_EXPECTED = {  # key -> (magic, shape)
    "train_images": (IDX_IMAGES, (60000, 28, 28)),
    "train_labels": (IDX_LABELS, (60000,)),
    "test_images": (IDX_IMAGES, (10000, 28, 28)),
    "test_labels": (IDX_LABELS, (10000,)),
}


def _spellings(official):
    stem = official[: -len(".gz")]
    dotted = stem.replace("-idx", ".idx")
    return [official, stem, dotted + ".gz", dotted]


def _locate(directory):
    """Map each of the four files to its path in `directory`, or None if any is missing."""
    directory = Path(directory)
    found = {}
    for key, official in FASHION_MNIST_FILES.items():
        for name in _spellings(official):
            if (directory / name).is_file():
                found[key] = directory / name
                break
        else:
            return None
    return found


def _keras_cache_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "fashion-mnist"


def _candidates(path):
    if path is not None:
        yield Path(path)
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        yield Path(env)
    yield DEBIAN_DIR
    yield _keras_cache_dir()


def find_fashion_mnist(path=None, *, download: bool = False):
    """Find the directory holding the four official FashionMNIST files.

    Looks, in order, in `path`, in the directory named by the `KERASDOC_DATA`
    environment variable, in Debian's `/usr/share/datasets/fashion-mnist/`
    and in the Keras cache `~/.keras/datasets/fashion-mnist/` (or under
    `$KERAS_HOME`). Files may be gzip-compressed or raw.

    Args:
        path: A directory to look in first. If given and it does not hold the
            files, the search goes on with the other places. Defaults to `None`.
        download: If nothing is found, download the files into the Keras cache
            with `keras.datasets.fashion_mnist.load_data()`. Defaults to `False`.

    Returns:
        A `pathlib.Path`, or `None` when the files were not found (and not
        downloaded).

    Example:

    >>> directory = find_fashion_mnist()  # None if not on this machine
    """
    for candidate in _candidates(path):
        if candidate.is_dir() and _locate(candidate) is not None:
            return candidate
    if download:
        import keras  # only here: the download is Keras's job

        keras.datasets.fashion_mnist.load_data()
        cache = _keras_cache_dir()
        if _locate(cache) is not None:
            return cache
    return None


def load_fashion_mnist(path=None, *, download: bool = True, progress=None):
    """Load FashionMNIST from the official IDX files.

    The files are parsed here (gzip + numpy), checking magic numbers,
    dimensions and counts, so a truncated or corrupt file raises a
    `DataIntegrityError` that names it.

    Args:
        path: Directory of the four `.gz` files; see `find_fashion_mnist` for
            where else it looks. Defaults to `None`.
        download: Download through `keras.datasets.fashion_mnist` if the
            files are nowhere on this machine. Defaults to `True`.
        progress: Optional callable `progress(name, bytes_read, total_bytes)`
            for long reads (the command line prints a progress line with it).
            Defaults to `None`.

    Returns:
        `(x_train, y_train), (x_test, y_test), class_names`: `uint8` arrays of
        shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,) and the
        tuple of the ten class names.

    Example:

    >>> (x_train, y_train), (x_test, y_test), names = load_fashion_mnist()
    >>> names[y_train[0]]
    'Ankle boot'
    """
    directory = find_fashion_mnist(path, download=download)
    if directory is None:
        places = [str(p) for p in _candidates(path)]
        raise InvalidInputError(
            "FashionMNIST files not found. Looked in: " + ", ".join(places)
            + f". Set {DATA_ENV_VAR} to a directory holding "
            + ", ".join(FASHION_MNIST_FILES.values())
            + " or pass download=True. " + received("path", path)
        )
    files = _locate(directory)
    arrays = {}
    for key, file in files.items():
        magic, shape = _EXPECTED[key]
        callback = None
        if progress is not None:
            def callback(done, total, _name=file.name):
                progress(_name, done, total)
        array = read_idx(file, expected_magic=magic, progress=callback)
        if array.shape != shape:
            raise DataIntegrityError(
                f"{file.name} holds shape {array.shape}, expected {shape} for "
                f"FashionMNIST. Received: path={str(file)!r}"
            )
        arrays[key] = array
    if int(arrays["train_labels"].max()) > 9 or int(arrays["test_labels"].max()) > 9:
        raise DataIntegrityError(
            f"FashionMNIST labels must be 0..9; the files in {directory} hold "
            f"larger values. Received: path={str(directory)!r}"
        )
    return ((arrays["train_images"], arrays["train_labels"]),
            (arrays["test_images"], arrays["test_labels"]),
            FASHION_MNIST_CLASS_NAMES)
