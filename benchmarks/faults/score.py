"""Score kerasdoc on the fault gallery: recall on broken programs, false alarms on healthy twins.

Every case's broken program and healthy twin run through `kerasdoc.diagnose`
(or, for the two `preprocess.*` codes, `kerasdoc.check_preprocessing`, since
`diagnose` is not given the preprocessing pipeline by design; and for
`train.sharpness_unstable`, `model.fit` with a `Doctor(sharpness_every=...)`,
since the sharpness estimate is opt-in and `diagnose` does not turn it on).
A broken
program counts as detected if its report holds the case's code (also as a
symptom folded into its root cause, see `kerasdoc._causes`); "at expected
severity" also requires the catalogue severity the case names. A false alarm
is any warning or error on the healthy twin (codes the twin legitimately
carries, listed in `Program.tolerated`, excepted), or a crash.

`--focused` (implied by `--fast`, the test suite's mode) runs only the
`diagnose` part that owns each case's code (data, model, preprocessing or
training; a probe.* case runs its one probe through `sanity_check`), so
false alarms are then counted within that part.

Usage:

    python -m benchmarks.faults.score            # every case
    python -m benchmarks.faults.score --fast     # the quick subset, focused parts
    python -m benchmarks.faults.score --case model.zero_init --json out.json

The last line sums it up: `recall=..., false_alarms=.../...`.
"""

import argparse
import dataclasses
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import List, Optional, Tuple

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

ALARM_SEVERITIES = ("warning", "error")

# With `focused=True`, diagnose runs only the part that owns the case's code,
# and a probe.* case runs only its own probe through `sanity_check`.
PARTS_BY_AREA = {"data": ("data",), "preprocess": ("preprocessing",), "model": ("model",),
                 "optim": ("model",), "probe": ("probes",), "train": ("training",)}
PROBE_OF_CODE = {"probe.initial_loss": "initial_loss", "probe.batch_mixing": "batch_mixing",
                 "probe.gradient_check": "gradient_check",
                 "probe.cannot_overfit_batch": "overfit_batch",
                 "probe.input_independent": "input_independence",
                 "probe.learning_rate": "lr_range_test"}


@dataclasses.dataclass
class Outcome:
    """One program's run: the findings as (code, severity) pairs, or the crash."""

    findings: Tuple[Tuple[str, str], ...] = ()
    crash: Optional[str] = None
    seconds: float = 0.0
    failed_parts: Tuple[str, ...] = ()  # parts the entry point skipped because they raised

    def severities(self, code):
        return sorted({s for c, s in self.findings if c == code})


@dataclasses.dataclass
class CaseResult:
    """The scored outcome of one fault case (broken program and healthy twin)."""

    name: str
    code: str
    expected: Tuple[str, ...]
    entry: str
    broken: Outcome
    healthy: Outcome
    tolerated: Tuple[str, ...] = ()

    @property
    def detected(self):
        return bool(self.broken.severities(self.code))

    @property
    def detected_expected(self):
        return any(s in self.expected for s in self.broken.severities(self.code))

    @property
    def false_alarms(self):
        """Warning/error codes on the healthy twin (plus `crash`), tolerated codes excepted."""
        alarms = sorted({c for c, s in self.healthy.findings
                         if s in ALARM_SEVERITIES and c not in self.tolerated})
        return alarms + (["crash"] if self.healthy.crash else [])

    def to_dict(self):
        out = dataclasses.asdict(self)
        out.update(detected=self.detected, detected_expected=self.detected_expected,
                   false_alarms=self.false_alarms)
        return out


def _seed():
    import numpy as np
    import keras

    np.random.seed(0)
    keras.utils.set_random_seed(0)


def run_entry(program, *, budget_s=None, parts=None):
    """Run `program` through its kerasdoc entry point; return the `Report`.

    `parts` (diagnose only) restricts `diagnose` to those parts.
    """
    import kerasdoc

    _seed()
    model = program.model_fn()
    x_val, y_val = program.validation_data or (None, None)
    if program.entry == "diagnose":
        options = dict(program.extra)
        if budget_s is not None:
            options["budget_s"] = budget_s
        if parts is not None:
            options["parts"] = parts
        return kerasdoc.diagnose(
            model, program.x, program.y, validation_data=program.validation_data,
            batch_size=program.batch_size, epochs=program.epochs,
            class_names=program.class_names, **options)
    if program.entry == "fit":  # the Doctor on the user's own fit (options diagnose lacks)
        doctor = kerasdoc.Doctor(**program.extra)
        model.fit(program.x, program.y, validation_data=program.validation_data,
                  batch_size=program.batch_size, epochs=program.epochs, verbose=0,
                  callbacks=[doctor])
        return doctor.report
    if program.entry == "check_preprocessing":
        return kerasdoc.check_preprocessing(model, program.x, **program.extra)
    if program.entry == "check_data":
        return kerasdoc.check_data(program.x, program.y, x_test=x_val, y_test=y_val,
                                   **program.extra)
    if program.entry == "audit_model":
        return kerasdoc.audit_model(model, x=program.x, y=program.y,
                                    batch_size=program.batch_size)
    return kerasdoc.sanity_check(model, program.x, program.y,
                                 batch_size=program.batch_size, **program.extra)


def run_program(program, *, budget_s=None, parts=None):
    """Run one program, timing it and catching (recording) any exception."""
    start = time.perf_counter()
    try:
        report = run_entry(program, budget_s=budget_s, parts=parts)
    except Exception as exc:  # a crash is a result: recorded, scored, reported
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        return Outcome(crash=f"{type(exc).__name__} at {where}: {str(exc)[:300]}",
                       seconds=time.perf_counter() - start)
    # A symptom that diagnose folded into its root cause was still detected,
    # at its own severity (kept in the cause's evidence["symptoms"]).
    findings = tuple((f.code, str(f.severity)) for f in report) + tuple(
        (s["code"], s["severity"]) for f in report
        for s in f.evidence.get("symptoms", ()))
    failed = tuple(f"{part}: {why}" for part, why in getattr(report, "skipped", {}).items()
                   if "failed" in str(why)) + tuple(
        f"{name}: failed with {info['type']}: {info['message']}"
        for name, info in getattr(report, "failed", {}).items())
    return Outcome(findings=findings, seconds=time.perf_counter() - start,
                   failed_parts=failed)


def run_case(fault_case, *, budget_s=None, focused=False):
    """Run a `FaultCase`'s broken program and healthy twin; return a `CaseResult`.

    Args:
        fault_case: the `FaultCase`.
        budget_s: `budget_s` for `diagnose` (its own default if `None`).
        focused: run only the `diagnose` part that owns the case's code (the
            quick mode of the test suite); false alarms are then counted
            within that part only. Defaults to `False` (every part).
    """
    parts = PARTS_BY_AREA[fault_case.code.split(".")[0]] if focused else None
    broken_program, healthy_program = fault_case.broken(), fault_case.healthy()
    if focused and fault_case.code in PROBE_OF_CODE and broken_program.entry == "diagnose":
        only = {"checks": (PROBE_OF_CODE[fault_case.code],)}
        broken_program = dataclasses.replace(broken_program, entry="sanity_check", extra=only)
        healthy_program = dataclasses.replace(healthy_program, entry="sanity_check", extra=only)
    broken = run_program(broken_program, budget_s=budget_s, parts=parts)
    healthy = run_program(healthy_program, budget_s=budget_s, parts=parts)
    return CaseResult(name=fault_case.name, code=fault_case.code,
                      expected=fault_case.severities, entry=broken_program.entry,
                      broken=broken, healthy=healthy,
                      tolerated=tuple(sorted(healthy_program.tolerated)))


def score(cases, *, budget_s=None, focused=False, progress=None) -> List[CaseResult]:
    """Run every case in `cases` (an iterable of `FaultCase`), in order."""
    results = []
    for fault_case in cases:
        result = run_case(fault_case, budget_s=budget_s, focused=focused)
        results.append(result)
        if progress is not None:
            progress(format_row(result))
    return results


def _mark(flag):
    return "yes" if flag else "NO"


HEADER = (f"{'case':<46} {'entry':<19} {'expected':<13} {'found as':<14} "
          f"{'at sev.':>7} {'any':>4}  {'s/case':>6}  false alarms on twin")


def format_row(result):
    """One table row; `s/case` is the broken program's plus the twin's seconds."""
    found = ",".join(result.broken.severities(result.code)) or (
        "crash" if result.broken.crash else "-")
    alarms = ", ".join(result.false_alarms) or "-"
    seconds = result.broken.seconds + result.healthy.seconds
    return (f"{result.name:<46} {result.entry:<19} {'/'.join(result.expected):<13} "
            f"{found:<14} {_mark(result.detected_expected):>7} "
            f"{_mark(result.detected):>4}  {seconds:6.1f}  {alarms}")


def summary_line(results):
    n = len(results)
    hit = sum(r.detected for r in results)
    exact = sum(r.detected_expected for r in results)
    alarms = sum(bool(r.false_alarms) for r in results)
    ratio = hit / n if n else 0.0
    return (f"recall={hit}/{n} ({ratio:.2f}), at_expected_severity={exact}/{n}, "
            f"false_alarms={alarms}/{n}")


def format_report(results):
    """The full table: one row per case, per-area totals, crashes, then the summary line."""
    lines = [HEADER, "-" * len(HEADER)]
    lines += [format_row(r) for r in results]
    lines.append("")
    areas = {}
    for r in results:
        areas.setdefault(r.code.split(".")[0], []).append(r)
    for area, rows in areas.items():
        seconds = sum(r.broken.seconds + r.healthy.seconds for r in rows) / len(rows)
        lines.append(
            f"{area + '.*':<12} cases={len(rows):<3} detected={sum(r.detected for r in rows):<3}"
            f" at_expected={sum(r.detected_expected for r in rows):<3}"
            f" false_alarms={sum(bool(r.false_alarms) for r in rows):<3}"
            f" s/case={seconds:.1f}")
    crashes = [(r.name, kind, o.crash) for r in results
               for kind, o in (("broken", r.broken), ("healthy", r.healthy)) if o.crash]
    if crashes:
        lines.append("")
        lines += [f"crash: {name} ({kind}): {text}" for name, kind, text in crashes]
    failures = [(r.name, kind, part) for r in results
                for kind, o in (("broken", r.broken), ("healthy", r.healthy))
                for part in o.failed_parts]
    if failures:
        lines.append("")
        lines += [f"part failed: {name} ({kind}): {text.splitlines()[0][:200]}"
                  for name, kind, text in failures]
    total = sum(r.broken.seconds + r.healthy.seconds for r in results)
    lines.append("")
    lines.append(f"total {total:.0f} s for {len(results)} cases")
    lines.append(summary_line(results))
    return "\n".join(lines)


def _select(args):
    from benchmarks.faults.cases import CASES

    chosen = [c for c in CASES.values() if c.fast] if args.fast else list(CASES.values())
    if args.case:
        unknown = sorted(set(args.case) - set(CASES))
        if unknown:
            raise SystemExit(f"unknown case(s): {', '.join(unknown)}")
        chosen = [CASES[name] for name in args.case]
    if args.code:
        chosen = [c for c in chosen if any(c.code.startswith(p) for p in args.code)]
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults.score",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true",
                        help="run only the quick subset, focused (implies --focused)")
    parser.add_argument("--focused", action="store_true",
                        help="run only the diagnose part that owns each case's code")
    parser.add_argument("--case", action="append", help="run this case (repeatable)")
    parser.add_argument("--code", action="append",
                        help="run cases whose code starts with this prefix (repeatable)")
    parser.add_argument("--budget", type=float, default=None,
                        help="budget_s passed to kerasdoc.diagnose")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    cases = _select(args)
    print(HEADER, file=sys.stderr)
    results = score(cases, budget_s=args.budget, focused=args.fast or args.focused,
                    progress=lambda row: print(row, file=sys.stderr, flush=True))
    print(format_report(results))
    if args.json:
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps([r.to_dict() for r in results], indent=2))
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
