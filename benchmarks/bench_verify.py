"""What verifying a fix costs, and what it concludes on broken and healthy programs.

Two benchmarks (issue 14):

- ``cost``: verifying one finding (`kerasdoc.verify`, both arms, 3 seeds, its
  default 2-epoch runs) on the walkthrough baseline (the bundled FashionMNIST
  subset in `data/`, Flatten-Dense128-Dense10, here with the hidden kernel
  at zeros so there is a finding to verify) against one 5-epoch `fit` of the
  same program; interleaved rounds, wall and CPU time, as ratios. Run with
  and without stopping once the interval separates. The bar: <= 3x.
- ``table``: for each program, `diagnose` (data and model parts, plus probes
  or training for codes those parts own) then `verify` on every finding
  with a remedy; one row per finding: the remedy, validation loss before ->
  after, the 95% interval of the gain and the verdict. Programs: the fault
  gallery's broken programs and healthy twins (cases whose code has a
  remedy) and the real-world corpus's `bug_*` programs (and their
  `build(fixed=True)` twins with ``--healthy``; ``--force`` also verifies,
  on each healthy twin, the broken twin's findings as if they had fired
  there, which is what verification says of a false alarm). One program at a time;
  rows are appended to ``--out`` (JSON lines) as they come.

    python -m benchmarks.bench_verify cost --rounds 2
    python -m benchmarks.bench_verify table --gallery --healthy --out verify.jsonl
    python -m benchmarks.bench_verify table --realworld --only bug_at_raw_pixels
    python -m benchmarks.bench_verify summary verify.jsonl   # table + confirmation rate
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _walkthrough():
    from kerasdoc.data import load_subset

    s = load_subset(os.path.join(ROOT, "data"))
    return (s.x_train.astype("float32") / 255.0, s.y_train,
            s.x_test.astype("float32") / 255.0, s.y_test)


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start):
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def cost(rounds=2, seeds=3):
    """Interleaved: one 5-epoch fit, verify (all seeds), verify (stop early)."""
    import keras

    import kerasdoc
    from kerasdoc.examples import baseline_mlp

    x, y, xv, yv = _walkthrough()
    times = {"fit 5 epochs": [], "verify, 3 seeds": [], "verify, stop early": []}
    details = []
    for r in range(rounds):
        keras.utils.set_random_seed(r)
        model = baseline_mlp()
        start = _clock()
        model.fit(x, y, epochs=5, batch_size=32, validation_data=(xv, yv), verbose=0)
        times["fit 5 epochs"].append(_since(start))
        broken = baseline_mlp(kernel_initializer="zeros")
        report = kerasdoc.Report(
            kerasdoc.audit_model(broken, x=x, y=y).by_code("model.zero_init"))
        for label, stop in (("verify, 3 seeds", False), ("verify, stop early", True)):
            start = _clock()
            out = kerasdoc.verify(report, broken, x, y, validation_data=(xv, yv),
                                  seeds=seeds, stop_early=stop, seed=10 * r)
            times[label].append(_since(start))
            v = out[0].verified
            details.append((label, r, v["verdict"], v["seeds"], v["val_loss_before"],
                            v["val_loss_after"], v["ci95"]))
    base = np.mean([t[0] for t in times["fit 5 epochs"]])
    base_cpu = np.mean([t[1] for t in times["fit 5 epochs"]])
    print(f"walkthrough baseline, {rounds} interleaved rounds, load "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'':<22} {'wall s':>8} {'cpu s':>8} {'x fit wall':>10} {'x fit cpu':>9}")
    for label, values in times.items():
        wall = np.mean([t[0] for t in values])
        cpu = np.mean([t[1] for t in values])
        print(f"{label:<22} {wall:8.2f} {cpu:8.2f} {wall / base:10.2f} {cpu / base_cpu:9.2f}")
    for label, r, verdict, n, before, after, ci in details:
        print(f"  {label}, round {r}: {verdict}, {n} seeds, val loss {before:.3f} -> "
              f"{after:.3f}, CI {ci[0]:.3f} to {ci[1]:.3f}")


# The table ------------------------------------------------------------------------------

def _parts_for(code):
    parts = ["data", "model"]
    if code.startswith("probe."):
        parts.append("probes")
    if code.startswith("train."):
        parts.append("training")
    return tuple(parts)


def _rows(name, twin, program_kwargs, model, parts, seeds, budget_s, force=(),
          diagnose_budget_s=60.0):
    import kerasdoc

    x, y = program_kwargs["x"], program_kwargs["y"]
    val = program_kwargs.get("validation_data")
    batch = program_kwargs.get("batch_size") or 32
    start = time.perf_counter()
    report = kerasdoc.diagnose(model, x, y, validation_data=val, batch_size=batch,
                               epochs=program_kwargs.get("epochs") or 2, parts=parts,
                               budget_s=diagnose_budget_s, class_weight=program_kwargs.get(
                                   "class_weight"))
    diagnosed = time.perf_counter() - start
    forced = [f for f in force if f.code not in report.codes]
    if forced:  # the broken twin's findings, as if they had fired here (false alarms)
        report = report.merge(kerasdoc.Report(forced))
    start = time.perf_counter()
    out = kerasdoc.verify(report, model, x, y, validation_data=val, batch_size=batch,
                          seeds=seeds, budget_s=budget_s,
                          class_weight=program_kwargs.get("class_weight"),
                          fit_epochs=program_kwargs.get("epochs"))
    seconds = time.perf_counter() - start
    rows = []
    for f in out:
        if f.verified is None:
            continue
        v = json.loads(json.dumps(dict(f.verified), default=_jsonable))
        rows.append({"program": name, "twin": twin + (" (forced)" if any(
                         f.code == g.code for g in forced) else ""), "code": f.code,
                     "severity": str(f.severity),
                     "original_severity": v.get("original_severity", str(f.severity)),
                     "remedy": v.get("remedy"), "changes": v.get("changes", []),
                     "verdict": v.get("verdict"), "reason": v.get("reason"),
                     "before": v.get("val_loss_before"), "after": v.get("val_loss_after"),
                     "ci95": v.get("ci95"), "large": v.get("large"),
                     "large_by": v.get("large_by"), "outputs": v.get("outputs"),
                     "seeds": v.get("seeds"), "epochs": v.get("epochs"),
                     "steps": v.get("steps"), "extended": v.get("extended"),
                     "with_the_others": _brief(v.get("with_the_others")),
                     "metric_before": v.get("metric_before"),
                     "metric_after": v.get("metric_after"),
                     "diagnose_s": diagnosed, "verify_s": seconds})
    together = (out.verification or {}).get("together")
    if together:
        rows.append({"program": name, "twin": twin, "code": "(all together)",
                     "remedy": "+".join(together.get("codes", [])),
                     "changes": together.get("changes", []),
                     "verdict": together.get("verdict"), "before": together.get(
                         "val_loss_before"), "after": together.get("val_loss_after"),
                     "ci95": together.get("ci95"), "large": together.get("large"),
                     "seeds": together.get("seeds"), "verify_s": seconds})
    if not rows:
        rows.append({"program": name, "twin": twin, "code": "-", "verdict": "no finding "
                     "with a remedy", "found": sorted(out.codes), "verify_s": seconds,
                     "diagnose_s": diagnosed})
    return rows, [f for f in out if f.verified is not None]


def _brief(entry):
    if not entry:
        return None
    return {k: entry.get(k) for k in ("verdict", "val_loss_before", "val_loss_after",
                                      "ci95", "seeds", "epochs")}


def _jsonable(value):
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return dict(value) if hasattr(value, "items") else str(value)


def _twins(both, healthy):
    """The broken twin, and the healthy one if `healthy` (only it if "only")."""
    if healthy == "only":
        return both[1:]
    return both if healthy else both[:1]


def gallery_programs(healthy, only):
    from benchmarks.faults.cases import CASES
    from kerasdoc.remedies import remedy_for

    for fault_case in CASES.values():
        if only and fault_case.name not in only:
            continue
        if remedy_for(fault_case.code) is None:
            continue
        twins = _twins([("broken", fault_case.broken), ("healthy", fault_case.healthy)],
                       healthy)
        for twin, make in twins:
            program = make()
            if program.entry != "diagnose":
                continue
            yield (f"gallery:{fault_case.name}", twin, _parts_for(fault_case.code),
                   lambda p=program: (p.model_fn(), {
                       "x": p.x, "y": p.y, "validation_data": p.validation_data,
                       "batch_size": p.batch_size, "epochs": p.epochs}))


REALWORLD_BUGGY = ("collaborative_filtering",)
"""Buggy programs of the real-world corpus besides the `bug_*` ones."""


def realworld_programs(healthy, only, parts=None):
    import importlib
    import pkgutil

    import benchmarks.realworld.programs as package

    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                   if m.name.startswith("bug_") or m.name in REALWORLD_BUGGY)
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"benchmarks.realworld.programs.{name}")
        twins = _twins([("broken", False), ("healthy", True)], healthy)
        for twin, fixed in twins:
            def make(module=module, fixed=fixed):
                p = module.build(fixed=fixed)
                return p.model_fn(), {"x": p.x, "y": p.y,
                                      "validation_data": p.validation_data,
                                      "batch_size": p.batch_size, "epochs": p.epochs,
                                      "class_weight": p.fit_kwargs.get("class_weight")}
            yield (f"realworld:{name}", twin,
                   parts or ("data", "model", "probes", "training"), make)


def corpus_programs(names, parts=None):
    """Healthy programs of the real-world corpus by module name (their own `build()`)."""
    import importlib

    for name in names:
        module = importlib.import_module(f"benchmarks.realworld.programs.{name}")

        def make(module=module):
            p = module.build()
            return p.model_fn(), {"x": p.x, "y": p.y, "validation_data": p.validation_data,
                                  "batch_size": p.batch_size, "epochs": p.epochs,
                                  "class_weight": (p.fit_kwargs or {}).get("class_weight")}
        yield (f"realworld:{name}", "healthy" if getattr(module, "HEALTHY", True)
               else "broken", parts or ("data", "model", "probes", "training"), make)


def _format(row):
    def num(v):
        if v is None:
            return "-"
        v = float(v)
        return "diverged" if not math.isfinite(v) else f"{v:.3g}"

    ci = row.get("ci95") or [None, None]
    changes = "; ".join(row.get("changes") or [])[:90]
    return (f"| {row['program']} | {row['twin']} | {row['code']} | {changes or '-'} | "
            f"{num(row.get('before'))} -> {num(row.get('after'))} | "
            f"{num(ci[0])} to {num(ci[1])} | {row['verdict']}"
            f"{' (large)' if row.get('large') else ''} |")


def table(*, gallery, realworld, healthy, only, out, seeds, budget_s,
          force_healthy=False, parts=None, diagnose_budget_s=60.0, corpus=()):
    import keras

    broken_findings = {}
    sources = []
    if gallery:
        sources.append(gallery_programs(healthy, only))
    if realworld:
        sources.append(realworld_programs(healthy, only, parts))
    if corpus:
        sources.append(corpus_programs(corpus, parts))
    print("| program | twin | finding | remedy | val loss before -> after | "
          "95% CI of the gain | verdict |")
    print("|---|---|---|---|---|---|---|")
    for source in sources:
        for name, twin, parts, make in source:
            keras.utils.set_random_seed(0)
            try:
                model, kwargs = make()
                force = broken_findings.get(name, ()) if (twin == "healthy"
                                                          and force_healthy) else ()
                rows, verified = _rows(name, twin, kwargs, model, parts, seeds, budget_s,
                                       force=[f.replace(verified=None, severity="warning")
                                              for f in force],
                                       diagnose_budget_s=diagnose_budget_s)
                if twin == "broken":
                    broken_findings[name] = verified
            except Exception as exc:  # a crash is a result, reported
                rows = [{"program": name, "twin": twin, "code": "-",
                         "verdict": f"CRASH {type(exc).__name__}: {str(exc)[:200]}"}]
            for row in rows:
                print(_format(row), flush=True)
                if out:
                    with open(out, "a") as fh:
                        fh.write(json.dumps(row, default=_jsonable) + "\n")
            keras.backend.clear_session()


CONFIRMED = ("confirmed", "confirmed with the others")
JUDGED = CONFIRMED + ("no effect", "harmful", "not enough alone")


def summary(paths):
    """The table and the confirmation rate of `table` runs (JSON lines files).

    A finding with a remedy counts as judged when a comparison ran
    (`JUDGED`); the rate is confirmed / judged, per twin. Findings with no
    verdict are counted apart with their reasons (budget, not applicable,
    not judged by the validation loss), and a program's later rows replace
    its earlier ones (a re-run).
    """
    rows = {}
    for path in paths:
        with open(path) as fh:
            for line in fh:
                row = json.loads(line)
                rows.setdefault((row["program"], row["twin"]), {})[row["code"]] = row
    print("| program | twin | finding | remedy | val loss before -> after | 95% CI of the "
          "gain | verdict |")
    print("|---|---|---|---|---|---|---|")
    counts = {}
    for (program, twin), by_code in rows.items():
        for code, row in by_code.items():
            print(_format(row))
            if code in ("(all together)", "-"):
                continue
            c = counts.setdefault(twin.split(" ")[0], {"judged": 0, "confirmed": 0,
                                                        "large": 0, "other": {}})
            verdict = row["verdict"]
            if verdict in JUDGED:
                c["judged"] += 1
                c["confirmed"] += verdict in CONFIRMED
                c["large"] += bool(row.get("large"))
            else:
                reason = (row.get("reason") or "").split(":")[0][:60]
                key = f"{verdict}: {reason}" if reason else verdict
                c["other"][key] = c["other"].get(key, 0) + 1
    for twin, c in counts.items():
        rate = c["confirmed"] / c["judged"] if c["judged"] else float("nan")
        print(f"\n{twin}: {c['confirmed']}/{c['judged']} judged findings confirmed "
              f"({rate:.0%}); {c['large']} large; without a verdict:")
        for key, n in sorted(c["other"].items(), key=lambda kv: -kv[1]):
            print(f"  {n} x {key}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("cost")
    c.add_argument("--rounds", type=int, default=2)
    c.add_argument("--seeds", type=int, default=3)
    t = sub.add_parser("table")
    t.add_argument("--gallery", action="store_true")
    t.add_argument("--realworld", action="store_true")
    t.add_argument("--healthy", action="store_true", help="also the healthy twins")
    t.add_argument("--healthy-only", action="store_true", help="only the healthy twins")
    t.add_argument("--force", action="store_true",
                   help="on each healthy twin, also verify the broken twin's findings "
                        "as if they had fired there (what a false alarm's remedy gives)")
    t.add_argument("--only", nargs="*", default=None, help="case or module names")
    t.add_argument("--corpus", nargs="*", default=(),
                   help="real-world corpus programs by module name (healthy ones)")
    t.add_argument("--out", default=None, help="append JSON lines here")
    t.add_argument("--seeds", type=int, default=3)
    t.add_argument("--budget", type=float, default=300.0, help="verify's budget_s")
    t.add_argument("--diagnose-budget", type=float, default=60.0,
                   help="diagnose's budget_s (its default)")
    t.add_argument("--parts", default=None,
                   help="diagnose parts for the real-world programs (default "
                        "data,model,probes,training)")
    m = sub.add_parser("summary", help="table and confirmation rate of --out files")
    m.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.what == "summary":
        summary(args.paths)
        return 0
    if args.what == "cost":
        cost(rounds=args.rounds, seeds=args.seeds)
    else:
        table(gallery=args.gallery, realworld=args.realworld,
              healthy="only" if args.healthy_only else args.healthy,
              only=set(args.only or ()), out=args.out, seeds=args.seeds,
              budget_s=args.budget, force_healthy=args.force,
              parts=tuple(args.parts.split(",")) if args.parts else None,
              diagnose_budget_s=args.diagnose_budget, corpus=tuple(args.corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
