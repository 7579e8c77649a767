"""Checks of the targets that depend on the task (regression, multi-label).

Pure functions of the target arrays: they never read the model. Each one
says when it applies; the data runner calls them for the tasks they serve
(`data.target_scale` and `data.constant_target` for regression and sequence
values, `data.constant_target` also for classes, `data.multilabel_empty` and
`data.label_imbalance` for multi-label targets).

- `data.target_scale`: regression targets far from unit scale. A freshly
  initialised network outputs values of order 1 and its optimizer moves
  each weight by about the learning rate per step (Adam: at most `lr`), so
  targets whose root mean square is in the thousands take thousands of
  times more steps just to reach the right magnitude, and with a squared
  error the loss (and the gradient under SGD) is of the order of the
  squared scale. Targets of a few tens (Boston house prices in $1000s, RMS
  about 23) train fine, so the default bound is 100. Tiny targets (a spread
  below 1e-3) are the mirror case: the output's initial noise is thousands of
  times the differences to learn. With several targets whose scales differ by
  more than that ratio the squared error is dominated by the largest one.
- `data.constant_target`: every target (or one target column) takes one
  value: there is nothing to learn from it.
- `data.multilabel_empty`: multi-hot rows with no label at all. Some are
  normal ("none of these"), but when most rows are empty the model learns to
  predict nothing, and when every row is empty the labels were not loaded.
- `data.label_imbalance`: per-label imbalance of multi-hot targets. The
  class-imbalance check compares classes that exclude each other, which
  multi-hot labels do not; here each label is its own yes/no problem, and a
  label that is never (or always) on, or on in fewer than 1 row in
  `imbalance_ratio + 1`, is one the loss barely sees: binary accuracy on it
  is high whatever the model does.
"""

import numpy as np

from kerasdoc.findings import Finding

_SHOW = 10  # columns listed in a message


def _columns(y):
    """`y` as a float64 (n, k) array of finite rows (targets per column)."""
    values = np.asarray(y, dtype=np.float64)
    values = values.reshape(len(values), -1) if values.ndim != 1 else values[:, None]
    return values[np.all(np.isfinite(values), axis=1)]


def check_target_scale(y, *, loss=None, max_scale=1000.0, min_spread=1e-3,
                       max_ratio=100.0):
    """`data.target_scale`: regression targets far from unit scale.

    Args:
        y: regression targets, `(n,)` or `(n, k)`.
        loss: the loss name (e.g. `"mean_squared_error"`), used in the
            message. Defaults to `None`.
        max_scale: fires when a target's root mean square exceeds this.
            Defaults to `1000.0`.
        min_spread: fires when a non-constant target's standard deviation
            and root mean square are both below this. Defaults to `1e-3`.
        max_ratio: fires when the standard deviations of several targets
            differ by more than this ratio. Defaults to `100.0`.

    Returns:
        A list of findings (empty when the scale is fine).
    """
    values = _columns(y)
    if len(values) < 2:
        return []
    mean, std = values.mean(axis=0), values.std(axis=0)
    rms = np.sqrt(mean ** 2 + std ** 2)
    squared = loss in (None, "mean_squared_error", "mse")
    findings = []
    ev_base = {"loss": loss, "n_targets": int(values.shape[1]),
               "n_samples": int(len(values)), "max_scale": max_scale}
    big = np.flatnonzero(rms > max_scale)
    if len(big):
        j = int(big[np.argmax(rms[big])])
        name = "y" if values.shape[1] == 1 else f"target {j}"
        consequence = (f"the squared error starts near {rms[j] ** 2:.3g}, " if squared
                       else "")
        findings.append(Finding(
            "data.target_scale",
            message=(f"{name} has a root mean square of {rms[j]:.4g} (mean {mean[j]:.4g}, "
                     f"std {std[j]:.4g}): {consequence}and a network that starts near 0 "
                     "needs thousands of steps just to reach that magnitude."),
            evidence={**ev_base, "target": j, "mean": float(mean[j]), "std": float(std[j]),
                      "rms": float(rms[j]),
                      "targets_over_scale": big[:_SHOW].tolist()},
            fix=("Standardise the targets (y - mean) / std computed on the training "
                 "split, train on that, and invert it on the predictions; or divide by "
                 "a round unit (prices in $1000s).")))
    tiny = np.flatnonzero((std > 0) & (std < min_spread) & (rms < min_spread))
    if len(tiny) and not findings:
        j = int(tiny[np.argmin(std[tiny])])
        findings.append(Finding(
            "data.target_scale",
            message=(f"{'y' if values.shape[1] == 1 else f'target {j}'} varies by only "
                     f"{std[j]:.3g} (std): the output's initial noise is far larger than "
                     "the differences the model must learn."),
            evidence={**ev_base, "target": j, "mean": float(mean[j]),
                      "std": float(std[j]), "rms": float(rms[j]),
                      "min_spread": min_spread},
            fix="Standardise the targets (or scale them to a unit of order 1)."))
    live = std > 0
    if values.shape[1] > 1 and live.sum() > 1 and not findings:
        ratio = float(std[live].max() / std[live].min())
        if ratio > max_ratio:
            hi = int(np.flatnonzero(live)[np.argmax(std[live])])
            lo = int(np.flatnonzero(live)[np.argmin(std[live])])
            findings.append(Finding(
                "data.target_scale",
                message=(f"Target {hi} spreads {ratio:.0f}x wider than target {lo}, so "
                         f"the {'squared ' if squared else ''}error is almost all "
                         f"target {hi}'s and target {lo} is barely learned."),
                evidence={**ev_base, "widest_target": hi, "narrowest_target": lo,
                          "ratio": ratio, "max_ratio": max_ratio,
                          "std": std[:_SHOW].tolist()},
                fix=("Standardise each target column, or weight the outputs "
                     "(loss_weights) by the inverse of their variance.")))
    return findings


def check_constant_target(y, *, classes=False):
    """`data.constant_target`: targets (or target columns) that never change.

    Args:
        y: the targets: `(n,)` values or class ids, or `(n, k)` rows (one-hot
            rows count as one column of class ids when `classes` is True).
        classes: whether `y` holds classes (then one class for every sample
            is the finding). Defaults to `False`.

    Returns:
        A list of findings: an error when every target is constant, a warning
        when some columns of several targets are.
    """
    values = _columns(y)
    if len(values) < 2:
        return []
    if classes and values.shape[1] > 1:
        values = np.argmax(values, axis=1)[:, None].astype(np.float64)
    constant = np.flatnonzero(np.all(values == values[:1], axis=0))
    if not len(constant):
        return []
    n_cols = values.shape[1]
    if len(constant) == n_cols:
        what = ("every sample has class" if classes else
                "every target equals" if n_cols == 1 else "every target column is constant:")
        first = values[0, : _SHOW]
        shown = (f"{first[0]:.6g}" if n_cols == 1 else
                 "[" + ", ".join(f"{v:.4g}" for v in first) + "]")
        return [Finding(
            "data.constant_target",
            message=(f"{what} {shown} in all {len(values)} samples: there is nothing "
                     "to learn, and any model that outputs the constant scores perfectly."),
            evidence={"n_samples": int(len(values)), "n_targets": n_cols,
                      "value": values[0, :_SHOW].tolist(), "classes": classes},
            fix=("Check how the targets were loaded (a column read as a constant, a "
                 "filter that kept one class, labels overwritten)."))]
    return [Finding(
        "data.constant_target", severity="warning",
        message=(f"{len(constant)} of {n_cols} target columns never change "
                 f"(columns {constant[:_SHOW].tolist()}): those outputs learn a constant."),
        evidence={"constant_targets": constant[:_SHOW].tolist(),
                  "n_constant": int(len(constant)), "n_targets": n_cols,
                  "n_samples": int(len(values))},
        fix="Drop the constant target columns, or check how they were loaded.")]


def _multi_hot(y):
    values = np.asarray(y)
    if values.ndim != 2:
        return None
    values = values.astype(np.float64, copy=False)
    values = values[np.all(np.isfinite(values), axis=1)]
    return values > 0.5


def check_multilabel_empty(y, *, max_fraction=0.5):
    """`data.multilabel_empty`: multi-hot rows with no label on.

    Args:
        y: multi-hot targets `(n, k)` (0/1).
        max_fraction: fires (warning) when more than this fraction of the
            rows are all zero; every row empty is an error. Defaults to `0.5`.

    Returns:
        A list of findings.
    """
    on = _multi_hot(y)
    if on is None or not len(on):
        return []
    empty = ~on.any(axis=1)
    share = float(empty.mean())
    if share <= max_fraction:
        return []
    rows = np.flatnonzero(empty)
    every = bool(empty.all())
    return [Finding(
        "data.multilabel_empty", severity="error" if every else None,
        message=(f"{'Every' if every else f'{share:.0%} of the'} multi-hot target rows "
                 f"({len(rows)} of {len(on)}) have no label on"
                 + (": the labels were not loaded, and the model learns to predict "
                    "nothing." if every else
                    ", so predicting no label at all is already mostly right.")),
        evidence={"empty_fraction": share, "n_empty": int(len(rows)),
                  "n_samples": int(len(on)), "n_labels": int(on.shape[1]),
                  "max_fraction": max_fraction, "indices": rows[:_SHOW].tolist()},
        fix=("Check how the multi-hot rows were built (label names matched to the "
             "right columns); if 'no label' is a real answer, judge the model on "
             "per-label recall and F1, not binary accuracy."))]


def check_label_imbalance(y, *, imbalance_ratio=100.0, min_samples=20):
    """`data.label_imbalance`: per-label imbalance of multi-hot targets.

    Args:
        y: multi-hot targets `(n, k)` (0/1).
        imbalance_ratio: fires when a label's negatives outnumber its
            positives (or the reverse) by more than this, or when a label is
            never or always on. Defaults to `100.0`.
        min_samples: rows needed to judge a ratio (a label never on in fewer
            rows may simply not have come up). Defaults to `20`.

    Returns:
        A list of findings (one, naming the worst labels).
    """
    on = _multi_hot(y)
    if on is None or len(on) < min_samples:
        return []
    pos = on.sum(axis=0).astype(np.float64)
    neg = len(on) - pos
    with np.errstate(divide="ignore"):
        ratio = np.maximum(neg, pos) / np.minimum(neg, pos)
    bad = np.flatnonzero(ratio > imbalance_ratio)
    if not len(bad):
        return []
    order = bad[np.argsort(-ratio[bad], kind="stable")]
    never = np.flatnonzero(pos == 0)
    always = np.flatnonzero(neg == 0)
    worst = int(order[0])
    parts = []
    if len(never):
        parts.append(f"label{'s' if len(never) > 1 else ''} "
                     f"{never[:_SHOW].tolist()} never on")
    if len(always):
        parts.append(f"label{'s' if len(always) > 1 else ''} "
                     f"{always[:_SHOW].tolist()} always on")
    rare = [int(j) for j in order if pos[j] and neg[j]]
    if rare:
        j = rare[0]
        parts.append(f"label {j} on in {int(min(pos[j], neg[j]))} of {len(on)} rows "
                     f"({ratio[j]:.0f}:1)")
    return [Finding(
        "data.label_imbalance",
        message=(f"{len(bad)} of {on.shape[1]} labels are far from balanced ("
                 + "; ".join(parts) + "): binary accuracy on them is high whatever "
                 "the model predicts."),
        evidence={"imbalanced_labels": order[:_SHOW].tolist(), "n_imbalanced": int(len(bad)),
                  "positives": pos[:64].astype(int).tolist(), "n_samples": int(len(on)),
                  "worst_label": worst,
                  "worst_ratio": float(ratio[worst]) if np.isfinite(ratio[worst]) else None,
                  "never_on": never[:_SHOW].tolist(), "always_on": always[:_SHOW].tolist(),
                  "imbalance_ratio": imbalance_ratio},
        fix=("Judge the model per label (recall, F1, PR-AUC); weight the rare labels "
             "(a per-label pos_weight in the loss, or sample weights); drop labels that "
             "are never on."))]
