"""`data.class_imbalance`: the accuracy paradox, measured on the class counts."""

import numpy as np

from kerasdoc.findings import Finding


def check_class_imbalance(y, n_classes, *, imbalance_ratio, weights=None,
                          class_weight=None):
    """Warning when the largest class outnumbers the smallest present one by `imbalance_ratio`.

    With per-sample `weights` or a `class_weight` dict (as `fit` takes them),
    the imbalance the training loss sees is the ratio of the classes' total
    weights: when that is within `imbalance_ratio` the imbalance is handled
    and nothing is reported.
    """
    counts = np.bincount(y, minlength=n_classes)
    present = np.flatnonzero(counts)
    if len(present) < 2:
        return []
    if weights is not None or class_weight:
        total = (np.bincount(y, weights=np.asarray(weights, dtype=np.float64),
                             minlength=n_classes)
                 if weights is not None else counts.astype(np.float64))
        if class_weight:
            total = total * np.array([class_weight.get(c, 1.0) for c in range(len(total))])
        live = present[total[present] > 0]
        if len(live) == len(present) and (
                total[live].max() / total[live].min() <= imbalance_ratio):
            return []
    majority = int(present[np.argmax(counts[present])])
    minority = int(present[np.argmin(counts[present])])
    ratio = float(counts[majority] / counts[minority])
    if ratio <= imbalance_ratio:
        return []
    majority_accuracy = float(counts[majority] / counts.sum())
    return [Finding(
        "data.class_imbalance",
        message=(f"Class {majority} has {ratio:.0f}x more training samples than class "
                 f"{minority}: always predicting class {majority} already scores "
                 f"{majority_accuracy:.1%} accuracy."),
        evidence={"counts": counts.tolist(), "majority_class": majority,
                  "minority_class": minority, "ratio": ratio,
                  "imbalance_ratio": imbalance_ratio,
                  "majority_class_accuracy": majority_accuracy},
        fix=("Judge the model by balanced accuracy, per-class recall, F1 or PR-AUC "
             "instead of accuracy; consider class_weight in model.fit, resampling, and "
             "an output bias initialised to the log class priors."))]
