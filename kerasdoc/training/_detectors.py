"""Live detectors: pure functions from read-back statistics to `Finding`s.

This module holds the per-layer detectors and the registry `DETECTORS` of
all `train.*` codes; the loss-curve and epoch-log detectors live in
`_curves`.

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
from kerasdoc.training._curves import (
    detect_loss_accuracy_divergence,
    detect_loss_diverging,
    detect_loss_oscillating,
    detect_loss_plateau,
    detect_overfitting,
    detect_validation_gap,
)

def _nan_median(values):
    """`np.nanmedian` without its warning when every value is NaN."""
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else np.nan


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
    """`train.exploding_gradients`: global norm above `threshold` or grown `growth`x.

    The level test is in units of the loss's own scale where the output is
    not a probability (softmax/sigmoid): the gradient of a squared error is
    the residual times the output's sensitivity, so raw-but-sane regression
    targets (house prices in thousands, disease scores near 150) give norms
    in the thousands from the first step, falling or growing with the
    outputs' scale as the model learns. There the threshold is multiplied by
    the first step's root loss (the initial RMS residual for MSE). Growth by
    `growth`x since the first check is exploding whatever the scale.
    """
    norms = _global_grad_norm(history)
    rows = [r for r in _rows_with_samples(history) if np.isfinite(norms[r])]
    if not rows:
        return []
    first = norms[rows[0]]
    kinds = history.get("activation_kinds") or []
    initial = float(history.get("initial_loss", np.nan))
    level = threshold
    if kinds and kinds[-1] not in ("softmax", "sigmoid", "log_softmax") and (
            np.isfinite(initial) and initial > 1.0):
        level = threshold * float(np.sqrt(initial))
    for r in rows:
        grew = first > 0 and norms[r] / first > growth
        if norms[r] > level or grew:
            per_layer = np.asarray(history["grad_norm"], dtype=float)[r]
            worst = int(np.nanargmax(np.where(np.isfinite(per_layer), per_layer, -1)))
            layer = history["weight_layers"][worst]
            return [Finding(
                "train.exploding_gradients",
                message=(f"The global gradient norm reached {norms[r]:.3g} at step "
                         f"{_step_at(history, r)} (it was {first:.3g} at the first "
                         "check)."),
                evidence={"global_norm": float(norms[r]), "first_norm": float(first),
                          "threshold": threshold, "level": level, "growth": growth,
                          "largest_layer": layer,
                          "largest_layer_norm": float(per_layer[worst])},
                fix=("Lower the learning rate, add gradient clipping "
                     "(Doctor(clip_global_norm=1.0) or the optimizer's "
                     "global_clipnorm), or normalise inputs and activations."),
                layer=layer, step=_step_at(history, r))]
    return []


def detect_vanishing_gradients(history, *, ratio=1e-4):
    """`train.vanishing_gradients`: early layers' norms `ratio`x below the last layer's.

    Judged only on checks after the first update: at step 1 a layer below a
    zero-initialised one (a zero output layer, a zero-init residual branch)
    gets exactly no gradient, which the first update undoes.
    """
    rows = _rows_with_samples(history)
    rows = rows[np.asarray(history["step"])[rows] > 1]
    g = np.asarray(history["grad_norm"], dtype=float)
    if not len(rows) or g.ndim != 2 or g.shape[1] < 2:
        return []
    g = g[rows]
    last = _nan_median(g[:, -1])
    if not np.isfinite(last) or last <= 0:
        return []
    for col in range(g.shape[1] - 1):
        early = _nan_median(g[:, col])
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


# A training loss below this share of the first step's loss means the model
# fits (nearly) every training sample: a saturated output is then a confident
# right answer, not a broken one.
_FITTED_LOSS_RATIO = 0.1


def _fitted(history):
    """(fitted, last loss, first step's loss): the loss ended under `_FITTED_LOSS_RATIO` of its start."""
    loss = np.asarray(history.get("loss", ()), dtype=float)
    loss = loss[np.isfinite(loss)]
    initial = float(history.get("initial_loss", np.nan))
    if not len(loss) or not (np.isfinite(initial) and initial > 0):
        return False, None, initial
    end = float(loss[-1])
    return bool(end <= _FITTED_LOSS_RATIO * initial), end, initial


# A ReLU unit is "dead" when it never fired on the instrumented batches of an
# epoch (the mask is reset each epoch). On one batch that says little: a unit
# that fires on 5 % of the inputs is silent on 32 samples one time in five,
# and a run of many short epochs (500 samples at batch 32 is 16 steps, one of
# them instrumented) draws that chance at every epoch end. The fraction must
# therefore stay above the threshold at consecutive epoch ends whose
# instrumented batches add up to this many: 4 batches of 32 miss a unit firing
# on 2.3 % of the samples with 5 % chance. A unit that is really dead gets no
# gradient and stays dead, so the persistence costs a real case nothing but
# the wait; an epoch of 4 or more instrumented batches decides alone.
_DEAD_MIN_BATCHES = 4


def _epoch_batches(history, ends):
    """Instrumented batches behind the dead-unit mask read at each epoch-end row."""
    samples = np.asarray(history.get("samples", np.ones(len(history["epoch"]))),
                         dtype=float)
    samples = np.where(np.isfinite(samples), samples, 0.0)
    epoch = np.asarray(history["epoch"])
    rows = np.arange(len(epoch))
    return np.array([samples[(epoch == epoch[r]) & (rows <= r)].sum() for r in ends])


def detect_dead_relu(history, *, fraction=0.7):
    """`train.dead_relu`: at epoch ends, > `fraction` of a ReLU layer's units never fired.

    The fraction must hold at consecutive epoch ends whose instrumented
    batches add up to `_DEAD_MIN_BATCHES` (the silence of a unit on one
    batch is weak evidence; see there); epochs without an instrumented
    batch (epochs shorter than the read-back interval) neither count nor
    break the stretch. Info when the run's loss nonetheless
    ended under `_FITTED_LOSS_RATIO` of the first step's: the units that do
    fire fit the training data (few, similar samples, such as a short raw
    series, leave the units whose weights point away from them silent on
    every sample without harm).
    """
    dead = np.asarray(history["dead_fraction"], dtype=float)
    ends = np.flatnonzero(np.asarray(history["epoch_end"], dtype=bool))
    out = []
    if dead.ndim != 2 or not len(ends):
        return out
    batches = _epoch_batches(history, ends)
    fitted, end_loss, initial = _fitted(history)
    for col, kind in enumerate(history["activation_kinds"]):
        if kind != "relu":
            continue
        seen, lowest, first = 0.0, np.inf, None
        for r, n in zip(ends, batches):
            value = dead[r, col]
            if not np.isfinite(value) or n <= 0:
                continue  # no instrumented batch in this epoch: no evidence
            if value <= fraction:
                seen, lowest, first = 0.0, np.inf, None
                continue
            seen, lowest = seen + n, min(lowest, value)
            first = r if first is None else first
            if seen >= _DEAD_MIN_BATCHES:
                value = lowest
                layer = history["activation_layers"][col]
                epochs = int(history["epoch"][r]) - int(history["epoch"][first]) + 1
                out.append(Finding(
                    "train.dead_relu", severity="info" if fitted else None,
                    message=(f"{value:.0%} of the units of ReLU layer '{layer}' "
                             "never activated during epoch "
                             + (f"{int(history['epoch'][r])}" if epochs == 1 else
                                f"{int(history['epoch'][first])}-"
                                f"{int(history['epoch'][r])} (each)")
                             + f" ({int(seen)} instrumented batches)."
                             + (f" The training loss nonetheless fell to {end_loss:.3g} "
                                f"from {initial:.3g} (under {_FITTED_LOSS_RATIO:.0%}): "
                                "the units that fire fit the training data."
                                if fitted else "")),
                    evidence={"dead_fraction": float(value), "threshold": fraction,
                              "fitted": fitted, "final_loss": end_loss,
                              "epoch": int(history["epoch"][r]),
                              "batches_seen": int(seen),
                              "min_batches": _DEAD_MIN_BATCHES},
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
    """`train.logits_blowup`: |logit| before a softmax/sigmoid above `threshold`.

    Large logits are a fault when they come with a loss that is still high:
    confidently wrong outputs (a temperature applied the wrong way, a
    learning rate too large, raw-scale inputs), whose saturated outputs
    also hide the error from the optimizer. On data the model separates,
    cross-entropy's minimum lies at infinite logits, so a loss below
    `_FITTED_LOSS_RATIO` of the first step's wherever the logits passed
    `threshold` is the model growing confident in right answers: info.
    """
    logits = np.asarray(history["max_logit"], dtype=float)
    if logits.ndim != 2:
        return []
    loss = np.asarray(history.get("loss", np.full(len(logits), np.nan)), dtype=float)
    initial = float(history.get("initial_loss", np.nan))
    for col, kind in enumerate(history["activation_kinds"]):
        if kind not in ("softmax", "sigmoid"):
            continue
        hits = np.flatnonzero(logits[:, col] > threshold)
        if len(hits):
            fitted = bool(np.isfinite(initial) and initial > 0 and np.all(
                np.isfinite(loss[hits])) and np.all(
                    loss[hits] <= _FITTED_LOSS_RATIO * initial))
            high = [int(i) for i in hits if not (
                np.isfinite(initial) and np.isfinite(loss[i])
                and loss[i] <= _FITTED_LOSS_RATIO * initial)]
            r = int(hits[0]) if fitted else high[0]
            layer = history["activation_layers"][col]
            return [Finding(
                "train.logits_blowup", severity="info" if fitted else None,
                message=(f"Logits before the {kind} of layer '{layer}' reached "
                         f"{logits[r, col]:.3g}, so its outputs are saturated."
                         + (f" The training loss was {float(loss[r]):.3g} there, "
                            f"under {_FITTED_LOSS_RATIO:.0%} of the first step's "
                            f"{initial:.3g}: the model fits its training samples and "
                            "grows confident in right answers, as cross-entropy "
                            "drives it to on data it separates." if fitted else "")),
                evidence={"max_abs_logit": float(logits[r, col]),
                          "threshold": threshold,
                          "loss_at_blowup": float(loss[r]), "initial_loss": initial,
                          "fitted": fitted,
                          "max_over_run": float(np.nanmax(logits[:, col]))},
                fix=("Lower the learning rate, add weight decay or label "
                     "smoothing, and check the output layer's initialisation "
                     "and the input scale." if not fitted else
                     "Nothing to fix for training; add label smoothing or weight "
                     "decay if calibrated probabilities matter."),
                layer=layer, step=_step_at(history, r))]
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


def detect_sharpness_unstable(history, *, factor=2.0, estimates=3, span=8,
                              tolerance=0.0):
    """`train.sharpness_unstable`: sharpness `factor`x past the stability bound, loss not falling.

    Gradient descent is stable while the sharpness (the loss Hessian's top
    eigenvalue, preconditioned for Adam) stays below the optimizer's bound
    (2/lr for SGD, (2+2m)/lr with momentum, 38/lr for Adam). Healthy runs
    hover at it and keep learning (the edge of stability), and a catapult
    (a few steps far past it, after which the sharpness drops and the loss
    falls again) recovers by itself. Each estimate is on a small sample, so
    single ones are noisy. This fires at the first estimate that closes an
    interval of at least `span` steps and `estimates` estimates whose
    median ratio is above `factor` while the mean loss over the interval is
    no lower (by more than `tolerance`, relative) than over the same number
    of steps just before it, or not finite. It is judged at every estimate,
    so it comes before the divergence it announces.
    """
    ratio = np.asarray(history.get("sharpness_ratio", ()), dtype=float)
    if not len(ratio):
        return []
    loss = np.asarray(history["loss"], dtype=float)
    steps = np.asarray(history["step"], dtype=float)
    width = np.diff(np.concatenate([[0.0], steps]))  # steps in each row
    rows = np.flatnonzero(np.isfinite(ratio))

    def mean_loss(lo, hi):  # rows lo..hi-1, weighted by their steps
        w, v = width[lo:hi], loss[lo:hi]
        if not len(v) or not np.all(np.isfinite(v)):
            return np.nan if not len(v) else np.inf
        return float(np.sum(w * v) / np.sum(w)) if np.sum(w) > 0 else np.nan

    for j in range(len(rows)):
        last = rows[j]
        k = j
        while k >= 0:  # the shortest interval with enough steps and estimates
            begin = steps[rows[k] - 1] if rows[k] > 0 else 0.0
            if j - k + 1 >= estimates and steps[last] - begin >= span:
                break
            k -= 1
        if k < 0:
            continue
        level = float(np.median(ratio[rows[k:j + 1]]))
        if not level > factor:
            continue
        before = np.flatnonzero((steps > 2 * begin - steps[last])
                                & (steps <= begin))
        if not len(before):
            continue  # nothing to compare with: the run just started
        now = mean_loss(rows[k], last + 1)
        then = mean_loss(before[0], before[-1] + 1)
        if np.isfinite(now) and now < then * (1.0 - tolerance):
            continue  # still learning
        lr = float(history["learning_rate"][last])
        # The rate that puts the interval's median sharpness at half its
        # bound (the bound scales as 1/lr).
        suggested = lr / level / 2.0 if lr > 0 else float("nan")
        estimated = history.get("sharpness_step")
        step = (int(estimated[last]) if estimated is not None
                and np.isfinite(estimated[last]) else _step_at(history, last))
        curve = [[_step_at(history, r), float(ratio[r])] for r in rows if r <= last]
        return [Finding(
            "train.sharpness_unstable",
            message=(f"The loss's sharpness is {level:.3g} times the "
                     f"optimizer's stability bound (median of "
                     f"{j - k + 1} estimates up to step {step}, learning "
                     f"rate {lr:.3g}) and the loss stopped falling: training "
                     "is past its edge of stability and may diverge."),
            evidence={"sharpness_ratio": level,
                      "sharpness": float(history["sharpness"][last]),
                      "stability_bound": float(history["stability_bound"][last]),
                      "learning_rate": lr,
                      "max_ratio": float(np.max(ratio[rows[k:j + 1]])),
                      "factor": factor, "estimates": int(j - k + 1),
                      "interval": [int(begin), int(steps[last])],
                      "loss_before": then, "loss_during": now,
                      "curve": curve, "suggested_learning_rate": suggested,
                      "read_at_step": _step_at(history, last)},
            fix=(f"Lower the learning rate to about {suggested:.2g} (it scales "
                 "the stability bound: the rate that would put this sharpness "
                 "at half its bound), or add warm-up or gradient clipping."),
            step=step)]
    return []


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
    "train.sharpness_unstable": (detect_sharpness_unstable,
                                 ("factor", "estimates", "span", "tolerance")),
}
"""code -> (detector, names of its threshold keywords)."""


def run_detectors(history, thresholds=None, *, runner=None):
    """Every registered `train.*` check on `history`, through the check runner.

    Args:
        history: the `Doctor.history` dict.
        thresholds: code -> dict of keyword -> value (the `Doctor`'s keyword
            aliases); ignored when `runner` is given. Defaults to `None`.
        runner: a `kerasdoc._registry.Runner` of the training part that
            records ran/skipped/failed/timings across read-backs (the
            `Doctor` keeps one per `fit`). Defaults to `None`: a fresh one,
            and a detector that raises is re-raised.

    Returns:
        list of `Finding`.
    """
    from kerasdoc._registry import Runner, checks, resolve_settings

    strict = runner is None
    if runner is None:
        runner = Runner("training", accumulate=True, settings=resolve_settings(
            overrides=thresholds or {}, part="training"))
    findings = []
    for check in checks("training"):
        findings.extend(runner.run(check.name, history))
    if strict and runner.failed:
        name, info = next(iter(runner.failed.items()))
        raise RuntimeError(f"Detector {name} failed: {info['type']}: {info['message']}\n"
                           f"{info['traceback']}")
    return findings
