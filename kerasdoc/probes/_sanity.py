"""`sanity_check`: run the probes on copies of a model and collect one report."""

import time
from typing import Optional, Sequence

from kerasdoc._errors import InvalidInputError
from kerasdoc._validation import check_int, received
from kerasdoc.findings import Report
from kerasdoc.probes import _common
from kerasdoc.probes._batch_mixing import batch_mixing
from kerasdoc.probes._gradient_check import gradient_check
from kerasdoc.probes._initial_loss import initial_loss
from kerasdoc.probes._input_independence import input_independence
from kerasdoc.probes._lr_range import lr_range_test
from kerasdoc.probes._overfit import overfit_batch

__all__ = ["PROBES", "sanity_check"]


def _run_initial_loss(model, x, y, batch_size, seed):
    return initial_loss(model, x, y, seed=seed)


def _run_overfit(model, x, y, batch_size, seed):
    return overfit_batch(model, x, y, batch_size=min(batch_size, 16), seed=seed)


def _run_input_independence(model, x, y, batch_size, seed):
    return input_independence(model, x, y, batch_size=batch_size, seed=seed)


def _run_batch_mixing(model, x, y, batch_size, seed):
    return batch_mixing(model, x, batch_size=max(2, min(batch_size, 8)), seed=seed)


def _run_gradient_check(model, x, y, batch_size, seed):
    return gradient_check(model, x, y, seed=seed)


def _run_lr_range(model, x, y, batch_size, seed):
    return lr_range_test(model, x, y, batch_size=batch_size, seed=seed)


# name -> runner(model, x, y, batch_size, seed); the order the probes run in.
PROBES = {
    "initial_loss": _run_initial_loss,
    "batch_mixing": _run_batch_mixing,
    "gradient_check": _run_gradient_check,
    "overfit_batch": _run_overfit,
    "input_independence": _run_input_independence,
    "lr_range_test": _run_lr_range,
}


def sanity_check(model, x, y, *, batch_size: int = 32,
                 checks: Optional[Sequence[str]] = None, seed: int = 0) -> Report:
    """Run the practitioner's sanity probes on copies of `model`.

    The probes are short experiments (see each function for details):
    `initial_loss` (loss at initialisation vs -ln(1/C)), `batch_mixing`
    (sample i's loss reaches only sample i's input), `gradient_check`
    (autodiff vs finite differences, for custom layers and losses),
    `overfit_batch` (memorise one small batch), `input_independence` (real
    inputs beat zeroed ones) and `lr_range_test` (where the loss falls and
    where it diverges). Each works on a copy with a fresh optimizer: the
    model's weights, optimizer state, trainable flags and compile settings
    are unchanged afterwards, and so is the global random state. A probe
    that does not apply (e.g. the gradient check on a model with only
    Keras layers) is listed in the report's `skipped` with the reason.

    Args:
        model: a built Keras model compiled with its loss and optimizer.
        x: training inputs (scaled as they will be in training).
        y: training labels.
        batch_size: the batch size you train with; the one-batch probe uses
            at most 16 samples and the batch-mixing probe at most 8.
            Defaults to `32`.
        checks: names of the probes to run (keys of
            `kerasdoc.probes.PROBES`). Defaults to `None`: all.
        seed: seed for every probe; the same seed gives the same numbers.
            Defaults to `0`.

    Returns:
        A `kerasdoc.Report` with `probe.*` findings, the probes that ran and
        their timings.

    Example:

    >>> model = kerasdoc.examples.baseline_mlp()          # doctest: +SKIP
    >>> report = kerasdoc.sanity_check(model, x_train, y_train)  # doctest: +SKIP
    >>> report.codes                                      # doctest: +SKIP
    set()
    """
    _common.check_compiled(model)
    x, y = _common.check_xy(x, y, model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_int(seed, "seed", minimum=0)
    if checks is None:
        names = list(PROBES)
    else:
        if isinstance(checks, str) or not hasattr(checks, "__iter__") or not all(
                isinstance(c, str) for c in checks):
            raise InvalidInputError(
                "`checks` must be a list of probe names such as "
                f"['overfit_batch']. {received('checks', checks)}")
        unknown = [c for c in checks if c not in PROBES]
        if unknown:
            raise InvalidInputError(
                f"`checks` has unknown probe names {unknown}; known: "
                f"{sorted(PROBES)}. {received('checks', checks)}")
        names = [name for name in PROBES if name in checks]

    findings, ran, skipped, timings = [], [], {}, {}
    for name in names:
        begin = time.perf_counter()
        try:
            result = PROBES[name](model, x, y, batch_size, seed)
        except _common.CANNOT_RUN as reason:  # e.g. two copies of an uncopyable model
            timings[name] = time.perf_counter() - begin
            skipped[name] = str(reason)
            continue
        timings[name] = time.perf_counter() - begin
        if result.skipped:
            skipped[name] = result.skipped
        else:
            ran.append(name)
            findings.extend(result.findings)
    return Report(findings, ran=ran, skipped=skipped, timings=timings,
                  title="kerasdoc sanity check")
