"""`sanity_check`: run the probes on copies of a model and collect one report."""

from typing import Optional, Sequence

from kerasdoc import _deadline
from kerasdoc._errors import InvalidInputError
from kerasdoc._interrupts import checkpoint, guarded
from kerasdoc._validation import check_int, received
from kerasdoc.findings import Report
from kerasdoc.probes import _common

__all__ = ["PROBES", "sanity_check"]


# name -> the registered check that runs it; the order the probes run in.
# The keys are the probes' former names, still accepted by `checks=`.
PROBES = {
    "initial_loss": "probe.initial_loss",
    "batch_mixing": "probe.batch_mixing",
    "gradient_check": "probe.gradient_check",
    "overfit_batch": "probe.cannot_overfit_batch",
    "input_independence": "probe.input_independent",
    "lr_range_test": "probe.learning_rate",
}


@guarded
def sanity_check(model, x, y=None, *, batch_size: int = 32,
                 checks: Optional[Sequence[str]] = None, seed: int = 0,
                 settings: Optional[dict] = None, task=None) -> Report:
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
    Keras layers) is listed in the report's `skipped` with the reason, and
    a probe that raises in its `failed` (the other probes still run).

    Args:
        model: a built Keras model compiled with its loss and optimizer.
        x: training inputs (scaled as they will be in training), as `fit`
            takes them: arrays, a dict or list of arrays, or a stream
            (`tf.data.Dataset`, `PyDataset`, generator) of which the first
            4096 samples are read.
        y: training labels (a dict or list for several outputs);
            `None` when `x` is a stream yielding `(x, y)`. Defaults to `None`.
        batch_size: the batch size you train with; the one-batch probe uses
            at most 16 samples and the batch-mixing probe at most 8.
            Defaults to `32`.
        checks: names of the probes to run: check names such as
            `"probe.cannot_overfit_batch"` or the probe names (keys of
            `kerasdoc.probes.PROBES`, such as `"overfit_batch"`).
            Defaults to `None`: all.
        seed: seed for every probe; the same seed gives the same numbers.
            Defaults to `0`.
        settings: `{check name: {setting: value}}` for the probes (see
            `kerasdoc.checks("probes")`), e.g.
            `{"probe.cannot_overfit_batch": {"max_steps": 500}}`.
            Defaults to `None`.
        task: the task (a `kerasdoc.Task` or a kind name); a probe that does
            not apply to it is skipped with that reason, and the probes judge
            by it (the one-batch probe's target for regression and
            reconstruction). Defaults to `None`: inferred by
            `kerasdoc.infer_task` from the model and the data.

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
    from kerasdoc._registry import Runner, checks as registered, resolve_settings
    from kerasdoc._task import resolve_task

    known = {c.name for c in registered("probes")}
    if checks is None:
        select = None
    else:
        if isinstance(checks, str) or not hasattr(checks, "__iter__") or not all(
                isinstance(c, str) for c in checks):
            raise InvalidInputError(
                "`checks` must be a list of probe names such as "
                f"['overfit_batch']. {received('checks', checks)}")
        unknown = [c for c in checks if c not in PROBES and c not in known]
        if unknown:
            raise InvalidInputError(
                f"`checks` has unknown probe names {unknown}; known: "
                f"{sorted(PROBES)} or {sorted(known)}. {received('checks', checks)}")
        select = [PROBES.get(c, c) for c in checks]
    task = resolve_task(task, model, x, y)
    # Inside `diagnose`, the probes share the time their part was given
    # (`kerasdoc._deadline`): a probe that cannot start in it is skipped for
    # the budget, and each gets a weighted share of what is left.
    deadline = _deadline.current()
    runner = Runner("probes", task=task, select=select,
                    settings=resolve_settings(settings, part="probes"))
    todo = [c for c in registered("probes") if select is None or c.name in select]
    for i, check in enumerate(todo):
        checkpoint()  # a Ctrl-C a finalizer swallowed stops here
        share = None
        if deadline is not None:
            rest = sum(_deadline.PROBE_WEIGHTS.get(c.name, 1.0) for c in todo[i:]
                       if runner.reason_to_skip(c.name) is None)
            share = deadline.share(_deadline.PROBE_WEIGHTS.get(check.name, 1.0), rest)
            late = share.can_start(_deadline.PROBE_COPIES.get(check.name, 1))
            if late is not None and runner.reason_to_skip(check.name) is None:
                runner.skip(check.name, late)
                continue
        with _deadline.active(share):
            runner.run(check.name, model, x, y, batch_size, seed, task=task)
    return runner.report("kerasdoc sanity check", task=_report_task(task))


def _report_task(task):
    """The task to show on the report: a task object, not a bare kind name."""
    return task if callable(getattr(task, "describe", None)) else None
