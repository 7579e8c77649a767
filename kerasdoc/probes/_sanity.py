"""`sanity_check`: run the probes on copies of a model and collect one report."""

import math
from typing import Optional, Sequence

from kerasdoc import _deadline
from kerasdoc._errors import InvalidInputError
from kerasdoc._interrupts import checkpoint, guarded
from kerasdoc._validation import check_int, received
from kerasdoc.findings import Report
from kerasdoc.probes import _common, _shared

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
    # The probes share one copy of the model and its traced train step
    # (`kerasdoc.probes._shared`); each gets it back as it was made.
    with _shared.sharing(model):
        _run_probes(runner, todo, deadline, model, x, y, batch_size, seed, task)
    return runner.report("kerasdoc sanity check", task=_report_task(task))


# Probes that train copies: (copies trained at once, their batch size from the
# batch size the user trains with and the number of samples).
_TRAINING = {
    "probe.cannot_overfit_batch": lambda bs, n: (1, min(bs, 16, n)),
    "probe.input_independent": lambda bs, n: (2, min(bs, 256, n)),
    "probe.learning_rate": lambda bs, n: (1, min(bs, n)),
}


def _planned_traces(pool, name, batch_size, x, *, top=False):
    """`(seconds, how)` the probe `name` spends on traces it cannot cut.

    `(0.0, None)` when the shared copies it will get are traced already;
    `(None, None)` when unknown (no shared copy, or the probe does not train).

    Traces of the shared copies' train step the probe will make
    (`Pool.traces_needed`) times their predicted cost: the one measured
    on this call's first shared step, or before any, `TRAIN_TRACE_FACTOR`
    times a trace of the forward pass (made here, once). `top`: before any
    measured step, at the top of the measured range
    (`TRAIN_TRACE_FACTOR_MAX`), for time nothing after it can absorb.
    """
    plan = _TRAINING.get(name)
    if plan is None or pool is None or pool.refused is not None:
        return None, None
    copies, batch = plan(batch_size, _common.count(x))
    traces = pool.traces_needed(copies, batch)
    if not traces:
        return 0.0, None  # the shared copies are traced for this batch size
    measured = "first_step" in pool.costs
    if not measured and pool.forward_trace_seconds(x) is None:
        return None, None  # not copyable: the copy rule of `can_start` plans it
    per = pool.predicted_first_step()
    factor = _shared.TRAIN_TRACE_FACTOR
    if top and not measured:
        factor = _shared.TRAIN_TRACE_FACTOR_MAX
        per = factor * pool.costs["forward_trace"]
    # A copy the pool does not hold yet is made first (rebuilt, compiled),
    # as long as the first one took.
    making = pool.copies_to_make(copies)
    copying = making * (pool.costs.get("copy") or 0.0)
    how = (f"its {traces} train-step trace{'s' if traces > 1 else ''} and first "
           f"step{'s' if traces > 1 else ''}, and a few steps more, are planned to take (" + (
               f"measured {per:.1f} s each on this call's first step"
               f"{pool.load_note()})" if measured else
               f"{factor:g} x the {pool.costs['forward_trace']:.2f} s "
               "trace of the model's forward pass)"))
    if copying:
        how = how[:-1] + (f", and {copying:.1f} s for the {making} model "
                          f"cop{'ies' if making > 1 else 'y'} to make first)")
    return traces * per + copying, how


def _run_probes(runner, todo, deadline, model, x, y, batch_size, seed, task):
    """Run `todo` in order, each in its share of `deadline` (when there is one).

    A probe that trains copies first plans the traces it cannot cut
    (`_planned_traces`): when they do not fit in the time left for the
    probes it is skipped for the budget; when they fit in that time but
    not in the probe's own share, its share grows to hold them (the
    probes after it reuse the traced copy). When they do not fit in the
    probes' time, and the part after the probes (the training run) cannot
    run in what is left of the call anyway (`Deadline.later`), the probes
    take the rest of the call for traces planned at the top of their range
    (`_rest_of_call`), rather than leave it unused.
    """
    pool = _shared.current()
    for i, check in enumerate(todo):
        checkpoint()  # a Ctrl-C a finalizer swallowed stops here
        share = None
        if deadline is not None and runner.reason_to_skip(check.name) is None:
            rest = sum(_deadline.PROBE_WEIGHTS.get(c.name, 1.0) for c in todo[i:]
                       if runner.reason_to_skip(c.name) is None)
            share = deadline.share(_deadline.PROBE_WEIGHTS.get(check.name, 1.0), rest)
            need, how = (None, None)
            if 0 < deadline.left() < math.inf:
                need, how = _planned_traces(pool, check.name, batch_size, x)
            if need:
                # A few steps after the traces, or the probe says nothing.
                wanted = need * _deadline.TRACE_MARGIN
                late = deadline.can_start(need=wanted, what=how)  # the probes' time
                if late is not None and _rest_of_call(deadline, pool, check.name,
                                                      batch_size, x):
                    late = None
                    rest = sum(_deadline.PROBE_WEIGHTS.get(c.name, 1.0) for c in todo[i:]
                               if runner.reason_to_skip(c.name) is None)
                    share = deadline.share(_deadline.PROBE_WEIGHTS.get(check.name, 1.0),
                                           rest)
                    wanted = min(wanted, deadline.left())
                if late is None and share.left() < wanted:
                    share = deadline.within(wanted)
            elif need is not None:
                late = share.can_start(need=0.0)  # shared copies, already traced
            else:
                late = share.can_start(_deadline.PROBE_COPIES.get(check.name, 1))
            if late is not None:
                runner.skip(check.name, late)
                continue
        with _deadline.active(share):
            runner.run(check.name, model, x, y, batch_size, seed, task=task)


def _rest_of_call(deadline, pool, name, batch_size, x):
    """Whether the probes' time grew to the rest of the call for probe `name`.

    Only when the probes run inside a call whose part after them declared
    what it cannot cut (`deadline.root.later`, set by `diagnose` for its
    training run), that part cannot run in what is left of the call anyway,
    and the probe's traces, planned at the top of their range, fit in it.
    The probes' deadline (`deadline`) then ends with the call's.
    """
    root = deadline.root
    later = getattr(root, "later", None)
    if later is None or root is deadline or deadline.end >= root.end:
        return False
    left = root.left()
    after = later()
    if after is None or after <= left:
        return False  # the training run may still run: its time stays its own
    top, _ = _planned_traces(pool, name, batch_size, x, top=True)
    if not top or top > left:
        return False
    deadline.end = root.end
    root.given_to_probes = (
        f"its first steps, planned at {after:.1f} s, could not fit in the {left:.1f} s "
        "left of the call, which the probes used instead")
    return True


def _report_task(task):
    """The task to show on the report: a task object, not a bare kind name."""
    return task if callable(getattr(task, "describe", None)) else None
