"""kerasdoc.datasets: the FashionMNIST loader (official IDX files, no TensorFlow).

`find_fashion_mnist` locates the four official `.gz` files and
`load_fashion_mnist` parses them with gzip and numpy, validating every header.
"""

from kerasdoc.datasets._fashion_mnist import (
    DATA_ENV_VAR,
    FASHION_MNIST_CLASS_NAMES,
    FASHION_MNIST_FILES,
    find_fashion_mnist,
    load_fashion_mnist,
)
from kerasdoc.datasets._idx import IDX_IMAGES, IDX_LABELS, read_idx

__all__ = [
    "DATA_ENV_VAR",
    "FASHION_MNIST_CLASS_NAMES",
    "FASHION_MNIST_FILES",
    "IDX_IMAGES",
    "IDX_LABELS",
    "find_fashion_mnist",
    "load_fashion_mnist",
    "read_idx",
]
