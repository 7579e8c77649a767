"""Do labels belong to their inputs, and are they in a usable order?

`data.label_misalignment`: a cheap linear model (scikit-learn logistic
regression on PCA features) predicts labels out of sample; if it does no
better than always guessing the majority class, the labels carry no
information about the inputs, the signature of `x` and `y` shuffled apart.

`data.unshuffled`: the mean length of runs of equal consecutive labels,
against its expectation for a random order, `1 / (1 - sum_c p_c**2)`.
"""

import warnings

import numpy as np

from kerasdoc.findings import Finding


def cross_val_proba(features, y, *, n_classes, seed, folds=3):
    """Out-of-sample class probabilities `(N, n_classes)` from `folds`-fold CV."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    counts = np.bincount(y, minlength=n_classes)
    present = np.flatnonzero(counts)
    folds = int(min(folds, counts[present].min())) if len(present) else 0
    proba = np.zeros((len(y), n_classes))
    if len(present) < 2 or folds < 2:
        proba[:, present] = counts[present] / max(len(y), 1)
        return proba
    model = LogisticRegression(max_iter=50, tol=1e-3)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        part = cross_val_predict(model, features, y, cv=cv, method="predict_proba")
    proba[:, present] = part
    return proba


def check_misalignment(proba, y, *, min_information, min_samples):
    """Error when out-of-sample accuracy is near the majority-class rate."""
    n = len(y)
    if n < min_samples:
        return [], f"needs at least {min_samples} labelled samples, got {n}"
    counts = np.bincount(y, minlength=proba.shape[1])
    if np.count_nonzero(counts) < 2:
        return [], "needs at least two classes"
    accuracy = float(np.mean(proba.argmax(axis=1) == y))
    majority = float(counts.max() / n)
    information = (accuracy - majority) / (1.0 - majority)
    if information >= min_information:
        return [], None
    return [Finding(
        "data.label_misalignment",
        message=(f"A linear model predicts y_train from x_train with {accuracy:.1%} "
                 f"accuracy out of sample, no better than always guessing the majority "
                 f"class ({majority:.1%}): the labels do not belong to their inputs."),
        evidence={"cv_accuracy": accuracy, "majority_rate": majority,
                  "information": information, "min_information": min_information,
                  "n_samples": n},
        fix=("Check that inputs and labels were shuffled together (one permutation: "
             "`p = rng.permutation(n); x, y = x[p], y[p]`) and that files and labels "
             "are paired in the same order."))], None


def check_unshuffled(y, *, run_ratio, batch_size, min_samples):
    """Warning when labels come in long runs (e.g. sorted by class)."""
    n = len(y)
    if n < min_samples:
        return [], f"needs at least {min_samples} labelled samples, got {n}"
    p = np.bincount(y) / n
    same = float(np.sum(p ** 2))
    if same >= 1.0:
        return [], "needs at least two classes"
    changes = np.flatnonzero(y[1:] != y[:-1])
    n_runs = len(changes) + 1
    mean_run = n / n_runs
    expected = 1.0 / (1.0 - same)
    ratio = mean_run / expected
    if ratio <= run_ratio:
        return [], None
    bounds = np.concatenate([[0], changes + 1, [n]])
    lengths = np.diff(bounds)
    longest = int(np.argmax(lengths))
    n_batches = n // batch_size
    single = 0
    if n_batches:
        blocks = y[:n_batches * batch_size].reshape(n_batches, batch_size)
        single = int(np.sum(np.all(blocks == blocks[:, :1], axis=1)))
    return [Finding(
        "data.unshuffled",
        message=(f"y_train comes in runs of {mean_run:.1f} equal labels on average, "
                 f"{ratio:.0f}x longer than in a random order: batches taken in this "
                 "order hold one class, and validation_split would hold the last classes."),
        evidence={"mean_run_length": mean_run, "expected_run_length": expected,
                  "ratio": ratio, "run_ratio": run_ratio,
                  "longest_run": {"start": int(bounds[longest]),
                                  "length": int(lengths[longest]),
                                  "label": int(y[bounds[longest]])},
                  "single_class_batches": single, "batches": n_batches,
                  "batch_size": batch_size},
        fix=("Shuffle once before splitting and training (`p = rng.permutation(n); "
             "x, y = x[p], y[p]`): model.fit shuffles NumPy arrays only after "
             "validation_split has taken the last samples, and a tf.data pipeline "
             "needs its own .shuffle()."))], None
