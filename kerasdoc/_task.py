"""The task profile: what the model is trained to do, inferred once per call.

`infer_task(model, x, y)` reads the compiled loss(es) (through the one loss
classifier, `kerasdoc._losses.classify_loss`), the output layer(s) (units,
activation, logits or not, per-timestep axis) and, when given, the targets,
and returns a frozen `Task`. Every check that makes a task assumption asks the
task instead of assuming a single-label classifier.

Kinds (`TASK_KINDS`):

- `multiclass`: one class out of K, labels sparse (class ids) or one-hot.
- `binary`: one unit giving P(class 1) (sigmoid, or logits with
  `from_logits=True`), targets 0/1 (or -1/1 for hinge losses).
- `multilabel`: K independent yes/no units (sigmoid + binary cross-entropy),
  multi-hot targets.
- `regression`: one or several real-valued targets.
- `reconstruction`: the targets are the inputs (autoencoders).
- `sequence`: a target per position: per timestep `(n, T, ...)` or, for a
  dense prediction, per pixel. `encoding` says whether each position holds a
  class (`sparse`, `one_hot`, `binary`, `multi_hot`) or a value
  (`continuous`).

A model with several outputs gets `kind="multi_output"` and one task per
output in `outputs`, by output name.

Rules, in order (per output):

1. Targets that are the inputs (`y is x`, or equal arrays: shape, dtype and
   a sample of rows compared) make `reconstruction`, whatever the loss
   (autoencoders are often trained with binary cross-entropy on [0, 1] pixels).
2. The loss comes first. MSE, MAE, Huber, log-cosh, MSLE, MAPE or Poisson on a
   linear (or other non-probability) output is `regression`, even when the
   targets happen to be whole numbers. A sparse or categorical cross-entropy,
   KL divergence or categorical hinge is `multiclass`. Binary cross-entropy
   (or hinge) on one unit is `binary`; on several units it is `multilabel`.
3. An output with a per-timestep axis (rank 3 or more, `(n, T, units)`) turns
   any of these into `sequence`, keeping the per-position encoding.
4. Without a loss we know (uncompiled, or a custom loss), the output layer
   decides: softmax is `multiclass`, one sigmoid unit `binary`, several
   sigmoid units `multilabel`, a linear output `regression` unless the targets
   are class ids below the number of units or one-hot rows as wide as the
   output (then `multiclass` with logits).

Ambiguous cases, and what is decided:

- A two-unit softmax is `multiclass` with 2 classes, not `binary`: its labels
  (class ids or two-column one-hot rows) and losses are the multi-class ones;
  `binary` is reserved for the one-unit form.
- Binary cross-entropy on several sigmoid units whose targets are exactly
  one-hot in every row is `multiclass` (mutually exclusive classes trained
  with the wrong loss, which `model.loss_mismatch` reports); without targets
  it is `multilabel`. On a softmax output it is `multiclass`.
- A regression loss on a softmax output is `multiclass` (a classifier with a
  regression loss, reported by `model.loss_mismatch`); on one sigmoid unit it
  is `binary` when the targets are all 0/1 and `regression` otherwise
  (bounded targets such as proportions).
- Without targets, an output shaped like the input under a regression loss is
  taken for `reconstruction` only when the input has a per-sample shape of
  rank 2 or more (images, sequences); a flat `(n, F) -> (n, F)` model is
  `regression` with F targets (a denoising or tabular autoencoder needs `y`).
- A linear output with several units, no known loss and no targets is
  `regression` (logits cannot be told apart from several real targets; a
  classifier wrongly taken for regression misses class checks instead of
  raising false alarms). Pass `task="multiclass"` to say otherwise.
- Per-pixel outputs (segmentation, `(n, H, W, K)`) are `sequence`: a target
  per position.
- A subclassed model without a readable output layer is read from a forward
  pass on at most 8 samples of `x` when `x` is given (output values in [0, 1]
  summing to 1 read as softmax, in [0, 1] as sigmoid, else linear).

`resolve_task(task, model, x, y)` is what every entry point calls with its
`task=` argument: None infers, a kind name is validated (an unknown name is
an error naming the closest kind), a `Task` is used as given, and a dict maps
output names to kinds or `Task`s for a multi-output model.
"""

import dataclasses
import difflib
from typing import Optional, Tuple

import numpy as np

from kerasdoc import _keras
from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._losses import LossInfo, classify_loss
from kerasdoc._validation import received

__all__ = ["TASK_KINDS", "Task", "infer_task"]

TASK_KINDS = ("multiclass", "binary", "multilabel", "regression", "reconstruction",
              "sequence")
MULTI_OUTPUT = "multi_output"
ENCODINGS = ("sparse", "one_hot", "multi_hot", "binary", "continuous", "inputs")
_CLASS_ENCODINGS = frozenset({"sparse", "one_hot", "multi_hot", "binary"})
_PROBABILITY_ACTIVATIONS = frozenset({"softmax", "sigmoid", "log_softmax"})
# Rows compared to decide whether y equals x (besides the first and last).
_RECONSTRUCTION_ROWS = 32
# Target rows read to tell one-hot from multi-hot rows, sparse from continuous.
_TARGET_ROWS = 100_000


@dataclasses.dataclass(frozen=True)
class Task:
    """What a model is trained to do.

    Attributes:
        kind: one of `TASK_KINDS`, or `"multi_output"` for a model with
            several outputs (then see `outputs`).
        n_outputs: classes (multiclass, binary: 2), labels (multilabel),
            targets (regression), features per sample (reconstruction),
            classes or values per position (sequence), outputs
            (multi_output), or None when unknown.
        logits: whether the model outputs logits rather than probabilities
            (classification kinds), None otherwise or when unknown.
        encoding: how the targets are written: `"sparse"` class ids,
            `"one_hot"` rows, `"multi_hot"` rows, `"binary"` 0/1 values,
            `"continuous"` values, `"inputs"` (the targets are the inputs), or
            None when unknown.
        reason: why, in one sentence.
        outputs: `(output_name, Task)` pairs of a multi-output model, else
            empty.
        loss: the loss's name for this output, or None (not compiled).
        activation: the output activation as read, or None when unknown.
    """

    kind: str
    n_outputs: Optional[int] = None
    logits: Optional[bool] = None
    encoding: Optional[str] = None
    reason: str = ""
    outputs: Tuple[Tuple[str, "Task"], ...] = ()
    loss: Optional[str] = None
    activation: Optional[str] = None

    def __post_init__(self):
        if self.kind not in TASK_KINDS + (MULTI_OUTPUT,):
            raise InvalidInputError(
                f"`kind` must be one of {', '.join(TASK_KINDS + (MULTI_OUTPUT,))}"
                f"{_closest_hint(self.kind)}. {received('kind', self.kind)}")
        if self.encoding is not None and self.encoding not in ENCODINGS:
            raise InvalidInputError(
                f"`encoding` must be one of {', '.join(ENCODINGS)} or None. "
                f"{received('encoding', self.encoding)}")
        if (self.kind == MULTI_OUTPUT) != bool(self.outputs):
            raise InvalidInputError(
                "`outputs` holds the per-output tasks of a multi_output task and "
                f"only of one. Received: kind={self.kind!r}, "
                f"outputs={len(self.outputs)} entries")

    @property
    def kinds(self):
        """The set of leaf kinds (one per output for a multi-output model)."""
        if self.outputs:
            return frozenset().union(*(task.kinds for _, task in self.outputs))
        return frozenset({self.kind})

    @property
    def is_classification(self):
        """Whether the targets are classes (for every output of a multi-output model).

        A `sequence` is classification when each position holds a class.
        """
        if self.outputs:
            return all(task.is_classification for _, task in self.outputs)
        if self.kind in ("multiclass", "binary", "multilabel"):
            return True
        return self.kind == "sequence" and self.encoding in _CLASS_ENCODINGS

    @property
    def is_single_label(self):
        """Whether each sample has exactly one class (multiclass or binary)."""
        return not self.outputs and self.kind in ("multiclass", "binary")

    def for_output(self, name):
        """The task of output `name` (the task itself for a single-output model).

        Raises:
            InvalidInputError: when the model has no output of that name.
        """
        if not self.outputs:
            return self
        for output_name, task in self.outputs:
            if output_name == name:
                return task
        names = [n for n, _ in self.outputs]
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidInputError(
            f"`name` must be one of the model's outputs {names}{hint}. "
            f"{received('name', name)}")

    def _summary(self):
        if self.outputs:
            return f"{len(self.outputs)} outputs"
        n = self.n_outputs
        if n is None:
            return None
        unit = {"multiclass": "class", "binary": "class", "multilabel": "label",
                "regression": "target", "reconstruction": "feature"}.get(self.kind)
        if self.kind == "sequence":
            unit = "class" if self.is_classification else "value"
            return f"{n} {unit}{'es' if unit == 'class' and n != 1 else ''}" \
                   f"{'s' if unit == 'value' and n != 1 else ''} per position"
        plural = ("es" if unit == "class" else "s") if n != 1 else ""
        return f"{n} {unit}{plural}"

    def describe(self):
        """One line: the kind, its size and why.

        Example: `task: regression (1 target) because the loss is
        mean_squared_error on a linear Dense output`.
        """
        summary = self._summary()
        head = f"task: {self.kind}" + (f" ({summary})" if summary else "")
        if self.outputs:
            parts = "; ".join(f"{name}: {task.describe()[len('task: '):]}"
                              for name, task in self.outputs)
            return f"{head}: {parts}"
        return f"{head} because {self.reason}" if self.reason else head

    def to_dict(self):
        """A JSON-ready dict (per-output tasks under `outputs`, by name)."""
        out = {"kind": self.kind, "n_outputs": self.n_outputs, "logits": self.logits,
               "encoding": self.encoding, "reason": self.reason, "loss": self.loss,
               "activation": self.activation, "description": self.describe()}
        if self.outputs:
            out["outputs"] = {name: task.to_dict() for name, task in self.outputs}
        return out


def _closest_hint(name):
    close = difflib.get_close_matches(str(name), TASK_KINDS, n=1, cutoff=0.4)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------
# Reading the model


@dataclasses.dataclass(frozen=True)
class _Output:
    name: str
    shape: Optional[tuple]  # per-sample shape, None when unknown
    activation: Optional[str]  # softmax, sigmoid, linear, ... or None
    layer_name: Optional[str]
    layer_class: Optional[str]
    source: str  # "config", "forward pass" or "unknown"

    @property
    def units(self):
        if not self.shape:
            return 1 if self.shape == () else None
        return self.shape[-1]

    @property
    def per_position(self):
        return self.shape is not None and len(self.shape) >= 2


def _tensors(model, attribute):
    try:
        return list(getattr(model, attribute, None) or ())
    except Exception:  # subclassed models raise when they have no graph
        return []


def _output_names(model, n):
    try:
        names = list(getattr(model, "output_names", None) or ())
    except Exception:  # subclassed models without a graph
        names = []
    if len(names) != n:
        names = [f"output_{i}" for i in range(n)]
    return names


_LOOK_THROUGH = frozenset({"Flatten", "Reshape", "Permute", "Dropout", "Identity",
                           "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
                           "GaussianDropout", "AlphaDropout", "ActivityRegularization"})


def _producer_activation(layer, depth=8):
    """(activation, the layer carrying it) for the layer producing an output."""
    from kerasdoc.model import _graph

    for _ in range(depth):
        if layer is None:
            return None, None
        cls = _graph.class_name(layer)
        inner = getattr(layer, "layer", None)  # TimeDistributed, Bidirectional
        if cls in ("TimeDistributed",) and inner is not None:
            layer = inner
            continue
        if hasattr(layer, "layers") and _is_model(layer):
            nested = _tensors(layer, "outputs")  # a nested Sequential/functional
            producer = _keras.producing_layer(nested[0]) if len(nested) == 1 else None
            if producer is not None and producer is not layer:
                layer = producer
                continue
        act = _graph.layer_activation(layer)
        if act is not None:
            return act, layer
        if cls in _LOOK_THROUGH:
            preds = _graph.predecessors(layer)
            if preds and len(preds) == 1:
                layer = preds[0]
                continue
        return None, layer
    return None, None


def _is_model(layer):
    import keras

    return isinstance(layer, keras.Model)


def _read_outputs(model, x):
    """The model's outputs as `_Output`s (a forward pass only when needed)."""
    tensors = _tensors(model, "outputs")
    if tensors:
        names = _output_names(model, len(tensors))
        found = []
        for name, tensor in zip(names, tensors):
            shape = tuple(tensor.shape[1:])
            layer = _keras.producing_layer(tensor)
            act, carrier = _producer_activation(layer)
            found.append(_Output(name, shape, act, getattr(carrier, "name", None),
                                 type(carrier).__name__ if carrier is not None else None,
                                 "config" if act is not None else "unknown"))
        if all(o.activation is not None for o in found) or x is None:
            return found, None
        measured, note = _forward(model, x, names)
        if measured is None:
            return found, note
        return [o if o.activation is not None else dataclasses.replace(
            o, activation=m.activation, source="forward pass")
            for o, m in zip(found, measured)], None
    if x is None:
        return None, "the output layer cannot be read (subclassed model) and no `x` was given"
    return _forward(model, x, None)


def _forward(model, x, names):
    """Outputs read from a forward pass in inference mode on a few samples."""
    from kerasdoc.model._labels import output_kind_from_values

    if not isinstance(x, np.ndarray) and not hasattr(x, "shape"):
        return None, "the output layer cannot be read and `x` is not an array"
    try:
        pred = model(np.asarray(x[:8]), training=False)
    except Exception as exc:  # the audit itself reports models that cannot run
        return None, (f"a forward pass on x[:8] failed "
                      f"({type(exc).__name__}: {exc})")
    import keras

    if isinstance(pred, dict):
        keys = list(pred)
        flat = [pred[k] for k in keys]
    else:
        flat = keras.tree.flatten(pred)
        keys = names if names and len(names) == len(flat) else _output_names(model, len(flat))
    found = []
    for key, value in zip(keys, flat):
        value = np.asarray(value)
        found.append(_Output(str(key), tuple(value.shape[1:]),
                             output_kind_from_values(value), None, None, "forward pass"))
    return found, None


def _losses_by_output(model, names):
    """One `LossInfo` (or None) per output name, and whether it was compiled."""
    if not getattr(model, "compiled", False):
        return {name: None for name in names}, False
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        return {name: classify_loss(loss.get(name)) for name in names}, True
    if isinstance(loss, (list, tuple)):
        if len(loss) == len(names):
            return {name: classify_loss(item) for name, item in zip(names, loss)}, True
        if len(loss) == 1:
            loss = loss[0]
    info = classify_loss(loss)
    return {name: info for name in names}, True


# --------------------------------------------------------------------------
# Reading the targets


def _as_array(value):
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "__getitem__"):
        return value  # memory-mapped or array-like: read lazily
    try:
        arr = np.asarray(value)
    except Exception:  # ragged lists, datasets, generators: not read
        return None
    if arr.dtype == object:
        return None
    return arr


def _targets_by_output(y, names):
    """Targets per output name (None where unknown)."""
    if y is None:
        return {name: None for name in names}
    if isinstance(y, dict):
        return {name: _as_array(y.get(name)) for name in names}
    if isinstance(y, (list, tuple)) and len(names) > 1:
        if len(y) == len(names):
            return {name: _as_array(item) for name, item in zip(names, y)}
        return {name: None for name in names}
    arr = _as_array(y)
    if len(names) == 1:
        return {names[0]: arr}
    return {name: None for name in names}


def _sample_rows(n, k):
    if n <= k + 2:
        return np.arange(n)
    return np.unique(np.concatenate([[0, n - 1], np.linspace(0, n - 1, k).astype(int)]))


def is_reconstruction_target(x, y):
    """Whether `y` is `x` (the same object, or equal arrays judged on a sample of rows)."""
    if x is None or y is None:
        return False
    if y is x:
        return True
    if not hasattr(x, "shape") or not hasattr(y, "shape") or len(x) != len(y):
        return False
    if tuple(x.shape) != tuple(y.shape) or len(x) == 0:
        return False
    rows = _sample_rows(len(x), _RECONSTRUCTION_ROWS)
    try:
        xs = np.asarray(x[rows], dtype=np.float64)
        ys = np.asarray(y[rows], dtype=np.float64)
    except (TypeError, ValueError):
        return False
    # equal up to float32 rounding (x as uint8, y as x / 1.0 in float32, ...)
    return bool(np.allclose(xs, ys, rtol=1e-6, atol=1e-7, equal_nan=True))


_MAX_CLASS_ID = 2 ** 24
"""Largest whole-number target still read as a class id."""


@dataclasses.dataclass(frozen=True)
class TargetForm:
    """How an array of targets is written (the one label decoder for forms).

    Attributes:
        form: `"sparse"` (whole numbers >= 0 up to `max_classes` distinct),
            `"binary"` (1-D 0/1), `"one_hot"` (0/1 rows summing to 1),
            `"probabilities"` (non-negative rows summing to 1),
            `"multi_hot"` (other 0/1 rows) or `"continuous"`.
        width: columns of the rows (2-D forms), else None.
        n_classes: classes (largest id + 1, or the row width), else None.
        counts: samples per class (per column for rows), when known.
        shape: the shape of the targets as given.
    """

    form: str
    width: Optional[int]
    n_classes: Optional[int]
    counts: Optional[np.ndarray]
    shape: tuple

    @property
    def max_id(self):
        return None if self.form not in ("sparse", "binary") else self.n_classes - 1


def describe_targets(y, *, per_position=False, max_classes=None, max_rows=None):
    """How `y` is written: class ids, one-hot, multi-hot or values.

    Args:
        y: the targets (array-like).
        per_position: read a trailing axis as one row per position:
            `(n, T)` ids and `(n, T, 1)` values are flattened, `(n, T, K)`
            becomes `n * T` rows of width K. Defaults to `False`.
        max_classes: whole-number targets with more distinct values than
            this read as `"continuous"`. Defaults to `None` (no limit).
        max_rows: read at most this many rows (evenly spaced, first and last
            included). Defaults to `None` (all).

    Returns:
        A `TargetForm`, or None when `y` is empty or not numeric.
    """
    if y is None or len(y) == 0:
        return None
    shape = tuple(np.shape(y))
    rows = y if max_rows is None or len(y) <= max_rows else y[_sample_rows(len(y), max_rows)]
    arr = np.asarray(rows)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int8)
    if not np.issubdtype(arr.dtype, np.number):
        return None
    if arr.ndim >= 2 and arr.shape[-1] == 1:
        arr = arr.reshape(-1) if per_position or int(np.prod(arr.shape[1:])) == 1 else arr
    if per_position and arr.ndim == 2:
        arr = arr.reshape(-1)
    elif arr.ndim >= 2 and arr.shape[-1] > 1:
        arr = arr.reshape(-1, arr.shape[-1]) if per_position else arr.reshape(len(arr), -1)
    if arr.ndim == 1:
        values = arr.astype(np.float64, copy=False)
        if not np.all(np.isfinite(values)):
            return TargetForm("continuous", None, None, None, shape)
        rounded = np.round(values)
        # Whole numbers past _MAX_CLASS_ID are values, not class ids (no
        # softmax has that many units, and counting them would not fit).
        if (values.size and np.all(rounded == values) and values.min() >= 0
                and values.max() <= _MAX_CLASS_ID):
            ids = rounded.astype(np.int64)
            if max_classes is None or np.unique(ids).size <= max_classes:
                n = int(ids.max()) + 1
                counts = np.bincount(ids, minlength=n)
                return TargetForm("binary" if n <= 2 else "sparse", None, n, counts, shape)
        return TargetForm("continuous", None, None, None, shape)
    flat = arr.astype(np.float64, copy=False)
    width = int(flat.shape[1])
    if not np.all(np.isfinite(flat)):
        return TargetForm("continuous", width, None, None, shape)
    if np.all((flat == 0) | (flat == 1)):
        counts = flat.sum(axis=0).astype(int)
        form = "one_hot" if np.all(flat.sum(axis=1) == 1) else "multi_hot"
        return TargetForm(form, width, width, counts, shape)
    if flat.min() >= 0 and np.allclose(flat.sum(axis=1), 1.0, atol=1e-3):
        return TargetForm("probabilities", width, width, None, shape)
    return TargetForm("continuous", width, None, None, shape)


def _target_form(y, per_position=False):
    """`describe_targets` on at most `_TARGET_ROWS` rows; soft labels count as one-hot."""
    form = describe_targets(y, per_position=per_position, max_rows=_TARGET_ROWS)
    if form is not None and form.form == "probabilities":
        form = dataclasses.replace(form, form="one_hot")
    return form


# --------------------------------------------------------------------------
# Inference


def _layer_text(out):
    act = out.activation or "unknown"
    if out.layer_class:
        return f"a {act} {out.layer_class} output"
    if out.source == "forward pass":
        return f"an output that reads as {act} from a forward pass"
    return f"an output of unknown activation"


def _infer_one(out: _Output, loss: Optional[LossInfo], compiled: bool, x, y):
    """The task of one output."""
    act = out.activation
    units = out.units
    probabilities = act in _PROBABILITY_ACTIVATIONS
    form = _target_form(y, per_position=out.per_position) if y is not None else None
    loss_text = (f"the loss is {loss.canonical}" if loss is not None else
                 "the model is not compiled" if not compiled else "the loss is unknown")
    where = _layer_text(out)
    common = dict(loss=loss.canonical if loss is not None else None, activation=act)

    x_arr = _as_array(x) if not isinstance(x, (dict, list, tuple)) else None
    if y is not None and is_reconstruction_target(x_arr, y):
        n = int(np.prod(x_arr.shape[1:], dtype=np.int64)) if x_arr.ndim > 1 else 1
        same = "is x" if y is x else "equals x"
        return Task("reconstruction", n, None, "inputs",
                    f"the targets are the inputs (y {same}) and {loss_text}", **common)
    if (y is None and loss is not None and loss.is_regression and x_arr is not None
            and out.shape is not None and x_arr.ndim >= 3
            and tuple(x_arr.shape[1:]) == tuple(out.shape)):
        n = int(np.prod(out.shape, dtype=np.int64))
        return Task("reconstruction", n, None, "inputs",
                    f"{loss_text} on an output shaped like the input "
                    f"{tuple(out.shape)} (no targets given)", **common)

    kind, n, logits, encoding, why = _by_loss(out, loss, form, units, probabilities)
    if kind is None:
        kind, n, logits, encoding, why = _by_output(out, form, units, probabilities)
        why = f"{loss_text}; {why}"
    else:
        why = f"{loss_text} on {where}" + (f"; {why}" if why else "")
    if out.per_position:
        steps = out.shape[0]
        why += f"; the output has a per-position axis {tuple(out.shape)}"
        return Task("sequence", n if kind != "binary" else 2, logits, encoding,
                    why + (f" ({steps} steps)" if steps else ""), **common)
    return Task(kind, n, logits, encoding, why, **common)


def _by_loss(out, loss, form, units, probabilities):
    """(kind, n, logits, encoding, extra reason) from the loss; kind None if it says nothing."""
    if loss is None or loss.family == "other":
        return None, None, None, None, None
    act = out.activation
    logits = None if act is None else not probabilities
    fam = loss.family
    if fam == "regression":
        if act == "softmax":
            return ("multiclass", units, False, _class_encoding(form, "one_hot"),
                    "a classifier trained with a regression loss")
        if act == "sigmoid" and units == 1 and form is not None and form.form == "binary":
            return ("binary", 2, False, "binary",
                    "0/1 targets on one sigmoid unit: a binary classifier trained "
                    "with a regression loss")
        what = "whole-number " if form is not None and form.form in (
            "binary", "sparse") else ""
        return ("regression", units, None, "continuous",
                f"{what}targets are regressed" if what else None)
    if fam in ("sparse_cce",):
        return "multiclass", units, logits, "sparse", None
    if fam in ("cce", "kld", "categorical_hinge"):
        return "multiclass", units, logits, "one_hot", None
    if fam in ("bce", "hinge"):
        if units in (None, 1):
            return "binary", 2, logits, "binary", None
        if act == "softmax":
            return "multiclass", units, False, "one_hot", \
                "softmax rows trained as independent units"
        if form is not None and form.form == "one_hot":
            return ("multiclass", units, logits, "one_hot",
                    "every target row is one-hot: mutually exclusive classes")
        if form is not None and form.form == "sparse":
            return ("multiclass", units, logits, "sparse",
                    "the targets are class ids")
        return ("multilabel", units, logits, "multi_hot",
                f"{units} independent units" + (" with multi-hot targets"
                                                if form is not None and
                                                form.form == "multi_hot" else ""))
    return None, None, None, None, None


def _class_encoding(form, default):
    if form is None:
        return default
    if form.form in ("sparse", "binary"):
        return "sparse"
    if form.form in ("one_hot", "multi_hot"):
        return form.form
    return default


def _by_output(out, form, units, probabilities):
    """(kind, n, logits, encoding, reason) from the output layer and targets alone."""
    act = out.activation
    where = _layer_text(out)
    if act == "softmax" or act == "log_softmax":
        return ("multiclass", units, False, _class_encoding(form, None),
                f"{where} of {units} units")
    if act == "sigmoid":
        if units in (None, 1):
            return "binary", 2, False, "binary", f"{where} of one unit"
        if form is not None and form.form == "one_hot":
            return ("multiclass", units, False, "one_hot",
                    f"{where} of {units} units with one-hot targets")
        return ("multilabel", units, False, "multi_hot",
                f"{where} of {units} independent units")
    if form is not None and units is not None and units > 1:
        if form.form in ("sparse", "binary") and form.max_id is not None \
                and form.max_id < units:
            return ("multiclass", units, True, "sparse",
                    f"{where} of {units} units (logits) with class ids "
                    f"0..{form.max_id} as targets")
        if form.form == "one_hot" and form.width == units:
            return ("multiclass", units, True, "one_hot",
                    f"{where} of {units} units (logits) with one-hot targets")
        if form.form == "multi_hot" and form.width == units:
            return ("multilabel", units, True, "multi_hot",
                    f"{where} of {units} units (logits) with multi-hot targets")
    if act is None:
        return ("regression", units, None, "continuous" if form is None else "continuous",
                "nothing says classification (unknown output activation)")
    return ("regression", units, None, "continuous",
            f"{where} of {units} unit{'s' if units != 1 else ''}")


# Data-only inference (no model): what the targets alone suggest.
# Share of finite values that are not whole numbers from which 1-D targets
# are regression targets rather than class ids with a few typos.
_NON_INTEGER_SHARE = 0.05
# Whole-number targets are counts to regress, not class ids, when they take
# more than this many distinct values with fewer than
# `_MIN_PER_VALUE` samples per value on average (a classifier needs several
# samples per class; measured targets such as diabetes progression 25..346
# on 442 samples take a new value every two samples).
_MAX_CLASSES_WITHOUT_MODEL = 50
_MIN_PER_VALUE = 5
# Share of rows holding two or more ones from which 0/1 rows are multi-hot
# (multi-label) rather than one-hot rows with a few corrupt ones.
_MULTI_HOT_SHARE = 0.01


def task_from_targets(x=None, y=None) -> Task:
    """The task the targets alone suggest (no model): for `check_data`.

    Rules, in order: `y` equal to `x` is `reconstruction`; 0/1 rows where at
    least 1% hold two or more ones are `multilabel`, rows of ones summing to 1
    (or non-negative rows summing to 1) `multiclass` one-hot; other 2-D
    whole-number rows as long as `x`'s second axis are per-timestep
    `sequence` labels, other 2-D rows `regression` with several targets;
    1-D targets with more than 5% non-whole values are `regression`; whole
    numbers are class ids (`binary` for 0/1, `multiclass` otherwise) unless
    they take more than 50 distinct values with fewer than 5 samples per
    value on average, which reads as a count or measurement to regress. A
    model settles these cases better (`infer_task(model, x, y)`); pass
    `task=` to say what you train.

    Args:
        x: the inputs. Defaults to `None`.
        y: the targets (an array). Defaults to `None`.

    Returns:
        A `Task` (`kind="multiclass"` with nothing known when `y` is None).
    """
    y_arr = _as_array(y)
    x_arr = _as_array(x) if not isinstance(x, (dict, list, tuple)) else None
    none = "no model was given"
    if y_arr is None or len(y_arr) == 0:
        return Task("multiclass", None, None, None,
                    f"{none} and no targets could be read: classification assumed")
    if is_reconstruction_target(x_arr, y_arr):
        n = int(np.prod(x_arr.shape[1:], dtype=np.int64)) if x_arr.ndim > 1 else 1
        return Task("reconstruction", n, None, "inputs",
                    f"{none}; the targets are the inputs (y {'is' if y is x else 'equals'} x)")
    rows = y_arr if len(y_arr) <= _TARGET_ROWS else y_arr[_sample_rows(len(y_arr),
                                                                        _TARGET_ROWS)]
    arr = np.asarray(rows)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int8)
    if not np.issubdtype(arr.dtype, np.number):
        return Task("multiclass", None, None, None,
                    f"{none}; the targets are not numbers ({arr.dtype}): classes assumed")
    if arr.ndim >= 2 and int(np.prod(arr.shape[1:])) > 1:
        flat = arr.reshape(len(arr), -1).astype(np.float64, copy=False)
        width = flat.shape[1]
        finite = np.all(np.isfinite(flat), axis=1)
        good = flat[finite]
        if good.size and np.all((good == 0) | (good == 1)):
            sums = good.sum(axis=1)
            multi = float(np.mean(sums >= 2))
            if multi >= _MULTI_HOT_SHARE:
                return Task("multilabel", width, None, "multi_hot",
                            f"{none}; {multi:.0%} of the 0/1 target rows hold two or "
                            "more ones (multi-hot)")
            return Task("multiclass", width, None, "one_hot",
                        f"{none}; the targets are one-hot rows of {width} columns")
        if good.size and good.min() >= 0 and np.allclose(good.sum(axis=1), 1.0, atol=1e-3):
            return Task("multiclass", width, None, "one_hot",
                        f"{none}; the target rows are class probabilities summing to 1")
        whole = good.size and np.all(good == np.round(good))
        if whole and x_arr is not None and x_arr.ndim >= 2 and arr.ndim == 2 \
                and x_arr.shape[1] == width:
            return Task("sequence", int(good.max()) + 1 if good.min() >= 0 else None,
                        None, "sparse",
                        f"{none}; whole-number targets per position, as many as "
                        f"x's {width} steps")
        return Task("regression", width, None, "continuous",
                    f"{none}; the targets are rows of {width} values")
    values = arr.reshape(-1).astype(np.float64, copy=False)
    values = values[np.isfinite(values)]
    if not values.size:
        return Task("multiclass", None, None, None,
                    f"{none}; no target is finite: classification assumed")
    non_integer = float(np.mean(values != np.round(values)))
    if non_integer > _NON_INTEGER_SHARE:
        return Task("regression", 1, None, "continuous",
                    f"{none}; {non_integer:.0%} of the targets are not whole numbers")
    distinct = np.unique(values)
    if set(distinct.tolist()) <= {0.0, 1.0}:
        return Task("binary", 2, None, "binary", f"{none}; the targets are 0/1")
    if len(distinct) > _MAX_CLASSES_WITHOUT_MODEL and \
            len(values) / len(distinct) < _MIN_PER_VALUE:
        return Task("regression", 1, None, "continuous",
                    f"{none}; the whole-number targets take {len(distinct)} distinct "
                    f"values, {len(values) / len(distinct):.1f} samples per value: "
                    "a count or measurement, not class ids")
    n = int(distinct.max()) + 1 if distinct.min() >= 0 else len(distinct)
    return Task("multiclass", n, None, "sparse",
                f"{none}; the targets are whole numbers (class ids, "
                f"{len(distinct)} distinct)")


def infer_task(model, x=None, y=None) -> Task:
    """Infer what `model` is trained to do from its loss, outputs and targets.

    See the module docstring for the rules and the ambiguous cases. Only
    reads: at most a forward pass in inference mode on 8 samples of `x` runs,
    and only when an output activation cannot be read from the layers.

    Args:
        model: a built Keras model, compiled or not, or None to infer the
            task from the targets alone (see `task_from_targets`).
        x: the inputs (an array), to recognise autoencoders and to read a
            subclassed model's outputs. Defaults to `None`.
        y: the targets: an array, or a dict/list per output for a
            multi-output model. Defaults to `None`.

    Returns:
        A `Task`; `kind="multi_output"` with one task per output when the
        model has several outputs.
    """
    from kerasdoc._validation import check_model, received

    if (y is not None and not isinstance(y, (dict, list, tuple))
            and (not hasattr(y, "__len__") or np.ndim(y) == 0)):
        raise InvalidInputError(
            f"`y` must hold one target per sample (an array, or a dict/list per "
            f"output). {received('y', y)}")
    if model is None:
        return task_from_targets(x, y)
    check_model(model, built=False)
    outputs, note = _read_outputs(model, x)
    if not outputs:
        loss = classify_loss(getattr(model, "loss", None)) if getattr(
            model, "compiled", False) else None
        blank = _Output("output_0", None, None, None, None, "unknown")
        task = _infer_one(blank, loss, bool(loss), x, _as_array(y))
        return dataclasses.replace(task, reason=task.reason + f" ({note})" if note
                                   else task.reason)
    names = [o.name for o in outputs]
    losses, compiled = _losses_by_output(model, names)
    targets = _targets_by_output(y, names)
    tasks = [_infer_one(o, losses[o.name], compiled, x, targets[o.name]) for o in outputs]
    if len(tasks) == 1:
        return tasks[0]
    return Task(MULTI_OUTPUT, len(tasks), None, None,
                f"the model has {len(tasks)} outputs",
                outputs=tuple(zip(names, tasks)))


def resolve_task(task, model, x=None, y=None) -> Task:
    """The task of a call: inferred (`task=None`), named, or given.

    Args:
        task: None to infer it; a kind name (one of `TASK_KINDS`); a `Task`;
            or, for a multi-output model, a dict from output name to a kind
            name or a `Task` (outputs not in it are inferred).
        model: the model.
        x: the inputs. Defaults to `None`.
        y: the targets. Defaults to `None`.

    Returns:
        A `Task`.

    Raises:
        InvalidInputError: for an unknown kind name (naming the closest one)
            or an output name the model does not have.
        InvalidTypeError: for anything else.
    """
    if task is None:
        return infer_task(model, x, y)
    if isinstance(task, Task):
        return task
    if isinstance(task, str):
        return _named(task, infer_task(model, x, y), "task")
    if isinstance(task, dict):
        inferred = infer_task(model, x, y)
        if not inferred.outputs:
            raise InvalidInputError(
                "`task` may be a dict of output name -> kind only for a model "
                f"with several outputs; this model has one. {received('task', task)}")
        names = [n for n, _ in inferred.outputs]
        unknown = [k for k in task if k not in names]
        if unknown:
            inferred.for_output(unknown[0])  # raises naming the closest output
        pairs = []
        for name, sub in inferred.outputs:
            given = task.get(name)
            if given is None:
                pairs.append((name, sub))
            elif isinstance(given, Task):
                pairs.append((name, given))
            elif isinstance(given, str):
                pairs.append((name, _named(given, sub, f"task[{name!r}]")))
            else:
                raise InvalidTypeError(
                    f"`task[{name!r}]` must be a kind name or a kerasdoc.Task. "
                    f"{received(f'task[{name!r}]', given)}")
        return dataclasses.replace(inferred, outputs=tuple(pairs),
                                   reason=inferred.reason + " (some outputs given)")
    raise InvalidTypeError(
        "`task` must be None, a kind name (one of "
        f"{', '.join(TASK_KINDS)}) or a kerasdoc.Task. {received('task', task)}")


_DEFAULT_ENCODING = {"binary": "binary", "multilabel": "multi_hot",
                     "regression": "continuous", "reconstruction": "inputs"}


def _named(name, inferred, argument):
    """A `Task` of kind `name`, keeping what inference knows about the output."""
    if name not in TASK_KINDS:
        raise InvalidInputError(
            f"`{argument}` must be one of {', '.join(TASK_KINDS)}"
            f"{_closest_hint(name)}. {received(argument, name)}")
    why = f"it was given (task={name!r})"
    if inferred.outputs:
        raise InvalidInputError(
            f"`{argument}` names one kind but the model has {len(inferred.outputs)} "
            "outputs; pass a dict of output name -> kind. "
            f"{received(argument, name)}")
    if inferred.kind == name:
        return dataclasses.replace(inferred, reason=f"{why}; inference agrees: "
                                   f"{inferred.reason}")
    encoding = _DEFAULT_ENCODING.get(name)
    if name in ("multiclass", "sequence") and inferred.encoding in _CLASS_ENCODINGS:
        encoding = inferred.encoding
    n = inferred.n_outputs
    if name == "binary":
        n = 2
    logits = None
    if name in ("multiclass", "binary", "multilabel"):
        logits = inferred.activation not in _PROBABILITY_ACTIVATIONS \
            if inferred.activation is not None else None
    return Task(name, n, logits, encoding,
                f"{why}; inference said {inferred.kind}", loss=inferred.loss,
                activation=inferred.activation)
