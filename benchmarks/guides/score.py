"""Score the guides gallery: every part of `diagnose` runs, nothing alarms, the Doctor changes nothing.

For each program in `benchmarks/guides/programs/`:

1. `kerasdoc.diagnose(model_fn(), x, y, validation_data=..., batch_size=...,
   epochs=..., sample_weight=..., class_weight=...)`, as a user would call
   it. Recorded: the parts that ran, the parts not run with the reason,
   every failed part or check, and the findings by severity.
2. Two fresh copies of the program (same seeds, fresh streams) are fitted
   with the program's own `fit` arguments, one plain and one with
   `kerasdoc.Doctor()` attached. Every model weight and optimizer variable
   must be bitwise equal afterwards.

A program passes when the data, model, probes and training parts all ran
(preprocessing only runs for a `keras.applications` backbone), nothing
failed, no finding is at warning or error, and the weights are equal.

Usage:

    python -m benchmarks.guides.score                 # every program
    python -m benchmarks.guides.score --only autoencoder --only generator
    python -m benchmarks.guides.score --fast          # the FAST slice
    python -m benchmarks.guides.score --json out.json
"""

import argparse
import dataclasses
import json
import sys
import time
import traceback
from typing import Dict, List, Optional

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from benchmarks.guides import programs

REQUIRED_PARTS = ("data", "model", "probes", "training")
"""Parts that must run on every program (preprocessing needs a backbone)."""

_DIAGNOSE_FIT_ARGS = ("sample_weight", "class_weight", "steps_per_epoch")


@dataclasses.dataclass
class Result:
    """What the scorer saw on one program."""

    name: str
    pattern: str
    ran: List[str] = dataclasses.field(default_factory=list)
    not_run: Dict[str, str] = dataclasses.field(default_factory=dict)
    failed: Dict[str, str] = dataclasses.field(default_factory=dict)
    alarms: List[str] = dataclasses.field(default_factory=list)  # warning/error
    infos: List[str] = dataclasses.field(default_factory=list)
    kind_skips: Dict[str, str] = dataclasses.field(default_factory=dict)
    weights_equal: Optional[bool] = None
    doctor_notes: Dict[str, str] = dataclasses.field(default_factory=dict)
    doctor_findings: List[str] = dataclasses.field(default_factory=list)
    crash: Optional[str] = None
    seconds: float = 0.0

    @property
    def ok(self):
        return (self.crash is None and not self.failed
                and all(p in self.ran for p in REQUIRED_PARTS)
                and not self.alarms and self.weights_equal is True)


def run_diagnose(program, budget_s):
    import kerasdoc

    extra = {k: v for k, v in program.fit_kwargs.items() if k in _DIAGNOSE_FIT_ARGS}
    return kerasdoc.diagnose(program.model_fn(), program.x, program.y,
                             validation_data=program.validation_data,
                             batch_size=program.batch_size, epochs=program.epochs,
                             budget_s=budget_s, **extra, **program.diagnose_kwargs)


def fitted_state(module, doctor):
    """Weights and optimizer variables after the program's own `fit` (plain or with a Doctor)."""
    import keras

    import kerasdoc

    program = module.build()
    keras.utils.set_random_seed(0)
    model = program.model_fn()
    keras.utils.set_random_seed(1)
    callbacks = [kerasdoc.Doctor()] if doctor else []
    model.fit(program.x, program.y, validation_data=program.validation_data,
              batch_size=program.batch_size, epochs=program.epochs, verbose=0,
              callbacks=callbacks, **program.fit_kwargs)
    state = [np.asarray(v) for v in model.weights]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        state += [np.asarray(v) for v in optimizer.variables]
    return state, (callbacks[0] if callbacks else None)


def bitwise_equal(a, b):
    """Whether two lists of arrays hold the same bytes (NaNs compare by bits)."""
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()
        for x, y in zip(a, b))


def _kind_skip(reason):
    text = str(reason)
    return "input" in text and ("kind" in text or "token" in text or "string" in text)


def run_one(name, *, budget_s=None, weights=True):
    """Score the program `name`; never raises (a crash is recorded)."""
    import kerasdoc

    module = programs.load(name)
    result = Result(name=name, pattern=module.PATTERN)
    start = time.perf_counter()
    try:
        report = run_diagnose(module.build(), budget_s)
        result.ran = list(report.ran)
        from kerasdoc._diagnose import PARTS

        result.not_run = {p: str(report.skipped.get(p, report.failed.get(p, "")))
                          for p in PARTS if p not in report.ran}
        result.failed = {k: f"{v.get('type', '')}: {v.get('message', '')}"
                         if isinstance(v, dict) else str(v)
                         for k, v in report.failed.items()}
        for f in report:
            label = f"{f.code}" + (f" [{f.layer}]" if f.layer else "")
            if f.severity >= kerasdoc.Severity.WARNING:
                result.alarms.append(f"{label} ({f.severity.name.lower()}): {f.message}")
            else:
                result.infos.append(label)
        result.kind_skips = {k: str(v) for k, v in report.skipped.items()
                             if _kind_skip(v)}
        if weights:
            plain, _ = fitted_state(module, doctor=False)
            watched, doctor = fitted_state(module, doctor=True)
            result.weights_equal = bitwise_equal(plain, watched)
            dreport = doctor.report
            result.doctor_notes = {k: str(v) for k, v in dreport.skipped.items()
                                   if k in ("gradient statistics", "activation statistics",
                                            "first steps")}
            result.doctor_findings = [f"{f.code} ({f.severity.name.lower()})"
                                      for f in dreport]
            for k, v in dreport.failed.items():
                result.failed[f"Doctor/{k}"] = (f"{v.get('type', '')}: {v.get('message', '')}"
                                                if isinstance(v, dict) else str(v))
    except Exception as exc:  # a crash is a result, never hidden
        result.crash = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
    result.seconds = time.perf_counter() - start
    return result


def select(only=None, fast=False):
    names = programs.names()
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SystemExit(f"unknown program(s) {unknown}; known: {names}")
        names = [n for n in names if n in only]
    if fast:
        names = [n for n in names if getattr(programs.load(n), "FAST", False)]
    return names


def format_table(results):
    lines = ["| program | pattern | parts ran | not run (why) | failed | findings "
             "(warning+ / info) | weights with Doctor | s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        if r.crash:
            lines.append(f"| {r.name} | {r.pattern} | CRASH | | "
                         f"{r.crash.splitlines()[0][:120]} | | | {r.seconds:.0f} |")
            continue
        not_run = "; ".join(f"{p}: {why[:60]}" for p, why in r.not_run.items()) or "-"
        failed = "; ".join(f"{k}: {v[:80]}" for k, v in r.failed.items()) or "-"
        alarms = ", ".join(a.split(":")[0] for a in r.alarms) or "none"
        infos = ", ".join(sorted(set(r.infos))) or "none"
        equal = {True: "equal (bitwise)", False: "DIFFERENT", None: "not run"}[
            r.weights_equal]
        lines.append(f"| {r.name} | {r.pattern} | {', '.join(r.ran)} | {not_run} | "
                     f"{failed} | {alarms} / {infos} | {equal} | {r.seconds:.0f} |")
    passed = sum(r.ok for r in results)
    lines.append("")
    lines.append(f"{passed}/{len(results)} programs pass (required parts ran, nothing "
                 "failed, no warning or error, weights equal with the Doctor)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only this program (repeat)")
    parser.add_argument("--fast", action="store_true", help="only the FAST programs")
    parser.add_argument("--budget", type=float, default=None,
                        help="diagnose's budget_s (default: no limit, so that a loaded "
                             "machine does not skip parts)")
    parser.add_argument("--no-weights", action="store_true",
                        help="skip the Doctor weight-equality fits")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--verbose", action="store_true",
                        help="print every alarm, failure and crash in full")
    args = parser.parse_args(argv)
    results = []
    for name in select(args.only, args.fast):
        result = run_one(name, budget_s=args.budget, weights=not args.no_weights)
        print(f"{name}: {'ok' if result.ok else 'NOT OK'} in {result.seconds:.0f} s",
              file=sys.stderr, flush=True)
        if args.verbose and not result.ok:
            for line in result.alarms + [f"{k}: {v}" for k, v in result.failed.items()]:
                print(f"    {line}", file=sys.stderr)
            if result.crash:
                print(result.crash, file=sys.stderr)
        results.append(result)
    print(format_table(results))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([{**dataclasses.asdict(r), "ok": r.ok} for r in results], fh,
                      indent=1)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
