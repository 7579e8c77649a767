"""Score kerasdoc on the real-world corpus: quiet on healthy programs, right on buggy ones.

Every program in `benchmarks/realworld/programs/` runs through
`kerasdoc.diagnose(model, x, y, validation_data=..., batch_size=...,
epochs=..., **diagnose_kwargs)` with diagnose's defaults, exactly as a user
would call it (with the `class_weight` / `sample_weight` the program gives
`fit`, which diagnose takes as fit does). Inputs diagnose cannot take yet
(dicts, `tf.data`, ...) are recorded as a crash with the error: the scorer
never adapts a program to the tool.

Scoring rules:

- **Alarm**: a top-level finding at warning or error (what the user sees
  first). On a healthy program any alarm, crash, or part or check of
  diagnose that failed (`Report.failed`) counts against kerasdoc.
- **Recall** (buggy programs): the program's report holds one of its
  `EXPECTED` codes at warning or error, as a top-level finding or as a
  symptom folded into one (`evidence["symptoms"]`, at its own severity).
- **Finding-level precision** (buggy programs): over every program, the
  share of distinct top-level warning/error codes that are in the
  program's `EXPECTED`.
- **Learning check** (`learned`): a fresh model from `model_fn` is evaluated
  (on the training data) before and after a plain `fit` with the program's
  own settings and `fit_kwargs`. It learned when both hold:
  1. the loss fell to at most `LOSS_RATIO` (0.7) of its start, and
  2. the task score on the validation data (the training data if none) is
     well above chance: for each output, classification accuracy
     (softmax outputs, sparse or one-hot targets) at least chance plus
     `ABOVE_CHANCE` (0.25) of the way from chance (the majority-class share)
     to 1; ROC AUC >= 0.75 for 0/1 targets (binary and multi-label,
     probabilities or logits); R^2 >= 0.3 otherwise (regression,
     forecasting, reconstruction, soft targets in [0, 1]; a one-unit output
     whose loss has `from_logits=True` is passed through a sigmoid first).
     A model with several outputs must pass on each.
  For a buggy program, `fixed_better` says whether its fixed version's task
  score beats the broken one's by at least 0.02 (a NaN score loses).

Usage:

    python -m benchmarks.realworld.score              # every program
    python -m benchmarks.realworld.score --fast       # the FAST slice
    python -m benchmarks.realworld.score --only mnist_convnet --json out.json
    python -m benchmarks.realworld.score --healthy    # or --buggy
    python -m benchmarks.realworld.score --no-learn   # skip the learning check
    python -m benchmarks.realworld.score --learn-only # only the learning check
    python -m benchmarks.realworld.score --report a.json b.json  # merge earlier runs
"""

import argparse
import dataclasses
import inspect
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Dict, List, Optional, Tuple

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

ALARM_SEVERITIES = ("warning", "error")
LOSS_RATIO = 0.7
ABOVE_CHANCE = 0.25
MIN_AUC = 0.75
MIN_R2 = 0.3
FIXED_MARGIN = 0.02
LEARN_ONLY = "not run (--learn-only)"


@dataclasses.dataclass
class Learning:
    """A plain fit of a fresh model: loss before/after and the task score per output."""

    loss_before: float = float("nan")
    loss_after: float = float("nan")
    scores: Tuple[Tuple[str, str, float, float], ...] = ()  # (output, metric, value, needed)
    seconds: float = 0.0
    error: Optional[str] = None

    @property
    def loss_fell(self):
        return (math.isfinite(self.loss_after) and math.isfinite(self.loss_before)
                and self.loss_after <= LOSS_RATIO * self.loss_before)

    @property
    def above_chance(self):
        return bool(self.scores) and all(
            math.isfinite(v) and v >= need for _, _, v, need in self.scores)

    @property
    def learned(self):
        return self.error is None and self.loss_fell and self.above_chance

    @property
    def score(self):
        """The worst output's task score (NaN counts as -inf)."""
        values = [v if math.isfinite(v) else -math.inf for _, _, v, _ in self.scores]
        return min(values) if values else -math.inf

    def summary(self):
        if self.error:
            return f"error: {self.error}"
        parts = [f"loss {self.loss_before:.3g}->{self.loss_after:.3g}"]
        parts += [f"{name + ' ' if name else ''}{metric} {value:.3f} (need {need:.3f})"
                  for name, metric, value, need in self.scores]
        return ", ".join(parts)


@dataclasses.dataclass
class Result:
    """One program's scored run."""

    name: str
    source: str
    kind: str
    healthy: bool
    expected: Tuple[str, ...] = ()
    findings: Tuple[Tuple[str, str], ...] = ()  # top-level (code, severity)
    symptoms: Tuple[Tuple[str, str], ...] = ()  # folded into a top-level finding
    crash: Optional[str] = None
    failed_parts: Tuple[str, ...] = ()
    skipped: Dict[str, str] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    learning: Optional[Learning] = None
    learning_fixed: Optional[Learning] = None

    @property
    def alarms(self):
        """Distinct warning/error codes reported at the top level."""
        return sorted({c for c, s in self.findings if s in ALARM_SEVERITIES})

    @property
    def false_alarms(self):
        """On a healthy program: every alarm, plus `crash` / `failed:<part>`."""
        if not self.healthy:
            return []
        return (self.alarms + (["crash"] if self.crash else [])
                + [f"failed:{p.split(':')[0]}" for p in self.failed_parts])

    @property
    def detected(self):
        """A buggy program's report holds an EXPECTED code at warning/error."""
        return any(c in self.expected and s in ALARM_SEVERITIES
                   for c, s in self.findings + self.symptoms)

    @property
    def relevant(self):
        return [c for c in self.alarms if c in self.expected]

    @property
    def fixed_better(self):
        if self.healthy or self.learning is None or self.learning_fixed is None:
            return None
        return self.learning_fixed.score >= self.learning.score + FIXED_MARGIN

    def to_dict(self):
        out = dataclasses.asdict(self)
        out.update(alarms=self.alarms, false_alarms=self.false_alarms,
                   detected=self.detected, relevant=self.relevant,
                   fixed_better=self.fixed_better)
        for key in ("learning", "learning_fixed"):
            if getattr(self, key) is not None:
                out[key].update(learned=getattr(self, key).learned)
        return out


def default_budget_s():
    """`diagnose`'s own default `budget_s` (the scorer never overrides it)."""
    import kerasdoc

    return inspect.signature(kerasdoc.diagnose).parameters["budget_s"].default


def _seed(seed=0):
    import keras
    import numpy as np

    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def _where(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    where = f" at {Path(last.filename).name}:{last.lineno}" if last else ""
    return f"{type(exc).__name__}{where}: {str(exc)[:300]}"


def run_diagnose(program, budget_s=None):
    """`diagnose` on `program` as a user calls it; returns (report, seconds) or raises.

    `budget_s=None` keeps diagnose's own default (the scorer's runs); the
    test suite passes a smaller one to run the same path in less time.
    """
    import kerasdoc

    _seed(program.seed)
    model = program.model_fn()
    start = time.perf_counter()
    # The weights a program gives fit, diagnose takes as fit does: a user
    # passes them to both (an imbalance class_weight compensates is no alarm).
    weights = {k: v for k, v in program.fit_kwargs.items()
               if k in ("class_weight", "sample_weight")}
    report = kerasdoc.diagnose(model, program.x, program.y,
                               validation_data=program.validation_data,
                               batch_size=program.batch_size, epochs=program.epochs,
                               **{**weights, **program.diagnose_kwargs},
                               **({} if budget_s is None else {"budget_s": budget_s}))
    return report, time.perf_counter() - start


# --- the learning check -----------------------------------------------------------

def _as_numpy(value):
    import numpy as np

    if isinstance(value, dict):
        return {k: _as_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_numpy(v) for v in value]
    return np.asarray(value)


def _split_xy(data):
    """`(x, y)` of validation data or of a dataset yielding (x, y[, w])."""
    import numpy as np

    if isinstance(data, (tuple, list)):
        return data[0], data[1]
    # A tf.data.Dataset (or any iterable of batches): gather the targets.
    xs, ys = [], []
    for batch in data:
        xs.append(batch[0])
        ys.append(batch[1])

    def cat(parts):
        first = parts[0]
        if isinstance(first, dict):
            return {k: cat([p[k] for p in parts]) for k in first}
        if isinstance(first, (list, tuple)):
            return [cat([p[i] for p in parts]) for i in range(len(first))]
        return np.concatenate([np.asarray(p) for p in parts])

    return cat(xs), cat(ys)


def _pairs(pred, y, output_names):
    """Match predictions to targets output by output: [(name, pred, y)]."""
    if isinstance(pred, dict):
        if isinstance(y, dict):
            return [(k, pred[k], y[k]) for k in pred if k in y]
        return [(k, pred[k], yy) for k, yy in zip(pred, y)]
    if isinstance(pred, (list, tuple)):
        if isinstance(y, dict):
            return [(n, p, y[n]) for n, p in zip(output_names, pred) if n in y]
        return [(n, p, yy) for n, p, yy in zip(output_names, pred, y)]
    return [("", pred, y)]


def task_score(pred, y):
    """(metric name, value, needed) for one output; see the module docstring."""
    import numpy as np

    pred = np.asarray(pred, dtype="float64")
    y = np.asarray(y)
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        width = pred.shape[-1]
        if y.shape == pred.shape and np.all((y == 0) | (y == 1)):
            if np.allclose(y.sum(-1), 1):  # one-hot
                labels = y.argmax(-1).ravel()
            else:  # multi-label
                return "auc", _auc(pred, y), MIN_AUC
        elif (y.size * width == pred.size and np.issubdtype(y.dtype, np.number)
              and np.all(np.mod(y, 1) == 0) and y.min() >= 0 and y.max() < width):
            labels = y.astype("int64").ravel()
        else:
            return "r2", _r2(pred, y), MIN_R2
        guess = pred.reshape(-1, width).argmax(-1)
        accuracy = float(np.mean(guess == labels))
        chance = float(np.bincount(labels, minlength=width).max() / len(labels))
        return "accuracy", accuracy, chance + ABOVE_CHANCE * (1 - chance)
    if y.size == pred.size and np.all((y == 0) | (y == 1)):
        return "auc", _auc(pred.reshape(y.shape), y), MIN_AUC
    return "r2", _r2(pred, y), MIN_R2


def _auc(pred, y):
    import numpy as np
    from sklearn.metrics import roc_auc_score

    pred = pred.reshape(len(pred), -1)
    y = y.reshape(len(y), -1)
    if not np.all(np.isfinite(pred)):
        return float("nan")
    keep = [j for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
    if not keep:
        return float("nan")
    return float(np.mean([roc_auc_score(y[:, j], pred[:, j]) for j in keep]))


def _r2(pred, y):
    import numpy as np

    y = np.asarray(y, dtype="float64")
    pred = np.asarray(pred, dtype="float64").reshape(y.shape)
    if not np.all(np.isfinite(pred)):
        return float("nan")
    y2 = y.reshape(len(y), -1)
    p2 = pred.reshape(len(y), -1)
    residual = np.sum((y2 - p2) ** 2)
    total = np.sum((y2 - y2.mean(0)) ** 2)
    return float(1 - residual / total) if total > 0 else float("nan")


def _from_logits(model, name, names):
    """Whether the loss compiled for output `name` takes logits (`from_logits=True`)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        loss = loss.get(name)
    elif isinstance(loss, (list, tuple)):
        loss = loss[names.index(name)] if name in names and len(loss) == len(names) else None
    return bool(getattr(loss, "from_logits", False))


def _loss(model, x, y, batch_size):
    result = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    return float(result["loss"])


def check_learning(program):
    """Fit a fresh model as the program does; return a `Learning`."""
    import numpy as np

    start = time.perf_counter()
    out = Learning()
    try:
        _seed(program.seed)
        model = program.model_fn()
        eval_batch = program.batch_size or 32
        train_y = program.y
        out.loss_before = _loss(model, program.x, train_y, eval_batch if train_y is not None
                                else None)
        model.fit(program.x, program.y, validation_data=program.validation_data,
                  batch_size=program.batch_size, epochs=program.epochs, verbose=0,
                  **program.fit_kwargs)
        out.loss_after = _loss(model, program.x, train_y, eval_batch if train_y is not None
                               else None)
        if program.validation_data is not None:
            x_eval, y_eval = _split_xy(program.validation_data)
        elif program.y is not None:
            x_eval, y_eval = program.x, program.y
        else:
            x_eval, y_eval = _split_xy(program.x)
        pred = model.predict(x_eval, batch_size=256, verbose=0)
        names = list(getattr(model, "output_names", None) or [])
        scores = []
        for name, p, yy in _pairs(_as_numpy(pred), _as_numpy(y_eval), names):
            if _from_logits(model, name, names) and np.asarray(p).shape[-1:] == (1,):
                p = 1 / (1 + np.exp(-np.asarray(p, dtype="float64")))  # scores, not logits
            metric, value, need = task_score(p, yy)
            scores.append((name, metric, value, need))
        out.scores = tuple(scores)
        if not np.isfinite(out.loss_after):
            out.scores = tuple((n, m, float("nan"), need) for n, m, _, need in out.scores)
    except Exception as exc:
        out.error = _where(exc)
    out.seconds = time.perf_counter() - start
    return out


# --- running ------------------------------------------------------------------------

class _NotRun(Exception):
    """diagnose skipped on purpose (--learn-only)."""


def run_one(name, module, *, learn=True, diagnose=True, budget_s=None):
    """Run program `name` (its module): diagnose, then the learning check(s).

    `budget_s` is handed to `run_diagnose` (None: diagnose's default).
    """
    result = Result(name=name, source=module.SOURCE, kind=module.KIND,
                    healthy=bool(module.HEALTHY),
                    expected=tuple(getattr(module, "EXPECTED", ()) or ()))
    try:
        program = module.build(fixed=False)
    except Exception as exc:
        result.crash = "build: " + _where(exc)
        return result
    start = time.perf_counter()
    try:
        if not diagnose:
            raise _NotRun()
        report, result.seconds = run_diagnose(program, budget_s)
    except _NotRun:
        result.crash = LEARN_ONLY
    except Exception as exc:  # a crash is a result, recorded and scored
        result.seconds = time.perf_counter() - start
        result.crash = _where(exc)
    else:
        result.findings = tuple((f.code, str(f.severity)) for f in report)
        result.symptoms = tuple((s["code"], str(s["severity"])) for f in report
                                for s in f.evidence.get("symptoms", ()))
        result.skipped = {k: str(v) for k, v in getattr(report, "skipped", {}).items()}
        failed = dict(getattr(report, "failed", {}) or {})
        result.failed_parts = tuple(
            f"{k}: {v.get('type', '')}: {str(v.get('message', ''))[:200]}"
            for k, v in failed.items()) + tuple(
            f"{k}: {v}" for k, v in result.skipped.items()
            if k not in failed and str(v).startswith("failed"))
    if learn:
        result.learning = check_learning(program)
        if not result.healthy:
            try:
                fixed = module.build(fixed=True)
            except Exception as exc:
                result.learning_fixed = Learning(error="build(fixed=True): " + _where(exc))
            else:
                result.learning_fixed = check_learning(fixed)
    return result


def select(names, *, only=None, fast=False, healthy=None):
    """The program names to run, in order, from the registry."""
    from benchmarks.realworld import programs

    chosen = []
    if only:  # in the order asked for
        names = [name for name in only if name in names]
    for name in names:
        module = programs.load(name)
        if fast and not getattr(module, "FAST", False):
            continue
        if healthy is not None and bool(module.HEALTHY) != healthy:
            continue
        chosen.append((name, module))
    return chosen


def format_row(r):
    tag = "H" if r.healthy else "B"
    shown = ", ".join(f"{c}({s[0]})" for c, s in dict.fromkeys(r.findings)
                      if s in ALARM_SEVERITIES)
    infos = sum(1 for _, s in r.findings if s not in ALARM_SEVERITIES)
    if r.crash:
        shown = f"CRASH {r.crash}"
    elif r.failed_parts:
        shown += ("; " if shown else "") + "FAILED " + "; ".join(r.failed_parts)
    learned = "-" if r.learning is None else ("yes" if r.learning.learned else "NO")
    extra = ""
    if not r.healthy:
        extra = f" detected={'yes' if r.detected else 'NO'}"
        if r.fixed_better is not None:
            extra += f" fixed_better={'yes' if r.fixed_better else 'NO'}"
    return (f"[{tag}] {r.name:<28} {r.kind:<18} {r.seconds:6.1f}s learned={learned}{extra} "
            f"| {shown or 'quiet'}{f' (+{infos} info)' if infos else ''}")


def summarize(results, budget_s=None):
    """The summary lines (a list of strings) and the figures (a dict)."""
    not_run = [r for r in results if r.crash == LEARN_ONLY]
    results = [r for r in results if r.crash != LEARN_ONLY]
    healthy = [r for r in results if r.healthy]
    buggy = [r for r in results if not r.healthy]
    alarmed = [r for r in healthy if r.alarms]
    crashed = [r for r in results if r.crash]
    failed = [r for r in results if r.failed_parts]
    not_learned = [r for r in healthy if r.learning is not None and not r.learning.learned]
    detected = [r for r in buggy if r.detected]
    reported = sum(len(r.alarms) for r in buggy)
    relevant = sum(len(r.relevant) for r in buggy)
    timed = [r for r in results if not r.crash]
    slowest = max(timed, key=lambda r: r.seconds) if timed else None
    figures = {
        "healthy": len(healthy), "healthy_alarmed": len(alarmed),
        "healthy_crashed": sum(1 for r in healthy if r.crash),
        "healthy_failed_parts": sum(1 for r in healthy if r.failed_parts),
        "healthy_not_learned": len(not_learned),
        "buggy": len(buggy), "buggy_detected": len(detected),
        "recall": len(detected) / len(buggy) if buggy else None,
        "reported_codes": reported, "relevant_codes": relevant,
        "precision": relevant / reported if reported else None,
        "crashes": len(crashed), "failed_parts": len(failed),
        "slowest": slowest.name if slowest else None,
        "slowest_s": slowest.seconds if slowest else None, "budget_s": budget_s,
    }
    lines = [
        f"healthy: {len(alarmed)}/{len(healthy)} with a warning or error"
        + (f" ({', '.join(r.name for r in alarmed)})" if alarmed else ""),
        f"healthy: {figures['healthy_crashed']} crashed, {figures['healthy_failed_parts']} "
        f"with a failed part, {len(not_learned)} did not learn"
        + (f" ({', '.join(r.name for r in not_learned)})" if not_learned else ""),
    ]
    if buggy:
        lines.append(f"buggy: recall at warning/error {len(detected)}/{len(buggy)}"
                     f" = {figures['recall']:.2f}")
        precision = "n/a" if figures["precision"] is None else f"{figures['precision']:.2f}"
        lines.append(f"buggy: finding-level precision {relevant}/{reported} = {precision}")
        lines.append("  program                      expected                       "
                     "reported (warning/error)             relevant")
        for r in buggy:
            lines.append(f"  {r.name:<28} {','.join(r.expected):<30} "
                         f"{','.join(r.alarms) or ('CRASH' if r.crash else '-'):<36} "
                         f"{len(r.relevant)}/{len(r.alarms)}")
        worse = [r.name for r in buggy if r.fixed_better is False]
        lines.append(f"buggy: fixed version trains better on "
                     f"{sum(1 for r in buggy if r.fixed_better)}/{len(buggy)}"
                     + (f" (not: {', '.join(worse)})" if worse else ""))
    if not_run:
        lines.append(f"not run through diagnose (--learn-only rows): "
                     f"{', '.join(r.name for r in not_run)}")
    lines.append(f"crashes: {len(crashed)}"
                 + (f" ({', '.join(r.name for r in crashed)})" if crashed else "")
                 + f"; failed parts: {len(failed)}"
                 + (f" ({', '.join(r.name for r in failed)})" if failed else ""))
    if slowest is not None:
        over = budget_s is not None and slowest.seconds > 1.1 * budget_s
        lines.append(f"slowest diagnose call: {slowest.name} {slowest.seconds:.1f} s "
                     f"(budget_s {budget_s}, +10% = {1.1 * budget_s if budget_s else None}"
                     f"{', OVER' if over else ''})")
    return lines, figures


def load_results(paths):
    """`Result`s read back from the JSON files of earlier runs (later files win per name)."""
    fields = {f.name for f in dataclasses.fields(Result)}
    learning_fields = {f.name for f in dataclasses.fields(Learning)}
    by_name = {}
    for path in paths:
        for row in json.loads(Path(path).read_text())["results"]:
            data = {k: v for k, v in row.items() if k in fields}
            for key in ("learning", "learning_fixed"):
                if data.get(key) is not None:
                    learned = {k: v for k, v in data[key].items() if k in learning_fields}
                    learned["scores"] = tuple(tuple(s) for s in learned.get("scores", ()))
                    data[key] = Learning(**learned)
            for key in ("expected", "findings", "symptoms", "failed_parts"):
                data[key] = tuple(tuple(v) if isinstance(v, list) else v
                                  for v in data.get(key, ()))
            result = Result(**data)
            earlier = by_name.get(result.name)
            if earlier is not None:
                # A --learn-only row adds its learning check to an earlier
                # diagnose row; a --no-learn row keeps the earlier learning.
                if result.crash == LEARN_ONLY:
                    result = dataclasses.replace(earlier, learning=result.learning,
                                                 learning_fixed=result.learning_fixed)
                elif result.learning is None:
                    result = dataclasses.replace(result, learning=earlier.learning,
                                                 learning_fixed=earlier.learning_fixed)
            by_name[result.name] = result
    # The programs' metadata as they are now (a program may have moved
    # between the healthy and buggy sets since the run).
    from benchmarks.realworld import programs

    known = set(programs.names())
    for name, result in list(by_name.items()):
        if name in known:
            module = programs.load(name)
            by_name[name] = dataclasses.replace(
                result, healthy=bool(module.HEALTHY), kind=module.KIND,
                source=module.SOURCE,
                expected=tuple(getattr(module, "EXPECTED", ()) or ()))
    return list(by_name.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="only the programs marked FAST")
    parser.add_argument("--only", nargs="+", help="only these program names")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--healthy", action="store_true", help="only healthy programs")
    group.add_argument("--buggy", action="store_true", help="only buggy programs")
    parser.add_argument("--no-learn", action="store_true", help="skip the learning check")
    parser.add_argument("--learn-only", action="store_true",
                        help="only the learning check (no diagnose; for porting)")
    parser.add_argument("--json", help="write every result to this JSON file")
    parser.add_argument("--report", nargs="+", metavar="JSON",
                        help="print the rows and summary of earlier --json runs "
                             "(merged by program name) instead of running")
    args = parser.parse_args(argv)
    if args.report:
        results = load_results(args.report)
        for result in results:
            print(format_row(result))
            if result.learning is not None and not result.learning.learned:
                print(f"      learning: {result.learning.summary()}")
        print()
        for line in summarize(results, default_budget_s())[0]:
            print(line)
        return 0

    from benchmarks.realworld import programs

    healthy = True if args.healthy else (False if args.buggy else None)
    chosen = select(programs.names(), only=args.only, fast=args.fast, healthy=healthy)
    if args.only:
        unknown = sorted(set(args.only) - set(programs.names()))
        if unknown:
            parser.error(f"unknown program(s): {unknown}")
    budget_s = default_budget_s()
    results = []
    for name, module in chosen:
        result = run_one(name, module, learn=not args.no_learn,
                         diagnose=not args.learn_only)
        results.append(result)
        print(format_row(result), flush=True)
        if result.learning is not None and not result.learning.learned:
            print(f"      learning: {result.learning.summary()}", flush=True)
        if args.json:  # written after every program, so a long run leaves its part
            _write_json(args.json, results, summarize(results, budget_s)[1])
    lines, figures = summarize(results, budget_s)
    print()
    for line in lines:
        print(line)
    if args.json:
        _write_json(args.json, results, figures)
    return 0


def _write_json(path, results, figures):
    Path(path).write_text(json.dumps(
        {"results": [r.to_dict() for r in results], "summary": figures},
        indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())
