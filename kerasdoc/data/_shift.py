"""`data.distribution_shift`: train and test differ in class mix or in their inputs.

Class mix: total variation distance between the two label distributions.
Inputs: a domain classifier (scikit-learn logistic regression, cross-validated
ROC AUC) tries to tell seeded, equal-sized samples of train and test apart
from PCA features plus per-sample summary statistics (mean, spread and, for
images, the mean absolute difference of neighbouring pixels, which drops
when images were upscaled from a lower resolution). AUC near 0.5 means the
two splits look alike.

Data ordered in time (series windows, logs, sensor readings) split by time
differ between train and test by construction: a trend or a slow season
carries the later test windows away from the earlier training ones, and
forecasting exactly that future is the task. What separates such a split
from a real mismatch (test preprocessed differently, drawn from another
source) is that the training set drifts too: the same domain classifier
tells the last block of training rows in their given order (as many as the
test set holds) from the rows before it. Exchangeable (shuffled or
unordered) training data cannot be told apart that way (AUC about 0.5),
whatever the test set. When the training set drifts along its own order
beyond `shift_auc`, the train/test difference is the continuation of that
drift: reported at info, not as a warning.

A training set broader than the test set is told apart too: random
augmentation (flips, rotations) applied to the training pipeline only, or a
test set drawn from part of the training population. The test inputs then
lie inside the training distribution, which is what matters for the test
score. The evidence is coverage: the median distance from a test sample to
its nearest training sample, over the median distance from a held-out
training sample to its nearest training sample (same features, same
reference half of the training samples). Exchangeable splits give about 1; a
test set outside the training distribution (another resolution,
preprocessing or period) gives more; a test set covered more tightly than
the training set covers itself gives less than 1: reported at info.
"""

import warnings

import numpy as np

from kerasdoc.findings import Finding

SUMMARY_NAMES = ("mean", "std", "sharpness")


def summary_features(raw, is_image):
    """Per-sample mean, std and (images) neighbouring-pixel contrast."""
    flat = raw.reshape(len(raw), -1).astype(np.float32)
    flat = np.where(np.isfinite(flat), flat, 0.0)
    mean = flat.mean(axis=1)
    std = flat.std(axis=1)
    if is_image:
        img = flat.reshape(raw.shape)
        dx = np.abs(np.diff(img, axis=2)).reshape(len(raw), -1).mean(axis=1)
        dy = np.abs(np.diff(img, axis=1)).reshape(len(raw), -1).mean(axis=1)
        sharp = (dx + dy) / np.where(std > 0, std, 1.0)
    else:
        sharp = np.zeros_like(mean)
    return np.stack([mean, std, sharp], axis=1)


def check_class_mix(y_train, y_test, n_classes, *, class_shift):
    """Warning when the train and test class frequencies differ by `class_shift` (TV)."""
    p = np.bincount(y_train, minlength=n_classes) / max(len(y_train), 1)
    q = np.bincount(y_test, minlength=n_classes) / max(len(y_test), 1)
    tv = 0.5 * float(np.abs(p - q).sum())
    if tv <= class_shift:
        return []
    worst = int(np.argmax(np.abs(p - q)))
    return [Finding(
        "data.distribution_shift",
        message=(f"The class mix of train and test differs (total variation "
                 f"{tv:.2f}); class {worst} makes up {p[worst]:.1%} of train but "
                 f"{q[worst]:.1%} of test."),
        evidence={"kind": "class_mix", "total_variation": tv,
                  "class_shift": class_shift,
                  "train_fraction": np.round(p, 4).tolist(),
                  "test_fraction": np.round(q, 4).tolist()},
        fix=("Use a stratified split (train_test_split(..., stratify=y)), or, if the "
             "deployment mix really differs, weight classes or report per-class metrics."))]


def domain_auc(a, b, *, seed):
    """Cross-validated ROC AUC of a linear classifier telling rows of `a` from `b`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.metrics import roc_auc_score

    m = min(len(a), len(b))
    features = np.concatenate([a[:m], b[:m]])
    mu, sd = features.mean(axis=0), features.std(axis=0)
    features = (features - mu) / np.where(sd > 0, sd, 1.0)
    domain = np.r_[np.zeros(m, int), np.ones(m, int)]
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        score = cross_val_predict(LogisticRegression(max_iter=100), features, domain,
                                  cv=cv, method="decision_function")
    return float(roc_auc_score(domain, score))


def coverage_ratio(train_feats, test_feats):
    """Median nearest-train distance of test rows over that of held-out train rows.

    Features are standardised on both splits together; the first half of the
    training rows is the reference, the second half the held-out training
    rows, compared with as many test rows. None with fewer than 20 rows each.
    """
    from sklearn.neighbors import NearestNeighbors

    m = min(len(train_feats), len(test_feats))
    half = m // 2
    if half < 20:
        return None
    a, b = train_feats[:m], test_feats[:m]
    both = np.concatenate([a, b])
    mu, sd = both.mean(axis=0), both.std(axis=0)
    a, b = (a - mu) / np.where(sd > 0, sd, 1.0), (b - mu) / np.where(sd > 0, sd, 1.0)
    index = NearestNeighbors(n_neighbors=1).fit(a[:half])
    own = float(np.median(index.kneighbors(a[half:2 * half])[0][:, 0]))
    test = float(np.median(index.kneighbors(b[:m - half])[0][:, 0]))
    if own <= 0:
        return None
    return test / own


def check_input_shift(train_feats, test_feats, *, shift_auc, seed, names,
                      train_ends=None):
    """Warning when a classifier separates train from test samples (CV ROC AUC).

    `train_ends` is `(before, last)`: features of the training rows before
    their last block and of that block (as many rows as the test set), or
    None. When they
    too are told apart above `shift_auc`, the training data drift along
    their order and the shift is reported at info (see the module docstring).
    """
    m = min(len(train_feats), len(test_feats))
    if m < 20:
        return [], f"needs at least 20 test samples, got {m}"
    auc = domain_auc(train_feats[:m], test_feats[:m], seed=seed)
    if auc <= shift_auc:
        return [], None
    drift = None
    if train_ends is not None and min(len(train_ends[0]), len(train_ends[1])) >= 20:
        drift = domain_auc(train_ends[0], train_ends[1], seed=seed)
    a, b = train_feats[:m], test_feats[:m]
    coverage = coverage_ratio(a, b)
    pooled = np.sqrt((a.var(axis=0) + b.var(axis=0)) / 2)
    effect = (b.mean(axis=0) - a.mean(axis=0)) / np.where(pooled > 0, pooled, 1.0)
    top = np.argsort(-np.abs(effect))[:5]
    most_shifted = [{"feature": names[i], "effect_size": float(effect[i])} for i in top]
    if drift is not None and drift > shift_auc:
        return [Finding(
            "data.distribution_shift", severity="info",
            message=(f"A linear classifier tells test inputs from training inputs with "
                     f"ROC AUC {auc:.2f}, but the training inputs drift along their "
                     f"own order too (their last block vs the rows before it: AUC {drift:.2f}): "
                     "data ordered in time and split by time, where the test set "
                     "continuing the drift is the task, not a mismatch."),
            evidence={"kind": "ordered_drift", "domain_auc": auc,
                      "train_drift_auc": drift, "shift_auc": shift_auc,
                      "n_per_split": m, "most_shifted": most_shifted},
            fix=("Nothing to do for a forecast validated on later data. If the order "
                 "is not time, shuffle before splitting so both splits come from the "
                 "same distribution."))], None
    if coverage is not None and coverage < 1.0:
        return [Finding(
            "data.distribution_shift", severity="info",
            message=(f"A linear classifier tells test inputs from training inputs with "
                     f"ROC AUC {auc:.2f}, but the test inputs lie inside the training "
                     f"distribution: their nearest training samples are closer than "
                     f"training samples' own (distance ratio {coverage:.2f}). The "
                     "training set is broader than the test set, as augmentation "
                     "applied to the training pipeline makes it."),
            evidence={"kind": "covered", "domain_auc": auc, "coverage_ratio": coverage,
                      "train_drift_auc": drift, "shift_auc": shift_auc,
                      "n_per_split": m, "most_shifted": most_shifted},
            fix=("Nothing to do if the training set is augmented on purpose; otherwise "
                 "check that the test set is not drawn from a narrower population."))], None
    return [Finding(
        "data.distribution_shift",
        message=(f"A linear classifier tells test inputs from training inputs with "
                 f"ROC AUC {auc:.2f} (0.5 = indistinguishable): the splits come from "
                 "different distributions."),
        evidence={"kind": "inputs", "domain_auc": auc, "shift_auc": shift_auc,
                  "train_drift_auc": drift, "coverage_ratio": coverage, "n_per_split": m,
                  "most_shifted": most_shifted},
        fix=("Preprocess train and test identically (same resizing, scaling and "
             "normalisation statistics fitted on train) and draw both splits from the "
             "same source; the listed statistics show what differs."))], None
