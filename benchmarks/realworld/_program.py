"""What a real-world program is made of: a model builder, its data and its fit settings.

Every module in `benchmarks/realworld/programs/` returns a `RealProgram` from
`build(fixed=False)`. The scorer calls
`kerasdoc.diagnose(model_fn(), x, y, validation_data=..., batch_size=...,
epochs=..., **diagnose_kwargs)`, exactly as a user would, and checks that the
program learns with a plain `model_fn().fit(x, y, ..., **fit_kwargs)`.
"""

import dataclasses
import os
from dataclasses import field
from typing import Any, Callable, Optional

import numpy as np

__all__ = ["RealProgram", "seeded", "fashion_mnist", "split", "split_sequence"]


@dataclasses.dataclass
class RealProgram:
    """One ported training program.

    Args:
        model_fn: builds and compiles a fresh model exactly as the original
            compiles it (each call gives a new model).
        x: training inputs as the original passes them to `fit` (arrays,
            dicts, lists, a `tf.data.Dataset`, ...).
        y: training targets, or `None` when `x` yields them. Defaults to `None`.
        validation_data: as the original passes it to `fit`. Defaults to `None`.
        batch_size: `fit`'s batch size (`None` when `x` is batched or the
            original relies on Keras's default). Defaults to `None`.
        epochs: epochs (capped for speed where noted in the module's NOTES).
            Defaults to `1`.
        fit_kwargs: other `fit` arguments the original passes
            (`class_weight`, `sample_weight`, `callbacks`, ...). Defaults to `{}`.
        diagnose_kwargs: what a user would pass to `diagnose` besides the
            above (e.g. `class_names`); normally empty. Defaults to `{}`.
        seed: the global seed the scorer sets before `model_fn()`, for
            `diagnose` and for the learning check alike (it draws the initial
            weights). A healthy program whose run at seed 0 measurably fails
            (a seed-dependent stall, recorded in its NOTES with the seeds
            measured) names the seed of a run that learns, so the corpus's
            healthy programs are runs that learn, as its learning check
            requires; the failing seed's run stays described in the NOTES.
            Defaults to `0`.
    """

    model_fn: Callable[[], Any]
    x: Any
    y: Any = None
    validation_data: Any = None
    batch_size: Optional[int] = None
    epochs: int = 1
    fit_kwargs: dict = field(default_factory=dict)
    diagnose_kwargs: dict = field(default_factory=dict)
    seed: int = 0


def seeded(seed=0):
    """A numpy `Generator`, and Keras/numpy global seeds set to `seed`."""
    import keras

    keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


_FASHION = {}
SHARED_FASHION = "/work/shared/datasets/fashion-mnist"


def fashion_mnist(n_train=None, n_test=None):
    """FashionMNIST as uint8 `(x_train, y_train), (x_test, y_test)` (28x28 images).

    Uses the full official files when they are on this machine (found through
    `KERASDOC_DATA`, the project's shared copy, or kerasdoc's usual places;
    never downloaded), taking the first `n_train` / `n_test` rows (the files'
    order is already shuffled across classes); else the bundled 1000/300
    subset in `data/`.
    """
    if "full" not in _FASHION:
        try:
            from kerasdoc.datasets import find_fashion_mnist, load_fashion_mnist

            where = find_fashion_mnist(os.environ.get("KERASDOC_DATA") or SHARED_FASHION)
            if where is None:
                raise FileNotFoundError("no FashionMNIST files")
            (xt, yt), (xv, yv), _ = load_fashion_mnist(where, download=False)
        except Exception:
            import kerasdoc
            from pathlib import Path

            subset = kerasdoc.load_subset(Path(__file__).resolve().parents[2] / "data")
            xt, yt, xv, yv = subset.x_train, subset.y_train, subset.x_test, subset.y_test
        _FASHION["full"] = (xt, yt, xv, yv)
    xt, yt, xv, yv = _FASHION["full"]
    return (xt[:n_train], yt[:n_train]), (xv[:n_test], yv[:n_test])


def split(rng, *arrays, test=0.2):
    """Shuffle `arrays` together and split them: `(train..., test...)`."""
    n = len(arrays[0])
    order = rng.permutation(n)
    cut = int(round(n * (1 - test)))
    train = [a[order[:cut]] for a in arrays]
    held = [a[order[cut:]] for a in arrays]
    return tuple(train) + tuple(held)


def split_sequence(sequence, n_steps):
    """MachineLearningMastery's `split_sequence`: windows of `n_steps` and the next value.

    Returns float32 `(X, y)`: `X[i]` is `sequence[i:i + n_steps]` and `y[i]` the
    value after it, as the univariate forecasting tutorials build them.
    """
    X = np.array([sequence[i:i + n_steps] for i in range(len(sequence) - n_steps)],
                 dtype="float32")
    y = np.array([sequence[i + n_steps] for i in range(len(sequence) - n_steps)],
                 dtype="float32")
    return X, y
