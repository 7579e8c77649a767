"""What kind of data each model input holds: image, tabular, tokens, sequence, string.

A check that is right for one kind of input is wrong for another: token ids
are integers whose values name words, so "not normalized" and a linear model
on their raw values both mislead. The kind is inferred from the data (its
dtype and rank) and from the layers that consume the input in the model:

- `"string"`: text or any non-numeric values.
- `"tokens"`: integers (or whole-number floats) feeding an `Embedding`,
  `StringLookup`, `IntegerLookup`, `TextVectorization`, `Hashing` or
  `CategoryEncoding` layer.
- `"sequence"`: `(N, T, F)` feeding a recurrent layer, a 1-D convolution or
  pooling, or attention.
- `"image"`: `(N, H, W[, C])` (rank 3 and up, when not a sequence).
- `"tabular"`: `(N, F)` or `(N,)` numbers.

Only reads: no forward pass is run and nothing is modified.
"""

import numpy as np

from kerasdoc import _keras

__all__ = ["INPUT_KINDS", "input_kind", "model_input_names", "consumers"]

INPUT_KINDS = ("image", "tabular", "tokens", "sequence", "string")
"""Every kind `input_kind` returns."""

TOKEN_LAYERS = frozenset({"Embedding", "StringLookup", "IntegerLookup",
                          "TextVectorization", "Hashing", "CategoryEncoding",
                          "ReversibleEmbedding", "TokenAndPositionEmbedding",
                          "PositionEmbedding"})
SEQUENCE_LAYERS = frozenset({
    "LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM1D", "Conv1D",
    "SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose", "MaxPooling1D",
    "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
    "MultiHeadAttention", "GroupedQueryAttention", "Attention", "AdditiveAttention",
    "TimeDistributed", "ZeroPadding1D", "Cropping1D", "UpSampling1D",
    "SpatialDropout1D"})
# Layers looked through to find the layer that gives an input its meaning.
_TRANSPARENT = frozenset({"InputLayer", "Reshape", "Permute", "Masking", "Identity",
                          "Dropout", "GaussianNoise", "GaussianDropout", "Activation"})


def _class(layer):
    return type(layer).__name__


def _is_graph(model):
    try:
        return bool(getattr(model, "inputs", None))
    except Exception:  # subclassed models without a graph raise
        return False


def _leaf_layers(model):
    try:
        return _keras.flatten_layers(model)
    except Exception:
        return list(getattr(model, "layers", ()))


def model_input_names(model):
    """The model's input names in `model.inputs` order, or `None` without a graph.

    For a model built on a dict of inputs these are the dict's keys; otherwise
    the names of the `keras.Input` tensors.
    """
    if model is None or not _is_graph(model):
        return None
    struct = _keras.inputs_struct(model)
    if isinstance(struct, dict):
        by_id = {id(t): k for k, t in struct.items()}
        return [by_id.get(id(t), t.name) for t in model.inputs]
    return [t.name for t in model.inputs]


def as_model_inputs(x, model):
    """`x` as the model's single input takes it: the array of a one-entry dict or list.

    Keras matches the key of a one-entry dict against names that differ
    between a model and its copies (tensor names, input-layer names), so a
    model with one input is given the array itself. Anything else is
    returned as it is.
    """
    names = model_input_names(model) if model is not None else None
    if names is not None and len(names) == 1 and isinstance(x, (dict, list, tuple)) \
            and len(x) == 1:
        return next(iter(x.values())) if isinstance(x, dict) else x[0]
    return x


def _first_layers(layer, inside, depth=8):
    """Layers met first from `layer`'s outputs, through transparent layers and into sub-models."""
    import keras

    found, frontier = [], [layer]
    for _ in range(depth):
        nxt = []
        for current in frontier:
            for node in _keras.outbound_nodes(current):
                op = node.operation
                if inside is not None and id(op) not in inside:
                    continue
                if isinstance(op, keras.Model):
                    found.extend(consumers(op, 0) or [])
                elif _class(op) in _TRANSPARENT:
                    nxt.append(op)
                else:
                    found.append(op)
        frontier = nxt
        if not frontier:
            break
    return found


def consumers(model, index=0):
    """The layers that first consume input `index` of `model` (through reshapes and masks).

    For a model without a graph (subclassed) these are guesses: its first
    layer, plus every token layer it tracks (a subclassed text model calls
    its `Embedding` on its input). Returns a list, empty when unknown.
    """
    if model is None:
        return []
    if _is_graph(model):
        inputs = model.inputs
        if index >= len(inputs):
            return []
        producer = _keras.producing_layer(inputs[index])
        if producer is None:
            return []
        inside = {id(layer) for layer in _leaf_layers(model)}
        inside.update(id(layer) for layer in getattr(model, "layers", ()))
        return _first_layers(producer, inside)
    layers = [layer for layer in _leaf_layers(model) if _class(layer) not in _TRANSPARENT]
    if not layers:
        return []
    return [layers[0]] + [layer for layer in layers[1:] if _class(layer) in TOKEN_LAYERS]


def _dtype_ndim(value):
    """(numpy dtype or None, rank, small numpy sample or None) of an input value."""
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if dtype is not None and shape is not None and not isinstance(value, np.ndarray):
        # tf / keras tensors (ragged included) carry their dtype and rank.
        try:
            np_dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
        except TypeError:
            np_dtype = np.dtype(object) if "string" in str(dtype) else None
        try:
            rank = len(shape)
        except TypeError:
            rank = None
        sample = None
        try:
            sample = np.asarray(value[:64])
        except Exception:  # ragged or symbolic: no dense sample
            pass
        return np_dtype, rank, sample
    array = np.asarray(value) if not isinstance(value, np.ndarray) else value
    return array.dtype, array.ndim, array[:256] if array.ndim else array


def _whole_numbers(sample):
    if sample is None or sample.dtype.kind not in "fc":
        return sample is None or sample.dtype.kind in "iub"
    finite = sample[np.isfinite(sample)] if sample.size else sample
    return bool(finite.size) and bool(np.all(finite == np.round(finite)))


def _kind_of(value, layers):
    dtype, ndim, sample = _dtype_ndim(value)
    if dtype is None or dtype.kind in "OSUa" or dtype == object:
        return "string"
    names = {_class(layer) for layer in layers}
    if names & TOKEN_LAYERS and dtype.kind in "iub" + "f" and _whole_numbers(
            sample if dtype.kind == "f" else None):
        return "tokens"
    if ndim is not None and ndim >= 3:
        if ndim == 3 and names & SEQUENCE_LAYERS:
            return "sequence"
        return "image"
    return "tabular"


def _structure_kinds(model, x, names):
    if isinstance(x, dict):
        order = names or list(x)
        return {key: _kind_of(value, consumers(model, order.index(key))
                              if key in order else [])
                for key, value in x.items()}
    return [_kind_of(value, consumers(model, i)) for i, value in enumerate(x)]


def input_kind(model, x):
    """The kind of each model input: one of `INPUT_KINDS`.

    Inferred from the data and from the layers that consume the input:
    integers feeding an `Embedding`, `StringLookup`, `IntegerLookup` or
    `TextVectorization` are `"tokens"`, strings `"string"`, `(N, T, F)` into a
    recurrent layer, `Conv1D` or attention `"sequence"`, `(N, H, W[, C])`
    `"image"` and `(N, F)` `"tabular"`.

    Args:
        model: the `keras.Model` the inputs feed, or `None` to judge from the
            data alone (integers are then "tabular", rank 3 and up "image").
        x: the inputs as `model.fit` takes them: an array, a dict of arrays
            keyed by input name, or a list of arrays in `model.inputs` order.
            A stream (`tf.data.Dataset`, `PyDataset`, generator) is sampled
            with `kerasdoc._inputs.sample_fit_data`. Defaults to `x`.

    Returns:
        A kind string for a single input; a dict (same keys) or a list of
        kinds for dict or list inputs.
    """
    if _is_stream(x):
        x = sample_fit_data(x, max_samples=256).x
    names = model_input_names(model)
    if isinstance(x, dict):
        return _structure_kinds(model, x, names)
    if isinstance(x, (list, tuple)) and x and all(_is_array_like(v) for v in x):
        return _structure_kinds(model, list(x), names)
    return _kind_of(x, consumers(model, 0))


def _is_array_like(value):
    shape = getattr(value, "shape", None)
    return shape is not None and hasattr(value, "dtype") and len(shape) >= 1


def _is_stream(x):
    import sys

    if x is None or isinstance(x, (np.ndarray, dict, list, tuple, str, bytes)):
        return False
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(x, tf.data.Dataset):
        return True
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(x, keras.utils.PyDataset):
        return True
    import collections.abc

    return isinstance(x, collections.abc.Iterator) and not hasattr(x, "shape")


# ---------------------------------------------------------------------------
# Inputs as `model.fit` takes them, read into bounded numpy samples.

DEFAULT_MAX_SAMPLES = 4096
"""Samples read from a stream (Dataset, PyDataset, generator) by default."""


class FitData:
    """A bounded, numpy sample of what `model.fit` would be given.

    Attributes:
        x: the inputs: an array, or a dict or list of arrays (multi-input).
        y: the targets in the same kinds of structure, or `None`.
        sample_weight: per-sample weights (or a structure of them), or `None`.
        n: the number of samples held.
        source: `"arrays"`, `"dataset"`, `"pydataset"` or `"generator"`.
        complete: whether every sample of the source is held (always `True`
            for arrays; for a stream, whether it ended before the limit).
        batch_size: the stream's batch size (its first batch's length), or
            `None` for arrays.
        batches: batches read from a stream (0 for arrays).
        class_weight: the `class_weight` given, validated, or `None`.
        note: a sentence for reports on how the sample was taken, or `None`.
    """

    def __init__(self, x, y=None, sample_weight=None, *, source="arrays", complete=True,
                 batch_size=None, batches=0, class_weight=None, note=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.source, self.complete = source, complete
        self.batch_size, self.batches = batch_size, batches
        self.class_weight, self.note = class_weight, note
        self.n = _n_samples(x)

    @property
    def is_stream(self):
        return self.source != "arrays"

    @property
    def multi_input(self):
        return isinstance(self.x, (dict, list, tuple))

    @property
    def multi_output(self):
        return isinstance(self.y, (dict, list, tuple))

    def take(self, n):
        """A `FitData` of the first `n` samples (views of arrays, no copy)."""
        import keras

        def cut(value):
            return None if value is None else keras.tree.map_structure(
                lambda a: a[:n], value)

        out = FitData(cut(self.x), cut(self.y), cut(self.sample_weight),
                      source=self.source, complete=self.complete and n >= self.n,
                      batch_size=self.batch_size, batches=self.batches,
                      class_weight=self.class_weight, note=self.note)
        return out

    def __repr__(self):
        return (f"FitData(n={self.n}, source={self.source!r}, complete={self.complete}, "
                f"x={_describe(self.x)}, y={_describe(self.y)})")


def _describe(value):
    import keras

    if value is None:
        return "None"
    return repr(keras.tree.map_structure(
        lambda a: f"{getattr(a, 'dtype', type(a).__name__)}{tuple(np.shape(a))}", value))


def _leaves(value):
    import keras

    return [leaf for leaf in keras.tree.flatten(value) if leaf is not None]


def _n_samples(value):
    leaves = _leaves(value) if value is not None else []
    return int(len(leaves[0])) if leaves and np.ndim(leaves[0]) else 0


def is_stream(x):
    """Whether `x` is a `tf.data.Dataset`, a `keras.utils.PyDataset` or a generator."""
    return _is_stream(x)


def _to_numpy(value, name):
    """A numpy array of one leaf (tf/keras tensors, ragged padded, strings as objects)."""
    from kerasdoc._errors import InvalidTypeError
    from kerasdoc._validation import received

    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "to_tensor") and hasattr(value, "row_splits"):  # tf.RaggedTensor
        value = value.to_tensor()
    if hasattr(value, "numpy"):
        value = value.numpy()
    elif hasattr(value, "__array__") or isinstance(value, (list, tuple, int, float)):
        pass
    elif type(value).__module__.startswith("pandas"):
        value = value.to_numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InvalidTypeError(
            f"`{name}` could not be converted to an array ({exc}). "
            f"{received(name, value)}") from None
    return array


def _structure_to_numpy(value, name):
    import keras

    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _structure_to_numpy(v, f"{name}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and all(
            _is_array_like(v) or isinstance(v, (dict, list, tuple)) and not _is_number_list(v)
            for v in value):
        return [_structure_to_numpy(v, f"{name}[{i}]") for i, v in enumerate(value)]
    del keras
    return _to_numpy(value, name)


def _is_number_list(value):
    try:
        return np.asarray(value).dtype != object
    except Exception:
        return False


def _check_lengths(named):
    """Raise unless every leaf of every structure has the same first dimension."""
    from kerasdoc._errors import InvalidInputError
    from kerasdoc._validation import received

    first = None
    for name, value in named:
        if value is None:
            continue
        flat = _flat_named(value, name)
        if not flat:
            raise InvalidInputError(
                f"`{name}` must hold at least one array. {received(name, value)}")
        for leaf_name, leaf in flat:
            if np.ndim(leaf) == 0:
                raise InvalidInputError(
                    f"`{leaf_name}` must be an array of samples, not a scalar. "
                    f"{received(leaf_name, leaf)}")
            if first is None:
                first = (leaf_name, len(leaf))
            elif len(leaf) != first[1]:
                raise InvalidInputError(
                    f"`{first[0]}` and `{leaf_name}` must have the same number of "
                    f"samples. Received: len({first[0]})={first[1]}, "
                    f"len({leaf_name})={len(leaf)}")
            if len(leaf) == 0:
                raise InvalidInputError(
                    f"`{leaf_name}` must not be empty. {received(leaf_name, leaf)}")


def _flat_named(value, name):
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out.extend(_flat_named(v, f"{name}[{k!r}]"))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for i, v in enumerate(value):
            out.extend(_flat_named(v, f"{name}[{i}]"))
        return out
    return [(name, value)]


def _check_class_weight(class_weight):
    from kerasdoc._errors import InvalidInputError, InvalidTypeError
    from kerasdoc._validation import received

    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        raise InvalidTypeError(
            "`class_weight` must be a dict mapping class ids to weights. "
            f"{received('class_weight', class_weight)}")
    out = {}
    for key, value in class_weight.items():
        try:
            k, v = int(key), float(value)
        except (TypeError, ValueError):
            raise InvalidTypeError(
                "`class_weight` must map integer class ids to numbers. "
                f"{received('class_weight', class_weight)}") from None
        if k != key or not np.isfinite(v) or v < 0:
            raise InvalidInputError(
                "`class_weight` must map integer class ids to finite weights >= 0. "
                f"{received('class_weight', class_weight)}")
        out[k] = v
    return out


def _detached_dataset(dataset):
    """A copy of `dataset` whose iteration does not advance the original's shuffles.

    A seeded `shuffle(reshuffle_each_iteration=True)` keeps a seed generator
    that moves on with each iteration, so reading a dataset once changes the
    order `fit` would see. The copy is rebuilt from the dataset's graph with
    fresh seed generators. Pipelines that cannot be serialised (Python
    functions, `from_generator`) are returned as they are.
    """
    import tensorflow as tf

    try:
        from tensorflow.core.framework import graph_pb2
        from tensorflow.python.data.ops import dataset_ops
        from tensorflow.python.ops import gen_experimental_dataset_ops

        serialized = dataset._as_serialized_graph()
        graph = graph_pb2.GraphDef()
        graph.ParseFromString(serialized.numpy())
        import uuid

        tag = uuid.uuid4().hex[:12]
        for node in graph.node:
            if node.op != "Const" or "value" not in node.attr:
                continue
            for handle in node.attr["value"].tensor.resource_handle_val:
                if "SeedGenerator" in handle.maybe_type_name or "SeedGenerator" in handle.name:
                    handle.name = f"{handle.name}/kerasdoc_{tag}"
        variant = gen_experimental_dataset_ops.dataset_from_graph(
            tf.constant(graph.SerializeToString()))
        return dataset_ops._VariantDataset(variant, dataset.element_spec)
    except Exception:  # not serialisable (py_function, from_generator): read as is
        return dataset


def _dataset_is_batched(spec):
    """Guess from a dataset's element spec whether its elements are batches.

    `model.fit` requires batches; a dataset of single samples is batched here
    (on a copy) so that it can be audited.
    """
    import keras

    x_spec, y_spec, _ = keras.utils.unpack_x_y_sample_weight(spec)
    x_leaves = [s for s in keras.tree.flatten(x_spec) if hasattr(s, "shape")]
    y_leaves = [s for s in keras.tree.flatten(y_spec) if hasattr(s, "shape")] \
        if y_spec is not None else []
    if not x_leaves:
        return True
    firsts = [s.shape[0] if s.shape.rank else "scalar" for s in x_leaves + y_leaves]
    if any(f is None for f in firsts):
        return True
    if "scalar" in firsts:  # a scalar label or input: elements are samples
        return False
    if y_leaves:
        return len(set(firsts)) == 1
    return False


def _batches(x, max_batches):
    """(iterator of batches, source name, total batches or None, reader notes)."""
    import itertools
    import sys

    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(x, tf.data.Dataset):
        ds = _detached_dataset(x)
        if not _dataset_is_batched(x.element_spec):
            ds = ds.batch(256)
        try:
            total = int(x.cardinality())
        except Exception:
            total = -2
        total = None if total < 0 else total
        return itertools.islice(ds.as_numpy_iterator(), max_batches), "dataset", total
    import keras

    if isinstance(x, keras.utils.PyDataset):
        try:
            total = x.num_batches
        except Exception:
            total = None
        if total is None:
            try:
                total = len(x)
            except Exception:
                total = None
        count = max_batches if total is None else min(max_batches, total)
        return (x[i] for i in range(count)), "pydataset", total
    return itertools.islice(x, max_batches), "generator", None


def _concat(parts, name):
    """Concatenate per-batch structures leaf by leaf, padding ragged trailing axes."""
    import keras

    from kerasdoc._errors import InvalidInputError
    from kerasdoc._validation import received

    first = parts[0]
    if first is None:
        return None
    flat = [keras.tree.flatten(p) for p in parts]
    if any(len(f) != len(flat[0]) for f in flat):
        raise InvalidInputError(
            f"Every batch of `{name}` must have the same structure. "
            f"Received: {name} batches of {len(flat[0])} and "
            f"{next(len(f) for f in flat if len(f) != len(flat[0]))} arrays")
    out = []
    for j in range(len(flat[0])):
        leaves = [_to_numpy(f[j], name) for f in flat]
        ranks = {leaf.ndim for leaf in leaves}
        if len(ranks) != 1 or 0 in ranks:
            raise InvalidInputError(
                f"Every batch of `{name}` must hold arrays of one rank with a batch "
                f"axis. Received: ranks {sorted(ranks)}")
        tail = [leaf.shape[1:] for leaf in leaves]
        if len(set(tail)) > 1:
            widest = tuple(max(s[i] for s in tail) for i in range(len(tail[0])))
            fill = b"" if leaves[0].dtype.kind in "SO" else 0
            leaves = [np.pad(leaf, [(0, 0)] + [(0, w - s) for w, s in
                                               zip(widest, leaf.shape[1:])],
                             constant_values=fill) for leaf in leaves]
        try:
            out.append(np.concatenate(leaves))
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(
                f"The batches of `{name}` could not be joined ({exc}). "
                f"{received(name, leaves[0])}") from None
    return keras.tree.pack_sequence_as(first, out)


def sample_fit_data(x, y=None, *, sample_weight=None, class_weight=None,
                    batch_size=None, max_samples=DEFAULT_MAX_SAMPLES, steps=None,
                    name="x", y_name=None, sample_weight_name="sample_weight"):
    """Read what `model.fit(x, y, ...)` would be given into a bounded numpy sample.

    Arrays (numpy, tensors, pandas) and dicts or lists of them (multi-input
    models; multi-output targets) are kept as numpy arrays, whole and
    without copies where possible. A stream is read from its start for at
    most `max_samples` samples (whole batches; at least one batch), never
    materialised whole:

    - a `tf.data.Dataset` of `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`
      elements, batched or not, is read from a copy whose seeded shuffles
      start afresh, so the order a later `fit` sees is unchanged (pipelines
      built on Python functions are read as they are);
    - a `keras.utils.PyDataset` is indexed (`dataset[i]`) for its first
      batches; `on_epoch_end` is never called;
    - a Python generator (or any iterator) can be read only once: the
      batches taken here are gone from it, and a `fit` on the same generator
      afterwards starts after them. Only what is needed is taken; pass a
      fresh generator (or a `PyDataset`) to `fit`.

    Args:
        x: the inputs, as `model.fit` takes them.
        y: the targets; must be `None` when `x` is a stream (the stream yields
            them). Defaults to `None`.
        sample_weight: per-sample weights for array inputs. Defaults to `None`.
        class_weight: dict mapping class ids to weights, as `fit` takes it;
            validated and kept. Defaults to `None`.
        batch_size: unused for streams (their batches are kept); recorded for
            arrays. Defaults to `None`.
        max_samples: at most this many samples are read from a stream.
            Defaults to `4096`.
        steps: at most this many batches are read from a stream, as `fit`'s
            `steps_per_epoch` bounds an epoch: a stream that repeats (a
            generator looping forever, a `Dataset.repeat()`) is read for one
            epoch, not into its second pass. Defaults to `None` (no bound
            but `max_samples`).
        name: the argument's name in error messages. Defaults to `"x"`.
        y_name: the targets' name in error messages. Defaults to `None`
            (`"y"`).
        sample_weight_name: the weights' name in error messages. Defaults to
            `"sample_weight"`.

    Returns:
        A `FitData`.
    """
    from kerasdoc._errors import InvalidInputError, InvalidTypeError
    from kerasdoc._validation import check_int, received

    import keras

    max_samples = check_int(max_samples, "max_samples", minimum=1)
    steps = check_int(steps, "steps_per_epoch", minimum=1, allow_none=True)
    class_weight = _check_class_weight(class_weight)
    if x is None:
        raise InvalidTypeError(f"`{name}` must be given. {received(name, x)}")
    if isinstance(x, (str, bytes)):
        raise InvalidTypeError(
            f"`{name}` must be arrays, a tf.data.Dataset, a keras.utils.PyDataset or a "
            f"generator. {received(name, x)}")
    if _is_stream(x):
        y_name = y_name or ("y" if name == "x" else f"{name}'s y")
        if y is not None:
            raise InvalidInputError(
                f"`{y_name}` must be None when `{name}` is a {type(x).__name__}: the "
                f"targets come from its elements. {received(y_name, y)}")
        if sample_weight is not None:
            raise InvalidInputError(
                f"`sample_weight` must be None when `{name}` is a {type(x).__name__}: "
                f"weights come from its (x, y, sample_weight) elements. "
                f"{received('sample_weight', sample_weight)}")
        xs, ys, ws, n, size, stopped = [], [], [], 0, None, False
        # Read whole batches until max_samples; a stream of unknown batch size
        # is bounded by max_samples batches as well.
        it, source, total = _batches(x, max_samples if steps is None
                                     else min(max_samples, steps))
        try:
            for batch in it:
                bx, by, bw = keras.utils.unpack_x_y_sample_weight(batch)
                if bx is None:
                    raise InvalidInputError(
                        f"`{name}` yielded a batch without inputs. {received(name, batch)}")
                bx = _structure_to_numpy(bx, name)
                length = _n_samples(bx)
                xs.append(bx)
                ys.append(_structure_to_numpy(by, f"{name} targets"))
                ws.append(_structure_to_numpy(bw, f"{name} sample weights"))
                size = size or length
                n += length
                if n >= max_samples:
                    stopped = True
                    break
        except (InvalidInputError, InvalidTypeError):
            raise
        except ValueError as exc:  # unpack_x_y_sample_weight on a 4-tuple, etc.
            raise InvalidInputError(
                f"`{name}` must yield x, (x,), (x, y) or (x, y, sample_weight) batches "
                f"({exc}). {received(name, x)}") from None
        if not xs:
            raise InvalidInputError(f"`{name}` yielded no batches. {received(name, x)}")
        for label, parts in (("targets", ys), ("sample weights", ws)):
            if len({p is None for p in parts}) > 1:
                raise InvalidInputError(
                    f"Every batch of `{name}` must carry {label}, or none. "
                    f"{received(name, x)}")
        fx = _concat(xs, name)
        fy = _concat(ys, f"{name} targets") if ys[0] is not None else None
        fw = _concat(ws, f"{name} sample weights") if ws[0] is not None else None
        _check_lengths([(name, fx), (f"{name} targets", fy),
                        (f"{name} sample weights", fw)])
        # Complete when the stream ended before the limit (or the limit fell
        # on its last batch, for a stream of known length).
        complete = (not stopped and len(xs) < max_samples) or (
            source == "pydataset" and total is not None and len(xs) >= total) or (
            steps is not None and len(xs) >= steps)  # one epoch, as fit reads it
        note = None
        if not complete:
            note = (f"{name}: read the first {len(xs)} batches ({n} samples)"
                    + (f" of {total}" if total else "")
                    + (" from the generator, which no longer holds them"
                       if source == "generator" else ""))
        elif source == "generator":
            note = f"{name}: the generator was read to its end and no longer holds its batches"
        return FitData(fx, fy, fw, source=source, complete=complete,
                       batch_size=size, batches=len(xs), class_weight=class_weight,
                       note=note)
    y_name = y_name or "y"
    fx = _structure_to_numpy(x, name)
    fy = _structure_to_numpy(y, y_name)
    fw = _structure_to_numpy(sample_weight, sample_weight_name)
    _check_lengths([(name, fx), (y_name, fy), (sample_weight_name, fw)])
    return FitData(fx, fy, fw, class_weight=class_weight, batch_size=batch_size)


def require_targets(data, given, *, name="x", y_name="y"):
    """Raise unless `data` (a `FitData` read from `given`) carries targets.

    The message names the stream when the stream brought no targets, and
    `y_name` when arrays were given without them.
    """
    from kerasdoc._errors import InvalidInputError
    from kerasdoc._validation import received

    if data.y is not None:
        return data
    if data.is_stream:
        raise InvalidInputError(
            f"`{name}` must yield (x, y) or (x, y, sample_weight) batches: it yielded "
            f"inputs only. {received(name, given)}")
    raise InvalidInputError(
        f"`{y_name}` is required: pass targets, or a stream that yields (x, y) "
        f"batches as `{name}`. Received: {y_name}=None")


def sample_validation_data(validation_data, *, max_samples=DEFAULT_MAX_SAMPLES):
    """`validation_data` as `fit` takes it, read with `sample_fit_data`.

    Accepts `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)`, or a
    stream yielding them. Returns a `FitData`, or `None` for `None`.
    """
    from kerasdoc._errors import InvalidInputError
    from kerasdoc._validation import received

    if validation_data is None:
        return None
    if _is_stream(validation_data):
        data = sample_fit_data(validation_data, max_samples=max_samples,
                               name="validation_data")
        if data.y is None:
            raise InvalidInputError(
                "`validation_data` must yield (x, y) or (x, y, sample_weight) batches: "
                f"it yielded inputs only. {received('validation_data', validation_data)}")
        return data
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise InvalidInputError(
            "`validation_data` must be a pair (x_val, y_val), a triple "
            "(x_val, y_val, sample_weight_val), "
            "a tf.data.Dataset, a keras.utils.PyDataset or a generator. "
            f"{received('validation_data', validation_data)}")
    vx, vy = validation_data[0], validation_data[1]
    vw = validation_data[2] if len(validation_data) == 3 else None
    return sample_fit_data(vx, vy, sample_weight=vw, max_samples=max_samples,
                           name="validation_data[0]", y_name="validation_data[1]",
                           sample_weight_name="validation_data[2]")
