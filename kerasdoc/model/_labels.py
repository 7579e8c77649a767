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


# describe_targets' forms in this module's vocabulary.
_FORMS = {"sparse": "sparse", "binary": "sparse", "one_hot": "onehot",
          "multi_hot": "multilabel", "probabilities": "probabilities",
          "continuous": "continuous"}


def describe_labels(y, *, max_classes=1000):
    """Classify `y` as sparse class ids, one-hot rows, probabilities, ...

    A view of `kerasdoc._task.describe_targets` (the one decoder of label
    forms) in the model audit's vocabulary.

    Args:
        y: the targets.
        max_classes: integer targets with more distinct values than this
            are treated as continuous. Defaults to `1000`.
    """
    from kerasdoc._task import describe_targets

    y = np.asarray(y)
    shape = tuple(y.shape)
    form = describe_targets(y, per_position=y.ndim >= 3, max_classes=max_classes)
    if form is None:
        return Labels("continuous", None, None, shape)
    return Labels(_FORMS[form.form], form.n_classes, form.counts, shape)


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
