"""What a gallery program is made of, and the small data it trains on.

Each module in `benchmarks/guides/programs/` has:

- `SOURCE`: the keras-io guide or example (or keras.io API page) whose
  pattern it follows;
- `PATTERN`: the item of issue 15's list it stands for;
- `NOTES`: what differs from the source (synthetic or subset data, sizes);
- `FAST`: whether the test suite's fast slice runs it;
- `build()`: a fresh `GuideProgram` (fresh data and streams on every call,
  seeded, so two calls feed `fit` the same batches in the same order).
"""

import dataclasses
from dataclasses import field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

__all__ = ["GuideProgram", "seeded", "fashion_subset"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclasses.dataclass
class GuideProgram:
    """One program: its model builder and what it hands to `fit`.

    Args:
        model_fn: builds and compiles a fresh model as the source does.
        x: the training inputs as the program passes them to `fit`.
        y: the targets, `None` when `x` yields them. Defaults to `None`.
        validation_data: as passed to `fit`. Defaults to `None`.
        batch_size: `fit`'s batch size (`None` for streams). Defaults to `None`.
        epochs: epochs of the program's `fit`. Defaults to `2`.
        fit_kwargs: other `fit` arguments (`sample_weight`, `class_weight`,
            `steps_per_epoch`). Defaults to `{}`.
        diagnose_kwargs: what the user passes to `diagnose` on top of the
            above. Defaults to `{}`.
    """

    model_fn: Callable[[], Any]
    x: Any
    y: Any = None
    validation_data: Any = None
    batch_size: Optional[int] = None
    epochs: int = 2
    fit_kwargs: dict = field(default_factory=dict)
    diagnose_kwargs: dict = field(default_factory=dict)


def seeded(seed=0):
    """A numpy `Generator`, with the Keras/numpy/Python global seeds set to `seed`."""
    import keras

    keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def fashion_subset(n_train=512, n_val=128):
    """The bundled FashionMNIST subset (`data/`): uint8 images and int labels.

    Returns `(x_train, y_train), (x_val, y_val)`, the first `n_train` of the
    1000 training and `n_val` of the 300 test images (files in random order).
    """
    x = np.load(DATA_DIR / "x_train_s.npy")
    y = np.load(DATA_DIR / "y_train_s.npy")
    xv = np.load(DATA_DIR / "x_test_s.npy")
    yv = np.load(DATA_DIR / "y_test_s.npy")
    return (x[:n_train], y[:n_train].astype("int64")), (xv[:n_val], yv[:n_val].astype("int64"))


WORDS_POS = ("great", "good", "fine", "lovely", "superb", "enjoyed", "fun", "best")
WORDS_NEG = ("bad", "awful", "boring", "worst", "poor", "dull", "hated", "weak")
WORDS_NEUTRAL = tuple(f"w{i}" for i in range(60))


def reviews(rng, n, length=12):
    """Synthetic movie reviews: `n` strings and 0/1 sentiment labels.

    Each review has `length` words: mostly neutral filler plus two or three
    words from the vocabulary of its sentiment.
    """
    labels = rng.integers(0, 2, n)
    texts = []
    for label in labels:
        words = list(rng.choice(WORDS_NEUTRAL, length))
        mood = WORDS_POS if label else WORDS_NEG
        for pos in rng.choice(length, int(rng.integers(2, 4)), replace=False):
            words[pos] = str(rng.choice(mood))
        texts.append(" ".join(words))
    return np.array(texts), labels.astype("int64")
