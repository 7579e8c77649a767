"""kerasdoc.datasets: the FashionMNIST loader (official IDX files, no TensorFlow).

`find_fashion_mnist` locates the four official `.gz` files and
`load_fashion_mnist` parses them with gzip and numpy, validating every header.
`load_local` reads any of mnist, fashion_mnist, cifar10 and cifar100 from the
files `keras.datasets` keeps on this machine, never downloading.
"""

from kerasdoc.datasets._fashion_mnist import (
    DATA_ENV_VAR,
    FASHION_MNIST_CLASS_NAMES,
    FASHION_MNIST_FILES,
    find_fashion_mnist,
    load_fashion_mnist,
)
from kerasdoc.datasets._idx import IDX_IMAGES, IDX_LABELS, read_idx
from kerasdoc.datasets._local import CIFAR10_CLASS_NAMES, KERAS_DATASETS, load_local

__all__ = [
    "CIFAR10_CLASS_NAMES",
    "DATA_ENV_VAR",
    "FASHION_MNIST_CLASS_NAMES",
    "FASHION_MNIST_FILES",
    "IDX_IMAGES",
    "IDX_LABELS",
    "KERAS_DATASETS",
    "find_fashion_mnist",
    "load_fashion_mnist",
    "load_local",
    "read_idx",
]
