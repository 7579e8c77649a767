"""Detectors over the loss curve and the per-epoch logs.

Pure functions like those of `_detectors` (see there for the history keys):
`train.loss_diverging`, `train.loss_oscillating`, `train.loss_plateau`
from the loss of each read-back window, and `train.overfitting`,
`train.loss_accuracy_divergence`, `train.validation_gap` from the epoch logs
(`epoch/loss`, `epoch/val_loss`, accuracy metrics).
"""

import numpy as np

from kerasdoc.findings import Finding


def _step_at(history, row):
    return int(np.asarray(history["step"])[row])


def _finite_loss(history):
    loss = np.asarray(history["loss"], dtype=float)
    rows = np.flatnonzero(np.isfinite(loss))
    return rows, loss[rows]


def _smoothed(history, rows, loss):
    """Each check's loss averaged with the check before (weighted by steps)."""
    samples = np.asarray(history.get("samples", np.ones(len(history["loss"]))),
                         dtype=float)[rows]
    weights = np.where(np.isfinite(samples) & (samples > 0), samples, 1.0)
    total = loss * weights
    out = loss.copy()
    out[1:] = (total[1:] + total[:-1]) / (weights[1:] + weights[:-1])
    return out


def detect_loss_diverging(history, *, factor=10.0, window=5):
    """`train.loss_diverging`: loss jumped by orders of magnitude, or rose `window` checks in a row.

    The jump test runs on the loss smoothed over two consecutive checks: a
    smoothed loss above `factor` times the lowest smoothed loss so far, or
    above `factor ** 2` times `initial_loss` (the loss of the very first
    step, which catches a blow-up inside the first window), and above the
    first check's loss (and the first step's), is a jump. Per-check losses
    are means over few batches and the first step's is a single batch: on
    imbalanced data one window without the rare class has a tiny loss (a
    sigmoid with the log-prior bias on 1:45 labels: ~0.005 next to ~0.1),
    which is noise, not a minimum to diverge from. Loss rising `window`
    checks in a row, ending above the first check's loss, is diverging too.
    """
    rows, loss = _finite_loss(history)
    if not len(loss):
        return []
    initial = float(history.get("initial_loss", np.nan))
    has_initial = np.isfinite(initial)
    smooth = _smoothed(history, rows, loss)
    running_min = np.minimum.accumulate(smooth)
    start = max(loss[0], initial) if has_initial else loss[0]
    # Every check at once (this runs at every detection, over the whole
    # history), then the first that fires.
    above_mins = smooth > factor * running_min
    above_initials = (smooth > factor ** 2 * initial if has_initial
                      else np.zeros(len(loss), dtype=bool))
    jumps = (above_mins | above_initials) & (smooth >= start)
    up = np.concatenate([[0], np.cumsum(np.diff(loss) > 0)])  # rises up to i
    risings = np.zeros(len(loss), dtype=bool)
    if len(loss) > window:
        risings[window:] = ((up[window:] - up[:-window]) == window) & (
            loss[window:] > loss[0])
    for i in np.flatnonzero(jumps | risings)[:1]:
        above_min = bool(above_mins[i])
        jump, rising = bool(jumps[i]), bool(risings[i])
        if jump or rising:
            from_initial = bool(jump and not above_min)
            reference = initial if from_initial else float(running_min[i])
            return [Finding(
                "train.loss_diverging",
                message=(f"The training loss rose to {loss[i]:.4g} by step "
                         f"{_step_at(history, rows[i])} from "
                         + ("the first step's " if from_initial
                            else "a (two-check average) minimum of ")
                         + f"{reference:.4g}."),
                evidence={"loss": float(loss[i]), "smoothed_loss": float(smooth[i]),
                          "min_before": float(running_min[i]),
                          "initial_loss": initial, "factor": factor,
                          "versus_first_step": from_initial,
                          "steadily_rising": bool(rising and not jump)},
                fix=("Lower the learning rate (try 10x smaller), add gradient "
                     "clipping, and check the loss for a wrong sign or target."),
                step=_step_at(history, rows[i]))]
    return []


# Check-to-check swings must exceed the minibatch noise by this factor (in
# root-mean-square) to count as oscillation. Under pure sampling noise the
# mean squared difference over the expected one is about chi-square with
# the window's few (correlated) degrees of freedom over their number: a ratio
# of 2 (variance 4x) has a chance well under 1 % with 4 or more of them.
_NOISE_RATIO = 2.0


def _minibatch_noise(history, rows, diffs):
    """Root-mean-square swing between checks that minibatch sampling alone explains.

    Each check's loss is the mean of the batch losses of its window;
    `loss_sem` is the standard error of that mean from the spread of those
    batch losses, i.e. the noise of a mean over steps x B samples drawn from
    the N training samples, measured rather than guessed. A window of one
    step (the remainder at an epoch's end) has no spread of its own: its
    batch-to-batch spread is taken as the median of the other windows', and
    its standard error as that over the square root of its steps. NaN when
    the history has no `loss_sem`.
    """
    sem = history.get("loss_sem")
    if sem is None:
        return np.nan
    n = len(diffs) + 1
    sem = np.asarray(sem, dtype=float)[rows][-n:]
    steps = np.diff(np.asarray(history["step"], dtype=float), prepend=0.0)[rows][-n:]
    steps = np.maximum(steps, 1.0)
    spread = sem * np.sqrt(steps)  # batch-to-batch standard deviation
    known = np.isfinite(spread)
    if not known.any():
        return np.nan
    spread = np.where(known, spread, np.median(spread[known]))
    sem = spread / np.sqrt(steps)
    return float(np.sqrt(np.mean(np.square(sem[1:]) + np.square(sem[:-1]))))


def detect_loss_oscillating(history, *, window=8, amplitude=0.3):
    """`train.loss_oscillating`: over `window` checks the loss swings without a trend.

    Swings count only when they are large relative to the loss (mean swing
    above `amplitude` times the mean loss), change direction at most checks,
    leave no trend, and exceed the minibatch sampling noise of the checks'
    losses by `_NOISE_RATIO` (root-mean-square). Small batches on small data
    make a low loss swing by far more than `amplitude` of itself while the
    epoch loss falls steadily: that is the noise of a mean over a few
    batches, not an oscillation of the model.
    """
    rows, loss = _finite_loss(history)
    if len(loss) < window:
        return []
    recent = loss[-window:]
    d = np.diff(recent)
    if not np.all(d != 0):
        return []
    changes = np.mean(np.sign(d[1:]) != np.sign(d[:-1]))
    swing = np.mean(np.abs(d)) / max(np.mean(recent), 1e-12)
    trendless = abs(recent[-1] - recent[0]) < 0.25 * np.sum(np.abs(d))
    if not (changes >= 0.6 and swing > amplitude and trendless):
        return []
    noise = _minibatch_noise(history, rows, d)
    excess = float(np.sqrt(np.mean(np.square(d)))) / noise if noise > 0 else np.inf
    if excess < _NOISE_RATIO:
        return []
    return [Finding(
        "train.loss_oscillating",
        message=(f"The loss swung by {swing:.0%} between checks with no "
                 f"trend over the last {window} checks"
                 + (f", {excess:.1f}x the swing minibatch noise explains."
                    if np.isfinite(excess) else ".")),
        evidence={"relative_swing": float(swing), "sign_changes": float(changes),
                  "amplitude": amplitude, "recent_loss": recent.tolist(),
                  "noise_ratio": excess if np.isfinite(excess) else None,
                  "min_noise_ratio": _NOISE_RATIO},
        fix=("Lower the learning rate or raise the batch size; check that "
             "the data is shuffled (one-class batches make the loss swing)."),
        step=_step_at(history, rows[-1]))]


def detect_loss_plateau(history, *, window=10, tolerance=0.01, fraction=0.8):
    """`train.loss_plateau`: `window` checks improve < `tolerance` while loss > `fraction` x first."""
    rows, loss = _finite_loss(history)
    if len(loss) < max(window, 2):
        return []
    recent = loss[-window:]
    half = len(recent) // 2
    before, after = np.mean(recent[:half]), np.mean(recent[half:])
    improvement = (before - after) / max(abs(before), 1e-12)
    if improvement < tolerance and after > fraction * loss[0]:
        return [Finding(
            "train.loss_plateau",
            message=(f"The loss has stalled at {after:.4g} ({after / loss[0]:.0%} "
                     f"of the first check) over the last {window} checks."),
            evidence={"loss": float(after), "first_loss": float(loss[0]),
                      "relative_improvement": float(improvement),
                      "tolerance": tolerance, "fraction": fraction},
            fix=("Check for dead units or zero initialisation, raise the "
                 "learning rate (run an LR range test), and check the labels "
                 "match the inputs."),
            step=_step_at(history, rows[-1]))]
    return []


def _epoch_series(history, name):
    value = history.get(f"epoch/{name}")
    return None if value is None else np.asarray(value, dtype=float)


def _accuracy_name(history):
    for key in history:
        if key.startswith("epoch/val_") and "acc" in key:
            name = key[len("epoch/val_"):]
            if f"epoch/{name}" in history:
                return name
    return None


def _rising(series, patience):
    return len(series) > patience and np.all(np.diff(series[-patience - 1:]) > 0)


def _accuracy_names(history):
    """Every accuracy metric logged for both training and validation (`epoch/val_<name>`)."""
    names = []
    for key in history:
        if key.startswith("epoch/val_") and "acc" in key:
            name = key[len("epoch/val_"):]
            if f"epoch/{name}" in history:
                names.append(name)
    return names


def detect_overfitting(history, *, patience=3, tolerance=0.1):
    """`train.overfitting`: val loss rose `patience` epochs in a row (> `tolerance` over its min) as train loss fell.

    A warning when stopping at the lowest validation loss would have given a
    better model: validation accuracy is lower now than at that epoch, or no
    accuracy is logged to say otherwise. When every logged validation
    accuracy is at least what it was at the lowest validation loss, the
    rising loss has cost no accuracy (predictions growing over-confident, or
    inference-mode statistics such as BatchNormalization's moving averages
    still catching up with the weights early in training, where validation
    accuracy sits at chance from the first epoch): the fix this finding
    names, stopping earlier, would not have helped, so it is info. The
    comparison needs no noise margin: a drop of any size, together with a
    loss that rose `patience` epochs running, counts as harm.
    """
    loss, val = _epoch_series(history, "loss"), _epoch_series(history, "val_loss")
    if loss is None or val is None or not _rising(val, patience):
        return []
    if not (loss[-1] < loss[-patience - 1] and val[-1] > (1 + tolerance) * np.min(val)):
        return []
    best = int(np.argmin(val))
    accuracies = {}
    for name in _accuracy_names(history):
        acc = _epoch_series(history, f"val_{name}")
        if len(acc) >= len(val) and np.all(np.isfinite(acc[[best, len(val) - 1]])):
            accuracies[name] = (float(acc[best]), float(acc[len(val) - 1]))
    held = bool(accuracies) and all(end >= then for then, end in accuracies.values())
    message = (f"Validation loss rose for {patience} epochs to {val[-1]:.4g} "
               f"while training loss fell to {loss[-1]:.4g}.")
    if held:
        name, (then, end) = next(iter(accuracies.items()))
        message += (f" Validation {name} did not fall ({then:.4g} at epoch "
                    f"{best + 1}, the lowest validation loss; {end:.4g} now): "
                    "stopping there would not have given a more accurate model.")
    return [Finding(
        "train.overfitting", severity="info" if held else None,
        message=message,
        evidence={"val_loss": val.tolist(), "loss": loss.tolist(),
                  "best_epoch": best, "patience": patience,
                  "val_accuracy_at_best_and_end": accuracies,
                  "accuracy_held": held},
        fix=("Stop earlier (keras.callbacks.EarlyStopping(restore_best_weights="
             "True)), add data augmentation, dropout or weight decay, or "
             "use a smaller model."))]


def detect_loss_accuracy_divergence(history, *, patience=3):
    """`train.loss_accuracy_divergence`: val loss and val accuracy both rise for `patience` epochs."""
    name = _accuracy_name(history)
    val = _epoch_series(history, "val_loss")
    if name is None or val is None or not _rising(val, patience):
        return []
    acc = _epoch_series(history, f"val_{name}")
    if not acc[-1] > acc[-patience - 1]:
        return []
    return [Finding(
        "train.loss_accuracy_divergence",
        message=(f"Validation loss rose for {patience} epochs while validation "
                 f"{name} kept rising: predictions are getting over-confident."),
        evidence={"val_loss": val.tolist(), f"val_{name}": acc.tolist()},
        fix=("Watch the validation loss, not only accuracy; add label "
             "smoothing or weight decay, or stop at the best validation loss."))]


def _paired(train, val):
    """The epochs that have both a training and a validation value.

    A run stopped mid-epoch (a time budget, Ctrl-C) logs the training value
    of its last epoch without the validation pass; epoch i is entry i of both.
    """
    n = min(len(train), len(val))
    return train[:n], val[:n]


def detect_validation_gap(history, *, gap=0.1, skip_epochs=1, epochs=2):
    """`train.validation_gap`: validation accuracy above training by > `gap` for `epochs` epochs.

    The first `skip_epochs` epochs are ignored (their training metric is an
    average over a still-improving model). Without an accuracy metric, the
    validation loss below half the training loss counts as the gap.
    """
    name = _accuracy_name(history)
    if name is not None:
        train = _epoch_series(history, name)[skip_epochs:]
        val = _epoch_series(history, f"val_{name}")[skip_epochs:]
        train, val = _paired(train, val)
        better = val - train > gap
        label = name
    else:
        train = _epoch_series(history, "loss")
        val = _epoch_series(history, "val_loss")
        if train is None or val is None:
            return []
        train, val = _paired(train[skip_epochs:], val[skip_epochs:])
        better = val < 0.5 * train
        label = "loss"
    if len(better) < epochs or not np.all(better[-epochs:]):
        return []
    return [Finding(
        "train.validation_gap",
        message=(f"Validation {label} ({val[-1]:.4g}) has been far better than "
                 f"training {label} ({train[-1]:.4g}) for {epochs} epochs."),
        evidence={f"train_{label}": train.tolist(), f"val_{label}": val.tolist(),
                  "gap": gap},
        fix=("Check that validation samples are not also training samples, "
             "that training labels are not noisier than validation labels, "
             "and that dropout/augmentation explains the gap."))]


_PER_OUTPUT_KINDS = ("multiclass", "binary", "multilabel", "sequence")


def output_view(history, name):
    """`history` as one output of a multi-output model sees it, or `None`.

    Keras logs each output's loss and metrics as `<output>_loss`,
    `<output>_<metric>` and `val_<output>_...`; the view renames them to
    `loss`, `<metric>`, `val_loss`, ... and drops every other epoch series,
    so a curve detector reads that output's curves alone.
    """
    if f"epoch/{name}_loss" not in history:
        return None
    view = {k: v for k, v in history.items() if not k.startswith("epoch/")}
    for prefix in ("", "val_"):
        head = f"epoch/{prefix}{name}_"
        for key, value in history.items():
            if key.startswith(head):
                view[f"epoch/{prefix}{key[len(head):]}"] = value
    return view


def by_output(detector, history, *, classification_only=False, **kwargs):
    """`detector`'s findings on the model's curves, then on each output's own.

    For a model with several outputs (`history["outputs"]`, names and task
    kinds) a problem of one output (its validation loss rising while the
    other's falls) is invisible in the summed loss: each output's curves
    are checked too, and its findings name it (`Output 'x': ...`, under
    `evidence["output"]` and as the finding's `layer`, the output's name).
    With `classification_only`, outputs whose task is known and not a
    classification are left out.
    """
    findings = list(detector(history, **kwargs))
    for name, kind in history.get("outputs", ()):
        if classification_only and kind is not None and kind not in _PER_OUTPUT_KINDS:
            continue
        view = output_view(history, name)
        if view is None:
            continue
        for f in detector(view, **kwargs):
            findings.append(f.replace(message=f"Output '{name}': {f.message}",
                                      evidence={**dict(f.evidence), "output": name},
                                      layer=name))
    return findings
