"""Value checks: `data.nonfinite`, `data.not_normalized`, `data.label_range`."""

import numpy as np

from kerasdoc.findings import Finding

_SHOW = 20  # indices listed in evidence
UNIT_SPAN = 2.0
"""Width of [-1, 1]: a feature no wider than this is on a normalised scale."""


def check_nonfinite(stats_by_split, labels_by_split):
    """NaN/Inf in any input or label array."""
    findings = []
    for split, stats in stats_by_split.items():
        if stats is not None and stats.nonfinite_count:
            rows = stats.nonfinite_rows
            findings.append(Finding(
                "data.nonfinite",
                message=(f"x_{split} holds {stats.nonfinite_count} NaN/Inf values "
                         f"in {len(rows)} of {stats.n} samples."),
                evidence={"split": split, "n_values": stats.nonfinite_count,
                          "n_samples": int(len(rows)),
                          "indices": rows[:_SHOW].tolist()},
                fix=("Drop or impute these samples before training; one NaN input "
                     "turns the loss and then every weight into NaN.")))
    for split, labels in labels_by_split.items():
        if labels is not None and len(labels.nonfinite_rows):
            rows = labels.nonfinite_rows
            findings.append(Finding(
                "data.nonfinite",
                message=f"y_{split} holds NaN/Inf in {len(rows)} labels.",
                evidence={"split": split, "n_samples": int(len(rows)),
                          "indices": rows[:_SHOW].tolist()},
                fix="Drop the samples whose label is missing, or fix how labels are read."))
    return findings


# Features within this factor of each other's RMS are one quantity on one
# scale (a series' past values); targets within it of the inputs' RMS share it.
_SAME_SCALE = 10.0


def _same_scale_forecast(stats, overall, target_rms):
    """Whether raw inputs are one quantity on the scale its value targets live on.

    A series forecast from its own past values feeds raw values (RMS s) and
    asks for raw values: every feature is the same quantity, and a ReLU
    network, positively homogeneous, outputs on the scale of its inputs at
    initialisation, which is the scale the targets need. The large
    pre-activations are then the output's scale rather than a mismatch with
    it; features of different units or scales (tabular columns) are not.
    """
    if target_rms is None or not overall > 0:
        return False
    with np.errstate(invalid="ignore"):
        rms = np.sqrt(stats.feature_std ** 2 + stats.feature_mean ** 2)
    rms = rms[np.isfinite(rms)]
    if not len(rms) or not rms.min() > 0:
        return False
    if rms.max() / rms.min() > _SAME_SCALE:
        return False
    return 1.0 / _SAME_SCALE <= target_rms / overall <= _SAME_SCALE


def check_not_normalized(stats, *, max_magnitude, scale_ratio, target_rms=None):
    """Raw-scale inputs (e.g. 0-255 pixels) or tabular features of very different ranges.

    What the scale of the inputs does to training is set by the first layer's
    initialiser. Glorot, He and LeCun initialisers draw weights with
    `Var(w) = c / fan_in` (c between about 1 and 2) so that a unit's
    pre-activation `z = sum_i w_i x_i` has variance
    `Var(w) * sum_i E[x_i^2] = c * mean_i E[x_i^2]`: of order 1 exactly when
    the inputs' mean second moment is. The figure that matters is therefore
    the input RMS over all features, `sqrt(mean_i E[x_i^2])`: the factor by
    which the first layer's pre-activations exceed what the initialiser
    designed for. Not "max > 1": count features 0..16 (RMS about 8) put
    pre-activations a few times above design, which ReLU networks absorb;
    raw 0-255 pixels (RMS about 100) put them two orders above it, where
    tanh and sigmoid units are saturated (tanh'(10) is about 1e-8), softmax
    logits start at tens of nats and the first layer's effective learning
    rate is that factor (adaptive optimisers) or its square (SGD) too large.
    The check fires when the factor exceeds `max_magnitude` (10 by default:
    an order of magnitude above design). It is info, not a warning, when the
    inputs are one quantity on one scale and the value targets
    (`target_rms`, the targets' RMS, given for regression) share that scale
    within a factor of 10 (`_same_scale_forecast`): a series forecast from
    its raw past values.
    """
    findings = []
    with np.errstate(invalid="ignore"):
        second = stats.feature_std ** 2 + stats.feature_mean ** 2
        rms = np.sqrt(second)
    finite = np.isfinite(second)
    peak = float(np.nanmax(rms)) if finite.any() else 0.0
    overall = float(np.sqrt(np.mean(second[finite]))) if finite.any() else 0.0
    if overall > max_magnitude:
        lo, hi = stats.finite_min, stats.finite_max
        pixels = stats.is_image and lo >= 0 and hi > 1.5 and hi <= 255
        forecast = _same_scale_forecast(stats, overall, target_rms)
        findings.append(Finding(
            "data.not_normalized", severity="info" if forecast else None,
            message=(f"x_train has an RMS of {overall:.3g} over its features (range "
                     f"[{lo:.4g}, {hi:.4g}]): the first layer's pre-activations start "
                     f"about {overall:.0f}x larger than its initialiser assumes (it "
                     "expects inputs of unit scale)."
                     + (f" Every feature is on one scale and the targets' RMS "
                        f"({target_rms:.3g}) is on it too, as when a series is "
                        "forecast from its raw past values: a ReLU network's outputs "
                        "start on its inputs' scale, which is the one the targets "
                        "need, so this is unlikely to hurt; scaling inputs and "
                        "targets together still speeds training." if forecast else "")),
            evidence={"min": lo, "max": hi, "input_rms": overall,
                      "max_feature_rms": peak, "max_magnitude": max_magnitude,
                      "target_rms": target_rms, "same_scale_forecast": forecast,
                      "feature": int(np.nanargmax(rms))},
            fix=("Scale the inputs, e.g. x / 255.0 for 8-bit pixels, or a "
                 "keras.layers.Rescaling(1 / 255) first layer." if pixels else
                 "Standardise the inputs (subtract the training mean, divide by the "
                 "training std), e.g. with keras.layers.Normalization adapted on x_train.")))
    if not stats.is_image and stats.n_features > 1:
        ranges = stats.feature_max - stats.feature_min
        live = np.flatnonzero(np.isfinite(ranges) & (ranges > 0))
        if len(live) > 1:
            widest, narrowest = live[np.argmax(ranges[live])], live[np.argmin(ranges[live])]
            ratio = float(ranges[widest] / ranges[narrowest])
            # A feature inside [-1, 1] dominates nothing: beside it, a narrower
            # one (a border pixel of a flattened image, non-zero in a few
            # samples) is only under-scaled, and the network's weight on it
            # grows to match. Only a feature wider than that unit span can
            # swamp the others' gradients.
            if ratio > scale_ratio and ranges[widest] > UNIT_SPAN:
                findings.append(Finding(
                    "data.not_normalized",
                    message=(f"Feature {widest} spans a range {ratio:.0f}x wider than "
                             f"feature {narrowest}, so it dominates the gradients."),
                    evidence={"widest_feature": int(widest),
                              "widest_range": float(ranges[widest]),
                              "narrowest_feature": int(narrowest),
                              "narrowest_range": float(ranges[narrowest]),
                              "ratio": ratio, "scale_ratio": scale_ratio},
                    fix=("Standardise the continuous columns (fit the scaler on x_train "
                         "only) so every feature has a comparable scale.")))
    return findings


def check_label_range(labels_by_split, *, n_classes):
    """Labels outside [0, n_classes), bad one-hot rows, or a class count mismatch."""
    findings = []
    for split, labels in labels_by_split.items():
        if labels is None:
            continue
        problems = {
            "out_of_range": labels.out_of_range_rows,
            "not_integer": labels.non_integer_rows,
            "bad_one_hot": labels.bad_one_hot_rows,
        }
        for kind, rows in problems.items():
            if not len(rows):
                continue
            what = {
                "out_of_range": f"outside [0, {labels.n_classes})",
                "not_integer": "that are not whole numbers",
                "bad_one_hot": "whose one-hot rows do not sum to 1",
            }[kind]
            findings.append(Finding(
                "data.label_range",
                message=f"y_{split} has {len(rows)} labels {what}.",
                evidence={"split": split, "problem": kind, "n_samples": int(len(rows)),
                          "indices": rows[:_SHOW].tolist(),
                          "n_classes": labels.n_classes},
                fix=("Map labels to 0..n_classes-1 (e.g. with "
                     "sklearn.preprocessing.LabelEncoder) and make sure n_classes "
                     "matches the model's output units.")))
        if n_classes is not None and labels.one_hot and labels.n_classes != n_classes:
            findings.append(Finding(
                "data.label_range",
                message=(f"y_{split} is one-hot with {labels.n_classes} columns but "
                         f"n_classes={n_classes}."),
                evidence={"split": split, "label_columns": labels.n_classes,
                          "n_classes": n_classes},
                fix="Encode the labels with exactly n_classes columns."))
        if split == "train" and n_classes is not None:
            present = np.unique(labels.ids[labels.valid])
            missing = sorted(set(range(n_classes)) - set(present.tolist()))
            if missing and len(present):
                findings.append(Finding(
                    "data.label_range", severity="warning",
                    message=(f"{len(missing)} of {n_classes} classes never occur in "
                             "y_train, so the model cannot learn them."),
                    evidence={"missing_classes": missing, "n_classes": n_classes},
                    fix=("Check that n_classes matches the data, or add training "
                         "samples of the missing classes.")))
    return findings
