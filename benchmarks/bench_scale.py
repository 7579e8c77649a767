"""Benchmark: kerasdoc on data larger than memory, and `fit` after the Doctor.

    python benchmarks/bench_scale.py [--rows 1000000 10000000] [--repeats 1]
                                     [--fit-rounds 5] [--skip-fit] [--skip-scale]

1. Memory-mapped `.npy` files of N 28x28 uint8 images and N uint8 labels
   (N = 1 million and 10 million: 0.78 and 7.8 GB of images) are built in a
   temporary folder. The image file is sparse where possible: only every
   16th block of 1,024 rows is written (random pixels), the rest is never
   written (zeros, no disk blocks). `kerasdoc.stratified_subset(x, y,
   per_class=100)` and `kerasdoc.check_data(x, y, n_classes=10)` each run in
   a fresh subprocess, which reports CPU time, wall time, the tracemalloc
   peak of the call (numpy buffers; mapped file pages are not allocations)
   and the growth of peak RSS (which DOES include file pages read through
   the mapping: the kernel can drop those at any time). The peak is also
   given per row, to compare with the 784 bytes of an image.
2. `fit` after the Doctor: in one process, interleaved A B A B over
   `--fit-rounds` rounds, (A) a fresh walkthrough MLP fits one epoch, then
   `fit` again for two epochs; (B) a fresh MLP fits one epoch WITH
   `Doctor()`, then `fit` again for two epochs without it. 10,000 random
   28x28 images in [0, 1], batch 32. Timed with `time.process_time()` per
   epoch of the second `fit`: its second epoch is the steady speed (the
   figure that matters); its first epoch also holds, in (B) only, the one-off
   tracing of Keras's own step, which the Doctor's fit never traced. The
   report gives medians and ratios B/A (1.0: the Doctor left nothing behind).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

_CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
sys.path.insert(0, {root!r})
import kerasdoc
x = np.load({x!r}, mmap_mode="r")
y = np.load({y!r}, mmap_mode="r")
calls = {{
    "stratified_subset": lambda: kerasdoc.stratified_subset(x, y, per_class=100, seed=0),
    "check_data": lambda: kerasdoc.check_data(x, y, n_classes=10),
}}
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
cpu, wall = time.process_time(), time.perf_counter()
result = calls[{fn!r}]()
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
codes = sorted(result.codes) if hasattr(result, "codes") else None
print(json.dumps({{"cpu": cpu, "wall": wall, "peak": peak, "rss_growth": (rss1 - rss0) * 1024,
                  "codes": codes}}))
"""


def make_memmaps(directory, rows, *, block=1024, every=16):
    """Sparse x (rows, 28, 28) uint8 and y (rows,) uint8 .npy files; returns paths."""
    rng = np.random.default_rng(0)
    y_path, x_path = os.path.join(directory, "y.npy"), os.path.join(directory, "x.npy")
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.uint8, shape=(rows,))
    for start in range(0, rows, 1 << 22):
        stop = min(rows, start + (1 << 22))
        y[start:stop] = rng.integers(0, 10, stop - start, dtype=np.uint8)
    y.flush()
    del y
    x = np.lib.format.open_memmap(x_path, mode="w+", dtype=np.uint8, shape=(rows, 28, 28))
    for start in range(0, rows, block * every):
        stop = min(rows, start + block)
        x[start:stop] = rng.integers(0, 256, (stop - start, 28, 28), dtype=np.uint8)
    x.flush()
    del x
    return x_path, y_path


def bench_scale(rows_list, repeats):
    results = {}
    with tempfile.TemporaryDirectory(prefix="kerasdoc-bench-scale-") as tmp:
        for rows in rows_list:
            folder = os.path.join(tmp, str(rows))
            os.mkdir(folder)
            start = time.perf_counter()
            x_path, y_path = make_memmaps(folder, rows)
            print(f"  built {rows:,} rows in {time.perf_counter() - start:.0f} s "
                  f"({os.stat(x_path).st_blocks * 512 / 1e9:.2f} GB on disk of "
                  f"{os.path.getsize(x_path) / 1e9:.2f} GB)", flush=True)
            for fn in ("stratified_subset", "check_data"):
                runs = []
                for _ in range(repeats):
                    code = _CHILD.format(root=ROOT, x=x_path, y=y_path, fn=fn)
                    out = subprocess.run([sys.executable, "-c", code], check=True,
                                         capture_output=True, text=True).stdout
                    runs.append(json.loads(out.strip().splitlines()[-1]))
                summary = {k: statistics.median(r[k] for r in runs)
                           for k in ("cpu", "wall", "peak", "rss_growth")}
                summary["codes"] = runs[-1]["codes"]
                results[(rows, fn)] = summary
                print(f"  {fn:<18}{rows:>12,} rows  cpu {summary['cpu']:7.1f} s  wall "
                      f"{summary['wall']:7.1f} s  peak {summary['peak'] / 1e6:8.1f} MB "
                      f"({summary['peak'] / rows:6.1f} B/row)  RSS+ "
                      f"{summary['rss_growth'] / 1e6:8.1f} MB", flush=True)
    return results


def bench_fit_after_doctor(rounds):
    import keras

    from kerasdoc import Doctor
    from kerasdoc.examples import baseline_mlp

    rng = np.random.default_rng(0)
    x = rng.random((10_000, 28, 28)).astype("float32")
    y = rng.integers(0, 10, 10_000)
    class EpochTimes(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.process_time() - self.start)

    times = {(v, e): [] for v in ("plain", "after_doctor") for e in ("first", "steady")}
    for r in range(rounds):
        for variant in ("plain", "after_doctor"):
            keras.utils.set_random_seed(r)
            model = baseline_mlp()
            first = [Doctor()] if variant == "after_doctor" else []
            model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=first)
            if getattr(model.train_function, "_kerasdoc_doctor", False):
                raise RuntimeError("the Doctor's step is still installed after fit")
            timer = EpochTimes()
            model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[timer])
            times[(variant, "first")].append(timer.seconds[0])
            times[(variant, "steady")].append(timer.seconds[1])
            print(f"  round {r} {variant:<13} epochs {timer.seconds[0]:6.2f} s "
                  f"{timer.seconds[1]:6.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    return med, {e: med[("after_doctor", e)] / med[("plain", e)]
                 for e in ("first", "steady")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=1,
                        help="fresh subprocesses per function and size")
    parser.add_argument("--fit-rounds", type=int, default=5)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-fit", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_scale:
        print("1) memory-mapped 28x28 uint8 images (sparse files)")
        results = bench_scale(args.rows, args.repeats)
        if len(args.rows) >= 2:
            lo, hi = min(args.rows), max(args.rows)
            for fn in ("stratified_subset", "check_data"):
                a, b = results[(lo, fn)], results[(hi, fn)]
                print(f"  {fn}: {hi // lo}x the rows -> cpu {b['cpu'] / a['cpu']:.1f}x, "
                      f"peak {b['peak'] / a['peak']:.1f}x; at {hi:,} rows the peak is "
                      f"{b['peak'] / (hi * 784):.3f} of the images' size")
    if not args.skip_fit:
        print("2) second fit without the Doctor vs plain (process time, median)")
        med, ratio = bench_fit_after_doctor(args.fit_rounds)
        for e, label in (("steady", "second epoch (steady)"),
                         ("first", "first epoch (incl. tracing)")):
            print(f"  {label}: plain {med[('plain', e)]:.2f} s, after the Doctor "
                  f"{med[('after_doctor', e)]:.2f} s, ratio {ratio[e]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
