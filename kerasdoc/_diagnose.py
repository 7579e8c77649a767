"""`kerasdoc.diagnose`: every check in one call, on copies of the user's model.

The parts run in the order a practitioner would: the data, the model and its
compile settings, the input pipeline against a pretrained backbone, short
sanity probes, then a short training run of a copy with the `Doctor`
attached. Each part is timed; a part that cannot run is recorded in
`Report.skipped` with the reason, and a part (or a check inside it) that
raises is recorded in `Report.failed` with its exception and traceback,
never silently dropped and never hiding the other parts' findings. Findings that
several parts report for the same cause are merged into one.
"""

import math
import time
from typing import Callable, Optional, Union

from kerasdoc import _deadline
from kerasdoc._causes import fold_symptoms
from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._interrupts import checkpoint, guarded
from kerasdoc._inputs import (DEFAULT_MAX_SAMPLES, as_model_inputs, require_targets,
                              sample_fit_data, sample_validation_data)
from kerasdoc._validation import (
    check_float,
    check_int,
    check_model,
    received,
)
from kerasdoc.findings import Report
from kerasdoc.findings._report import failure

__all__ = ["diagnose"]

PARTS = ("data", "model", "preprocessing", "probes", "training")
"""The parts of `diagnose`, in the order they run."""


def _n_classes(model, y, class_names):
    shape = getattr(model, "output_shape", None)
    if isinstance(shape, tuple) and shape and isinstance(shape[-1], int) and shape[-1] > 1:
        return int(shape[-1])
    if class_names is not None:
        return len(class_names)
    if not hasattr(y, "ndim"):  # several outputs: each is audited on its own
        return None
    if y.ndim == 2 and y.shape[1] > 1:
        return int(y.shape[1])
    return None


def _merge_key(finding):
    return (finding.code, finding.layer)


def _input_scaling_layers(model):
    """The layers up to the last Rescaling/Normalization a single-input model starts with.

    Shape-only layers (Flatten, Reshape, Permute) and augmentation layers
    (`Random*`, `Resizing`, `CenterCrop`: the identity or a resize outside
    training) may stand before or between them, and the chain is followed
    into a nested model that comes first (an `encoder` whose own first layer
    is a `data_augmentation` Sequential holding the `Normalization`); an
    empty list when the model does not rescale its inputs first.
    """
    import keras

    try:
        if len(getattr(model, "inputs", None) or ()) != 1:
            return []
    except Exception:  # subclassed models without a graph
        return []
    scaling = (keras.layers.Rescaling, keras.layers.Normalization)
    passing = (keras.layers.Flatten, keras.layers.Reshape, keras.layers.Permute,
               keras.layers.Resizing, keras.layers.CenterCrop) + tuple(
        getattr(keras.layers, name) for name in dir(keras.layers)
        if name.startswith("Random") and isinstance(getattr(keras.layers, name), type)
        and issubclass(getattr(keras.layers, name), keras.layers.Layer))

    def leading(net):
        """(leaf layers the model starts with, whether the whole of `net` was such)."""
        chain = []
        for layer in net.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            if isinstance(layer, keras.Model):
                inner, whole = leading(layer)
                chain += inner
                if not whole:
                    return chain, False
                continue
            if not isinstance(layer, scaling + passing):
                return chain, False
            chain.append(layer)
        return chain, True

    chain, _ = leading(model)
    last = max((i + 1 for i, layer in enumerate(chain) if isinstance(layer, scaling)),
               default=0)
    return chain[:last]


def _apply_layers(layers, x, chunk=4096):
    """`x` passed through `layers` (in chunks, as at inference), as float32.

    The result keeps `x`'s own shape when only its layout changed (Flatten,
    Reshape); a resize keeps the new shape.
    """
    import numpy as np

    out = []
    for start in range(0, len(x), chunk):
        part = np.asarray(x[start:start + chunk], dtype="float32")
        for layer in layers:
            part = layer(part, training=False)
        part = np.asarray(part)
        if part[0].size == int(np.prod(np.shape(x)[1:])):
            part = part.reshape((-1,) + tuple(np.shape(x)[1:]))
        out.append(part)
    return np.concatenate(out)


def deduplicate(findings_by_part):
    """Merge findings of the same cause reported by several parts.

    Two findings have the same cause when they share the code and the layer.
    The merged finding keeps the worst severity, the message and fix of the
    first part that reported it at that severity, the earliest step, and the
    evidence of every part: the first part's evidence at the top level,
    the others' under their part name, and `seen_by` listing the parts.

    Args:
        findings_by_part: list of `(part name, [Finding, ...])` in run order.

    Returns:
        list of `Finding`.
    """
    groups, order = {}, []
    for part, findings in findings_by_part:
        for f in findings:
            key = _merge_key(f)
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append((part, f))
    merged = []
    for key in order:
        group = groups[key]
        parts = list(dict.fromkeys(part for part, _ in group))
        if len(parts) == 1:
            merged.extend(f for _, f in group)
            continue
        lead_part, lead = max(group, key=lambda pf: int(pf[1].severity))
        evidence = dict(lead.evidence)
        for part, f in group:
            if part != lead_part and f.evidence:
                evidence[part] = dict(f.evidence)
        evidence["seen_by"] = parts
        steps = [f.step for _, f in group if f.step is not None]
        merged.append(lead.replace(evidence=evidence, step=min(steps) if steps else None,
                                   fix=lead.fix or next((f.fix for _, f in group if f.fix), "")))
    return merged


DATA_ROWS = 10_000
"""Rows of each split (training, validation) the data part of `diagnose` audits.

A larger split is audited on a seeded uniform sample of this many rows, so
the part's cost does not grow with the data (the checks that fit models
already use samples of at most this size). The sample size is stated in the
part's note (`report.skipped["data (rest)"]`) and in every data finding's
`evidence["rows_audited"]`. Counts over rows are then counts in the sample:
a within-split duplicate is only seen when both copies were drawn, so
`data.duplicates` sees about `DATA_ROWS / N` of a large split's duplicate
share. `kerasdoc.check_data` audits every row.
"""


def _sample_rows(x, y, sample_weight, seed):
    """`(x, y, sample_weight, (rows kept, rows))`: at most `DATA_ROWS` rows, seeded."""
    import keras
    import numpy as np

    if x is None:
        return None, y, sample_weight, None
    n = len(keras.tree.flatten(x)[0])
    if n <= DATA_ROWS:
        return x, y, sample_weight, (n, n)
    index = np.sort(np.random.default_rng(seed).choice(n, DATA_ROWS, replace=False))

    def take(value):
        return None if value is None else keras.tree.map_structure(
            lambda a: a[index], value)

    return take(x), take(y), take(sample_weight), (DATA_ROWS, n)


def _sample_note(rows, test_rows):
    text = f"audited a seeded sample of {rows[0]:,} of {rows[1]:,} training rows"
    if test_rows:
        text += f" and {test_rows[0]:,} of {test_rows[1]:,} validation rows"
    return text + " (DATA_ROWS; kerasdoc.check_data audits every row)"


def _with_rows(report, rows, test_rows):
    """`report` with the audited sample size in each finding's evidence."""
    audited = {"train": list(rows)}
    if test_rows:
        audited["validation"] = list(test_rows)
    findings = [f.replace(evidence={**dict(f.evidence), "rows_audited": audited})
                for f in report]
    return Report(findings, ran=report.ran, skipped=report.skipped,
                  timings=report.timings, failed=report.failed, title=report.title,
                  task=getattr(report, "task", None))


def _budget_callback(budget, state, reserve=0.0):
    """The callback that stops the training run at its deadline (`BudgetStop`).

    `reserve`: seconds before the deadline at which training stops while no
    validation pass has run yet, so the first one (its step's trace, which
    `fit` runs after the epoch whatever the callbacks say) fits.
    """
    import keras

    class BudgetStop(keras.callbacks.Callback):
        """Stops `fit` at the end of a batch once the time budget is spent.

        A validation pass the deadline cuts short is stopped too; its
        partial figures are dropped from the epoch's logs (this callback
        runs before the `Doctor`), so no finding is built on them.
        """

        def on_train_batch_end(self, batch, logs=None):
            checkpoint()
            budget.tick()
            if budget.left() <= (0.0 if state.get("validated") else reserve):
                state["stopped_at_step"] = state.get("steps", 0)
                self.model.stop_training = True
            state["steps"] = state.get("steps", 0) + 1

        def on_test_begin(self, logs=None):
            state.pop("validation_cut", None)

        def on_test_end(self, logs=None):
            state["validated"] = True

        def on_test_batch_end(self, batch, logs=None):
            checkpoint()
            if budget.left() <= 0:
                state["validation_cut"] = batch + 1
                self.model.stop_evaluating = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            state["epochs"] = epoch + 1
            if state.get("validation_cut") is not None and logs is not None:
                for key in [k for k in logs if k.startswith("val_")]:
                    del logs[key]
                state["validation_dropped"] = epoch + 1

    return BudgetStop()


class _ValidationGate(list):
    """`fit`'s `validation_freq`: an epoch's validation pass runs only when it fits.

    `fit` asks `epoch in validation_freq` (1-based) after each epoch, also
    after a callback stopped it, and the first pass traces the test step,
    which no callback can cut. Before that trace, the pass runs only with at
    least half the planned trace (`reserve`) left: the training run stops
    `reserve` before its deadline for it, so a pass it stopped for still
    runs, while one after a first step that overran its plan is skipped
    (its epoch gets no `val_` figures; the note says so). Once traced, a
    pass runs while any time is left (its batches stop at the deadline).
    """

    def __init__(self, budget, state, reserve):
        super().__init__()
        self.budget, self.state, self.reserve = budget, state, reserve

    def __contains__(self, epoch):
        left = self.budget.left()
        if self.state.get("validated"):
            run = left > 0
        else:
            run = left > 0 and left >= self.reserve / 2
        if not run:
            self.state.setdefault("validation_skipped", (epoch, max(0.0, left)))
        return run


def _holds_text(x):
    """Whether an input array (or one of a dict/list of them) holds strings."""
    import keras

    import numpy as np

    return any(np.asarray(a).dtype.kind in "OUS" for a in keras.tree.flatten(x))


def _text_dataset(arrays, batch_size, shuffle=None):
    """A batched `tf.data.Dataset` of `arrays`, strings as `tf.string` tensors."""
    import keras
    import tensorflow as tf

    import numpy as np

    def tensor(a):
        a = np.asarray(a)
        if a.dtype.kind in "OUS":
            return tf.constant(a.astype(str) if a.dtype == object and a.size and not
                               isinstance(a.flat[0], bytes) else a, dtype=tf.string)
        return tf.constant(a)

    dataset = tf.data.Dataset.from_tensor_slices(keras.tree.map_structure(tensor, arrays))
    if shuffle is not None:
        n = len(keras.tree.flatten(arrays)[0])
        dataset = dataset.shuffle(n, seed=shuffle, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


DOCTOR_TRACE_FACTOR = 1.5
"""The `Doctor`'s instrumented first step, in plain train-step traces and first steps.

Its step computes the forward pass through a tap model that returns every
layer's activations, the per-layer statistics and the update in one trace;
measured (`python benchmarks/bench_budget.py --costs`, under load) at 0.86
to 1.06 times the plain step's trace and first step on CNNs, LSTMs and a
table MLP, 1.77 on a tiny MLP (whose plain step is mostly fixed costs)."""

VALIDATION_TRACE_FACTOR = 8.0
"""The trace of the validation (test) step and its first run, in forward-pass traces.

A test step is a forward pass with the loss and metrics; its trace and first
run are planned at the low end of the train step's measured 8-33 forward
traces (`kerasdoc.probes._shared.TRAIN_TRACE_FACTOR`), which has gradients
and the update besides. The training run stops this long before its
deadline until its first validation pass has run (two BiLSTMs: 1.11 x the
budget with 2)."""


def _training_plan(x, validation_data):
    """`(seconds, how)` the training part cannot cut, planned; `(None, None)` unknown.

    That is the `Doctor`'s first, instrumented step (`DOCTOR_TRACE_FACTOR`
    times the first step a probe measured on the shared copy, or before
    any, `kerasdoc.probes._shared.TRAIN_TRACE_FACTOR_MAX` times the forward
    pass's trace) and, with
    validation data, the validation step's trace (`VALIDATION_TRACE_FACTOR`
    times the forward pass's). The forward pass is traced here when the
    probes did not run (once per call).
    """
    from kerasdoc.probes import _shared

    pool = _shared.current()
    if pool is None or pool.refused is not None:
        return None, None
    if pool.predicted_first_step() is None and pool.forward_trace_seconds(x) is None:
        return None, None
    measured = "first_step" in pool.costs
    # Predicted, not measured: the top of the measured range, since no part
    # after this one can absorb a trace longer than predicted.
    step = pool.predicted_first_step() if measured else (
        _shared.TRAIN_TRACE_FACTOR_MAX * pool.costs["forward_trace"])
    need = DOCTOR_TRACE_FACTOR * step
    how = (f"its instrumented first step is planned to take ({DOCTOR_TRACE_FACTOR:g} x "
           + (f"the {step:.1f} s a probe's first step took{pool.load_note()}" if measured else
              f"{step:.1f} s predicted for a plain first step from the "
              f"{pool.costs['forward_trace']:.2f} s trace of the forward pass"))
    if validation_data is not None and pool.costs.get("forward_trace") is not None:
        need += VALIDATION_TRACE_FACTOR * pool.costs["forward_trace"]
        how += ", plus the validation step's trace"
    return need, how + ")"


def _train_copy(model, x, y, *, validation_data, batch_size, epochs, budget, seed,
                sample_weight=None, class_weight=None, settings=None, task=None,
                callbacks=()):
    import random

    import keras

    import numpy as np

    from kerasdoc.probes._common import preserved_global_rng, probe_copy

    from kerasdoc.training import Doctor

    if not getattr(model, "compiled", False):
        return None, "the model is not compiled (call model.compile first)"
    # Seeded, but the user's global random streams are put back afterwards.
    with preserved_global_rng():
        random.seed(seed)
        np.random.seed(seed)
        # A copy, or (models that cannot be copied) the model itself with its
        # state saved and restored exactly when this block exits.
        clone = probe_copy(model, seed=seed,
                           sample_x=keras.tree.map_structure(lambda a: a[:1], x))
        doctor = Doctor(settings=settings, task=task)
        state = {}
        # The budget callback runs first: it drops a cut-short validation
        # pass from the logs before the Doctor reads them.
        reserve = 0.0
        if validation_data is not None:
            from kerasdoc.probes import _shared

            forward = _shared.cost("forward_trace")
            reserve = VALIDATION_TRACE_FACTOR * forward if forward else 0.0
        fit_callbacks = [_budget_callback(budget, state, reserve), doctor, *callbacks]
        gate = _ValidationGate(budget, state, reserve) if budget.left() < math.inf else 1
        if _holds_text(x):
            # Keras's array adapter refuses string arrays; `fit` takes text from
            # tf.data, as the guides feed it (same batches, shuffled each epoch).
            train = _text_dataset((x, y) if sample_weight is None else
                                  (x, y, sample_weight), batch_size, shuffle=seed)
            val = None if validation_data is None else _text_dataset(
                tuple(validation_data), batch_size)
            clone.fit(train, validation_data=val, class_weight=class_weight,
                      epochs=epochs, shuffle=False, verbose=0, callbacks=fit_callbacks,
                      validation_freq=gate)
        else:
            clone.fit(x, y, validation_data=validation_data, batch_size=batch_size,
                      sample_weight=sample_weight, class_weight=class_weight,
                      epochs=epochs, shuffle=True, verbose=0, callbacks=fit_callbacks,
                      validation_freq=gate)
    note = None
    if "stopped_at_step" in state or "validation_dropped" in state:
        note = (f"training stopped by the time budget after {state.get('steps', 0)} "
                f"steps ({state.get('epochs', 0)} of {epochs} epochs)")
        if "validation_dropped" in state:
            note += (f"; the validation pass of epoch {state['validation_dropped']} "
                     "was cut short and not used")
    if validation_data is not None and "validation_skipped" in state:
        epoch, left = state["validation_skipped"]
        note = (note + "; " if note else "") + (
            f"the validation pass of epoch {epoch} was not started by the time budget "
            f"({left:.1f} s left" + (f", its trace planned at {reserve:.1f} s)"
                                      if reserve and not state.get("validated") else ")"))
    return doctor, note


@guarded
def diagnose(model, x, y=None, *, validation_data=None, batch_size: Optional[int] = None,
             sample_weight=None, class_weight=None, max_samples: int = DEFAULT_MAX_SAMPLES,
             steps_per_epoch: Optional[int] = None,
             epochs: Optional[int] = None, class_names=None,
             budget_s: Optional[float] = 60.0, parts=None, seed: int = 0,
             group_symptoms: bool = True,
             progress: Union[bool, None, Callable[[str], None]] = None,
             settings: Optional[dict] = None, task=None, verify: bool = False,
             verify_seeds: int = 3) -> Report:
    """Run every kerasdoc check on a model and its data; return one report.

    In order: data audit (`check_data`), static model audit (`audit_model`),
    preprocessing check (`check_preprocessing`, when the model contains a
    recognised `keras.applications` backbone), sanity probes
    (`sanity_check`), and a short training run of a copy of the model with
    the `Doctor` attached, whose findings are merged in. The user's model
    is never modified: probes and training work on copies.

    Findings reported by several parts for the same cause (same code and
    layer) appear once, with the evidence of every part. Downstream symptoms
    of a root cause the data or model audit found (e.g. a huge initial loss
    and exploding gradients from raw 0-255 pixels) are folded into that cause
    (see `kerasdoc._causes.SYMPTOMS`). The report lists the parts that ran,
    those skipped and why, those that failed (`report.failed`: exception
    type, message and traceback; a failed part never hides the findings of
    the others) and the seconds each took.

    Args:
        model: a compiled `keras.Model`. One handed over unbuilt (a
            Sequential model without an `Input`, a subclassed model never
            called) is built from `x` the way `fit` builds it.
        x: training inputs as `model.fit` takes them: an array, a dict or
            list of arrays (several inputs), a `tf.data.Dataset` yielding
            `(x, y)` or `(x, y, sample_weight)` (batched or not), a
            `keras.utils.PyDataset` or a generator. A stream is read for its
            first `max_samples` samples (see
            `kerasdoc._inputs.sample_fit_data`: a generator loses the batches
            read; a dataset's shuffle order is left as it was).
        y: training targets (an array, or a dict or list of arrays for
            several outputs); `None` when `x` is a stream. Defaults to `None`.
        validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight)`
            or a stream, as for `fit`; used by the data audit (leakage,
            shift) and the training run. Defaults to `None`.
        sample_weight: per-sample weights for array inputs, as for `fit`.
            Defaults to `None`.
        class_weight: dict of class id to weight, as for `fit`: imbalance it
            compensates is not reported. Defaults to `None`.
        max_samples: samples read from a stream (`x` or `validation_data`).
            Defaults to `4096`.
        steps_per_epoch: as for `fit`: the batches of one epoch of a stream
            `x`. The stream is read for at most that many batches, so a
            generator that loops forever (or a repeated dataset) is audited
            on one pass of its data, not on copies of it. Defaults to `None`.
        batch_size: batch size for probes and training. Defaults to `None`
            (32, or the dataset size if smaller).
        epochs: epochs of the instrumented training run. Defaults to `None`
            (5, the walkthrough's).
        class_names: names of the classes (used for the class count when the
            model's output does not tell it). Defaults to `None`.
        budget_s: wall-clock budget in seconds for the whole call, or
            `None` for no limit. It is split across the parts by weight
            (`kerasdoc._deadline.PART_WEIGHTS`: each part gets its weighted
            share of the time left when it starts, so time a part does not
            use passes to the parts after it), and the probes split theirs
            again. Checks start only while their part has time left
            (otherwise `report.skipped` says "time budget spent"); a probe
            whose loop the deadline stops is reported at `info` as
            inconclusive, never as an error or warning; the training run
            stops at the end of its batch in flight. The parts plan to
            finish 10% early (`kerasdoc._deadline.RESERVE`), for the step
            or trace in flight at a deadline.
            Defaults to `60.0`.
        parts: the parts to run, a subset of `("data", "model",
            "preprocessing", "probes", "training")`. Defaults to `None` (all).
        seed: seed for the probes and the training run. Defaults to `0`.
        group_symptoms: fold symptoms into the root cause that explains them,
            keeping each symptom's message and evidence under
            `evidence["symptoms"]` and raising the cause to the worst
            severity among them; `False` lists every finding separately.
            Defaults to `True`.
        progress: `True` for tqdm progress bars on stderr (one over the
            parts, one over the training part's epochs; a notebook widget in
            Jupyter), `False` for none, a callable to receive one line of
            text per event (each part's start and end, each training epoch;
            the command line prints them), or `None` for bars only when
            stderr is a terminal or the code runs in a notebook. Defaults to
            `None`.
        settings: `{check name: {setting: value}}` for any check of any part
            (see `kerasdoc.checks()`), e.g.
            `{"train.dead_relu": {"fraction": 0.8}}`. An unknown check or
            setting is an error naming the closest valid one. Defaults to
            `None` (every default).
        task: the task (a `kerasdoc.Task`, a kind name such as
            `"regression"`, or for a multi-output model a dict of output name
            -> kind); checks that do not apply to it are skipped with that
            reason. Defaults to `None`: inferred by `kerasdoc.infer_task`
            from the loss, the output layer and the targets (its line opens
            the report; if inference fails, that failure is in
            `report.failed["task"]` and every check runs).
        verify: then apply each finding's remedy to a copy and train it
            against the original across seeds (`kerasdoc.verify`, with its
            own budget of `budget_s`): each such finding gets `verified`,
            and a warning whose remedy has no effect drops to info.
            Defaults to `False`.
        verify_seeds: seeds per arm of the verification. Defaults to `3`.

    Returns:
        `kerasdoc.Report`.

    Example:

    >>> report = kerasdoc.diagnose(model, x_train, y_train,
    ...                            validation_data=(x_test, y_test))  # doctest: +SKIP
    >>> report.raise_for("error")  # doctest: +SKIP
    """
    call_start = time.perf_counter()  # the budget covers the whole call
    check_model(model, built=False)  # an unbuilt model is built below, as fit would
    from kerasdoc._progress import Progress, check_progress

    check_progress(progress)
    if not isinstance(group_symptoms, bool):
        raise InvalidTypeError(
            f"`group_symptoms` must be True or False. "
            f"{received('group_symptoms', group_symptoms)}")
    # Inputs as `fit` takes them (arrays, dicts/lists, tf.data, PyDataset,
    # generators); streams are read for at most `max_samples` samples.
    data = sample_fit_data(x, y, sample_weight=sample_weight, class_weight=class_weight,
                           max_samples=max_samples, steps=steps_per_epoch)
    require_targets(data, x)
    x, y = as_model_inputs(data.x, model), data.y
    try:
        val = sample_validation_data(validation_data, max_samples=max_samples)
    except (InvalidInputError, InvalidTypeError) as exc:
        if "validation_data" in str(exc):
            raise
        # e.g. a bad third element (the validation sample weights)
        raise type(exc)(f"`validation_data` is not valid: {exc}") from None
    validation_data = None if val is None else (
        (as_model_inputs(val.x, model), val.y) if val.sample_weight is None else
        (as_model_inputs(val.x, model), val.y, val.sample_weight))
    batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
    batch_size = batch_size or min(data.batch_size or 32, data.n)
    fit_epochs = check_int(epochs, "epochs", minimum=1, allow_none=True)
    epochs = fit_epochs or 5
    budget_s = check_float(budget_s, "budget_s", minimum=0, exclusive_minimum=True,
                           allow_none=True)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(verify, bool):
        raise InvalidTypeError(f"`verify` must be True or False. {received('verify', verify)}")
    verify_seeds = check_int(verify_seeds, "verify_seeds", minimum=2)
    if class_names is not None and isinstance(class_names, (str, bytes)):
        raise InvalidTypeError(
            f"`class_names` must be a sequence of names. {received('class_names', class_names)}"
        )
    if parts is None:
        parts = PARTS
    else:
        if isinstance(parts, str) or not hasattr(parts, "__iter__"):
            raise InvalidTypeError(
                f"`parts` must be a list of names from {PARTS}. {received('parts', parts)}")
        parts = tuple(parts)
        unknown = [p for p in parts if p not in PARTS]
        if unknown:
            raise InvalidInputError(
                f"`parts` must be names from {PARTS}. {received('parts', parts)}"
            )
    from kerasdoc._registry import check_task, normalise_settings

    settings = normalise_settings(settings)
    if task is not None:
        task = check_task(task)  # a bad task is bad input, before any work
    n_classes = _n_classes(model, y, class_names)
    # The parts plan to end RESERVE of the budget early (the work in flight
    # at a deadline cannot be cut); each part gets a weighted share of what
    # is left when it starts (kerasdoc._deadline).
    plan = _deadline.Deadline(
        None if budget_s is None else budget_s * (1 - _deadline.RESERVE), start=call_start)
    tracker = Progress(progress, parts=len(parts))
    from kerasdoc.probes import _shared

    try:
        # The probes and the training run share copies of the model and
        # their traced steps, and plan with what the first trace cost
        # (`kerasdoc.probes._shared`).
        with _shared.sharing(model):
            return _run_parts(model, x, y, data, validation_data, parts, tracker, plan,
                              budget_s=budget_s, batch_size=batch_size, epochs=epochs,
                              fit_epochs=fit_epochs,
                              seed=seed, settings=settings, task=task,
                              n_classes=n_classes,
                              group_symptoms=group_symptoms, verify=verify,
                              verify_seeds=verify_seeds)
    finally:
        tracker.close()


def _run_parts(model, x, y, data, validation_data, parts, tracker, plan, *, budget_s,
               batch_size, epochs, seed, fit_epochs=None, settings, task, n_classes, group_symptoms,
               verify=False, verify_seeds=3):
    """The parts of `diagnose`, in order, after its arguments are checked.

    `plan` is the call's `Deadline` (ending `RESERVE` early); each part runs
    under its share of it (`kerasdoc._deadline`).
    """
    from kerasdoc._registry import checks as registered

    from kerasdoc._quiet import quiet_part
    from kerasdoc._task import resolve_task

    say = tracker.say
    budget = None  # the running part's deadline

    def run_data():
        from kerasdoc.data import check_data

        x_test, y_test = validation_data[:2] if validation_data is not None else (None, None)
        # A bounded, seeded sample of each split (DATA_ROWS), so the audit's
        # cost does not grow with the data; its size goes into the evidence.
        x_seen, y_seen, weights, rows = _sample_rows(x, y, data.sample_weight, seed)
        x_test, y_test, _, test_rows = _sample_rows(x_test, y_test, None, seed + 1)
        notes = []
        if rows[0] < rows[1] or (test_rows and test_rows[0] < test_rows[1]):
            notes.append(_sample_note(rows, test_rows))
        # Audit the inputs as the network sees them: a model that starts with
        # Rescaling(1/255) is right to be fed raw 0-255 pixels.
        scaling = _input_scaling_layers(model)
        if scaling:
            x_seen = _apply_layers(scaling, x_seen)
            x_test = None if x_test is None else _apply_layers(scaling, x_test)
            names = ", ".join(f"{type(l).__name__} '{l.name}'" for l in scaling
                              if "Rescaling" in type(l).__name__
                              or "Normalization" in type(l).__name__)
            notes.append(f"inputs audited after the model's own input scaling ({names})")
        # fit shuffles arrays each epoch, never a stream (a Dataset's own
        # .shuffle() shows in the order the sample was read in).
        report = check_data(x_seen, y_seen, x_test=x_test, y_test=y_test,
                            n_classes=n_classes, sample_weight=weights,
                            class_weight=data.class_weight, model=model,
                            shuffle=not data.is_stream,
                            settings=settings, task=task)
        if notes and notes[0].startswith("audited"):
            report = _with_rows(report, rows, test_rows)
        return report, "; ".join(notes) or None

    def run_model():
        from kerasdoc.model import audit_model

        # The epochs the user gave (None: not said), for the updates a run gets.
        return audit_model(model, x=x, y=y, batch_size=batch_size, epochs=fit_epochs,
                           settings=settings, task=task), None

    def run_preprocessing():
        from kerasdoc._registry import Runner, resolve_settings

        if getattr(x, "ndim", None) != 4:
            from kerasdoc.model._backbones import find_backbones

            try:
                backbone = bool(find_backbones(model))
            except Exception:  # no layer list to read: say what is known
                backbone = True
            if not backbone:  # the part's subject is absent, whatever the inputs
                return None, "no keras.applications backbone recognised in the model"
            return None, ("inputs are not image batches (N, H, W, C), so no "
                          "keras.applications backbone can be fed")
        runner = Runner("preprocessing", task=task,
                        settings=resolve_settings(settings, part="preprocessing"))
        runner.run("preprocess.backbone_inputs", model, x[: min(len(x), 64)])
        if not runner.ran and not runner.failed:
            # No backbone recognised: the check says so in its reason.
            return None, "; ".join(runner.skipped.values()) or "did not run"
        return runner.report("kerasdoc preprocessing check"), None

    def run_probes():
        from kerasdoc.probes import sanity_check

        return sanity_check(model, x, y, batch_size=batch_size, seed=seed,
                            settings=settings, task=task), None

    def run_training():
        # The copy's instrumented first step (its trace) and the validation
        # pass's trace cannot be cut: they must fit in the part's time.
        late = budget.can_start(need=0.0)
        if late is None and budget.left() < math.inf:
            need, how = _training_plan(x, validation_data)
            late = budget.can_start(need=need, what=how) if need is not None \
                else budget.can_start()
        if late is not None:
            given = getattr(plan, "given_to_probes", None)
            return None, late + (f" ({given})" if given else "")
        doctor, note = _train_copy(model, x, y, validation_data=validation_data,
                                   batch_size=batch_size, epochs=epochs, budget=budget,
                                   seed=seed, sample_weight=data.sample_weight,
                                   class_weight=data.class_weight, settings=settings,
                                   task=task, callbacks=[c for c in [
                                       tracker.epochs(epochs)] if c is not None])
        if doctor is None:
            return None, note
        return doctor.report, note

    if not model.built:  # as `fit` would build it from its first batch
        from kerasdoc._modelcopy import build_like_fit

        build_like_fit(model, x)
    failed = {}
    if task is not None:
        task = resolve_task(task, model, x, y)
    else:
        try:
            task = resolve_task(None, model, x, y)
        except Exception as exc:  # inference crashed: say so, run every check
            failed["task"] = failure(exc)
            say(f"task: FAILED ({type(exc).__name__}: {exc}); every check runs")
            task = None
    if task is not None:
        say(task.describe())

    names = {c.name for c in registered()}

    def key(part, name):
        return name if name in names else f"{part}/{name}"

    runners = {"data": run_data, "model": run_model, "preprocessing": run_preprocessing,
               "probes": run_probes, "training": run_training}
    found, ran, skipped, timings = [], [], {}, {}
    # Parts that will run (the preprocessing check only on image batches).
    todo = [p for p in PARTS if p in parts
            and (p != "preprocessing" or getattr(x, "ndim", None) == 4)]
    for part in PARTS:
        checkpoint()
        if part not in parts:
            skipped[part] = "not requested (parts=...)"
            continue
        if plan.spent():
            given = getattr(plan, "given_to_probes", None) if part == "training" else None
            skipped[part] = f"time budget of {budget_s:g} s spent before this part" + (
                f" ({given})" if given else "")
            tracker.done(part, "skipped (time budget spent)")
            continue
        rest = sum(_deadline.PART_WEIGHTS[p] for p in todo[todo.index(part):]) \
            if part in todo else _deadline.PART_WEIGHTS[part]
        budget = plan.share(_deadline.PART_WEIGHTS[part], rest)
        budget.tick()
        # While the probes run, what the training run after them cannot cut:
        # when it cannot run in what is left of the call anyway, the probes
        # may take that time (`kerasdoc.probes._sanity._rest_of_call`).
        plan.later = (lambda: _training_plan(x, validation_data)[0]) if (
            part == "probes" and "training" in todo) else None
        tracker.start(part)
        start = time.perf_counter()
        caught = []
        try:
            # numpy/scikit-learn warnings the checks did not capture themselves
            # go to the progress lines, not to the user's stderr.
            with quiet_part(caught), _deadline.active(budget):
                report, note = runners[part]()
        except Exception as exc:  # a broken part must not hide the others' findings
            timings[part] = time.perf_counter() - start
            failed[part] = failure(exc)
            tracker.done(part, f"FAILED ({type(exc).__name__}: {exc})", failed=True)
            continue
        timings[part] = time.perf_counter() - start
        for text in caught:
            say(f"{part}: {text}")
        if report is None:
            skipped[part] = note
            tracker.done(part, f"skipped ({note})")
            continue
        ran.append(part)
        if note:
            skipped[f"{part} (rest)"] = note
        # The part's own bookkeeping (each check by its name; other entries,
        # such as the data scan's timing, prefixed by the part).
        skipped.update({key(part, k): v for k, v in report.skipped.items()})
        timings.update({key(part, k): v for k, v in report.timings.items()})
        failed.update({key(part, k): v for k, v in report.failed.items()})
        found.append((part, list(report)))
        tracker.done(part, f"{len(report)} finding(s) in {timings[part]:.1f} s")
    timings["total"] = time.perf_counter() - plan.start
    findings = deduplicate(found)
    if group_symptoms:
        findings = fold_symptoms(findings)
    report = Report(findings, ran=ran, skipped=skipped, timings=timings, failed=failed,
                    title=f"kerasdoc diagnose of {model.name}",
                    task=task if callable(getattr(task, "describe", None)) else None)
    if verify:
        from kerasdoc._verify import verify as verify_report

        checkpoint()
        say("verify: trying each remedy on a copy")
        try:
            report = verify_report(report, model, x, y, validation_data=validation_data,
                                   seeds=verify_seeds, budget_s=budget_s,
                                   batch_size=batch_size, sample_weight=data.sample_weight,
                                   class_weight=data.class_weight, seed=seed,
                                   fit_epochs=epochs, progress=say)
        except (InvalidInputError, InvalidTypeError) as exc:  # e.g. several outputs
            report = Report(report.findings, ran=report.ran,
                            skipped=dict(report.skipped, verify=str(exc)),
                            timings=report.timings, failed=report.failed,
                            title=report.title, task=report.task)
        except Exception as exc:  # a crash is a failure, never a silent skip
            report = Report(report.findings, ran=report.ran, skipped=report.skipped,
                            timings=report.timings,
                            failed=dict(report.failed, verify=failure(exc)),
                            title=report.title, task=report.task)
    return report

