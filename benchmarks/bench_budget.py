"""Benchmark: does `diagnose` keep to its `budget_s` for the whole call?

    python benchmarks/bench_budget.py [--budget 60] [--only NAME ...] [--timings]

Runs `kerasdoc.diagnose(model, x, y, budget_s=BUDGET)` (60 s, diagnose's
default) on three large synthetic inputs and on three slow programs of the
real-world corpus, one call each, and prints per call the wall time, the
ratio wall / budget (the bar is <= 1.10) and the seconds each part took.
With `--timings` it also prints every check's seconds and what was skipped
for the budget.

The synthetic inputs are sized so that an un-budgeted call takes much longer
than the budget:

- `regression_5k`: 20,000 rows x 20 features, a float target with 20,000
  distinct values (thousands of distinct regression targets), MLP, MSE;
- `table_100k`: 100,000 rows x 30 numeric columns, a binary target, MLP;
- `images_20k`: 20,000 32x32x3 images in [0, 1], 10 classes, a small CNN
  (Conv-BN-Pool x2, Dropout), with 2,000 validation images.

The corpus programs are `bidirectional_lstm_imdb` (two BiLSTMs on token
ids), `bug_at_lstm_sigmoid_vanish` (an AUTOTRAINER LSTM: eight stacked
LSTMs with recurrent dropout, whose train step alone traces for minutes
under load), `image_classification_from_scratch` (a CNN with augmentation,
compiled with `jit_compile=True`), `bug_at_raw_pixels` and
`builtin_class_weight` (over the bar in a corpus score under load), each called
as the scorer calls it (`benchmarks.realworld.score.run_diagnose`, its
`batch_size` and `epochs`), but with `budget_s` given here.

The machine may be shared: the load average is printed with each row, so a
slow row can be read against it. `--load N` adds N busy-loop processes for
the length of each call (a machine that got busier), stopped after it.

    python benchmarks/bench_budget.py --costs [--only NAME ...]

measures instead the factors `diagnose` plans its traces with (see `costs`).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

CORPUS = ("bidirectional_lstm_imdb", "bug_at_lstm_sigmoid_vanish",
          "image_classification_from_scratch", "bug_at_raw_pixels", "builtin_class_weight",
          "conv_autoencoder")


def regression_5k():
    """20,000 rows, 20 features, a target with 20,000 distinct float values."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 20)).astype("float32")
    w = rng.normal(size=(20,)).astype("float32")
    y = (x @ w + 0.1 * rng.normal(size=20_000)).astype("float32")
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model, x, y, {"batch_size": 32, "epochs": 5}


def table_100k():
    """100,000 rows x 30 numeric columns, a binary target."""
    import keras

    rng = np.random.default_rng(1)
    x = rng.normal(size=(100_000, 30)).astype("float32")
    y = (x[:, :5].sum(axis=1) + 0.5 * rng.normal(size=100_000) > 0).astype("float32")
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model, x, y, {"batch_size": 32, "epochs": 5}


def images_20k():
    """20,000 32x32x3 images with a class-dependent pattern, a small CNN."""
    import keras
    from keras import layers

    rng = np.random.default_rng(2)
    n = 22_000
    y = rng.integers(0, 10, size=n)
    x = rng.uniform(0, 1, size=(n, 32, 32, 3)).astype("float32")
    x[np.arange(n), y, :, 0] += 1.0  # class c brightens row c of the red channel
    x /= x.max()
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(16, 3, activation="relu"), layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"), layers.BatchNormalization(),
        layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.3),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, x[:20_000], y[:20_000], {
        "batch_size": 64, "epochs": 5, "validation_data": (x[20_000:], y[20_000:])}


SYNTHETIC = {"regression_5k": regression_5k, "table_100k": table_100k,
             "images_20k": images_20k}


def corpus(name):
    import importlib

    module = importlib.import_module(f"benchmarks.realworld.programs.{name}")
    program = module.build(fixed=False)
    import keras

    np.random.seed(0)
    keras.utils.set_random_seed(0)
    return program.model_fn(), program.x, program.y, {
        "validation_data": program.validation_data, "batch_size": program.batch_size,
        "epochs": program.epochs, **program.diagnose_kwargs}


def busy(count):
    """`count` processes that spin on a CPU until killed (a machine under load)."""
    import subprocess

    return [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(count)]


def run(name, budget_s, show_timings, load_processes=0):
    import kerasdoc

    model, x, y, kwargs = SYNTHETIC[name]() if name in SYNTHETIC else corpus(name)
    spinning = busy(load_processes)
    try:
        load = os.getloadavg()[0]
        start = time.perf_counter()
        report = kerasdoc.diagnose(model, x, y, budget_s=budget_s, **kwargs)
        wall = time.perf_counter() - start
    finally:
        for process in spinning:
            process.kill()
            process.wait()
    parts = {p: report.timings[p] for p in ("data", "model", "preprocessing", "probes",
                                            "training") if p in report.timings}
    print(f"{name:36s} wall {wall:7.1f} s  wall/budget {wall / budget_s:5.2f}  "
          f"load {load:4.1f}  " + "  ".join(f"{p} {s:.1f}" for p, s in parts.items()),
          flush=True)
    if show_timings:
        for key, seconds in sorted(report.timings.items(), key=lambda kv: -kv[1]):
            if key not in parts and key != "total" and seconds >= 0.05:
                print(f"    {key:44s} {seconds:7.2f} s")
        for key, reason in report.skipped.items():
            if "budget" in str(reason):
                print(f"    skipped {key}: {reason}")
        for f in report:
            print(f"    finding {f.code} {f.severity}")
        for key, value in report.failed.items():
            print(f"    FAILED {key}: {value.get('type')}: {str(value.get('message'))[:200]}")
    return wall / budget_s


def costs(name):
    """The planning factors measured on one case: forward trace, first step, Doctor's.

    On a shared copy (`kerasdoc.probes._shared.Pool`): the trace of the
    forward pass, the trace and first run of the train step (ratio:
    `TRAIN_TRACE_FACTOR`), and the `Doctor`'s instrumented first step in a
    one-step `fit` (ratio to the plain one: `DOCTOR_TRACE_FACTOR`).
    """
    import keras

    from kerasdoc._inputs import sample_fit_data
    from kerasdoc.probes import _common, _shared
    from kerasdoc.training import Doctor

    model, x, y, kwargs = SYNTHETIC[name]() if name in SYNTHETIC else corpus(name)
    data = sample_fit_data(x, y, max_samples=4096)
    x, y = data.x, data.y
    batch = min(kwargs.get("batch_size") or 32, 16)
    load = os.getloadavg()[0]
    with _shared.sharing(model) as pool, _common.preserved_global_rng():
        forward = pool.forward_trace_seconds(x)
        clone = _common.probe_copy(model, seed=0, sample_x=x[:1])
        _common.train_loss(clone, x[:batch], y[:batch])
        first = pool.costs["first_step"]
        times = []

        class Time(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                self.start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                times.append(time.perf_counter() - self.start)
                self.model.stop_training = True

        clone.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0,
                  callbacks=[Time(), Doctor()])
    print(f"{name:36s} forward trace {forward:6.2f} s  first step {first:6.1f} s "
          f"(x{first / forward:4.1f})  Doctor first step {times[0]:6.1f} s "
          f"(x{times[0] / first:4.2f} of the plain one)  load {load:4.1f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--timings", action="store_true")
    parser.add_argument("--load", type=int, default=0,
                        help="busy-loop processes running alongside each call")
    parser.add_argument("--costs", action="store_true",
                        help="measure the planning factors instead (see `costs`)")
    args = parser.parse_args(argv)
    names = args.only or (list(SYNTHETIC) + list(CORPUS))
    if args.costs:
        for name in names:
            costs(name)
        return
    print(f"budget_s={args.budget:g}; bar: wall/budget <= 1.10", flush=True)
    ratios = [run(name, args.budget, args.timings, args.load) for name in names]
    print(f"worst wall/budget {max(ratios):.2f} over {len(ratios)} calls")


if __name__ == "__main__":
    main()
