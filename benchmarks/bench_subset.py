"""Benchmark: `kerasdoc.stratified_subset` against the walkthrough's per-class loop.

    python benchmarks/bench_subset.py [--rounds 15] [--rows 10000000] [--data-dir DIR]

1. The 60,000 FashionMNIST training labels (the real files if found, else
   synthetic labels of the same shape): 100 per class, both methods in the
   same process, interleaved A B A B, median of `time.process_time()` per
   round (steadier than wall time on a shared machine).
2. A memory-mapped 10-million-row `.npy` pair in a temporary directory:
   uint8 labels (10 MB) and 28x28 uint8 images created with
   `np.lib.format.open_memmap` as a sparse file (7.8 GB apparent, never
   filled). Each method runs in a fresh subprocess (so neither benefits from
   the other's page cache state or heap) and reports its CPU time, wall time,
   the tracemalloc peak of the call and the growth of peak RSS, to compare
   with the size of the labels and of the images.

The walkthrough's loop: for each class, `np.where(y == c)`, `np.random.shuffle`,
take the first N; concatenate class by class; `x[indices]`. Its subset is
sorted by label; ours is shuffled across classes.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from kerasdoc.data import stratified_subset  # noqa: E402


def walkthrough_subset(x, y, per_class, seed):
    """The source write-up's helper, generalised to any labels."""
    np.random.seed(seed)
    indexes = []
    for label in np.unique(y):
        index, = np.where(y == label)
        index_list = np.array(index)
        np.random.shuffle(index_list)
        indexes.append(index_list[:per_class])
    all_indexes = np.concatenate(indexes)
    return x[all_indexes], y[all_indexes]


def kerasdoc_subset(x, y, per_class, seed):
    sub = stratified_subset(x, y, per_class=per_class, seed=seed)
    return sub.x, sub.y


METHODS = {"walkthrough loop": walkthrough_subset, "kerasdoc": kerasdoc_subset}


def fashion_labels(data_dir):
    from kerasdoc.datasets import find_fashion_mnist, load_fashion_mnist

    if find_fashion_mnist(data_dir) is not None:
        (x, y), _, _ = load_fashion_mnist(data_dir, download=False)
        return x, y, "real FashionMNIST train split"
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10, dtype=np.uint8), 6000)
    rng.shuffle(y)
    return np.zeros((60000, 28, 28), np.uint8), y, "synthetic 60k (files not found)"


def bench_in_memory(data_dir, rounds):
    x, y, what = fashion_labels(data_dir)
    times = {name: [] for name in METHODS}
    for name, fn in METHODS.items():  # warm-up
        fn(x, y, 100, 0)
    for r in range(rounds):
        for name, fn in METHODS.items():  # A B A B ...
            start = time.process_time()
            fn(x, y, 100, r)
            times[name].append(time.process_time() - start)
    return what, {name: statistics.median(t) for name, t in times.items()}


_CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
sys.path[:0] = [{here!r}, {root!r}]
from bench_subset import METHODS
x = np.load({x!r}, mmap_mode="r")
y = np.load({y!r}, mmap_mode="r")
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
cpu, wall = time.process_time(), time.perf_counter()
xs, ys = METHODS[{method!r}](x, y, 100, 0)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"cpu": cpu, "wall": wall, "peak": peak,
                  "rss_growth": (rss1 - rss0) * 1024, "n": int(len(ys))}}))
"""


def make_memmaps(directory, rows):
    y = np.lib.format.open_memmap(os.path.join(directory, "y.npy"), mode="w+",
                                  dtype=np.uint8, shape=(rows,))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 1 << 22):
        stop = min(rows, start + (1 << 22))
        y[start:stop] = rng.integers(0, 10, stop - start, dtype=np.uint8)
    y.flush()
    del y
    x = np.lib.format.open_memmap(os.path.join(directory, "x.npy"), mode="w+",
                                  dtype=np.uint8, shape=(rows, 28, 28))
    del x  # sparse file: nothing written
    return os.path.join(directory, "x.npy"), os.path.join(directory, "y.npy")


def bench_memmap(rows, repeats):
    root = os.path.dirname(HERE)
    with tempfile.TemporaryDirectory(prefix="kerasdoc-bench-") as tmp:
        x_path, y_path = make_memmaps(tmp, rows)
        results = {name: [] for name in METHODS}
        for _ in range(repeats):
            for name in METHODS:  # interleaved, each in a fresh process
                code = _CHILD.format(here=HERE, root=root, x=x_path, y=y_path,
                                     method=name)
                out = subprocess.run([sys.executable, "-c", code], check=True,
                                     capture_output=True, text=True).stdout
                results[name].append(json.loads(out.strip().splitlines()[-1]))
    summary = {}
    for name, runs in results.items():
        summary[name] = {key: statistics.median(r[key] for r in runs)
                         for key in ("cpu", "wall", "peak", "rss_growth")}
    return summary, rows, rows * 28 * 28


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3,
                        help="subprocess runs per method for the memmap case")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    what, medians = bench_in_memory(args.data_dir, args.rounds)
    base = medians["walkthrough loop"]
    print(f"1) 100 per class from 60,000 labels ({what}); median process time of "
          f"{args.rounds} interleaved rounds")
    print(f"   {'method':<18}{'ms':>10}{'vs loop':>10}")
    for name, t in medians.items():
        print(f"   {name:<18}{t * 1e3:>10.2f}{t / base:>9.2f}x")

    summary, rows, image_bytes = bench_memmap(args.rows, args.repeats)
    print(f"\n2) 100 per class from a memory-mapped {rows:,}-row .npy "
          f"(labels {rows / 1e6:.0f} MB, images {image_bytes / 1e9:.1f} GB sparse); "
          f"median of {args.repeats} fresh processes per method")
    print(f"   {'method':<18}{'cpu s':>8}{'wall s':>8}{'peak MB':>9}"
          f"{'x labels':>9}{'RSS+ MB':>9}{'peak/images':>12}")
    for name, s in summary.items():
        print(f"   {name:<18}{s['cpu']:>8.2f}{s['wall']:>8.2f}{s['peak'] / 1e6:>9.1f}"
              f"{s['peak'] / rows:>9.1f}{s['rss_growth'] / 1e6:>9.1f}"
              f"{s['peak'] / image_bytes:>12.4f}")
    ours, loop = summary["kerasdoc"], summary["walkthrough loop"]
    print(f"\n   kerasdoc / loop at {rows:,} rows: cpu {ours['cpu'] / loop['cpu']:.2f}x, "
          f"peak memory {ours['peak'] / loop['peak']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
