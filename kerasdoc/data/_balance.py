"""`data.class_imbalance`: the accuracy paradox, measured on the class counts."""

import numpy as np

from kerasdoc.findings import Finding


def check_class_imbalance(y, n_classes, *, imbalance_ratio):
    """Warning when the largest class outnumbers the smallest present one by `imbalance_ratio`."""
    counts = np.bincount(y, minlength=n_classes)
    present = np.flatnonzero(counts)
    if len(present) < 2:
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
