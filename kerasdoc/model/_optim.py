"""Compile-setting checks: learning rate, plain SGD, batch size vs dataset size."""

import numpy as np

from kerasdoc import _keras
from kerasdoc.findings import Finding

DEFAULT_LR_RANGES = {
    "adam": (1e-6, 1e-2),
    "adamw": (1e-6, 1e-2),
    "adamax": (1e-6, 2e-2),
    "nadam": (1e-6, 1e-2),
    "lamb": (1e-6, 1e-2),
    "lion": (1e-7, 3e-3),
    "rmsprop": (1e-6, 1e-2),
    "adafactor": (1e-6, 1e-1),
    "sgd": (1e-5, 1.0),
    "adagrad": (1e-4, 1.0),
    "adadelta": (1e-4, 10.0),
    "ftrl": (1e-4, 1.0),
    "muon": (1e-5, 1e-1),
}
"""Sane learning-rate interval per optimizer class name (lower case)."""


def _inner(optimizer):
    """Unwrap LossScaleOptimizer-style wrappers."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def current_learning_rate(optimizer):
    """The optimizer's learning rate at its current iteration, as a float.

    A `LearningRateSchedule` is evaluated at the current iteration; nothing
    is assigned.
    """
    lr = _keras.learning_rate_variable(optimizer)
    if lr is None:
        lr = getattr(optimizer, "learning_rate", None)
    if callable(lr) and not hasattr(lr, "numpy"):
        lr = lr(optimizer.iterations)
    try:
        return float(np.asarray(lr.numpy() if hasattr(lr, "numpy") else lr))
    except (TypeError, ValueError):
        return None


def check_learning_rate(optimizer, *, lr_ranges=None):
    """`optim.learning_rate`: the rate outside the sane range of its optimizer.

    Args:
        optimizer: the compiled optimizer.
        lr_ranges: dict optimizer name (lower case) -> (low, high), merged over
            `DEFAULT_LR_RANGES`. Defaults to `None`.
    """
    inner = _inner(optimizer)
    name = type(inner).__name__.lower()
    ranges = dict(DEFAULT_LR_RANGES, **(lr_ranges or {}))
    if name not in ranges:
        return []
    lr = current_learning_rate(inner)
    if lr is None or not np.isfinite(lr):
        return []
    low, high = ranges[name]
    if low <= lr <= high:
        return []
    too_high = lr > high
    return [Finding(
        "optim.learning_rate",
        message=(f"The {type(inner).__name__} learning rate {lr:.3g} is "
                 + (f"above {high:g}: updates this large usually diverge or bounce."
                    if too_high else
                    f"below {low:g}: the weights will barely move.")),
        evidence={"optimizer": type(inner).__name__, "learning_rate": lr,
                  "sane_range": [low, high]},
        fix=(f"Start {type(inner).__name__} around "
             f"{'1e-3' if high <= 1e-2 else '1e-2'} and tune with an LR range test "
             "(kerasdoc probes)."),
    )]


def check_vanilla_sgd(optimizer):
    """`optim.vanilla_sgd`: SGD with momentum 0."""
    inner = _inner(optimizer)
    if type(inner).__name__ != "SGD":
        return []
    momentum = float(getattr(inner, "momentum", 0.0) or 0.0)
    if momentum > 0:
        return []
    return [Finding(
        "optim.vanilla_sgd",
        message="The optimizer is SGD without momentum, which crawls through "
                "flat regions and saddle points.",
        evidence={"optimizer": "SGD", "momentum": momentum,
                  "nesterov": bool(getattr(inner, "nesterov", False))},
        fix="Use SGD(momentum=0.9, nesterov=True) or Adam.",
    )]


def _suggest(n_samples, fraction):
    """A power of two at most half the largest acceptable batch."""
    limit = max(1.0, n_samples * fraction / 2)
    return int(2 ** np.floor(np.log2(limit)))


def check_batch_size(n_samples, batch_size, *, max_batch_fraction=0.25,
                     assumed=False):
    """`optim.batch_size`: a batch that is a large share of the dataset.

    A batch between `max_batch_fraction` and the whole data set pays for large
    batches (few updates per epoch, little gradient noise) without computing
    the exact gradient: a warning. A batch holding every sample is full-batch
    gradient descent, a legitimate choice on small data (every update follows
    the exact gradient; it needs as many epochs as updates): reported at info.

    Args:
        n_samples: training set size.
        batch_size: the batch size used by fit().
        max_batch_fraction: largest batch_size / n_samples not reported (0.25
            means at least 4 updates per epoch). Defaults to `0.25`.
        assumed: whether `batch_size` is Keras' default rather than given.
            Defaults to `False`.
    """
    if not n_samples or batch_size is None:
        return []
    fraction = batch_size / n_samples
    if fraction <= max_batch_fraction:
        return []
    steps = int(np.ceil(n_samples / batch_size))
    if batch_size >= n_samples:
        return [Finding(
            "optim.batch_size", severity="info",
            message=(f"A batch of {batch_size}"
                     + (" (Keras' default)" if assumed else "")
                     + f" holds all {n_samples} training samples: full-batch gradient "
                     "descent, one exact-gradient update per epoch (give it as many "
                     "epochs as updates it needs)."),
            evidence={"batch_size": batch_size, "n_samples": n_samples,
                      "fraction": fraction, "steps_per_epoch": steps,
                      "max_batch_fraction": max_batch_fraction,
                      "batch_size_assumed": assumed, "full_batch": True},
            fix=(f"Nothing to fix if intended; for stochastic updates use a batch of "
                 f"at most {max(1, int(n_samples * max_batch_fraction))}."),
        )]
    return [Finding(
        "optim.batch_size",
        message=(f"A batch of {batch_size}"
                 + (" (Keras' default)" if assumed else "")
                 + f" is {fraction:.0%} of the {n_samples} training samples: only "
                 f"{steps} update(s) per epoch and little gradient noise."),
        evidence={"batch_size": batch_size, "n_samples": n_samples,
                  "fraction": fraction, "steps_per_epoch": steps,
                  "max_batch_fraction": max_batch_fraction,
                  "batch_size_assumed": assumed, "full_batch": False},
        fix=(f"Use a batch of at most {max(1, int(n_samples * max_batch_fraction))} "
             f"(e.g. {_suggest(n_samples, max_batch_fraction)}) for a dataset this size."),
    )]
