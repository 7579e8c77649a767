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


REFERENCE_BATCH = 32
"""Batch size at which `DEFAULT_LR_RANGES` are read (Keras' default batch)."""


def check_learning_rate(optimizer, *, lr_ranges=None, batch_size=None):
    """`optim.learning_rate`: the rate outside the sane range of its optimizer.

    The ranges hold for batches of about `REFERENCE_BATCH`. Plain SGD's step
    noise grows as lr / (1 - momentum) / batch (the heavy-ball steady-state
    step, per sample: the noise scale of SGD with momentum, and the linear
    scaling rule read backwards), so below that batch an SGD rate is also
    judged at its equivalent at the reference batch, lr / (1 - momentum) x
    32 / batch: SGD(0.01, momentum=0.9) at batch 1 steps as noisily as a
    rate of 3.2 at batch 32, above SGD's 1.0. Adaptive optimizers normalise
    their steps and are judged on their rate alone.

    Args:
        optimizer: the compiled optimizer.
        lr_ranges: dict optimizer name (lower case) -> (low, high), merged over
            `DEFAULT_LR_RANGES`. Defaults to `None`.
        batch_size: the batch size `fit` uses, or `None` if not known.
            Defaults to `None`.
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
        return _check_sgd_noise(inner, lr, high, batch_size)
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


def _check_sgd_noise(inner, lr, high, batch_size):
    """SGD below the reference batch: its rate at the reference batch's noise."""
    if type(inner).__name__ != "SGD" or not batch_size or batch_size >= REFERENCE_BATCH:
        return []
    momentum = float(getattr(inner, "momentum", 0.0) or 0.0)
    if not 0.0 <= momentum < 1.0:
        return []
    equivalent = lr / (1.0 - momentum) * REFERENCE_BATCH / batch_size
    if equivalent <= high:
        return []
    safe = high * batch_size / REFERENCE_BATCH * (1.0 - momentum)
    # SGD's default rate (0.01 at Keras' default batch) scaled linearly to this batch.
    suggestion = 0.01 * batch_size / REFERENCE_BATCH
    return [Finding(
        "optim.learning_rate",
        message=(f"SGD at learning rate {lr:.3g} with momentum {momentum:g} and batch "
                 f"size {batch_size} steps as noisily as a rate of {equivalent:.3g} at "
                 f"batch {REFERENCE_BATCH} (lr / (1 - momentum) x {REFERENCE_BATCH} / "
                 f"batch), above SGD's {high:g}: each update follows "
                 f"{'one sample' if batch_size == 1 else f'{batch_size} samples'} "
                 "with a large step, and the loss bounces instead of settling."),
        evidence={"optimizer": "SGD", "learning_rate": lr, "momentum": momentum,
                  "batch_size": batch_size, "reference_batch": REFERENCE_BATCH,
                  "equivalent_learning_rate": equivalent, "sane_range": [None, high],
                  "suggestion": suggestion},
        fix=(f"Use a batch of at least {REFERENCE_BATCH}, a rate below {safe:.2g} at "
             f"this batch (SGD's default 0.01 scaled to it: {suggestion:.2g}), or "
             "Adam (its steps are normalised)."),
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


def check_batch_size(n_samples, batch_size, *, epochs=None, max_batch_fraction=0.25,
                     min_updates=100, assumed=False):
    """`optim.batch_size`: a batch that is a large share of the dataset.

    What a large batch costs is updates: a batch of `b` of `n` samples gives
    ceil(n / b) updates per epoch, so a run of `epochs` gets ceil(n / b) x
    `epochs` in all. A batch above `max_batch_fraction` of the data in a run
    of fewer than `min_updates` updates in all is a warning: the run is
    likely to stop before it converges, and a smaller batch gives more
    updates for the same epochs. With `min_updates` or more the large batch
    is a choice (less gradient noise, fewer updates per epoch, made up by
    the epochs): info. When `epochs` is not known only the updates per epoch
    are, and the batch above `max_batch_fraction` is a warning as before. A
    batch holding every sample is full-batch gradient descent, a legitimate
    choice on small data (every update follows the exact gradient; it needs
    as many epochs as updates): info.

    `min_updates=100` is an order of magnitude, not a fit to a program:
    Adam's moment estimates are still bias-corrected over the first tens of
    steps (its first moment averages ~1 / (1 - 0.9) = 10 steps), warm-up
    schedules commonly span hundreds, and kerasdoc's own learning-rate range
    test sweeps 1e-7 to 10 in 100 steps; a run of fewer updates than that
    has spent most of them getting started.

    Args:
        n_samples: training set size.
        batch_size: the batch size used by fit().
        epochs: the epochs given to fit(), or `None` if not known. Defaults
            to `None`.
        max_batch_fraction: largest batch_size / n_samples not reported (0.25
            means at least 4 updates per epoch). Defaults to `0.25`.
        min_updates: updates in the whole run (steps per epoch x epochs) from
            which a large batch is reported at info only. Defaults to `100`.
        assumed: whether `batch_size` is Keras' default rather than given.
            Defaults to `False`.
    """
    if not n_samples or batch_size is None:
        return []
    fraction = batch_size / n_samples
    if fraction <= max_batch_fraction:
        return []
    steps = int(np.ceil(n_samples / batch_size))
    updates = None if epochs is None else steps * int(epochs)
    evidence = {"batch_size": batch_size, "n_samples": n_samples,
                "fraction": fraction, "steps_per_epoch": steps, "epochs": epochs,
                "updates": updates, "min_updates": min_updates,
                "max_batch_fraction": max_batch_fraction,
                "batch_size_assumed": assumed, "full_batch": batch_size >= n_samples}
    run = ("" if updates is None else
           f" ({updates} in all over {epochs} epoch{'s' if epochs != 1 else ''})")
    if batch_size >= n_samples:
        return [Finding(
            "optim.batch_size", severity="info",
            message=(f"A batch of {batch_size}"
                     + (" (Keras' default)" if assumed else "")
                     + f" holds all {n_samples} training samples: full-batch gradient "
                     f"descent, one exact-gradient update per epoch{run} (give it as "
                     "many epochs as updates it needs)."),
            evidence=evidence,
            fix=(f"Nothing to fix if intended; for stochastic updates use a batch of "
                 f"at most {max(1, int(n_samples * max_batch_fraction))}."),
        )]
    few = updates is None or updates < min_updates
    return [Finding(
        "optim.batch_size", severity="warning" if few else "info",
        message=(f"A batch of {batch_size}"
                 + (" (Keras' default)" if assumed else "")
                 + f" is {fraction:.0%} of the {n_samples} training samples: only "
                 f"{steps} update(s) per epoch{run}"
                 + (f", fewer than the {min_updates} a run needs to converge."
                    if updates is not None and few else
                    " and little gradient noise." if few else
                    f": enough updates in all, so the large batch is a choice.")),
        evidence=evidence,
        fix=(f"Use a batch of at most {max(1, int(n_samples * max_batch_fraction))} "
             f"(e.g. {_suggest(n_samples, max_batch_fraction)}) for a dataset this size"
             + (", or more epochs." if updates is not None else ".")),
    )]
