"""Do labels belong to their inputs, and are they in a usable order?

`data.label_misalignment`: two cheap models predict labels out of sample
from the same PCA features, a linear one (scikit-learn logistic regression)
and a local one (k nearest neighbours); if neither does better than chance,
the labels carry no information about the inputs, the signature of `x` and
`y` shuffled apart. The linear model alone cannot tell shuffled labels from
labels that are a non-linear function of the inputs (concentric circles,
XOR-like interactions): it is at chance on both, while k-NN reads any label
that is locally constant in the input space, and no model can read labels
shuffled apart. "Better than chance" must hold under
class imbalance, where plain accuracy of a useful model can equal the majority
rate (it rarely predicts a minority class, yet ranks them well). So the check
takes the largest of three chance-corrected scores, each 0 at chance and 1 when
perfect: balanced accuracy rescaled from `1/C`; the log-loss improvement over
always predicting the class frequencies, as a fraction of that prior's entropy;
and the macro one-vs-rest ROC AUC rescaled from 0.5 (`2 * AUC - 1`). Labels
shuffled apart score about 0 (or below: cross-validation on random labels
anti-correlates) on all three.

`data.unshuffled`: the mean length of runs of equal consecutive labels,
against its expectation for a random order, `1 / (1 - sum_c p_c**2)`.
"""

import warnings

import numpy as np

from kerasdoc.findings import Finding


def _folds(y, n_classes, folds):
    """Class counts, present classes and the usable fold count of `y`.

    The fourth value is the prior-only answer `(N, n_classes)` when fewer
    than two classes or two folds are possible (nothing to cross-validate),
    else None.
    """
    counts = np.bincount(y, minlength=n_classes)
    present = np.flatnonzero(counts)
    folds = int(min(folds, counts[present].min())) if len(present) else 0
    if len(present) < 2 or folds < 2:
        proba = np.zeros((len(y), n_classes))
        proba[:, present] = counts[present] / max(len(y), 1)
        return counts, present, folds, proba
    return counts, present, folds, None


def cross_val_proba(features, y, *, n_classes, seed, folds=3):
    """Out-of-sample class probabilities `(N, n_classes)` from `folds`-fold CV."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    counts, present, folds, proba = _folds(y, n_classes, folds)
    if proba is not None:
        return proba
    proba = np.zeros((len(y), n_classes))
    model = LogisticRegression(max_iter=50, tol=1e-3)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        part = cross_val_predict(model, features, y, cv=cv, method="predict_proba")
    proba[:, present] = part
    return proba


def knn_cross_val_proba(features, y, *, n_classes, seed, folds=3):
    """Out-of-sample class probabilities `(N, n_classes)` of k nearest neighbours.

    `k` grows as the square root of the training-fold size (at least 5, at
    most 50), the usual consistent choice: large enough that the vote is
    not one neighbour's noise, small enough to follow a curved boundary.
    Neighbours vote with weights `1/distance` and the probabilities are
    smoothed towards the class prior by one pseudo-count, so that a
    confident wrong vote does not read as an infinite log-loss.
    """
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neighbors import KNeighborsClassifier

    counts, present, folds, proba = _folds(y, n_classes, folds)
    if proba is not None:
        return proba
    proba = np.zeros((len(y), n_classes))
    prior = counts[present] / len(y)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in cv.split(features, y):
        k = int(np.clip(np.sqrt(len(train)), 5, 50))
        k = min(k, len(train))
        model = KNeighborsClassifier(n_neighbors=k, weights="distance")
        model.fit(features[train], y[train])
        part = np.zeros((len(test), len(present)))
        part[:, np.searchsorted(present, model.classes_)] = model.predict_proba(
            features[test])
        proba[np.ix_(test, present)] = (part * k + prior) / (k + 1)
    return proba


def _macro_auc(proba, y, present):
    """Mean over present classes of the one-vs-rest ROC AUC of their probability."""
    from sklearn.metrics import roc_auc_score

    return float(np.mean([roc_auc_score(y == c, proba[:, c]) for c in present]))


def _chance_corrected(proba, y, counts):
    """Scores (0 = chance, 1 = perfect) and the raw figures they come from."""
    present = np.flatnonzero(counts)
    predicted = proba.argmax(axis=1)
    recalls = [float(np.mean(predicted[y == c] == c)) for c in present]
    balanced = float(np.mean(recalls))
    chance = 1.0 / len(present)
    balanced_score = (balanced - chance) / (1.0 - chance)
    prior = counts[present] / len(y)
    entropy = float(-np.sum(prior * np.log(prior)))
    picked = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    log_loss = float(-np.mean(np.log(picked)))
    log_loss_score = (entropy - log_loss) / entropy
    auc = _macro_auc(proba, y, present)
    return {"balanced_accuracy_score": balanced_score, "log_loss_score": log_loss_score,
            "auc_score": 2 * auc - 1, "cv_balanced_accuracy": balanced,
            "cv_log_loss": log_loss, "prior_entropy": entropy, "cv_macro_auc": auc}


def check_misalignment(proba, y, *, min_information, min_samples):
    """Error when out-of-sample predictions are no better than chance.

    `proba` is one model's out-of-sample probabilities, or a dict of model
    name -> probabilities (`"linear"`, `"knn"`); the labels are aligned as
    soon as one model reads them. `information` is, per model, the largest
    of the chance-corrected balanced accuracy, relative log-loss improvement
    over the class prior and macro ROC AUC (see the module docstring): all
    about 0 for labels shuffled apart, while the AUC stays well above 0 for
    aligned, heavily imbalanced data.
    """
    probas = dict(proba) if isinstance(proba, dict) else {"linear": proba}
    proba = probas.get("linear", next(iter(probas.values())))
    n = len(y)
    if n < min_samples:
        return [], f"needs at least {min_samples} labelled samples, got {n}"
    counts = np.bincount(y, minlength=proba.shape[1])
    if np.count_nonzero(counts) < 2:
        return [], "needs at least two classes"
    if counts[counts > 0].min() < 2:
        # cross_val_proba cannot cross-validate: its prior-only fallback
        # would read as "no information" and raise a false error.
        return [], (f"needs at least 2 samples of every class present, class "
                    f"{int(np.flatnonzero(counts == 1)[0])} has 1")
    accuracy = float(np.mean(proba.argmax(axis=1) == y))
    majority = float(counts.max() / n)
    scores = _chance_corrected(proba, y, counts)
    information = max(scores["balanced_accuracy_score"], scores["log_loss_score"],
                      scores["auc_score"])
    per_model = {}
    for name, p in probas.items():
        s = _chance_corrected(p, y, counts)
        per_model[name] = max(s["balanced_accuracy_score"], s["log_loss_score"],
                              s["auc_score"])
    if max(per_model.values()) >= min_information:
        return [], None
    models = " nor ".join({"linear": "a linear model", "knn": "k nearest neighbours"}.get(
        name, name) for name in probas)
    return [Finding(
        "data.label_misalignment",
        message=((f"Neither {models} predicts y_train from x_train better than chance "
                  if len(probas) > 1 else
                  "A linear model predicts y_train from x_train no better than chance ") +
                 f"out of sample (balanced accuracy {scores['cv_balanced_accuracy']:.1%} "
                 f"vs {1 / np.count_nonzero(counts):.1%}, macro ROC AUC "
                 f"{scores['cv_macro_auc']:.2f} vs 0.5): the labels do not belong to "
                 f"their inputs."),
        evidence={"cv_accuracy": accuracy, "majority_rate": majority, **scores,
                  "information": information,
                  "information_by_model": {k: float(v) for k, v in per_model.items()},
                  "min_information": min_information, "n_samples": n},
        fix=("Check that inputs and labels were shuffled together (one permutation: "
             "`p = rng.permutation(n); x, y = x[p], y[p]`) and that files and labels "
             "are paired in the same order."))], None


def check_unshuffled(y, *, run_ratio, batch_size, min_samples, shuffled=False):
    """Warning when labels come in long runs (e.g. sorted by class).

    With `shuffled=True` (arrays, which `fit` shuffles every epoch by
    default) no batch is taken in this order, so the finding is info: the
    order only decides what `validation_split` holds out.
    """
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
    evidence = {"mean_run_length": mean_run, "expected_run_length": expected,
                "ratio": ratio, "run_ratio": run_ratio,
                "longest_run": {"start": int(bounds[longest]),
                                "length": int(lengths[longest]),
                                "label": int(y[bounds[longest]])},
                "single_class_batches": single, "batches": n_batches,
                "batch_size": batch_size, "shuffled_by_fit": bool(shuffled)}
    if shuffled:
        return [Finding(
            "data.unshuffled", severity="info",
            message=(f"y_train comes in runs of {mean_run:.1f} equal labels on average "
                     f"({ratio:.0f}x longer than in a random order). fit shuffles these "
                     "arrays every epoch, so batches still mix classes; but "
                     "validation_split would hold out the last classes only, and "
                     "shuffle=False or a tf.data pipeline built from them would train "
                     "on one class at a time."),
            evidence=evidence,
            fix=("Shuffle once before splitting (`p = rng.permutation(n); x, y = x[p], "
                 "y[p]`) if you use validation_split, shuffle=False or tf.data."))], None
    return [Finding(
        "data.unshuffled",
        message=(f"y_train comes in runs of {mean_run:.1f} equal labels on average, "
                 f"{ratio:.0f}x longer than in a random order: batches taken in this "
                 "order hold one class, and validation_split would hold the last classes."),
        evidence=evidence,
        fix=("Shuffle once before splitting and training (`p = rng.permutation(n); "
             "x, y = x[p], y[p]`): model.fit shuffles NumPy arrays only after "
             "validation_split has taken the last samples, and a tf.data pipeline "
             "needs its own .shuffle()."))], None
