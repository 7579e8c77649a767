"""What the compiled loss and the labels say about the task."""

import dataclasses
from typing import Optional

import numpy as np

from kerasdoc._losses import LossInfo, classify_loss

# The compiled loss reduced to what the checks need: name, kind (family:
# sparse_cce, cce, bce, kld, hinge, categorical_hinge, regression or other)
# and from_logits. One classifier for the whole package (kerasdoc._losses).
LossSpec = LossInfo


def loss_spec(model) -> Optional[LossSpec]:
    """The model's single compiled loss, or None (not compiled, several losses)."""
    return classify_loss(getattr(model, "loss", None))


@dataclasses.dataclass(frozen=True)
class Labels:
    """What an array of targets looks like."""

    form: str  # sparse, onehot, multilabel, probabilities, continuous
    n_classes: Optional[int]
    counts: Optional[np.ndarray]
    shape: tuple

    @property
    def single_label(self):
        return self.form in ("sparse", "onehot")


def describe_labels(y, *, max_classes=1000):
    """Classify `y` as sparse class ids, one-hot rows, probabilities, ...

    Args:
        y: the targets.
        max_classes: integer targets with more distinct values than this
            are treated as continuous. Defaults to `1000`.
    """
    y = np.asarray(y)
    shape = tuple(y.shape)
    if y.ndim >= 2 and y.shape[-1] > 1:
        flat = y.reshape(-1, y.shape[-1]).astype(np.float64)
        if not np.all(np.isfinite(flat)):
            return Labels("continuous", None, None, shape)
        binary = np.all((flat == 0) | (flat == 1))
        sums = flat.sum(axis=1)
        if binary and np.all(sums == 1):
            return Labels("onehot", flat.shape[1], flat.sum(axis=0).astype(int), shape)
        if binary:
            return Labels("multilabel", flat.shape[1], flat.sum(axis=0).astype(int), shape)
        if flat.min() >= 0 and np.allclose(sums, 1.0, atol=1e-3):
            return Labels("probabilities", flat.shape[1], None, shape)
        return Labels("continuous", None, None, shape)
    flat = y.reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.astype(np.int64)
    if not np.issubdtype(flat.dtype, np.number) or not np.all(np.isfinite(flat)):
        return Labels("continuous", None, None, shape)
    rounded = np.round(flat)
    if np.all(rounded == flat) and flat.size and flat.min() >= 0:
        n_distinct = np.unique(rounded).size
        if n_distinct <= max_classes:
            n_classes = int(rounded.max()) + 1
            counts = np.bincount(rounded.astype(np.int64), minlength=n_classes)
            return Labels("sparse", n_classes, counts, shape)
    return Labels("continuous", None, None, shape)


def output_kind_from_values(pred):
    """'softmax', 'sigmoid' or 'linear' judged from output values."""
    pred = np.asarray(pred, dtype=np.float64)
    if pred.size == 0 or not np.all(np.isfinite(pred)):
        return "linear"
    in_unit = pred.min() >= 0.0 and pred.max() <= 1.0
    if in_unit and pred.ndim >= 2 and np.allclose(pred.sum(axis=-1), 1.0, atol=1e-4):
        return "softmax"
    if in_unit:
        return "sigmoid"
    return "linear"
