"""Machinery shared by the probes: input checks, seeded copies, batches, losses.

Every probe trains or differentiates a *copy* of the user's model
(`kerasdoc._modelcopy.copy_model`), seeds the copy's own random generators
from the probe's `seed`, and puts Python's, NumPy's and Keras's global
random state back afterwards, so a probe neither changes the model nor the
user's random streams.
"""

import contextlib
import math
import random
import time

import numpy as np

from kerasdoc import _keras, _losses
from kerasdoc._errors import InvalidInputError
from kerasdoc._interrupts import checkpoint, interrupt_guard
from kerasdoc._losses import classify_loss
from kerasdoc._modelcopy import (NotCopyable, SavedState, build_like_fit, compile_like,
                                 copy_model)
from kerasdoc._validation import (check_array, check_float, check_int, check_model,
                                  check_model_input, check_model_inputs, received)

# Loss names (as `kerasdoc._losses.classify_loss` reads them) -> how the labels
# are encoded. Only the plain cross-entropies: their expected initial loss is
# -ln(1/C) (the focal variants' is not).
_CLASSIFICATION_LOSSES = {
    "sparse_categorical_crossentropy": "sparse",
    "categorical_crossentropy": "categorical",
    "binary_crossentropy": "binary",
}


def check_compiled(model, name="model"):
    """Raise unless `model` is a Keras model compiled with a loss.

    An unbuilt model is built later from the data (`check_input`), as `fit`
    builds it.
    """
    check_model(model, name, built=False)
    from kerasdoc.training._observer import custom_step_reason

    # A custom train_step computes its own loss (the Keras guides compile
    # such models with an optimizer only): its probes follow the step's logs.
    own_step = custom_step_reason(model) is not None
    if not getattr(model, "compiled", False) or (
            getattr(model, "loss", None) is None and not own_step):
        raise InvalidInputError(
            f"`{name}` must be compiled with a loss and an optimizer "
            "(model.compile(optimizer=..., loss=...)) so the probes can train "
            f"a copy of it. {received(name, model)}"
        )
    return model


MAX_SAMPLES = 4096
"""Samples a probe reads from a stream (`tf.data`, `PyDataset`, generator)."""


def check_xy(x, y, model=None, *, need_y=True):
    """Validate the data arguments of a probe; return them as arrays.

    `x` and `y` are what `model.fit` takes: arrays, dicts or lists of arrays
    (several inputs or outputs), or a stream yielding `(x, y)` batches, of
    which the first `MAX_SAMPLES` samples are read (see
    `kerasdoc._inputs.sample_fit_data`). With `model`, a single array `x`
    must match its input shape and, for a sparse or categorical
    cross-entropy, `y` must hold class ids below (or one-hot rows as wide
    as) its number of outputs, so bad data gets an error naming the argument
    instead of one from inside TensorFlow.
    """
    from kerasdoc._inputs import require_targets, sample_fit_data

    data = sample_fit_data(x, y, max_samples=MAX_SAMPLES)
    if need_y:
        require_targets(data, x)
    x, y = data.x, data.y
    if not isinstance(x, (dict, list)):
        text = x.dtype.kind in "OSU"
        x = check_array(x, "x", numeric=not text)
    if y is not None and not isinstance(y, (dict, list)):
        y = check_array(y, "y")
    if model is not None and isinstance(x, (dict, list)):
        x = check_model_inputs(x, model)
    elif model is not None:
        check_input(x, model)
    if model is not None and y is not None and not isinstance(y, (dict, list)):
        _check_labels(y, model)
    return x, y


def take(x, index):
    """Samples `index` (indices or a slice) of an array or a dict/list of arrays."""
    import keras

    return keras.tree.map_structure(lambda a: a[index], x)


def count(x):
    """The number of samples in an array or a dict/list of arrays."""
    import keras

    return len(keras.tree.flatten(x)[0])


def _blank(a):
    """Zeros like `a`; for text (an object array of strings) the empty string."""
    a = np.asarray(a)
    if a.dtype == object:
        first = a.flat[0] if a.size else ""
        return np.full(a.shape, b"" if isinstance(first, bytes) else "", dtype=object)
    return np.zeros_like(a)


def zeros_like(x):
    """Zeros shaped like an array or each array of a dict/list (empty strings for text)."""
    import keras

    return keras.tree.map_structure(_blank, x)


def check_input(x, model):
    """Raise unless `x`'s per-sample shape fits the model's (single) input.

    A model handed over unbuilt (a Sequential model without an `Input`, a
    subclassed model never called) is first built from `x` the way `fit`
    builds it (`kerasdoc._modelcopy.build_like_fit`).
    """
    if not model.built:
        build_like_fit(model, x)
    return check_model_input(x, model)


def _graph_tensors(model, attribute):
    """`model.inputs`/`model.outputs`, or None for models without a graph."""
    try:
        return list(getattr(model, attribute, None) or ())
    except Exception:  # subclassed models raise when they have no graph
        return None


def _check_labels(y, model):
    kind = loss_kind(getattr(model, "loss", None))
    outputs = _graph_tensors(model, "outputs")
    if kind not in ("sparse", "categorical") or not outputs or len(outputs) != 1:
        return
    shape = tuple(outputs[0].shape)  # (None, ..., k): a sequence output has steps
    k = shape[-1]
    steps = shape[1:-1]

    def fits(dims):
        return len(dims) == len(steps) and all(
            want is None or got == want for got, want in zip(dims, steps))

    if kind == "categorical":
        if y.ndim != len(shape) or not fits(y.shape[1:-1]) or (
                k is not None and y.shape[-1] != k):
            raise InvalidInputError(
                f"`y` must be one-hot rows of width {k} for categorical cross-entropy"
                f" (shaped like the output, {shape}). Received: y.shape={y.shape}")
        return
    if not (fits(y.shape[1:]) or (y.ndim == len(shape) and fits(y.shape[1:-1])
                                  and y.shape[-1] == 1)):
        want = "(n,) or (n, 1)" if not steps else f"(n, {', '.join(map(str, steps))})"
        raise InvalidInputError(
            f"`y` must be class ids of shape {want} for sparse categorical "
            f"cross-entropy. Received: y.shape={y.shape}")
    # The data audit's decoder (one per package) on every id, per step too:
    # the ids that are not finite, not whole numbers, or outside 0..k-1.
    from kerasdoc.data._prepare import decode_labels

    flat = np.ravel(y.real if np.iscomplexobj(y) else y)
    with np.errstate(invalid="ignore"):
        labels = decode_labels(flat, k)
    bad = np.concatenate([labels.nonfinite_rows, labels.non_integer_rows,
                          labels.out_of_range_rows])
    if bad.size:
        i = int(bad.min())
        raise InvalidInputError(
            f"`y` must hold class ids 0..{'n_classes' if k is None else k}-1 (the "
            f"model's outputs); y[{i}]={y.ravel()[i]!r}. {received('y', y)}")


def check_common(seed, time_budget):
    """Validate the `seed` and `time_budget` options every probe shares."""
    check_int(seed, "seed", minimum=0)
    check_float(time_budget, "time_budget", minimum=0.0, exclusive_minimum=True,
                allow_none=True)


# One list per open `preserved_global_rng()` block: the models probes work
# on in place (their `SavedState`), restored when the block exits.
_SESSIONS = []


def _restore_all(saved_states):
    """Restore every saved model; a Ctrl-C meanwhile restarts, then is raised."""
    interrupted = False
    while True:
        try:
            for saved in reversed(saved_states):
                saved.restore()
            break
        except KeyboardInterrupt:  # restoring is idempotent: finish it first
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt


@contextlib.contextmanager
def preserved_global_rng():
    """Restore Python's, NumPy's and Keras's global random state on exit.

    Cloning a model draws default seeds from Python's `random`; the probes
    themselves use private generators only. A model that `probe_copy` could
    not copy, and so lent to the probe with its state saved, is restored
    here too, also when the block ends with an exception or a Ctrl-C.
    """
    with interrupt_guard():
        _SESSIONS.append([])
        try:
            with _rng_preserved():
                yield
        finally:
            _restore_all(_SESSIONS.pop())


@contextlib.contextmanager
def _rng_preserved():
    py_state = random.getstate()
    np_state = np.random.get_state()
    generator, gen_state = None, None
    try:
        from kerasdoc._keras import global_seed_generator

        generator = global_seed_generator()
        if generator is not None:
            gen_state = np.array(generator.state.numpy(), copy=True)
    except Exception:  # a Keras without this private module: nothing to keep
        generator = None
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if generator is not None:
            generator.state.assign(gen_state)


def seed_model(model, seed):
    """Reset every `SeedGenerator` inside `model` (dropout, noise) from `seed`."""
    rng = np.random.default_rng(seed)
    for layer in _keras.flatten_layers(model, include_self=True):
        for generator in _keras.seed_generators(layer):
            value = int(rng.integers(1, 2**30))
            generator.state.assign(
                np.asarray([value, 0], dtype=generator.state.dtype))


def probe_copy(model, *, seed, compile=True, optimizer=None, sample_x=None):
    """A seeded copy of `model` (see `copy_model`), or the model itself, lent.

    A model that cannot be copied in-process (a subclassed model whose
    constructor arguments Keras did not record) is worked on in place
    inside the enclosing `preserved_global_rng()` block: its state is saved
    first (`SavedState`) and restored exactly when the block exits. A probe
    that needs two copies of such a model gets `NotCopyable`.

    Inside a `kerasdoc.probes._shared.sharing(model)` block (as `sanity_check`
    and `diagnose` open), the copy is lent from the block's pool: the same
    copy, with every variable put back as it was made and its generators
    seeded from `seed`, so its traced train step is reused. The copy is
    compiled either way (`compile=False` only means the probe does not
    train it).
    """
    from kerasdoc.probes import _shared

    pool = _shared.current()
    if pool is not None and pool.model is model and _SESSIONS:
        clone = pool.lend(_SESSIONS[-1], seed=seed, optimizer=optimizer,
                          sample_x=sample_x)
        if clone is not None:
            return clone
    try:
        clone = copy_model(model, compile=compile, optimizer=optimizer,
                           sample_x=sample_x)
    except NotCopyable as reason:
        clone = _lend(model, reason, compile=compile, optimizer=optimizer)
    seed_model(clone, seed)
    return clone


def _lend(model, reason, *, compile, optimizer):
    if not _SESSIONS:
        raise reason
    session = _SESSIONS[-1]
    if any(saved.model is model for saved in session):
        raise NotCopyable(
            "this probe needs two independent copies of `model`, and it cannot "
            f"be copied ({reason})") from None
    session.append(SavedState(model))  # saved before anything changes
    if compile and getattr(model, "compiled", False):
        compile_like(model, model, optimizer)
    return model


def batch_indices(n, batch_size, rng):
    """Endless batches of indices into `n` samples, reshuffled every epoch."""
    batch_size = min(batch_size, n)
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start:start + batch_size]


class Budget:
    """A step and wall-clock budget; `reason(step)` says why a loop must stop.

    The wall-clock limit is the probe's own `time_budget` or the ambient
    deadline (`kerasdoc._deadline.current()`, the share `diagnose` gave this
    probe), whichever ends first. A loop stopped by either gets
    `"time_budget"`: its result is inconclusive (see
    `kerasdoc.probes._checks.truncated`).
    """

    def __init__(self, max_steps, time_budget):
        from kerasdoc import _deadline

        self.max_steps = max_steps
        self._deadline = (None if time_budget is None
                          else time.perf_counter() + time_budget)
        self._ambient = _deadline.current()

    def reason(self, step):
        checkpoint()  # every probe loop asks once per step
        if self._ambient is not None:
            self._ambient.tick()  # the CPU share of the moment (`_deadline.CpuMeter`)
        if self._ambient is not None and not getattr(self, "_noted", False):
            # The probe's share started with it: copy, trace and first step.
            self._noted = True
            self._ambient.note_first_step(self._ambient.elapsed())
        if step >= self.max_steps:
            return "max_steps"
        if self._deadline is not None and time.perf_counter() > self._deadline:
            return "time_budget"
        if self._ambient is not None and self._ambient.spent():
            return "time_budget"
        return None


def train_loss(model, xb, yb):
    """One step of the model's own `train_step` on `(xb, yb)`; its loss as a float.

    The step gets the batch as `fit` gives it, `(x, y)` (not
    `train_on_batch`'s `(x, y, None)`, which a custom `train_step` written
    `x, y = data` cannot unpack), with the metrics reset first, so the
    logged loss is this batch's.
    """
    from kerasdoc.probes import _shared

    checkpoint()
    pool = _shared.current()
    slot = None if pool is None else pool.slot_of(model)
    start, cpu_start = time.perf_counter(), time.process_time()
    _keras.maybe_symbolic_build(model, (xb, yb, None))
    model.make_train_function()
    model.reset_metrics()
    # A shared copy's first step: fed from a dataset whose batch size is
    # open, Keras's step function is traced once for every batch size the
    # probes use (fed arrays, each new size traces again).
    opened = _open_batch(xb, yb) if slot is not None and not slot.shapes else None
    logs = model.train_function(opened or iter([(xb, yb)]))
    if slot is not None:  # a shared copy: its trace cost is planned with
        pool.note_step(slot, count(xb), time.perf_counter() - start,
                       relaxed=opened is not None, cpu=time.process_time() - cpu_start)
    value = logs.get("loss") if isinstance(logs, dict) else None
    if value is None:
        raise StepWithoutLoss(
            f"{type(model).__name__}'s train_step returns no \"loss\" (it "
            f"returns {sorted(logs) if isinstance(logs, dict) else type(logs).__name__})")
    return float(np.asarray(value))


def _open_batch(xb, yb):
    """An iterator over one `tf.data` batch of `(xb, yb)` with an open batch size.

    `None` when the arrays are not all numeric (strings, objects) or not
    numpy arrays.
    """
    import keras
    import tensorflow as tf

    leaves = keras.tree.flatten((xb, yb))
    if not all(isinstance(a, np.ndarray) and a.dtype.kind in "biuf" for a in leaves):
        return None
    try:
        return iter(tf.data.Dataset.from_tensor_slices((xb, yb)).batch(count(xb)))
    except Exception:  # a structure tf.data does not take: arrays it is
        return None


class StepWithoutLoss(InvalidInputError):
    """The model's own train step logs no "loss", so a probe cannot follow it."""


class BudgetSpent(Exception):
    """A probe's deadline passed before it measured enough to judge anything."""


def passes_fit(deadline, done, seconds, left_to_do, what):
    """Raise `BudgetSpent` unless `left_to_do` more passes like the last fit in `deadline`.

    For probes made of a few passes that all count (each as long as the
    last, `seconds`): one that cannot finish in its share stops after
    `done` and is skipped for the budget, rather than overrun it.

    Args:
        deadline: the probe's `kerasdoc._deadline.Deadline`, or `None` (no limit).
        done: passes made.
        seconds: how long the last pass took.
        left_to_do: passes still needed.
        what: what a pass is, for the reason.
    """
    if deadline is None or left_to_do <= 0:
        return
    left = deadline.left()
    if left < seconds * left_to_do:
        where = f"after {done} {what}" if done else "before its first pass"
        if left <= 0:  # nothing left to compare with
            raise BudgetSpent(f"time budget spent {where}")
        raise BudgetSpent(
            f"time budget spent: {max(left, 0.0):.1f} s left {where}, less than the "
            f"{seconds * left_to_do:.1f} s its {left_to_do} {what} still to do take "
            f"({seconds:.1f} s each)")


# What makes a probe skip (with the reason) inside `sanity_check`.
CANNOT_RUN = (NotCopyable, StepWithoutLoss, BudgetSpent)


def _loss_object(loss):
    import keras

    if isinstance(loss, (dict, list, tuple)):
        return None
    try:
        return keras.losses.get(loss)
    except Exception:  # unknown string identifiers
        return None


def loss_kind(loss):
    """'sparse', 'categorical' or 'binary' for a cross-entropy loss, else None."""
    info = classify_loss(loss)
    return None if info is None else _CLASSIFICATION_LOSSES.get(info.name)


def cross_entropy_floor(loss, kind, y):
    """The least mean cross-entropy any prediction reaches on targets `y`.

    Cross-entropy against a target distribution t is at least its entropy
    H(t), reached by predicting t itself. Hard labels (one-hot, 0/1) have
    H = 0; soft ones (mixup, label smoothing, distillation targets) do not,
    and a batch fitted perfectly still sits at their mean entropy. Label
    smoothing in the loss's config is applied first, as the loss applies it.

    Args:
        loss: the compiled loss (string, function or `keras.losses.Loss`).
        kind: `loss_kind(loss)`: `"categorical"` or `"binary"`; anything
            else has floor 0.
        y: the batch's targets as the loss receives them.

    Returns:
        float, 0.0 for hard labels or targets it cannot read.
    """
    if kind not in ("categorical", "binary") or isinstance(y, (dict, list, tuple)):
        return 0.0
    try:
        t = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return 0.0
    if t.size == 0 or not np.all(np.isfinite(t)) or t.min() < 0 or t.max() > 1:
        return 0.0
    obj = _loss_object(loss)
    try:
        smoothing = float((obj.get_config() if obj is not None else {})
                          .get("label_smoothing") or 0.0)
    except Exception:  # a user loss whose get_config fails  # noqa: BLE001
        smoothing = 0.0

    def xlogx(v):
        return np.where(v > 0, v * np.log(np.where(v > 0, v, 1.0)), 0.0)

    if kind == "categorical":
        if t.ndim < 2:
            return 0.0
        t = t * (1 - smoothing) + smoothing / t.shape[-1]
        entropy = -np.sum(xlogx(t), axis=-1)
    else:
        t = t * (1 - smoothing) + 0.5 * smoothing
        entropy = -(xlogx(t) + xlogx(1 - t))
        if entropy.ndim > 1:
            entropy = entropy.mean(axis=-1)
    return float(max(np.mean(entropy), 0.0))


def is_builtin_loss(loss):
    """Whether `loss` is one of Keras's own losses (not user code)."""
    return _losses.is_builtin_loss(loss)


def per_sample_loss(loss):
    """A function `(y_true, y_pred) -> per-sample losses` without dtype casts.

    Returns None for losses it cannot resolve (dicts/lists for several outputs).
    """
    import keras

    obj = _loss_object(loss)
    if obj is None:
        return None
    if isinstance(obj, keras.losses.Loss):
        return obj.call  # LossFunctionWrapper.call aligns the ranks itself
    return lambda y_true, y_pred: obj(*_same_rank(y_true, y_pred))


def _same_rank(y_true, y_pred):
    """Add or drop a trailing unit axis of `y_true`, as Keras's loss wrapper does."""
    from keras import ops

    true_rank, pred_rank = len(np.shape(y_true)), len(np.shape(y_pred))
    if true_rank == pred_rank - 1 and np.shape(y_pred)[-1] == 1:
        y_true = ops.expand_dims(y_true, -1)
    elif true_rank == pred_rank + 1 and np.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    return y_true, y_pred


def mean_loss(fn, y_true, y_pred):
    """Mean of `fn(y_true, y_pred)` as a backend tensor."""
    from keras import ops

    return ops.mean(fn(y_true, y_pred))


def configured_learning_rate(optimizer):
    """The optimizer's current learning rate as a float (schedules evaluated)."""
    try:
        value = optimizer.learning_rate
        return float(np.asarray(value))
    except Exception:  # custom optimizers without a readable rate
        return None


def n_classes_of(kind, y_pred):
    """Number of classes of a classifier's predictions (2 for binary)."""
    return 2 if kind == "binary" else int(np.prod(np.shape(y_pred)[1:]))


def label_prior(y, n_classes, kind):
    """Class frequencies of the labels `y` for a classification loss."""
    if kind == "sparse":
        labels = np.asarray(y).reshape(-1).astype(np.int64)
        labels = labels[(labels >= 0) & (labels < n_classes)]
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    elif kind == "binary":
        p = float(np.clip(np.mean(np.asarray(y, dtype=np.float64)), 0.0, 1.0))
        counts = np.array([1.0 - p, p])
    else:
        counts = np.asarray(y, dtype=np.float64).reshape(len(y), -1).sum(axis=0)
    total = counts.sum()
    return counts / total if total > 0 else np.full(len(counts), 1 / len(counts))


def entropy(p):
    """Natural-log entropy of a probability vector."""
    p = np.asarray(p, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def finite(value):
    return value is not None and math.isfinite(value)


def output_matrix(outputs, n):
    """The model's outputs (one tensor or a structure) as an (n, k) float64 array."""
    import keras

    parts = [np.asarray(t, dtype=np.float64).reshape(n, -1)
             for t in keras.tree.flatten(outputs)]
    return np.concatenate(parts, axis=1)
