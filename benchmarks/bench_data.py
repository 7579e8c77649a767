"""Benchmark: `kerasdoc.check_data` on all 70,000 FashionMNIST images vs one training epoch.

    KERASDOC_DATA=/path/to/fashion-mnist python benchmarks/bench_data.py [--rounds 3]

The audit gets the official split (60,000 train + 10,000 test, raw uint8, as
loaded). The alternative it is compared with is one epoch of the
walkthrough's baseline (`kerasdoc.examples.baseline_mlp`, Adam, batch 32) on
the 60,000 training images scaled to [0, 1], a fresh model each round.
Rounds are interleaved A B A B in one process; each round records
`time.process_time()` (CPU, steadier than wall time on a shared machine) and
wall time; the figures are medians. The audit runs with the default
`label_noise=False` and, in a third column, with `label_noise=True`.
Per-check times are the medians of the report's own `timings`, measured here
in CPU seconds (the benchmark sets the audit's clock to `time.process_time`).

Then the issue's injected faults on the full data, one audit each: 5% of
the training labels changed (recall and precision of the suspects, with
`label_noise=True`), 1% of the test images copied into train, labels shuffled
apart from the images, the training set sorted by label, and a 1:50 class
imbalance (class 3 cut to 1/50 of the others).
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import kerasdoc  # noqa: E402
from kerasdoc.data import _runner  # noqa: E402
from kerasdoc.datasets import find_fashion_mnist, load_fashion_mnist  # noqa: E402


def _timed(fn):
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    path = find_fashion_mnist(args.data_dir, download=False)
    if path is None:
        sys.exit("FashionMNIST files not found: set KERASDOC_DATA or pass --data-dir")
    (x_train, y_train), (x_test, y_test), _ = load_fashion_mnist(path, download=False)
    x_scaled = x_train.astype("float32") / 255.0

    def audit(noise):
        return kerasdoc.check_data(x_train, y_train, x_test=x_test, y_test=y_test,
                                   n_classes=10, label_noise=noise)

    def epoch():
        model = kerasdoc.examples.baseline_mlp()
        model.fit(x_scaled, y_train, batch_size=32, epochs=1, verbose=0)

    _runner._clock = time.process_time
    # warm-up: imports (scikit-learn, TensorFlow) and graph tracing stay out of the figures
    audit(False)
    epoch()
    rows = {"audit": [], "audit_label_noise": [], "epoch": []}
    checks = {}
    report = None
    for r in range(args.rounds):
        report, cpu, wall = _timed(lambda: audit(False))
        rows["audit"].append((cpu, wall))
        for name, seconds in report.timings.items():
            checks.setdefault(name, []).append(seconds)
        _, cpu, wall = _timed(epoch)
        rows["epoch"].append((cpu, wall))
        noisy, cpu, wall = _timed(lambda: audit(True))
        rows["audit_label_noise"].append((cpu, wall))
        checks.setdefault("label_noise (opt-in)", []).append(noisy.timings["data.label_noise"])
        print(f"round {r + 1}: " + ", ".join(
            f"{k} cpu {v[-1][0]:.2f}s wall {v[-1][1]:.2f}s" for k, v in rows.items()),
            flush=True)
    med = {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
           for k, v in rows.items()}
    summary = {
        "rounds": args.rounds,
        "median_cpu_s": {k: round(v[0], 3) for k, v in med.items()},
        "median_wall_s": {k: round(v[1], 3) for k, v in med.items()},
        "cpu_ratio_audit_to_epoch": round(med["audit"][0] / med["epoch"][0], 3),
        "cpu_ratio_audit_label_noise_to_epoch": round(
            med["audit_label_noise"][0] / med["epoch"][0], 3),
        "wall_ratio_audit_to_epoch": round(med["audit"][1] / med["epoch"][1], 3),
        "per_check_median_cpu_s": {k: round(statistics.median(v), 3)
                                    for k, v in checks.items()},
        "findings": sorted(report.codes),
    }
    print(json.dumps(summary, indent=2))
    print(report.to_text(color=False))
    print(json.dumps(injected_faults(x_train, y_train, x_test, y_test), indent=2))
    return 0


def injected_faults(x_train, y_train, x_test, y_test, seed=0):
    """The issue's faults on the full data: what each audit reports."""
    rng = np.random.default_rng(seed)
    out = {}

    def codes(report):
        return {f.code: str(f.severity) for f in report}

    noisy = rng.choice(len(y_train), len(y_train) // 20, replace=False)
    y_noisy = y_train.astype(np.int64).copy()
    y_noisy[noisy] = (y_noisy[noisy] + rng.integers(1, 10, len(noisy))) % 10
    report = kerasdoc.check_data(x_train, y_noisy, n_classes=10, label_noise=True)
    found = report.by_code("data.label_noise")
    suspects = np.asarray(found[0].evidence["indices"]) if found else np.zeros(0, int)
    out["label_noise_5pct"] = {
        "codes": codes(report), "n_noisy": len(noisy), "n_suspects": len(suspects),
        "recall": round(float(np.isin(noisy, suspects).mean()), 3),
        "precision": round(float(np.isin(suspects, noisy).mean()), 3) if len(suspects) else None,
        "precision_top_500": round(float(np.isin(suspects[:500], noisy).mean()), 3)
        if len(suspects) else None}

    copied = rng.choice(len(x_test), len(x_test) // 100, replace=False)
    report = kerasdoc.check_data(np.concatenate([x_train, x_test[copied]]),
                                 np.concatenate([y_train, y_test[copied]]),
                                 x_test=x_test, y_test=y_test)
    leak = report.by_code("data.split_leakage")
    out["test_copied_into_train_1pct"] = {
        "codes": codes(report),
        "copied_found": int(np.isin(copied, leak[0].evidence["test_indices"]).sum())
        if leak else 0, "n_copied": len(copied)}

    report = kerasdoc.check_data(x_train, rng.permutation(y_train))
    out["labels_shuffled_apart"] = {"codes": codes(report)}

    order = np.argsort(y_train, kind="stable")
    report = kerasdoc.check_data(x_train[order], y_train[order])
    out["sorted_by_label"] = {"codes": codes(report)}

    minority = np.flatnonzero(y_train == 3)[: int(np.sum(y_train == 0)) // 50]
    keep = np.sort(np.concatenate([np.flatnonzero(y_train != 3), minority]))
    report = kerasdoc.check_data(x_train[keep], y_train[keep])
    out["imbalance_1_to_50"] = {"codes": codes(report)}
    return out


if __name__ == "__main__":
    sys.exit(main())
