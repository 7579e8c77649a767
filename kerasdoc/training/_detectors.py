"""Live detectors: pure functions from read-back statistics to `Finding`s.

Each detector takes the `history` dict that `Doctor.history` exposes (numpy
arrays, one row per read-back; per-layer arrays have one column per layer)
plus its thresholds as keywords, and returns a list of findings. Nothing
here touches TensorFlow, so every detector is tested on hand-made arrays.

History keys used here: `step`, `epoch`, `epoch_end`, `loss`,
`loss_nonfinite`, `samples`, `weight_layers`, `grad_norm`, `update_norm`,
`update_ratio`, `activation_layers`, `activation_kinds`, `dead_fraction`,
`saturated_fraction`, `max_logit`, `first_nonfinite` (where, step) and the
per-epoch logs under `epoch/<name>` (`epoch/loss`, `epoch/val_loss`, ...).
"""

import numpy as np

from kerasdoc.findings import Finding

def _rows_with_samples(history):
    return np.flatnonzero(np.asarray(history["samples"]) > 0)


def _step_at(history, row):
    return int(np.asarray(history["step"])[row])


def detect_nonfinite(history):
    """`train.nonfinite`: a NaN/Inf anywhere; names where it appeared first."""
    where, step = history.get("first_nonfinite", (None, None))
    bad_loss = np.flatnonzero(np.asarray(history["loss_nonfinite"]) > 0)
    if where is None and not len(bad_loss):
        return []
    if where is None:
        where, step = "loss", _step_at(history, bad_loss[0])
    kind, _, layer = where.partition(":")
    place = {"activation": f"the output of layer '{layer}'",
             "gradient": f"the gradients of layer '{layer}'",
             "weights": f"the weights of layer '{layer}'",
             "loss": "the loss"}[kind]
    return [Finding(
        "train.nonfinite",
        message=f"NaN/Inf appeared first in {place} at step {step}.",
        evidence={"where": kind, "first_layer": layer or None, "step": step,
                  "windows_with_nonfinite_loss": int(len(bad_loss))},
        fix=("Lower the learning rate, clip gradients (Doctor(clip_global_norm=1.0)"
             "), and check that layer for log/sqrt/division of values that can "
             "reach zero or overflow; check the inputs for NaN."),
        layer=layer or None, step=step)]


def _global_grad_norm(history):
    g = np.asarray(history["grad_norm"], dtype=float)
    if g.ndim != 2 or g.shape[1] == 0:
        return np.full(len(history["step"]), np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.sqrt(np.sum(np.square(g), axis=1))


def detect_exploding_gradients(history, *, threshold=1e3, growth=1e3):
    """`train.exploding_gradients`: global norm above `threshold` or grown `growth`x."""
    norms = _global_grad_norm(history)
    rows = [r for r in _rows_with_samples(history) if np.isfinite(norms[r])]
    if not rows:
        return []
    first = norms[rows[0]]
    for r in rows:
        grew = first > 0 and norms[r] / first > growth
        if norms[r] > threshold or grew:
            per_layer = np.asarray(history["grad_norm"], dtype=float)[r]
            worst = int(np.nanargmax(np.where(np.isfinite(per_layer), per_layer, -1)))
            layer = history["weight_layers"][worst]
            return [Finding(
                "train.exploding_gradients",
                message=(f"The global gradient norm reached {norms[r]:.3g} at step "
                         f"{_step_at(history, r)} (it was {first:.3g} at the first "
                         "check)."),
                evidence={"global_norm": float(norms[r]), "first_norm": float(first),
                          "threshold": threshold, "growth": growth,
                          "largest_layer": layer,
                          "largest_layer_norm": float(per_layer[worst])},
                fix=("Lower the learning rate, add gradient clipping "
                     "(Doctor(clip_global_norm=1.0) or the optimizer's "
                     "global_clipnorm), or normalise inputs and activations."),
                layer=layer, step=_step_at(history, r))]
    return []


def detect_vanishing_gradients(history, *, ratio=1e-4):
    """`train.vanishing_gradients`: early layers' norms `ratio`x below the last layer's."""
    rows = _rows_with_samples(history)
    g = np.asarray(history["grad_norm"], dtype=float)
    if not len(rows) or g.ndim != 2 or g.shape[1] < 2:
        return []
    g = g[rows]
    last = np.nanmedian(g[:, -1])
    if not np.isfinite(last) or last <= 0:
        return []
    for col in range(g.shape[1] - 1):
        early = np.nanmedian(g[:, col])
        if np.isfinite(early) and early / last < ratio:
            layer = history["weight_layers"][col]
            return [Finding(
                "train.vanishing_gradients",
                message=(f"Gradients of layer '{layer}' are {early / last if early else 0:.2g}"
                         f" times those of the last layer '{history['weight_layers'][-1]}'."),
                evidence={"layer_median_norm": float(early),
                          "last_layer_median_norm": float(last),
                          "ratio": float(early / last), "threshold": ratio,
                          "checks": int(len(rows))},
                fix=("Use ReLU-family activations with He initialisation (not "
                     "zeros or saturating sigmoid/tanh stacks), add "
                     "BatchNormalization or residual connections."),
                layer=layer, step=_step_at(history, int(rows[-1])))]
    return []


def detect_dead_relu(history, *, fraction=0.5):
    """`train.dead_relu`: at an epoch's end, > `fraction` of a ReLU layer's units never fired."""
    dead = np.asarray(history["dead_fraction"], dtype=float)
    ends = np.flatnonzero(np.asarray(history["epoch_end"], dtype=bool))
    out = []
    if dead.ndim != 2 or not len(ends):
        return out
    for col, kind in enumerate(history["activation_kinds"]):
        if kind != "relu":
            continue
        for r in ends:
            value = dead[r, col]
            if np.isfinite(value) and value > fraction:
                layer = history["activation_layers"][col]
                out.append(Finding(
                    "train.dead_relu",
                    message=(f"{value:.0%} of the units of ReLU layer '{layer}' "
                             f"never activated during epoch {int(history['epoch'][r])}."),
                    evidence={"dead_fraction": float(value), "threshold": fraction,
                              "epoch": int(history["epoch"][r])},
                    fix=("Check for large negative biases or a too-high learning "
                         "rate; use He initialisation, a smaller learning rate, or "
                         "LeakyReLU."),
                    layer=layer, step=_step_at(history, r)))
                break
    return out


def detect_saturated_activations(history, *, fraction=0.5):
    """`train.saturated_activations`: > `fraction` of tanh/sigmoid outputs at an asymptote."""
    sat = np.asarray(history["saturated_fraction"], dtype=float)
    rows = _rows_with_samples(history)
    out = []
    if sat.ndim != 2 or not len(rows):
        return out
    for col, kind in enumerate(history["activation_kinds"]):
        if kind not in ("tanh", "sigmoid"):
            continue
        values = sat[rows, col]
        values = values[np.isfinite(values)]
        if len(values) and np.median(values) > fraction:
            layer = history["activation_layers"][col]
            out.append(Finding(
                "train.saturated_activations",
                message=(f"A median {np.median(values):.0%} of the {kind} outputs "
                         f"of layer '{layer}' sit at their asymptotes."),
                evidence={"saturated_fraction": float(np.median(values)),
                          "threshold": fraction, "checks": int(len(values))},
                fix=("Use Glorot initialisation with tanh/sigmoid (or switch to "
                     "ReLU), normalise the inputs, or add BatchNormalization "
                     "before the activation."),
                layer=layer, step=_step_at(history, int(rows[-1]))))
    return out


def detect_logits_blowup(history, *, threshold=50.0):
    """`train.logits_blowup`: |logit| before a softmax/sigmoid above `threshold`."""
    logits = np.asarray(history["max_logit"], dtype=float)
    if logits.ndim != 2:
        return []
    for col, kind in enumerate(history["activation_kinds"]):
        if kind not in ("softmax", "sigmoid"):
            continue
        hits = np.flatnonzero(logits[:, col] > threshold)
        if len(hits):
            r = int(hits[0])
            layer = history["activation_layers"][col]
            return [Finding(
                "train.logits_blowup",
                message=(f"Logits before the {kind} of layer '{layer}' reached "
                         f"{logits[r, col]:.3g}, so its outputs are saturated."),
                evidence={"max_abs_logit": float(logits[r, col]),
                          "threshold": threshold,
                          "max_over_run": float(np.nanmax(logits[:, col]))},
                fix=("Lower the learning rate, add weight decay or label "
                     "smoothing, and check the output layer's initialisation "
                     "and the input scale."),
                layer=layer, step=_step_at(history, r))]
    return []


def _finite_loss(history):
    loss = np.asarray(history["loss"], dtype=float)
    rows = np.flatnonzero(np.isfinite(loss))
    return rows, loss[rows]


def detect_loss_diverging(history, *, factor=10.0, window=5):
    """`train.loss_diverging`: loss `factor`x above its minimum or the first step's, or rising `window` checks in a row.

    The loss must also end above the first check's loss, so noise around a
    small converged loss does not count. `initial_loss` (the loss of the
    very first step) catches a blow-up inside the first window.
    """
    rows, loss = _finite_loss(history)
    if not len(loss):
        return []
    initial = float(history.get("initial_loss", np.nan))
    reference = np.minimum.accumulate(
        np.concatenate([[initial if np.isfinite(initial) else loss[0]], loss]))
    start = max(loss[0], initial) if np.isfinite(initial) else loss[0]
    for i in range(len(loss)):
        jump = loss[i] > factor * reference[i] and loss[i] >= start
        rising = (i >= window and np.all(np.diff(loss[i - window:i + 1]) > 0)
                  and loss[i] > loss[0])
        if jump or rising:
            return [Finding(
                "train.loss_diverging",
                message=(f"The training loss rose to {loss[i]:.4g} by step "
                         f"{_step_at(history, rows[i])} from a minimum of "
                         f"{reference[i]:.4g}."),
                evidence={"loss": float(loss[i]), "min_before": float(reference[i]),
                          "initial_loss": initial, "factor": factor,
                          "steadily_rising": bool(rising and not jump)},
                fix=("Lower the learning rate (try 10x smaller), add gradient "
                     "clipping, and check the loss for a wrong sign or target."),
                step=_step_at(history, rows[i]))]
    return []


def detect_loss_oscillating(history, *, window=8, amplitude=0.3):
    """`train.loss_oscillating`: over `window` checks the loss swings without a trend."""
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
    if changes >= 0.6 and swing > amplitude and trendless:
        return [Finding(
            "train.loss_oscillating",
            message=(f"The loss swung by {swing:.0%} between checks with no "
                     f"trend over the last {window} checks."),
            evidence={"relative_swing": float(swing), "sign_changes": float(changes),
                      "amplitude": amplitude, "recent_loss": recent.tolist()},
            fix=("Lower the learning rate or raise the batch size; check that "
                 "the data is shuffled (one-class batches make the loss swing)."),
            step=_step_at(history, rows[-1]))]
    return []


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


def detect_weights_unchanged(history, *, checks=3):
    """`train.weights_unchanged`: no trainable weights, or a layer's update is exactly 0 for `checks` checks."""
    if history.get("n_trainable", 1) == 0:
        return [Finding(
            "train.weights_unchanged",
            message="The model has no trainable weights, so training changes nothing.",
            evidence={"trainable_weights": 0},
            fix=("Set `layer.trainable = True` on the layers to train (at least "
                 "the new head) and compile again."),
            step=int(history["step"][0]) if len(history["step"]) else None)]
    rows = _rows_with_samples(history)
    upd = np.asarray(history["update_norm"], dtype=float)
    if len(rows) < checks or upd.ndim != 2:
        return []
    out = []
    last = upd[rows[-checks:]]
    for col, layer in enumerate(history["weight_layers"]):
        if np.all(last[:, col] == 0):
            out.append(Finding(
                "train.weights_unchanged",
                message=(f"The weights of layer '{layer}' did not move at the "
                         f"last {checks} checks."),
                evidence={"update_norms": last[:, col].tolist(), "checks": checks},
                fix=("Check for zero gradients (zero initialisation, dead "
                     "units), a zero learning rate, or a layer cut off from "
                     "the loss."),
                layer=layer, step=_step_at(history, int(rows[-1]))))
    return out


def detect_update_ratio(history, *, low=1e-6, high=0.1):
    """`train.update_ratio`: median update/weight norm of a layer outside [`low`, `high`]."""
    rows = _rows_with_samples(history)
    ratio = np.asarray(history["update_ratio"], dtype=float)
    if not len(rows) or ratio.ndim != 2:
        return []
    out = []
    for col, layer in enumerate(history["weight_layers"]):
        values = ratio[rows, col]
        values = values[np.isfinite(values) & (values > 0)]
        if not len(values):
            continue
        median = float(np.median(values))
        if median < low or median > high:
            out.append(Finding(
                "train.update_ratio",
                message=(f"Updates of layer '{layer}' are {median:.2g} of its "
                         "weights per step (about 1e-3 is typical)."),
                evidence={"median_ratio": median, "low": low, "high": high,
                          "checks": int(len(values))},
                fix=("Raise the learning rate if the ratio is tiny, lower it "
                     "if the ratio is large."),
                layer=layer, step=_step_at(history, int(rows[-1]))))
    return out


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


def detect_overfitting(history, *, patience=3, tolerance=0.1):
    """`train.overfitting`: val loss rose `patience` epochs in a row (> `tolerance` over its min) as train loss fell."""
    loss, val = _epoch_series(history, "loss"), _epoch_series(history, "val_loss")
    if loss is None or val is None or not _rising(val, patience):
        return []
    if not (loss[-1] < loss[-patience - 1] and val[-1] > (1 + tolerance) * np.min(val)):
        return []
    return [Finding(
        "train.overfitting",
        message=(f"Validation loss rose for {patience} epochs to {val[-1]:.4g} "
                 f"while training loss fell to {loss[-1]:.4g}."),
        evidence={"val_loss": val.tolist(), "loss": loss.tolist(),
                  "best_epoch": int(np.argmin(val)), "patience": patience},
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
        better = val - train > gap
        label = name
    else:
        train = _epoch_series(history, "loss")
        val = _epoch_series(history, "val_loss")
        if train is None or val is None:
            return []
        train, val = train[skip_epochs:], val[skip_epochs:]
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


DETECTORS = {
    "train.nonfinite": (detect_nonfinite, ()),
    "train.exploding_gradients": (detect_exploding_gradients, ("threshold", "growth")),
    "train.vanishing_gradients": (detect_vanishing_gradients, ("ratio",)),
    "train.dead_relu": (detect_dead_relu, ("fraction",)),
    "train.saturated_activations": (detect_saturated_activations, ("fraction",)),
    "train.logits_blowup": (detect_logits_blowup, ("threshold",)),
    "train.loss_diverging": (detect_loss_diverging, ("factor", "window")),
    "train.loss_oscillating": (detect_loss_oscillating, ("window", "amplitude")),
    "train.loss_plateau": (detect_loss_plateau, ("window", "tolerance", "fraction")),
    "train.weights_unchanged": (detect_weights_unchanged, ("checks",)),
    "train.update_ratio": (detect_update_ratio, ("low", "high")),
    "train.overfitting": (detect_overfitting, ("patience", "tolerance")),
    "train.loss_accuracy_divergence": (detect_loss_accuracy_divergence, ("patience",)),
    "train.validation_gap": (detect_validation_gap, ("gap", "skip_epochs", "epochs")),
}
"""code -> (detector, names of its threshold keywords)."""


def run_detectors(history, thresholds):
    """All detectors; `thresholds` maps code -> dict of keyword -> value."""
    findings = []
    for code, (detector, _) in DETECTORS.items():
        findings.extend(detector(history, **thresholds.get(code, {})))
    return findings
