"""`data.label_noise`: given labels that out-of-sample predictions confidently reject.

In the spirit of confident learning (Northcutt et al., 2021): cross-validated
class probabilities from a cheap model (see `_labels.cross_val_proba`) give
each sample's self-confidence, the out-of-sample probability of its given
label. Samples whose self-confidence is below `label_noise_confidence` while
another class reaches its per-class threshold (the mean probability the model
gives that class on samples labelled with it) are suspects, ranked from the
least self-confident up.
"""

import numpy as np

from kerasdoc.findings import Finding


def rank_suspects(proba, y, *, confidence):
    """Suspect indices (least self-confident first) and their self-confidence."""
    n, k = proba.shape
    self_conf = proba[np.arange(n), y]
    thresholds = np.array([proba[y == c, c].mean() if np.any(y == c) else 1.0
                           for c in range(k)])
    other = proba >= thresholds
    other[np.arange(n), y] = False
    suspect = (self_conf < confidence) & other.any(axis=1)
    idx = np.flatnonzero(suspect)
    order = idx[np.argsort(self_conf[idx], kind="stable")]
    return order, self_conf[order]


def check_label_noise(proba, y, indices, *, confidence, max_fraction, min_samples):
    """Warning when more than `max_fraction` of the checked samples are suspects."""
    n = len(y)
    if n < min_samples:
        return [], f"needs at least {min_samples} labelled samples, got {n}"
    order, scores = rank_suspects(proba, y, confidence=confidence)
    fraction = len(order) / n
    if fraction <= max_fraction:
        return [], None
    ranked = indices[order]
    predicted = proba[order].argmax(axis=1)
    return [Finding(
        "data.label_noise",
        message=(f"{len(order)} of {n} checked training labels ({fraction:.1%}) are "
                 f"contradicted by confident out-of-sample predictions (probability of "
                 f"the given label below {confidence:g})."),
        evidence={"n_suspects": int(len(order)), "n_checked": n, "fraction": fraction,
                  "max_fraction": max_fraction, "confidence": confidence,
                  "indices": ranked.tolist(),
                  "given_labels": y[order][:50].tolist(),
                  "predicted_labels": predicted[:50].tolist(),
                  "self_confidence": np.round(scores[:50], 5).tolist()},
        fix=("Review the listed samples (most suspicious first) and relabel or drop the "
             "wrong ones; if many are wrong, audit how labels were produced."))], None
