"""Helpers shared by the Display classes: labels, class names, predictions, PNGs.

Nothing here imports matplotlib or keras at module level: `pyplot()` imports
matplotlib when a plot is drawn, and `predict_proba` only calls the model it
is given.
"""

import io

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import (check_array, check_int, check_model, check_model_input,
                                  check_model_inputs,
                                  received)


def pyplot():
    """`matplotlib.pyplot`, imported on first use."""
    import matplotlib.pyplot as plt

    return plt


def new_axes(ax, *, figsize=None):
    """Return `(figure, ax)`: `ax` itself, or a new figure with one axes."""
    if ax is None:
        fig, ax = pyplot().subplots(figsize=figsize)
        return fig, ax
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise InvalidTypeError(
            f"`ax` must be a matplotlib Axes or None. {received('ax', ax)}"
        )
    return ax.figure, ax


def new_axes_grid(ax, n, *, ncols, panel_size=(1.6, 1.9)):
    """Return `(figure, axes)` with at least `n` axes in a grid (or the user's)."""
    if ax is None:
        ncols = max(1, min(ncols, n))
        nrows = -(-n // ncols)
        fig, axes = pyplot().subplots(
            nrows, ncols, squeeze=False, layout="constrained",
            figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
        return fig, list(np.ravel(axes))
    axes = list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) < n or not all(hasattr(a, "imshow") for a in axes):
        raise InvalidInputError(
            f"`ax` must be None or at least {n} matplotlib Axes. "
            f"Received: ax with {len(axes)} item(s)"
        )
    return axes[0].figure, axes


_MAX_CLASS_ID = 1 << 14  # a 16384-class confusion matrix is already 2 GB


def labels_1d(y, name="y"):
    """Integer class labels from integer labels or one-hot / probability rows."""
    y = check_array(y, name, min_ndim=1, max_ndim=2)
    if np.iscomplexobj(y):
        raise InvalidTypeError(f"`{name}` must hold real class labels. {received(name, y)}")
    if y.ndim == 2:
        if y.shape[1] == 1:
            y = y[:, 0]
        else:
            return np.argmax(y, axis=1).astype(np.int64)
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise InvalidInputError(
                f"`{name}` must hold integer class labels or one-hot rows. "
                f"{received(name, y)}"
            )
    if np.any(y < 0):
        raise InvalidInputError(
            f"`{name}` must not hold negative class labels. "
            f"Received: min({name})={y.min()}"
        )
    if y.size and y.max() >= _MAX_CLASS_ID:  # one row/column per class is drawn
        raise InvalidInputError(
            f"`{name}` must hold class ids below {_MAX_CLASS_ID}; map labels to "
            f"0..n_classes-1 first. Received: max({name})={y.max()}")
    return y.astype(np.int64)


def class_names_for(class_names, n_classes, name="class_names"):
    """A list of `n_classes` display names (the indices when `class_names` is None)."""
    if class_names is None:
        return [str(i) for i in range(n_classes)]
    if isinstance(class_names, (str, bytes)) or not hasattr(class_names, "__iter__"):
        raise InvalidTypeError(
            f"`{name}` must be a sequence of names. {received(name, class_names)}"
        )
    names = [str(c) for c in class_names]
    if len(names) < n_classes:
        raise InvalidInputError(
            f"`{name}` must name all {n_classes} classes. "
            f"Received: {name} with {len(names)} name(s)"
        )
    return names


def _softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=1, keepdims=True)


def as_probabilities(scores, name="y_proba", *, atol=1e-3):
    """Class probabilities `(n, k)` from probabilities, logits or one sigmoid unit.

    Rows that are not already probability vectors (a value outside [0, 1] or a
    row sum off by more than `atol`) are treated as logits and go through
    softmax; a single column is read as a sigmoid output `p(class 1)`.
    """
    scores = check_array(scores, name, min_ndim=1, max_ndim=2).astype(np.float64)
    if not np.all(np.isfinite(scores)):
        raise InvalidInputError(
            f"`{name}` holds NaN or Inf values. {received(name, scores)}"
        )
    if scores.ndim == 1 or scores.shape[1] == 1:
        p = scores.reshape(-1)
        if np.any(p < 0) or np.any(p > 1):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    if (np.any(scores < 0) or np.any(scores > 1)
            or not np.allclose(scores.sum(axis=1), 1.0, atol=atol)):
        return _softmax(scores)
    return scores


def predict_proba(model, x, *, batch_size=None):
    """The model's class probabilities on `x` (`model.predict`, quietly)."""
    if not hasattr(model, "predict"):
        raise InvalidTypeError(
            f"`model` must be a keras.Model. {received('model', model)}"
        )
    check_model(model)
    if isinstance(x, (dict, list)):
        x = check_model_inputs(x, model)
    else:
        x = check_model_input(check_array(x, "x", numeric=x.dtype.kind not in "OSU"
                                          if hasattr(x, "dtype") else True), model)
    batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
    out = model.predict(x, batch_size=batch_size or 256, verbose=0)
    if isinstance(out, (list, tuple, dict)):
        raise InvalidInputError(
            "Plots need a model with a single classification output. "
            f"Received: model with {len(out)} outputs"
        )
    return as_probabilities(np.asarray(out), "model output")


MAX_SAMPLES = 10_000
"""Samples the Displays' `from_model` read from a stream."""


def fit_data(x, y, *, max_samples=MAX_SAMPLES, need_y=True):
    """`(x, y)` as `fit` takes them, read into arrays (streams: the first `max_samples`).

    `x` may be an array, a dict or list of arrays (several inputs), or a
    `tf.data.Dataset`, `keras.utils.PyDataset` or generator yielding
    `(x, y)` batches (then `y` must be `None`).
    """
    from kerasdoc._inputs import require_targets, sample_fit_data

    data = sample_fit_data(x, y, max_samples=max_samples)
    if need_y:
        require_targets(data, x)
    if isinstance(data.y, (dict, list)):
        raise InvalidInputError(
            "Plots need a model with a single classification output, and `y` its "
            f"labels. Received: y with {len(data.y)} targets")
    return data.x, data.y


def display_inputs(model, x):
    """The array shown for each sample: `x`, or its first image input of a dict/list."""
    if not isinstance(x, (dict, list)):
        return x
    from kerasdoc._inputs import input_kind

    kinds = input_kind(model, x)
    items = list(x.items()) if isinstance(x, dict) else list(enumerate(x))
    kind_of = kinds if isinstance(kinds, dict) else dict(enumerate(kinds))
    for key, value in items:
        if kind_of.get(key) == "image":
            return value
    return items[0][1]


def count(x):
    """Samples in an array or a dict/list of arrays."""
    import keras

    return len(keras.tree.flatten(x)[0])


def per_sample_loss(y_true, proba, *, eps=1e-7):
    """Cross-entropy of every sample: `-log p(true class)`."""
    p = proba[np.arange(len(y_true)), y_true]
    return -np.log(np.clip(p, eps, 1.0))


def image_for_display(sample):
    """A 2-D (grey) or H x W x 3 array for `imshow`, and the colormap to use."""
    a = np.asarray(sample, dtype=np.float64)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 1:
        side = int(round(np.sqrt(a.size)))
        if side * side != a.size:
            return None, None
        a = a.reshape(side, side)
    if a.ndim == 2:
        return a, "binary"
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        lo, hi = np.min(a), np.max(a)
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        return a, None
    return None, None


def figure_png(fig, *, dpi=100):
    """The figure rendered as PNG bytes (`bbox_inches="tight"`)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
