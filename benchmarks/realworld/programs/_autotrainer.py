"""Data of the AUTOTRAINER subjects (shiningrain/AUTOTRAINER), rebuilt on this machine.

AUTOTRAINER's toy sets are scikit-learn generators with fixed seeds
(`AutoTrainer/data/simplednn.py`, `DL_tools/data/simplednn.py`), so the
ports use the very same samples, not a substitute. Its MNIST and CIFAR-10
subjects are ported on FashionMNIST (see each module's NOTES).

Not a program: the name starts with `_`.
"""

import numpy as np

from benchmarks.realworld._program import fashion_mnist

AUTOTRAINER = "shiningrain/AUTOTRAINER"
DEEPDIAGNOSIS = "DeepDiagnosis/ICSE2022"


def circle(scaled=False):
    """`make_circles(1000, noise=0.1, random_state=1)`, first 700 rows for training.

    `AutoTrainer/data/simplednn.py` multiplies by 100 and its `preprocess`
    divides by 100 again (raw circles, about [-1.2, 1.2]); the older
    `DL_tools/data/simplednn.py` min-max scales to [-1, 1] (`scaled=True`).
    Returns `(x, y), (x_val, y_val)`, labels 0/1 of shape `(n,)`.
    """
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
    if scaled:
        from sklearn.preprocessing import MinMaxScaler

        x = MinMaxScaler(feature_range=(-1, 1)).fit_transform(x)
    x = x.astype("float32")
    y = y.astype("float32")
    return (x[:700], y[:700]), (x[700:], y[700:])


def blob(n_train=700):
    """`make_blobs(1000, centers=3, n_features=2, cluster_std=2, random_state=2)`.

    Raw coordinates (about [-15, 5]), one-hot labels, as AUTOTRAINER's
    `simplednn_blob` (700 training rows) and the case scripts (500 rows).
    Returns `(x, y), (x_val, y_val)`.
    """
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=1000, centers=3, n_features=2, cluster_std=2, random_state=2)
    x = x.astype("float32")
    y = np.eye(3, dtype="float32")[y]
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def regression():
    """`make_regression(1000, n_features=20, noise=0.1, random_state=1)`, 500/500 split.

    Raw inputs and raw targets (target std about 190), as the AUTOTRAINER
    L-code regression cases use them. Returns `(x, y), (x_val, y_val)`.
    """
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=1000, n_features=20, noise=0.1, random_state=1)
    x = x.astype("float32")
    y = y.astype("float32")
    return (x[:500], y[:500]), (x[500:], y[500:])


def fashion_as_mnist(n_train, n_test, scale=True, onehot=True):
    """FashionMNIST in place of MNIST: `(n, 28, 28, 1)` float32, /255 when `scale`."""
    (x, y), (xv, yv) = fashion_mnist(n_train, n_test)
    x = x.reshape(-1, 28, 28, 1).astype("float32")
    xv = xv.reshape(-1, 28, 28, 1).astype("float32")
    if scale:
        x /= 255.0
        xv /= 255.0
    if onehot:
        y = np.eye(10, dtype="float32")[y]
        yv = np.eye(10, dtype="float32")[yv]
    return (x, y), (xv, yv)


def fashion_as_cifar(n_train, n_test):
    """FashionMNIST in place of CIFAR-10, standardised as AUTOTRAINER's cifar10 `preprocess`.

    AUTOTRAINER subtracts the per-channel mean and divides by the per-channel
    std (CIFAR-10's published values); here the same with FashionMNIST's one
    channel (mean 72.94, std 90.02 on 0..255). One-hot labels, as the scripts.
    """
    (x, y), (xv, yv) = fashion_mnist(n_train, n_test)
    x = ((x.astype("float32") - 72.94) / 90.02).reshape(-1, 28, 28, 1)
    xv = ((xv.astype("float32") - 72.94) / 90.02).reshape(-1, 28, 28, 1)
    return (x, np.eye(10, dtype="float32")[y]), (xv, np.eye(10, dtype="float32")[yv])
