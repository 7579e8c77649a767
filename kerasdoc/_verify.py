"""`kerasdoc.verify` and `kerasdoc.apply_fixes`: a finding's remedy, tried on copies.

For each finding whose check declares a remedy (`kerasdoc.remedies`), the
original setup and the remedied copy are trained from the same seeds for the
same number of steps, and their validation loss (and the task's metric) are
compared pair by pair: the gain is `loss before - loss after` per seed, with
a 95% t interval over the seeds. The verdict:

- `confirmed`: the interval lies above 0 and the mean gain is at least
  `min_effect` of the loss before (the remedy helps beyond noise);
- `harmful`: the interval lies below 0 by the same margin;
- `no effect`: anything else.

- `not enough alone`: both arms diverge: another fault stops the run.

A confirmed gain is `large` (`large_gain`) when the low end of its 95%
interval is at least 10% of the loss before, its mean at least 10% of the
loss with nothing learned (the untrained model's, or a constant
prediction's, the label prior or the targets' mean, when lower: a fault
that inflates the untrained loss does not shrink the gain), and the task's
metric moves with it (accuracy up 0.02, or the error metric down 10%);
`large_by` holds the three numbers.

A warning whose remedy has no effect (or harms) is marked `unconfirmed` and
drops to info; its evidence stays. Each remedy is tried alone, then all
together (each remedy once, however many findings it answers); a remedy
that was not enough alone is then judged within the others (all of them
against all but it): `confirmed with the others` when it is part of the cure.

What is compared with what:

- runs last `epochs` (2), and at least `min_steps` (64) steps of the original
  arm, so that a small data set in large batches still takes steps;
- both arms train the same number of epochs: the same samples, so about the
  same compute. A remedy that changes the batch size changes the number of
  steps per epoch; it is compared at the user's own `fit_epochs` (the
  question is what the user's fit ends at), and the steps of each arm are
  reported next to the verdict;
- a remedy whose effect needs more steps (a new initialisation or
  activation, rescaled inputs: `Remedy.slow`) runs again when the short
  runs are inconclusive or show harm (its transient): `SLOW_FACTOR` times
  longer, or as long as the user's own
  `fit_epochs` if that is longer (at most `FIT_HORIZON_SAMPLES` samples a
  run);
- class weights are judged on the class-balanced loss (each class's mean
  loss, averaged over the classes), which is what they change; every other
  remedy on the plain validation loss.

How it stays cheap: short runs (`epochs`, 2 by default), one original arm
per seed shared by every finding, one traced training function per arm (the
weights, optimizer and seed generators are restored between seeds instead of
copying and re-tracing), and seeds stop as soon as the interval separates
from 0 (from 2 seeds on). Seeds vary the order of the training samples and
the dropout draws; the user's own initial weights are kept in both arms.

A model with several outputs is judged on the sum of its outputs'
criteria (weighted by its `loss_weights`), each output's own loss and metric
reported next to it (`SummedCriterion`).

The validation loss is one criterion for both arms, whatever their compiled
losses: cross-entropy on the arm's probabilities (its softmax/sigmoid output,
or its logits passed through one) for class labels, the squared error (the
absolute error for an MAE loss) in the original units for values (a remedy
that standardises the targets has its predictions mapped back).
"""

import math
import time
from typing import Callable, Optional

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._interrupts import checkpoint, guarded
from kerasdoc._validation import check_float, check_int, check_model, received

__all__ = ["verify", "apply_fixes"]

VERDICTS = ("confirmed", "no effect", "harmful", "not enough alone",
            "confirmed with the others", "not applicable", "not verified", "failed")
"""What `verify` may conclude about a finding."""

JUDGED = ("confirmed", "no effect", "harmful", "not enough alone",
          "confirmed with the others")
"""Verdicts of a comparison that ran (the others say why none ran)."""

FIRST_PASS_SEEDS = 2
"""Seeds every finding gets before any finding gets more (the fewest an interval needs)."""

FIT_HORIZON_SAMPLES = 100_000
"""A remedy compared at the user's epochs trains on at most this many samples a run."""

SLOW_FACTOR = 3
"""A slow remedy's inconclusive comparison is run again this many times longer."""

MORE_SEEDS = 2
"""An inconclusive comparison with a promising mean gain adds seeds up to this factor."""

# Two-sided 97.5% quantiles of Student's t by degrees of freedom.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
         8: 2.306, 9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t_quantile(df):
    """The 97.5% quantile of Student's t with `df` degrees of freedom (conservative)."""
    if df < 1:
        raise InvalidInputError(f"`df` must be >= 1. {received('df', df)}")
    known = [d for d in _T975 if d <= df]
    return _T975[max(known)] if df <= 30 else 1.96


def paired_interval(before, after):
    """Mean gain `before - after`, its 95% t interval and the paired effect size.

    Args:
        before: per-seed values of the original arm.
        after: per-seed values of the remedied arm (same seeds, same order).

    Returns:
        dict with `gain`, `ci95` (low, high), `effect_size` (mean / sd of the
        differences, inf when they do not vary) and `n`.
    """
    d = np.asarray(before, float) - np.asarray(after, float)
    n = len(d)
    mean = float(d.mean())
    if n < 2:
        return {"gain": mean, "ci95": [None, None], "effect_size": None, "n": n}
    sd = float(d.std(ddof=1))
    half = t_quantile(n - 1) * sd / math.sqrt(n)
    effect = (mean / sd) if sd > 0 else (math.inf if mean > 0 else
                                         (-math.inf if mean < 0 else 0.0))
    return {"gain": mean, "ci95": [mean - half, mean + half], "effect_size": effect,
            "n": n}


def judge(stats, before_mean, min_effect):
    """The verdict of a paired comparison (see the module docstring)."""
    lo, hi = stats["ci95"]
    if lo is None:
        return "not verified"
    margin = min_effect * abs(before_mean)
    if lo > 0 and stats["gain"] >= margin:
        return "confirmed"
    if hi < 0 and -stats["gain"] >= margin:
        return "harmful"
    return "no effect"


# The criterion -------------------------------------------------------------------

def _final_layer(model):
    from kerasdoc.model._graph import output_layer

    layer = output_layer(model)
    depth = 0
    while layer is not None and hasattr(layer, "outputs") and not hasattr(
            layer, "activation") and depth < 8:
        inner = output_layer(layer)
        if inner is None or inner is layer:
            break
        layer, depth = inner, depth + 1
    return layer


def _labels_kind(y):
    from kerasdoc.remedies._transforms import _labels_form

    return _labels_form(y)


def _several(tree):
    return isinstance(tree, (dict, list, tuple))


def _take(tree, index):
    """Rows `index` of every array of `tree` (one array, or a dict or list of them)."""
    if isinstance(tree, dict):
        return {k: np.asarray(v)[index] for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [np.asarray(v)[index] for v in tree]
    return np.asarray(tree)[index]


def _count(tree):
    """Samples in `tree` (its first array's length)."""
    if isinstance(tree, dict):
        return len(next(iter(tree.values())))
    if isinstance(tree, (list, tuple)):
        return len(tree[0])
    return len(tree)


def _output_names(model):
    names = list(getattr(model, "output_names", None) or [])
    outputs = getattr(model, "outputs", None) or []
    return names if len(names) == len(outputs) else [f"output_{k}" for k in
                                                      range(len(outputs))]


def _by_output(tree, names, what):
    """`tree` (a dict by output name, or a list in output order) as a dict by name."""
    if isinstance(tree, dict):
        missing = [n for n in names if n not in tree]
        if missing:
            raise InvalidInputError(
                f"`verify` needs {what} for every output of the model ({names}); "
                f"missing {missing}. Received: {what} keys {sorted(tree)}")
        return {n: tree[n] for n in names}
    if isinstance(tree, (list, tuple)):
        if len(tree) != len(names):
            raise InvalidInputError(
                f"`verify` needs one {what} per output of the model ({len(names)}). "
                f"Received: {len(tree)} {what}")
        return dict(zip(names, tree))
    return {n: tree for n in names}  # one loss for every output


def make_criterion(y_val, loss, model):
    """`Criterion` for a one-output model, `SummedCriterion` for several outputs."""
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) > 1:
        return SummedCriterion(y_val, loss, model)
    return Criterion(y_val, loss, model)


class SummedCriterion:
    """Several outputs: the sum of each output's criterion (as Keras sums the losses).

    Each output is judged by its own `Criterion` (its targets, its loss, its
    output layer); the validation loss compared is their sum, weighted by the
    compiled `loss_weights` when there are any (what the model minimises).
    Each output's loss and metric are kept per run (`last_outputs`) and
    compared per output next to the summed loss.
    """

    def __init__(self, y_val, loss, model):
        self.names = _output_names(model)
        ys = _by_output(y_val, self.names, "validation targets")
        losses = _by_output(loss, self.names, "losses")
        self.parts = {n: Criterion(ys[n], losses[n], model, output=n, index=k)
                      for k, n in enumerate(self.names)}
        self.name = "summed loss (" + ", ".join(
            f"{n}: {c.name}" for n, c in self.parts.items()) + ")"
        self.metric = "per output: " + ", ".join(
            f"{n} {c.metric}" for n, c in self.parts.items())
        self.form = "outputs"
        self.last_balanced = None
        self.last_outputs = None

    def __call__(self, pred, setup):
        """`(summed loss, nan)`; each output's `(loss, metric)` in `last_outputs`."""
        pred = _by_output(pred, self.names, "predictions")
        weights = _by_output(setup.loss_weights, self.names, "loss weights") \
            if setup.loss_weights is not None else {n: 1.0 for n in self.names}
        total, outputs = 0.0, {}
        for n, part in self.parts.items():
            loss, metric = part(pred[n], setup)
            outputs[n] = {"loss": loss, "metric": metric, "metric_name": part.metric}
            total += float(weights[n]) * loss
        self.last_balanced = None
        self.last_outputs = outputs
        return total, math.nan

    def no_skill(self):
        """The summed no-skill losses of the outputs (see `Criterion.no_skill`)."""
        values = [c.no_skill() for c in self.parts.values()]
        return None if any(v is None for v in values) else float(sum(values))

    def balanced(self, pred, setup):
        """The summed loss (class weights do not apply to several outputs)."""
        return self(pred, setup)[0]


class Criterion:
    """One validation loss and metric for every arm (see the module docstring)."""

    def __init__(self, y_val, loss, model=None, output=None, index=None):
        from kerasdoc._losses import classify_loss
        from kerasdoc.model._graph import layer_activation

        self.output, self.index = output, index
        self.form = _labels_kind(y_val)
        self.y = np.asarray(y_val)
        family = None
        if not isinstance(loss, (dict, list, tuple)):
            info = classify_loss(loss)
            family = info.family if info is not None else "other"
        layer = self._layer(model) if model is not None else None
        activation = layer_activation(layer) if layer is not None else None
        if family in ("regression", "other") and activation not in ("softmax", "sigmoid"):
            self.form = "values"  # a value output under a value loss: judged as values
        elif self.form == "values" and self.y.dtype.kind in "iu" and self.y.ndim >= 2:
            self.form = "sparse"  # class ids per position of a sequence
        info = classify_loss(loss) if not isinstance(loss, (dict, list, tuple)) else None
        self.absolute = info is not None and info.name in ("mean_absolute_error", "mae")
        if self.form == "values":
            self.name = "MAE loss" if self.absolute else "MSE"
            self.metric = "MSE" if self.absolute else "MAE"
        else:
            self.name = "cross-entropy"
            self.metric = "accuracy"

    def _layer(self, model):
        """The layer making this criterion's output (the model's last for one output)."""
        if self.index is None:
            return _final_layer(model)
        from kerasdoc import _keras

        return _keras.producing_layer(model.outputs[self.index])

    def _loss(self, setup):
        if self.output is None:
            return setup.loss
        return _by_output(setup.loss, _output_names(setup.model), "losses")[self.output]

    def _transform(self, setup):
        transform = setup.target_transform
        if self.output is not None and isinstance(transform, dict):
            return transform.get(self.output)
        return None if self.output is not None else transform

    def probabilities(self, pred, setup):
        """The arm's predicted probabilities, as its loss reads its output."""
        from kerasdoc._losses import classify_loss
        from kerasdoc.model._graph import layer_activation

        layer = self._layer(setup.model)
        activation = layer_activation(layer) if layer is not None else None
        info = classify_loss(self._loss(setup))
        several = pred.shape[-1] > 1 and self.form != "multilabel"
        if activation == "softmax" or (activation == "sigmoid" and not several):
            return pred
        if info is not None and info.from_logits:
            if pred.shape[-1] == 1 or self.form == "multilabel":
                return 1.0 / (1.0 + np.exp(-pred))
            z = pred - pred.max(axis=-1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=-1, keepdims=True)
        if several:  # as Keras's cross-entropy reads it: normalised to sum to 1
            pred = np.clip(pred, 0, None)
            total = pred.sum(axis=-1, keepdims=True)
            return np.where(total > 0, pred / np.where(total > 0, total, 1), 1.0 /
                            pred.shape[-1])
        return pred

    def __call__(self, pred, setup):
        """`(loss, metric)` of predictions `pred` of the arm `setup`."""
        pred = np.asarray(pred, dtype="float64")
        if not np.all(np.isfinite(pred)):
            return math.inf, math.nan
        if self.form == "values":
            if self._transform(setup) is not None:
                mean, std = self._transform(setup)
                pred = pred * np.asarray(std) + np.asarray(mean)
            y = self.y.astype("float64").reshape(pred.shape)
            err = pred - y
            mse, mae = float(np.mean(err ** 2)), float(np.mean(np.abs(err)))
            return (mae, mse) if self.absolute else (mse, mae)
        p = self.probabilities(pred, setup)
        eps = 1e-7
        p = np.clip(p, eps, 1 - eps)
        if self.form == "multilabel" or p.shape[-1] == 1:
            y = self.y.astype("float64").reshape(p.shape)
            terms = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            self.last_balanced = (_balanced(terms.ravel(), (y > 0.5).ravel().astype(int))
                                  if p.shape[-1] == 1 else None)
            return float(terms.mean()), float(np.mean((p > 0.5) == (y > 0.5)))
        p = p.reshape(-1, p.shape[-1])  # per sample, or per position of a sequence
        ids = (self.y.reshape(-1).astype("int64") if self.form == "sparse"
               else self.y.reshape(-1, self.y.shape[-1]).argmax(axis=-1))
        if len(ids) != len(p):
            raise InvalidInputError(
                "`verify` cannot match the model's outputs with the validation labels "
                f"({len(p)} predictions, {len(ids)} labels). "
                f"Received: y_val shape {self.y.shape}")
        per_sample = -np.log(p[np.arange(len(p)), ids])
        self.last_balanced = _balanced(per_sample, ids)
        return float(per_sample.mean()), float(np.mean(p.argmax(axis=-1) == ids))

    def no_skill(self):
        """The validation loss of a constant prediction: the label prior, or the mean.

        Cross-entropy of the validation labels' own class frequencies (per
        label for binary and multilabel targets), the variance of the targets
        under a squared error, their mean absolute deviation from the median
        under an absolute one. None when the targets do not allow it.
        """
        y = self.y
        if self.form == "values":
            v = y.astype("float64").reshape(len(y), -1)
            if self.absolute:
                return float(np.mean(np.abs(v - np.median(v, axis=0))))
            return float(np.mean(np.var(v, axis=0)))
        if self.form == "multilabel" or (y.ndim >= 1 and self.form != "sparse"
                                         and y.ndim == 2 and y.shape[-1] == 1):
            p = np.clip(y.astype("float64").reshape(len(y), -1).mean(axis=0), 1e-7,
                        1 - 1e-7)
            return float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))
        ids = (y.reshape(-1).astype("int64") if self.form == "sparse"
               else y.reshape(-1, y.shape[-1]).argmax(axis=-1))
        if ids.size == 0 or ids.min() < 0:
            return None
        freq = np.bincount(ids) / ids.size
        freq = freq[freq > 0]
        return float(-(freq * np.log(freq)).sum())

    def balanced(self, pred, setup):
        """The loss with every class weighing the same (None for values)."""
        self.last_balanced = None
        loss, _ = self(pred, setup)
        return loss if self.last_balanced is None or not math.isfinite(loss) else \
            self.last_balanced


def _lower(value, floor):
    """`value`, or `floor` when it is known and lower (or `value` is not finite)."""
    if floor is None or not math.isfinite(floor):
        return value
    return floor if not math.isfinite(value) or floor < value else value


def _balanced(per_sample, ids):
    """Mean over the classes present of each class's mean loss."""
    return float(np.mean([per_sample[ids == c].mean() for c in np.unique(ids)]))


# One arm ----------------------------------------------------------------------------

class _Arm:
    """A setup compiled once; each `run(seed)` restores its start and trains it."""

    def __init__(self, setup, criterion, epochs, redraws=()):
        from kerasdoc._modelcopy import _all_variables

        self.setup, self.criterion, self.epochs = setup, criterion, epochs
        self.redraws = [(r, f) for r, f in redraws if r.redraw]
        model = setup.compiled()
        model.optimizer.build(model.trainable_variables)
        self.model = model
        self.start = [(v, np.array(v.numpy(), copy=True)) for v in _all_variables(model)]
        self.results = {}
        self.start_loss = None
        self.outputs = None

    def evaluate(self):
        """`(loss, metric, class-balanced loss)` of the arm's model on the validation data."""
        xv = self.setup.validation_data[0]
        chunk = max(256, self.setup.batch_size)
        parts = [self.model(_take(xv, slice(i, i + chunk)), training=False)
                 for i in range(0, _count(xv), chunk)]
        if _several(parts[0]):  # several outputs: each concatenated, by output name
            names = _output_names(self.model)
            parts = [_by_output(p, names, "predictions") for p in parts]
            pred = {n: np.concatenate([np.asarray(p[n]) for p in parts]) for n in names}
        else:
            pred = np.concatenate([np.asarray(p) for p in parts])
        self.criterion.last_balanced = None
        loss, metric = self.criterion(pred, self.setup)
        self.outputs = getattr(self.criterion, "last_outputs", None)
        balanced = self.criterion.last_balanced
        return loss, metric, (loss if balanced is None or not math.isfinite(loss)
                              else balanced)

    def run(self, seed):
        """`{"loss", "metric", "curve"}` of a run from the arm's start with `seed`."""
        if seed in self.results:
            return self.results[seed]
        import keras

        from kerasdoc.probes._common import seed_model

        for variable, value in self.start:
            variable.assign(value)
        for remedy, finding in self.redraws:  # this seed's own random draws
            (remedy.redraw_fn or remedy.transform)(self.setup, finding, seed=seed)
        model, setup = self.model, self.setup
        if self.start_loss is None and not self.redraws:  # the loss with nothing learned
            loss, _, balanced = self.evaluate()
            floor = self.criterion.no_skill()
            self.start_loss = {"start": _lower(loss, floor),
                               "start_balanced": _lower(balanced, floor)}
        seed_model(model, seed)
        rng = np.random.default_rng(seed)
        n = _count(setup.y)
        # One fit over the epochs' orders laid end to end: one call, one trace.
        order = np.concatenate([rng.permutation(n) if setup.shuffle else np.arange(n)
                                for _ in range(self.epochs)])
        weights = (None if setup.sample_weight is None
                   else np.asarray(setup.sample_weight)[order])
        steps = math.ceil(n / setup.batch_size)
        curve = []
        evaluate = self.evaluate

        class EpochEnd(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                checkpoint()
                if (batch + 1) % steps == 0 and len(curve) < arm_epochs - 1:
                    curve.append(evaluate()[0])
                    if not math.isfinite(curve[-1]):
                        self.model.stop_training = True

        arm_epochs = self.epochs
        try:
            model.fit(_take(setup.x, order), _take(setup.y, order),
                      batch_size=setup.batch_size,
                      epochs=1, shuffle=False, verbose=0, class_weight=setup.class_weight,
                      sample_weight=weights, callbacks=[EpochEnd()])
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # this arm's program does not train: its result
            self.results[seed] = {"loss": math.inf, "metric": math.nan, "curve": curve,
                                  "balanced": math.inf, "steps": self.steps,
                                  **(self.start_loss or {}),
                                  "error": f"{type(exc).__name__}: {_first_line(exc)}"}
            return self.results[seed]
        loss, metric, balanced = evaluate()
        curve.append(loss)
        curve.extend([curve[-1]] * (self.epochs - len(curve)))
        self.results[seed] = {"loss": loss, "metric": metric, "curve": curve,
                              "balanced": balanced, "steps": self.steps,
                              **(self.start_loss or {})}
        if self.outputs is not None:
            self.results[seed]["outputs"] = self.outputs
        return self.results[seed]

    @property
    def steps(self):
        """Optimizer steps of one run of this arm."""
        return self.epochs * math.ceil(_count(self.setup.y) / self.setup.batch_size)


def _first_line(exc, limit=300):
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _capped(values, others):
    finite = [v for v in list(values) + list(others) if math.isfinite(v)]
    cap = 10 * max(finite) if finite else 1e6
    return [v if math.isfinite(v) else cap for v in values]


def _compare(before_runs, after_runs, min_effect, higher_is_better_metric, key="loss"):
    b = [r[key] for r in before_runs]
    a = [r[key] for r in after_runs]
    stats = paired_interval(_capped(b, a), _capped(a, b))
    before_mean = float(np.mean(_capped(b, a)))
    verdict = judge(stats, before_mean, min_effect)
    out = {"verdict": verdict, "seeds": len(b),
           "val_loss_before": float(np.mean(b)) if all(map(math.isfinite, b)) else math.inf,
           "val_loss_after": float(np.mean(a)) if all(map(math.isfinite, a)) else math.inf,
           "gain": stats["gain"], "ci95": stats["ci95"],
           "effect_size": stats["effect_size"],
           "per_seed": {"before": b, "after": a},
           "curves": {"before": [r["curve"] for r in before_runs],
                      "after": [r["curve"] for r in after_runs]}}
    for arm, runs in (("before", before_runs), ("after", after_runs)):
        errors = [r["error"] for r in runs if r.get("error")]
        if errors:  # fit raised on this arm: it counts as a run that never trains
            out[f"{arm}_error"] = errors[0]
    if out.get("before_error") and out.get("after_error"):
        out["verdict"] = "failed"
        out["reason"] = f"neither arm trains: {out['after_error']}"
    elif not any(map(math.isfinite, b + a)):
        out["verdict"] = "not enough alone"
        out["reason"] = ("both arms diverge: something else stops this run from training; "
                         "see all the remedies together")
    out["criterion"] = "class-balanced loss" if key == "balanced" else "loss"
    out["steps"] = {"before": before_runs[0].get("steps"), "after": after_runs[0].get("steps")}
    mb = [r["metric"] for r in before_runs]
    ma = [r["metric"] for r in after_runs]
    if all(map(math.isfinite, mb + ma)):
        sign = 1 if higher_is_better_metric else -1
        mstats = paired_interval([sign * v for v in ma], [sign * v for v in mb])
        out.update(metric_before=float(np.mean(mb)), metric_after=float(np.mean(ma)),
                   metric_gain=mstats["gain"], metric_ci95=mstats["ci95"])
    if all(r.get("outputs") for r in before_runs + after_runs):
        out["outputs"] = {}
        for name, first in before_runs[0]["outputs"].items():
            row = {"metric": first["metric_name"]}
            for arm, runs in (("before", before_runs), ("after", after_runs)):
                row[f"loss_{arm}"] = float(np.mean([r["outputs"][name]["loss"]
                                                    for r in runs]))
                row[f"metric_{arm}"] = float(np.mean([r["outputs"][name]["metric"]
                                                      for r in runs]))
            out["outputs"][name] = row
    starts = [r.get("start" if key == "loss" else "start_balanced") for r in before_runs]
    start = (float(np.mean(starts)) if starts and all(
        s is not None and math.isfinite(s) for s in starts) else None)
    out["large"], out["large_by"] = large_gain(out, before_mean, start,
                                               higher_is_better_metric)
    return out


LARGE_OF_BEFORE = 0.10
"""A large gain: the low end of its 95% interval is at least this share of the loss before."""

LARGE_OF_START = 0.10
"""A large gain: its mean is at least this share of the loss with nothing learned."""

LARGE_ACCURACY = 0.02
"""A large gain: accuracy up by at least this much (absolute), where there is accuracy."""

LARGE_ERROR = 0.10
"""A large gain: the error metric (MAE, or MSE under an MAE loss) down by this share."""


def large_gain(out, before_mean, start, higher_is_better_metric):
    """Whether a confirmed gain is large, and the three numbers that decide it.

    A gain is large when all three hold (each only where it can be
    measured):

    - the loss: the low end of the gain's 95% interval is at least
      `LARGE_OF_BEFORE` of the loss before (beyond noise, and not a sliver);
    - the loss against its start: the mean gain is at least `LARGE_OF_START`
      of the validation loss with nothing learned: the original's before any
      training step, or a constant prediction's (label prior, targets' mean)
      when that is lower. A gain that is large against an almost trained
      loss but small against what training removes is polish, not a cure;
    - the task's metric: accuracy up by at least `LARGE_ACCURACY`, or the
      error metric down by `LARGE_ERROR` of its value before. A loss gain
      that changes no prediction is calibration, not a better model.

    Args:
        out: a comparison (`_compare`'s dict).
        before_mean: the mean loss before (divergence capped).
        start: the validation loss with nothing learned, or None.
        higher_is_better_metric: whether the metric is an accuracy.

    Returns:
        `(large, {"gain_low_of_before", "gain_of_start", "metric_gain"})`.
    """
    lo = (out.get("ci95") or [None])[0]
    of_before = (lo / abs(before_mean) if lo is not None and before_mean
                 and math.isfinite(before_mean) else None)
    gain = out.get("gain")
    of_start = (gain / start if start and gain is not None and math.isfinite(gain)
                else None)
    metric_gain = out.get("metric_gain")
    by = {"gain_low_of_before": of_before, "gain_of_start": of_start,
          "metric_gain": metric_gain}
    if out.get("verdict") != "confirmed" or lo is None:
        return False, by
    if of_before is not None and of_before < LARGE_OF_BEFORE:
        return False, by
    if of_start is not None and of_start < LARGE_OF_START:
        return False, by
    if metric_gain is not None:
        if higher_is_better_metric:
            if metric_gain < LARGE_ACCURACY:
                return False, by
        else:
            before = out.get("metric_before")
            if before and metric_gain < LARGE_ERROR * abs(before):
                return False, by
    return True, by


# verify ------------------------------------------------------------------------------

def _arrays(x, y, validation_data, sample_weight, class_weight, model, max_samples):
    from kerasdoc._inputs import (as_model_inputs, require_targets, sample_fit_data,
                                  sample_validation_data)

    data = sample_fit_data(x, y, sample_weight=sample_weight, class_weight=class_weight,
                           max_samples=max_samples)
    require_targets(data, x)
    xs, ys = as_model_inputs(data.x, model), data.y
    several = len(getattr(model, "outputs", None) or []) > 1
    if _several(ys) and not several:
        raise InvalidInputError(
            "`verify` got several target arrays for a model with one output. "
            f"Received: y={type(ys).__name__} of {len(ys)}")
    if several and not _several(ys):
        raise InvalidInputError(
            "`verify` needs one target array per output (a dict by output name or a "
            f"list). Received: y={type(ys).__name__}")
    xs, ys = _take(xs, slice(None)), _take(ys, slice(None))  # numpy arrays
    if validation_data is None:
        order = np.random.default_rng(12345).permutation(_count(ys))
        cut = max(1, _count(ys) // 5)
        val, train = order[:cut], np.sort(order[cut:])  # a stream's order kept
        weights = None if data.sample_weight is None else np.asarray(
            data.sample_weight)[train]
        return (_take(xs, train), _take(ys, train), (_take(xs, val), _take(ys, val)),
                weights, data.class_weight, data.batch_size if data.batches else None,
                "validation_data=None: 20% of x held out")
    val = sample_validation_data(validation_data, max_samples=max_samples)
    xv = _take(as_model_inputs(val.x, model), slice(None))
    return (xs, ys, (xv, _take(val.y, slice(None))), data.sample_weight,
            data.class_weight, data.batch_size if data.batches else None, None)


def _candidates(report, codes):
    from kerasdoc.remedies import remedy_for

    out = []
    for index, finding in enumerate(report):
        if codes is not None and finding.code not in codes:
            continue
        remedy = remedy_for(finding)
        if remedy is not None:
            out.append((index, finding, remedy))
    return out


@guarded
def verify(report, model, x, y=None, *, validation_data=None, seeds: int = 3,
           budget_s: Optional[float] = None, epochs: int = 2,
           batch_size: Optional[int] = None, sample_weight=None, class_weight=None,
           shuffle: bool = True, codes=None, together: bool = True,
           min_effect: float = 0.02, seed: int = 0, max_samples: int = 4096,
           stop_early: bool = True, fit_epochs: Optional[int] = None,
           min_steps: int = 64,
           progress: Optional[Callable[[str], None]] = None):
    """Apply each finding's remedy to a copy and show, across seeds, whether it helps.

    For every finding of `report` whose check declares a remedy, the original
    setup and the remedied copy train from the same seeds for the same number
    of steps; their validation losses (one criterion for both, see the module
    docstring) and the task's metric are compared per seed, with the mean
    gain, its 95% t interval and the paired effect size. Each finding gets
    `verified` (verdict `confirmed`, `no effect` or `harmful` with the
    numbers; or `not applicable`, `not verified` with the reason, `failed`
    with the error); a warning whose remedy has no effect or harms is
    `unconfirmed` and lowered to info, its evidence kept. Then all remedies
    that apply are tried together (`report.verification["together"]`).

    The user's model, data and global random state (Python's, NumPy's and
    Keras's global seed generator) are left exactly as they were, also when
    the call is interrupted.

    Args:
        report: a `kerasdoc.Report` (from `diagnose`, `audit_model`, ...).
        model: the compiled model the report is about (never changed).
        x: training inputs as `fit` takes them (an array, or a dict or list
            of arrays).
        y: training targets: an array, or for a model with several outputs a
            dict by output name or a list in output order (then the arms are
            compared on the summed loss, weighted by the compiled
            `loss_weights`, and each output's loss and metric are reported
            under `outputs`). Defaults to `None` (when `x` is a stream).
        validation_data: `(x_val, y_val)` the arms are judged on. Defaults to
            `None`: 20% of `x` is held out (the same samples for every arm).
        seeds: seeds per arm (at least 2; fewer run when the interval
            separates from 0 early, up to `MORE_SEEDS` times more while an
            inconclusive gain is as large as `min_effect`). Defaults to `3`.
        budget_s: wall-clock budget; when spent, findings not yet verified are
            `not verified` with that reason. Defaults to `None` (no limit).
        epochs: epochs of each short run, at least (a run lasts at least
            `min_steps` optimizer steps). A remedy whose effect needs more
            steps (`Remedy.slow`: a new initialisation or activation) is run
            again `SLOW_FACTOR` times longer (or for `fit_epochs`, if longer)
            when the short runs are inconclusive. Defaults to `2`.
        batch_size: fit's batch size. Defaults to `None` (32, or the
            stream's batch size).
        sample_weight: per-sample weights, as for `fit`. Defaults to `None`.
        class_weight: class weights, as for `fit`. Defaults to `None`.
        shuffle: whether the user's fit shuffles. Defaults to `True`.
        codes: only findings with these codes. Defaults to `None` (all).
        together: also try all applicable remedies together. Defaults to
            `True`.
        min_effect: smallest mean gain, relative to the validation loss
            before, that counts as an effect. Defaults to `0.02`.
        seed: first seed (the others follow it). Defaults to `0`.
        max_samples: samples read from a stream. Defaults to `4096`.
        stop_early: stop adding seeds once the interval separates from 0
            (from 2 seeds on); `False` always runs every seed. Defaults to
            `True`.
        fit_epochs: the epochs of the user's own `fit`. A remedy that
            changes the updates per epoch (a smaller batch) is compared at
            these epochs (at most `FIT_HORIZON_SAMPLES` samples a run; the
            steps of each arm are reported), and so is a slow remedy whose
            short runs were inconclusive. Defaults to `None` (unknown: the
            short runs' epochs).
        min_steps: fewest optimizer steps of the original arm in a short run
            (small data sets get more epochs). Defaults to `64`.
        progress: called with a one-line message per step. Defaults to `None`.

    Returns:
        A new `kerasdoc.Report`: the findings with `verified` filled in, and
        `report.verification` holding the run settings and the combined result.

    Example:

    >>> report = kerasdoc.audit_model(model, x=x, y=y)          # doctest: +SKIP
    >>> checked = kerasdoc.verify(report, model, x, y,
    ...                           validation_data=(x_val, y_val))  # doctest: +SKIP
    >>> print(checked)                                          # doctest: +SKIP
    """
    from kerasdoc.findings import Report
    from kerasdoc.probes._common import preserved_global_rng
    from kerasdoc.remedies import NotApplicable, TrainingSetup, apply_remedy

    if not isinstance(report, Report):
        raise InvalidTypeError(f"`report` must be a kerasdoc.Report. {received('report', report)}")
    check_model(model)
    if not getattr(model, "compiled", False):
        raise InvalidInputError(f"`model` must be compiled. {received('model', model)}")
    seeds = check_int(seeds, "seeds", minimum=2)
    epochs = check_int(epochs, "epochs", minimum=1)
    fit_epochs = check_int(fit_epochs, "fit_epochs", minimum=1, allow_none=True)
    min_steps = check_int(min_steps, "min_steps", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
    budget_s = check_float(budget_s, "budget_s", minimum=0, exclusive_minimum=True,
                           allow_none=True)
    min_effect = check_float(min_effect, "min_effect", minimum=0)
    if not isinstance(shuffle, bool):
        raise InvalidTypeError(f"`shuffle` must be True or False. {received('shuffle', shuffle)}")
    if not isinstance(stop_early, bool):
        raise InvalidTypeError(
            f"`stop_early` must be True or False. {received('stop_early', stop_early)}")
    if not isinstance(together, bool):
        raise InvalidTypeError(
            f"`together` must be True or False. {received('together', together)}")
    if codes is not None:
        if isinstance(codes, str):
            codes = (codes,)
        codes = set(codes)
    say = progress or (lambda message: None)
    start = time.perf_counter()

    def left():
        return math.inf if budget_s is None else budget_s - (time.perf_counter() - start)

    candidates = _candidates(report, codes)
    results, failed = {}, dict(report.failed)
    settings = {"seeds": seeds, "epochs": epochs, "min_effect": min_effect,
                "first_seed": seed}
    together_result = None
    if candidates:
        xs, ys, val, weights, cweights, stream_batch, note = _arrays(
            x, y, validation_data, sample_weight, class_weight, model, max_samples)
        if stream_batch is not None and shuffle:  # fit never shuffles a stream
            shuffle = False
            settings["shuffle"] = "False (a stream: fit keeps its order)"
        batch = batch_size or min(stream_batch or 32, _count(ys))
        if note:
            settings["note"] = note
        criterion = make_criterion(val[1], model.loss, model)
        per_epoch = math.ceil(_count(ys) / batch)
        run_epochs = max(epochs, math.ceil(min_steps / per_epoch))
        # the user's own epochs: the steps floor of the short runs does not apply
        fit_horizon = (run_epochs if fit_epochs is None else max(1, min(
            fit_epochs, math.ceil(FIT_HORIZON_SAMPLES / _count(ys)))))
        settings.update(criterion=criterion.name, metric=criterion.metric,
                        batch_size=batch, epochs_per_run=run_epochs,
                        steps_per_run=run_epochs * per_epoch, fit_epochs=fit_epochs)
        higher = criterion.metric == "accuracy"
        with preserved_global_rng():
            base = TrainingSetup.from_user(model, xs, ys, validation_data=val,
                                           batch_size=batch, shuffle=shuffle,
                                           class_weight=cweights, sample_weight=weights)
            originals = {}

            def original(n_epochs):
                if n_epochs not in originals:
                    originals[n_epochs] = _Arm(base.copy(), criterion, n_epochs)
                return originals[n_epochs]

            def horizon(remedy):
                return fit_horizon if remedy.horizon == "fit" else run_epochs

            def longer(remedy, n_epochs):
                if not remedy.slow:
                    return None
                return max(SLOW_FACTOR * n_epochs, fit_horizon)

            arms = {}
            for index, finding, remedy in candidates:
                entry = {"remedy": remedy.name}
                results[index] = entry
                if not remedy.judged_by_validation:
                    entry.update(verdict="not verified", reason=(
                        f"{remedy.name} is not judged by the validation loss (the "
                        "validation set is what it changes the meaning of)"))
                    continue
                try:
                    setup, changes = apply_remedy(remedy, base, finding, seed=seed)
                except NotApplicable as reason:
                    entry.update(verdict="not applicable", reason=str(reason))
                    continue
                except Exception as exc:  # a crash is a failure, never a skip
                    from kerasdoc.findings._report import failure

                    entry.update(verdict="failed", reason=f"{type(exc).__name__}: {exc}")
                    failed[f"verify/{finding.code}"] = failure(exc)
                    continue
                entry["changes"] = changes
                arms[index] = (setup, finding, remedy)
            order = list(arms)
            together_result = _schedule(
                results, arms, order, base, original, horizon, longer, run_epochs,
                criterion, seeds, seed, min_effect, higher, left, failed, stop_early,
                together, say)
    findings = []
    for index, finding in enumerate(report):
        entry = results.get(index)
        if entry is None:
            findings.append(finding)
            continue
        severity = finding.severity
        if entry.get("verdict") in ("no effect", "harmful"):
            entry["standing"] = "unconfirmed"
            entry["original_severity"] = str(finding.severity)
            if str(finding.severity) == "warning":
                severity = "info"
        elif entry.get("verdict") in ("confirmed", "confirmed with the others"):
            entry["standing"] = "confirmed"
        findings.append(finding.replace(severity=severity, verified=entry))
    timings = dict(report.timings)
    timings["verify"] = time.perf_counter() - start
    listed = list(report)
    verification = dict(settings, seconds=timings["verify"],
                        verified=sum(1 for e in results.values()
                                     if e.get("verdict") in ("confirmed", "no effect",
                                                             "harmful")),
                        unverified=[{"code": listed[i].code, "verdict": e.get("verdict"),
                                     "reason": e.get("reason", "")}
                                    for i, e in sorted(results.items())
                                    if e.get("verdict") not in JUDGED],
                        together=together_result)
    return Report(findings, ran=report.ran, skipped=report.skipped, timings=timings,
                  failed=failed, title=report.title, task=report.task,
                  verification=verification)


def _verify_one(original, setup, criterion, epochs, seeds, first, min_effect, higher,
                left, failed, name, remedies, stop_early=True, key="loss", longer=None):
    """Train both arms seed by seed; stop once the interval separates from 0.

    `original(epochs)` gives the original arm of that run length. When the
    runs are inconclusive and `longer(epochs)` gives a longer run length
    (remedies whose effect needs more steps), both arms run again that long.
    """
    from kerasdoc.findings._report import failure

    try:
        result = _run_pair(original(epochs), _Arm(setup, criterion, epochs,
                                                 redraws=remedies),
                           seeds, first, min_effect, higher, left, stop_early, key)
        extended = longer(epochs) if longer is not None else None
        if result["verdict"] == "no effect" and extended and left() > 0:
            again = _run_pair(original(extended), _Arm(setup, criterion, extended,
                                                      redraws=remedies),
                              seeds, first, min_effect, higher, left, stop_early, key)
            if again["verdict"] != "not verified":
                again["extended"] = {"from_epochs": epochs, "verdict": result["verdict"],
                                     "val_loss_before": result.get("val_loss_before"),
                                     "val_loss_after": result.get("val_loss_after")}
                result = again
        return result
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a crash is a failure, never a silent skip
        failed[f"verify/{name}"] = failure(exc)
        return {"verdict": "failed", "reason": f"{type(exc).__name__}: {exc}"}


class _Pair:
    """Both arms of one comparison, grown seed by seed over the passes of `verify`."""

    def __init__(self, before_arm, after_arm, first, key="loss"):
        self.before_arm, self.after_arm = before_arm, after_arm
        self.first, self.key = first, key
        self.before, self.after = [], []

    @property
    def n(self):
        """Seeds run so far."""
        return len(self.before)

    def compare(self, min_effect, higher):
        """The comparison over the seeds run so far (see `_compare`)."""
        return _compare(self.before, self.after, min_effect, higher, self.key)

    def grow(self, n, min_effect, higher, left, stop_early):
        """Run seeds until `n` have run; False when the budget ran out first.

        With `stop_early`, no seed is added once the interval has separated
        from 0 (from 2 seeds on).
        """
        while self.n < n:
            if stop_early and self.n >= 2 and self.compare(min_effect, higher)[
                    "verdict"] in ("confirmed", "harmful"):
                return True
            if left() <= 0:
                return False
            k = self.first + self.n
            self.before.append(self.before_arm.run(k))
            self.after.append(self.after_arm.run(k))
        return True

    def promising(self, min_effect, higher):
        """Inconclusive, with a mean gain already as large as `min_effect`."""
        if self.n < 2:
            return False
        result = self.compare(min_effect, higher)
        b = [r[self.key] for r in self.before]
        a = [r[self.key] for r in self.after]
        margin = min_effect * abs(np.mean(_capped(b, a)))
        return result["verdict"] == "no effect" and result["gain"] >= margin

    def more_seeds(self, seeds, min_effect, higher, left, stop_early):
        """Seed by seed up to `MORE_SEEDS * seeds` while the gain is promising."""
        while seeds <= self.n < MORE_SEEDS * seeds and self.promising(min_effect, higher):
            if not self.grow(self.n + 1, min_effect, higher, left, stop_early):
                return False
        return True

    def result(self, seeds, min_effect, higher):
        """The verdict and numbers of the seeds run (`not verified` under 2)."""
        if self.n < 2:
            return {"verdict": "not verified",
                    "reason": "time budget spent before two seeds ran"}
        result = self.compare(min_effect, higher)
        result["epochs"] = self.before_arm.epochs
        if self.n < seeds and result["verdict"] == "no effect":
            result["reason"] = "time budget spent before every seed ran"
        return result


def _run_pair(before_arm, after_arm, seeds, first, min_effect, higher, left, stop_early,
              key):
    """Both arms over the seeds; up to `MORE_SEEDS`x as many while a gain is promising.

    Seeds stop once the interval separates from 0 (from 2 seeds on, with
    `stop_early`). After `seeds` seeds, an inconclusive comparison whose mean
    gain already reaches the effect size goes on, seed by seed, up to
    `MORE_SEEDS * seeds`: the interval narrows with the seeds, so a gain that
    is real separates and one that is noise does not.
    """
    pair = _Pair(before_arm, after_arm, first, key)
    if pair.grow(seeds, min_effect, higher, left, stop_early):
        pair.more_seeds(seeds, min_effect, higher, left, stop_early)
    return pair.result(seeds, min_effect, higher)


def _schedule(results, arms, order, base, original, horizon, longer, run_epochs, criterion,
              seeds, first, min_effect, higher, left, failed, stop_early, together, say):
    """Verify every finding in passes, so that no finding starves; returns the combined result.

    The budget goes first to what every finding needs, then to what some need:

    1. every distinct comparison (findings whose remedies make the same
       changes share one) gets `FIRST_PASS_SEEDS` seeds, in the report's order;
    2. every comparison goes on to `seeds` seeds (none once it separated);
    3. all the remedies together, as one comparison (the same two steps);
    4. extensions, in the report's order: a promising inconclusive gain gets
       more seeds, a slow remedy with no effect or harm runs again longer; then the
       combination's;
    5. a remedy that was not enough alone is judged within the others.

    A finding the budget left unjudged is `not verified` with the pass at
    which the budget ran out; an extension the budget cut is recorded under
    `extension` next to the verdict of the shorter runs.
    """
    from kerasdoc.findings._report import failure

    jobs, aliases, done = [], {}, {}
    for index in order:
        _, _, remedy = arms[index]
        same = (tuple(results[index]["changes"]), remedy.criterion, remedy.horizon,
                remedy.slow)
        if same in done:
            aliases[index] = done[same]
            continue
        done[same] = index
        jobs.append(index)
    entries = dict(results)
    pairs, plans = {}, {}  # key -> _Pair; key -> (remedies, epochs, longer(epochs))

    def guarded_call(key, name, action):
        try:
            return action()
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a crash is a failure, never a silent skip
            failed[f"verify/{name}"] = failure(exc)
            entries[key].update(verdict="failed", reason=f"{type(exc).__name__}: {exc}")
            pairs.pop(key, None)
            return None

    def name_of(key):
        return "together" if key == "together" else arms[key][1].code

    def start(key, setup, remedies, epochs, key_criterion):
        if left() <= 0:
            return
        pairs[key] = _Pair(original(epochs), _Arm(setup, criterion, epochs,
                                                  redraws=remedies), first, key_criterion)

    def run_pass(keys, n, label):
        for key in keys:
            if key not in pairs and key not in plans:
                continue
            if key not in pairs:
                setup, remedies, epochs, key_criterion = plans[key]
                if left() > 0:
                    say(f"verify {name_of(key)}: " + "; ".join(
                        entries[key]["changes"]))
                guarded_call(key, name_of(key),
                             lambda: start(key, setup, remedies, epochs, key_criterion))
                if key not in pairs:
                    continue
            pair = pairs[key]
            grown = guarded_call(key, name_of(key), lambda: pair.grow(
                n, min_effect, higher, left, stop_early))
            if grown is False and pair.n < 2:
                entries[key].setdefault("cut", label)  # the pass where it first ran short

    def settle(key):
        pair = pairs.get(key)
        if pair is None:
            if entries[key].get("verdict") != "failed":
                entries[key].update(verdict="not verified", reason=(
                    "time budget spent before its comparison started (first pass)"))
            return
        entries[key].update(pair.result(seeds, min_effect, higher))
        cut = entries[key].pop("cut", None)
        if cut and entries[key]["verdict"] == "not verified":
            entries[key]["reason"] = f"time budget spent before two seeds ran ({cut})"

    for index in jobs:
        setup, finding, remedy = arms[index]
        plans[index] = (setup, [(remedy, finding)], horizon(remedy), remedy.criterion)
    run_pass(jobs, min(FIRST_PASS_SEEDS, seeds), "first pass")
    run_pass(jobs, seeds, "second pass")
    for index in jobs:
        settle(index)

    together_result = None
    if together and len(order) > 1:
        combined, lines, used = _combine(base, [arms[i] for i in order], first)
        together_result = {"codes": [arms[i][1].code for i in order], "changes": lines}
        entries["together"] = together_result
        if len({r.name for r, _ in used}) > 1:
            # class weights in the mix: the combination is judged as they are
            key_criterion = ("balanced" if any(r.criterion == "balanced" for r, _ in used)
                             else "loss")
            plans["together"] = (combined, used, run_epochs, key_criterion)
            run_pass(["together"], min(FIRST_PASS_SEEDS, seeds), "combination")
            run_pass(["together"], seeds, "combination")
            settle("together")
        else:
            together_result.update(verdict="not verified", reason=(
                "one remedy answers every finding: see its own verdict"))

    def extend(key, slow_longer):
        """More seeds for a promising gain; a longer run for a slow remedy not confirmed."""
        pair, entry = pairs.get(key), entries[key]
        if pair is None or entry.get("verdict") not in ("no effect", "harmful"):
            return
        if pair.n >= seeds and pair.promising(min_effect, higher):
            if left() <= 0:
                entry["extension"] = "more seeds not run: time budget spent"
                return
            more = guarded_call(key, name_of(key), lambda: pair.more_seeds(
                seeds, min_effect, higher, left, stop_early))
            if more is None:
                return
            entry.update(pair.result(seeds, min_effect, higher))
            if more is False:
                entry["extension"] = "more seeds cut by the time budget"
        extended = slow_longer(pair.before_arm.epochs) if slow_longer else None
        # a slow remedy's short runs measure its transient: no effect, or harm (a
        # rescaled input starts the output far from large targets), is not its verdict
        if entry.get("verdict") not in ("no effect", "harmful") or not extended:
            return
        if left() <= 0:
            entry["extension"] = (f"runs of {extended} epochs not run: time budget spent")
            return
        setup, remedies, _, key_criterion = plans[key]
        say(f"verify {name_of(key)} again over {extended} epochs")

        def again():
            longer_pair = _Pair(original(extended), _Arm(setup, criterion, extended,
                                                         redraws=remedies),
                                first, key_criterion)
            if longer_pair.grow(seeds, min_effect, higher, left, stop_early):
                longer_pair.more_seeds(seeds, min_effect, higher, left, stop_early)
            return longer_pair.result(seeds, min_effect, higher)

        result = guarded_call(key, name_of(key), again)
        if result is None:
            return
        if result["verdict"] == "not verified":
            entry["extension"] = (f"runs of {extended} epochs cut by the time budget "
                                  "before two seeds ran")
            return
        result["extended"] = {"from_epochs": pair.before_arm.epochs,
                              "verdict": entry["verdict"],
                              "val_loss_before": entry.get("val_loss_before"),
                              "val_loss_after": entry.get("val_loss_after")}
        entry.update(result)
        entry.pop("extension", None)

    for index in jobs:
        remedy = arms[index][2]
        extend(index, lambda n, r=remedy: longer(r, n))
    if "together" in pairs:
        used = plans["together"][1]
        extend("together", lambda n: max((longer(r, n) or 0 for r, _ in used),
                                         default=0) or None)
    for index, same in aliases.items():
        results[index].update({k: v for k, v in results[same].items()
                               if k not in ("remedy", "changes")},
                              same_as=arms[same][1].code)
    if together_result is not None:
        _leave_one_out(results, arms, order, together_result, base, first, criterion,
                       seeds, min_effect, higher, left, failed, stop_early, say)
    return together_result


def _combine(base, chosen, seed, skip=None):
    """`base` copied with each remedy applied once, in order (minus `skip`)."""
    from kerasdoc.remedies import NotApplicable, apply_remedy

    combined = base.copy()
    lines, used, names = [], [], set()
    for setup, finding, remedy in chosen:
        if remedy.name in names or (skip is not None and remedy.name == skip):
            continue  # one remedy answering several findings is applied once
        try:
            _, changes = apply_remedy(remedy, combined, finding, seed=seed, in_place=True)
        except NotApplicable:
            continue
        names.add(remedy.name)
        lines.extend(changes)
        used.append((remedy, finding))
    return combined, lines, used


def _leave_one_out(results, arms, order, together_result, base, seed, criterion, seeds,
                   min_effect, higher, left, failed, stop_early, say):
    """A remedy that was not enough alone, judged within the others: all minus it vs all.

    When another fault stops both arms from training (or makes the remedied
    arm diverge), a remedy's own effect shows only once that fault is
    repaired too. If all the remedies together train, each such remedy is
    judged by taking it out of the combination, over the longer of its own
    and the combination's run: `confirmed with the others` when the
    combination does better with it (its verdict alone stays under `alone`).
    """
    if not together_result or not math.isfinite(together_result.get(
            "val_loss_after", math.inf)):
        return
    seen = set()
    for index in order:
        entry = results[index]
        _, finding, remedy = arms[index]
        if not _masked(entry) or left() <= 0:
            continue
        if remedy.name in seen:
            continue
        seen.add(remedy.name)
        chosen = [arms[i] for i in order]
        without, _, used_without = _combine(base, chosen, seed, skip=remedy.name)
        combined, _, used = _combine(base, chosen, seed)
        if not used_without:
            continue
        say(f"verify {finding.code} within the other remedies")
        epochs = max(together_result.get("epochs") or 1, entry.get("epochs") or 1)
        within = _verify_one(
            lambda n, s=without, u=used_without: _Arm(s, criterion, n, redraws=u),
            combined, criterion, epochs, seeds, seed, min_effect, higher, left, failed,
            f"{finding.code} within the others", used, stop_early)
        entry["with_the_others"] = within
        for other in order:
            if arms[other][2].name == remedy.name and _masked(results[other]) and \
                    within.get("verdict") == "confirmed":
                results[other]["alone"] = results[other]["verdict"]
                results[other]["verdict"] = "confirmed with the others"
                results[other]["with_the_others"] = within


def _masked(entry):
    """Another fault decides this comparison: both arms diverge, or the remedied one does.

    A remedy that gives a broken run more steps (a smaller batch) can make it
    diverge sooner through the other fault; judged alone it looks harmful.
    """
    if entry.get("verdict") == "not enough alone":
        return True
    after = (entry.get("per_seed") or {}).get("after") or []
    before = (entry.get("per_seed") or {}).get("before") or []
    return entry.get("verdict") in ("harmful", "no effect") and any(
        not math.isfinite(v) for v in after) and all(map(math.isfinite, before))


# apply_fixes ----------------------------------------------------------------------------

class Change(str):
    """One change `apply_fixes` made or lists (a str: its code-level line).

    Attributes:
        code: the finding's code.
        remedy: the remedy's name.
        in_model: whether the returned model carries it (else it is a change
            to the data or to the `fit` call, for the user to make).
    """

    def __new__(cls, line, *, code, remedy, in_model):
        self = super().__new__(cls, line)
        self.code, self.remedy, self.in_model = code, remedy, in_model
        return self


@guarded
def apply_fixes(report, model, x=None, y=None, *, codes=None,
                confirmed_only: bool = True, seed: int = 0):
    """A repaired, compiled copy of `model` and the list of changes.

    Applies the remedy of every finding of `report` that has one (see
    `kerasdoc.remedies`), in the report's order, to one copy. Findings that
    `verify` judged `no effect`, `harmful`, `not applicable` or `failed` are
    left out when `confirmed_only`. Remedies that change the data or the
    `fit` call (class weights, shuffling, standardised targets, dropped
    leaked samples) cannot live in a model: they are listed with
    `in_model=False` for the user to make. The user's model, data and
    global random state are left exactly as they were.

    Args:
        report: a `kerasdoc.Report` (verified or not).
        model: the compiled model the report is about (never changed).
        x: training inputs, for remedies that read them (a Normalization
            adapted on them, ...). Defaults to `None`: those are skipped.
        y: training targets, for remedies that read them (for several
            outputs, a dict by output name or a list). Defaults to `None`.
        codes: only findings with these codes. Defaults to `None` (all).
        confirmed_only: skip findings whose verification did not confirm
            their remedy. Defaults to `True`.
        seed: seed of the remedies' random draws. Defaults to `0`.

    Returns:
        `(model copy compiled with the repaired settings, [Change, ...])`;
        each `Change` is its code-level line, with `.code`, `.remedy` and
        `.in_model`.

    Example:

    >>> fixed, changes = kerasdoc.apply_fixes(report, model, x, y)  # doctest: +SKIP
    >>> print("\\n".join(changes))                                 # doctest: +SKIP
    """
    from kerasdoc.findings import Report
    from kerasdoc.probes._common import preserved_global_rng
    from kerasdoc.remedies import NotApplicable, TrainingSetup, apply_remedy

    if not isinstance(report, Report):
        raise InvalidTypeError(f"`report` must be a kerasdoc.Report. {received('report', report)}")
    check_model(model)
    if not isinstance(confirmed_only, bool):
        raise InvalidTypeError(
            f"`confirmed_only` must be True or False. {received('confirmed_only', confirmed_only)}")
    seed = check_int(seed, "seed", minimum=0)
    if codes is not None:
        codes = {codes} if isinstance(codes, str) else set(codes)
    if x is not None and y is not None:
        from kerasdoc.remedies import check_arrays

        if len(getattr(model, "outputs", None) or []) > 1 and _several(y):
            x, y = _take(x, slice(None)), _take(y, slice(None))  # one array per output
        else:
            x, y = check_arrays(x, y)
    changes = []
    with preserved_global_rng():
        setup = TrainingSetup.from_user(model, x, y)
        for _, finding, remedy in _candidates(report, codes):
            verdict = (finding.verified or {}).get("verdict")
            if confirmed_only and verdict is not None and verdict not in (
                    "confirmed", "confirmed with the others", "not verified"):
                continue
            try:
                _, lines = apply_remedy(remedy, setup, finding, seed=seed, in_place=True)
            except NotApplicable:
                continue
            changes.extend(Change(line, code=finding.code, remedy=remedy.name,
                                  in_model=remedy.carried_by_model) for line in lines)
        fixed = setup.compiled()
    return fixed, changes
