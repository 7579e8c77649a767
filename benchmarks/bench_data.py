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
Per-check times are the medians of the report's own (wall-clock) `timings`.
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
        checks.setdefault("label_noise (opt-in)", []).append(noisy.timings["label_noise"])
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
        "per_check_median_wall_s": {k: round(statistics.median(v), 3)
                                    for k, v in checks.items()},
        "findings": sorted(report.codes),
    }
    print(json.dumps(summary, indent=2))
    print(report.to_text(color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
