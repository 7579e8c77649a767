"""Benchmark: `kerasdoc.audit_model` and `check_preprocessing` on a full-size ResNet50.

    python benchmarks/bench_audit.py [--rounds 5]

ResNet50 (weights=None, 224x224, the 1000-way top; 25.6M parameters) is
built and compiled once. Each round then runs, interleaved A B C D in one
process: (A) `audit_model(model, y=labels)`; (B) `model.get_weights()`, the
floor for anything that reads every weight once; (C) one `model.predict` on
a single 224x224 image, what the user pays to look at one prediction;
(D) `check_preprocessing(model, batch)` on 8 images. Each round records
`time.process_time()` (CPU, steadier than wall time on a shared machine)
and wall time; the figures are medians, and the ratios are taken against
B and C of the same rounds.
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


def _timed(fn):
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    import keras

    start = time.perf_counter()
    model = keras.applications.ResNet50(weights=None)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
    build_s = time.perf_counter() - start
    labels = np.arange(3000) % 1000
    rng = np.random.default_rng(0)
    images = np.clip(rng.normal([123.68, 116.779, 103.939], 60.0, (8, 224, 224, 3)),
                     0, 255).astype("float32")
    batch = keras.applications.resnet50.preprocess_input(images.copy())
    one = batch[:1]
    model.predict(one, verbose=0)  # build the predict function outside the timings

    steps = {
        "audit_model": lambda: kerasdoc.audit_model(model, y=labels),
        "get_weights": model.get_weights,
        "predict_1_image": lambda: model.predict(one, verbose=0),
        "check_preprocessing": lambda: kerasdoc.check_preprocessing(model, batch),
    }
    for fn in steps.values():  # warm-up round, not counted
        fn()
    cpu = {name: [] for name in steps}
    wall = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, fn in steps.items():
            c, w = _timed(fn)
            cpu[name].append(c)
            wall[name].append(w)
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    med_wall = {k: statistics.median(v) for k, v in wall.items()}
    report = kerasdoc.audit_model(model, y=labels)
    result = {
        "model": "ResNet50(weights=None), 224x224, include_top",
        "parameters": int(model.count_params()),
        "build_seconds_wall": round(build_s, 2),
        "rounds": args.rounds,
        "median_cpu_seconds": {k: round(v, 4) for k, v in med_cpu.items()},
        "median_wall_seconds": {k: round(v, 4) for k, v in med_wall.items()},
        "audit_over_get_weights_cpu": round(med_cpu["audit_model"]
                                            / med_cpu["get_weights"], 2),
        "audit_over_predict_1_image_cpu": round(med_cpu["audit_model"]
                                                / med_cpu["predict_1_image"], 2),
        "audit_findings": sorted(report.codes),
        "slowest_checks": sorted(report.timings.items(), key=lambda kv: -kv[1])[:3],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
