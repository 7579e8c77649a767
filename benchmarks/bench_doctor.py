"""Benchmark: the cost of `kerasdoc.Doctor` on `model.fit`.

    python benchmarks/bench_doctor.py [--rounds 5] [--images 10000]
                                      [--models mlp cnn] [--jit off on]
                                      [--data-dir DIR] [--walkthrough DIR]
                                      [--no-steady] [--variants NAME ...]

On the walkthrough MLP and the small CNN, 10,000 FashionMNIST training
images (/255, batch 32, 313 steps an epoch), each round fits a fresh model
(same seed) for 2 epochs with one of:

- `plain`: `model.fit` with no callback;
- `doctor16`: `Doctor(every=16)`;
- `doctor1`: `Doctor(every=1)` (statistics read back every step);
- `doctor`: `Doctor()` (walkthrough only: the default, every=16);
- `tensorboard`: `keras.callbacks.TensorBoard(histogram_freq=1)` (weights only);
- `eager_grads`: an eager per-batch callback that recomputes the gradients
  of a stored batch with a `GradientTape` and reads their norms (how earlier
  Keras debugging tools watched gradients);
- `doctor16_sharp256`: `Doctor(every=16, sharpness_every=256)` (sharpness
  and noise scale are opt-in);
- `doctor16_sharp1`: `Doctor(every=16, sharpness_every=1)`, a sharpness
  estimate on every step: `(its time - doctor16_nosharp's) / steps` over
  plain's time per step is the cost of one estimate in training steps;
- `doctor16_nosharp`: `Doctor(every=16, sharpness_every=0)`.

Each model is run with `jit_compile` off and on (`--jit`).

The whole walkthrough fit (`--walkthrough DIR`, by default the bundled
subset in `data/`; `--no-walkthrough` skips it): 5 epochs of the 1,000 bundled images with validation,
tracing included (each round builds a fresh model), timed from `fit` to its
return, for `plain`, `Doctor()`, `Doctor(every=1)`, `tensorboard` and
`eager_grads` (and `Doctor(sharpness_every=256)` with `--variants`).

By default one run reports every figure of the overhead table: steady
`doctor16`, `doctor1`, `tensorboard` and `eager_grads` on both models with
and without `jit_compile`, and the walkthrough fits likewise. Each row gives
the ratio of the medians and the median and range of the per-round paired
ratios (variant over the same round's plain), the spread to read on a
shared machine.

`--profile` times the compiled step alone instead (no `fit`, no callbacks):
Keras's train function and the Doctor's instrumented one, `every=16` and
`every=1`, interleaved blocks of 48 steps, with the op counts of the traced
step and, under `jit_compile`, the CPU seconds of the first call and of the
first partial batch (XLA compiles once per batch shape, for plain Keras
too).

Only the second epoch is timed (`time.process_time()`, from a callback
placed last, so other callbacks' epoch-end work is included): the first
epoch carries the one-off tracing of each variant's step. Variants are
interleaved (A B C D E, A B C D E, ...) and the median per variant is
reported with its ratio to `plain` (the machine may be shared: ratios of
interleaved runs are what to read, not absolute times).

The data comes from `kerasdoc.datasets.load_fashion_mnist` (KERASDOC_DATA or
`--data-dir`); nothing is downloaded.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402


class EpochTimer:
    """Process CPU time of the last epoch (make it the last callback)."""

    def __init__(self):
        import keras

        timer = self

        class _Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                timer.start = time.process_time()

            def on_epoch_end(self, epoch, logs=None):
                timer.seconds = time.process_time() - timer.start

        self.callback = _Timer()
        self.seconds = None


def eager_gradient_callback(x_batch, y_batch):
    """Per batch, recompute gradients eagerly and read their norms."""
    import keras
    import tensorflow as tf

    class EagerGradients(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.norms = []

        def on_train_batch_end(self, batch, logs=None):
            with tf.GradientTape() as tape:
                pred = self.model(x_batch, training=True)
                loss = self.model.compute_loss(x=x_batch, y=y_batch, y_pred=pred)
            grads = tape.gradient(loss, self.model.trainable_weights)
            self.norms.append([float(tf.norm(g)) for g in grads])

    return EagerGradients()


def variants(x, y, logdir):
    import keras

    from kerasdoc import Doctor

    return {
        "plain": lambda: [],
        "doctor16": lambda: [Doctor(every=16, stop_on=None)],
        "doctor1": lambda: [Doctor(every=1, stop_on=None)],
        "tensorboard": lambda: [keras.callbacks.TensorBoard(
            log_dir=tempfile.mkdtemp(dir=logdir), histogram_freq=1)],
        "eager_grads": lambda: [eager_gradient_callback(x[:32], y[:32])],
        "doctor16_sharp256": lambda: [Doctor(every=16, stop_on=None,
                                             sharpness_every=256)],
        "doctor16_sharp1": lambda: [Doctor(every=16, stop_on=None, sharpness_every=1)],
        "doctor16_nosharp": lambda: [Doctor(every=16, stop_on=None, sharpness_every=0)],
    }


def build(name, jit=False):
    from kerasdoc.examples import baseline_mlp, small_cnn

    model = {"mlp": baseline_mlp, "cnn": small_cnn}[name](input_shape=(28, 28))
    if jit:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=True)
    return model


# The table: run by default (the sharpness variants on request).
DEFAULT_VARIANTS = ("plain", "doctor16", "doctor1", "doctor", "tensorboard",
                    "eager_grads")


def _select(table, only):
    """`table` restricted to the variants named in `only` (plain always kept)."""
    only = only or DEFAULT_VARIANTS
    return {k: v for k, v in table.items() if k == "plain" or k in only}


def _summary(times, plain):
    """Median, ratio of medians, and the spread of the per-round paired ratios."""
    base = statistics.median(plain)
    out = {}
    for variant, t in times.items():
        paired = [a / b for a, b in zip(t, plain)]
        out[variant] = {"median_s": statistics.median(t),
                        "ratio_to_plain": statistics.median(t) / base,
                        "paired_ratio_median": statistics.median(paired),
                        "paired_ratio_min": min(paired),
                        "paired_ratio_max": max(paired),
                        "rounds": t}
    return out


def run(model_name, x, y, rounds, logdir, jit=False, only=None):
    import keras

    table = _select(variants(x, y, logdir), only)
    times = {v: [] for v in table}
    for r in range(rounds):
        for variant, make in table.items():
            keras.utils.set_random_seed(r)
            model = build(model_name, jit)
            timer = EpochTimer()
            model.fit(x, y, batch_size=32, epochs=2, verbose=0,
                      callbacks=make() + [timer.callback])
            times[variant].append(timer.seconds)
            print(f"  {model_name} jit={jit} round {r} {variant:16s} "
                  f"{timer.seconds:7.2f}s", flush=True)
    steps = int(np.ceil(len(x) / 32))
    out = _summary(times, times["plain"])
    for v, row in out.items():
        row["steps_per_cpu_s"] = steps / row["median_s"]
    # One estimate per step: its extra time per step in plain steps (paired
    # per round, median).
    if "doctor16_sharp1" in times and "doctor16_nosharp" in times:
        per_round = [(a - b) / p for a, b, p in zip(
            times["doctor16_sharp1"], times["doctor16_nosharp"], times["plain"])]
        out["sharpness_estimate_in_steps"] = statistics.median(per_round)
    return out


def walkthrough(model_name, data_dir, rounds, logdir, jit=False, only=None):
    """Whole 5-epoch walkthrough fits, tracing included, interleaved."""
    import keras

    import kerasdoc
    from kerasdoc import Doctor

    subset = kerasdoc.load_subset(data_dir)
    x = subset.x_train.astype("float32") / 255.0
    y = subset.y_train.astype("int64")
    xv = subset.x_test.astype("float32") / 255.0
    yv = subset.y_test.astype("int64")
    table = {
        "plain": lambda: [],
        "doctor": lambda: [Doctor()],
        "doctor1": lambda: [Doctor(every=1)],
        "doctor_sharp256": lambda: [Doctor(sharpness_every=256)],
        "tensorboard": lambda: [keras.callbacks.TensorBoard(
            log_dir=tempfile.mkdtemp(dir=logdir), histogram_freq=1)],
        "eager_grads": lambda: [eager_gradient_callback(x[:32], y[:32])],
    }
    table = _select(table, only)
    times = {v: [] for v in table}
    build(model_name, jit).fit(x[:64], y[:64], verbose=0)  # process warm-up
    for r in range(rounds):
        for variant, make in table.items():
            keras.utils.set_random_seed(r)
            model = build(model_name, jit)
            callbacks = make()
            start = time.process_time()
            model.fit(x, y, batch_size=32, epochs=5, verbose=0,
                      validation_data=(xv, yv), callbacks=callbacks)
            times[variant].append(time.process_time() - start)
            print(f"  walkthrough {model_name} jit={jit} round {r} {variant:12s} "
                  f"{times[variant][-1]:7.2f}s", flush=True)
    return _summary(times, times["plain"])


def _step_functions(model_name, x, y, every, jit):
    """Keras's compiled train function and the Doctor's, on two equal models."""
    import keras

    from kerasdoc import _keras
    from kerasdoc.training._probe import Probe
    from kerasdoc.training._step import Instrument

    out = {}
    for kind in ("plain", "doctor"):
        keras.utils.set_random_seed(0)
        model = build(model_name, jit)
        model.fit(x[:64], y[:64], batch_size=32, verbose=0)  # builds everything
        if kind == "plain":
            out[kind] = (model, _keras.make_function(model, model.train_step), None)
        else:
            instrument = Instrument(model, Probe.from_model(model), every=every,
                                    clipping={}, saturation_margin=0.02)
            out[kind] = (model, _keras.make_function(model, instrument.train_step),
                         instrument)
    return out


def op_counts(model_name, x, y, every):
    """Ops of the traced step: Keras's, the Doctor's, and its conditional branches."""
    import collections

    import tensorflow as tf

    spec = (tf.TensorSpec([32] + list(x.shape[1:]), tf.float32),
            tf.TensorSpec([32], tf.int64))
    counts = {}
    for kind, (model, _, instrument) in _step_functions(
            model_name, x, y, every, False).items():
        step = model.train_step if instrument is None else instrument.train_step
        graph = tf.function(step).get_concrete_function(spec).graph.as_graph_def()
        ops = collections.Counter(n.op for n in graph.node)
        real = sum(v for k, v in ops.items() if k not in ("Const", "Placeholder", "NoOp"))
        counts[kind] = {"ops": real, "If": ops.get("If", 0) + ops.get("StatelessIf", 0),
                        "branches": {f.signature.name: len(f.node_def)
                                     for f in graph.library.function}}
    return counts


def profile(model_name, x, y, every, jit, rounds, steps=48):
    """The compiled step alone: ms per step of Keras's and the Doctor's, interleaved.

    No `fit`, no callbacks: the device (and dispatch) cost of the
    instrumented step. Under `jit`, also the CPU seconds of the first call
    (trace and XLA compile) and of the first partial batch (a second XLA
    compile, which plain Keras pays too).
    """
    import tensorflow as tf

    functions = _step_functions(model_name, x, y, every, jit)
    out = {}
    times = {k: [] for k in functions}
    for kind, (_, function, _) in functions.items():
        data = tf.data.Dataset.from_tensor_slices((x[:1000], y[:1000])).batch(32)
        iterator = iter(data)
        start = time.process_time()
        function(iterator)
        first = time.process_time() - start
        for _ in range(30):
            function(iterator)
        start = time.process_time()
        function(iterator)  # 1000 = 31 x 32 + 8: the partial batch
        out[kind] = {"first_call_s": first, "partial_batch_s": time.process_time() - start}
    iterators = {k: iter(tf.data.Dataset.from_tensor_slices((x, y)).batch(
        32, drop_remainder=True).repeat()) for k in functions}
    for kind, (_, function, _) in functions.items():
        for _ in range(20):
            function(iterators[kind])
    for _ in range(rounds):
        for kind, (_, function, _) in functions.items():
            start = time.process_time()
            for _ in range(steps):
                function(iterators[kind])
            times[kind].append((time.process_time() - start) / steps * 1e3)
    for kind in functions:
        out[kind]["ms_per_step"] = statistics.median(times[kind])
        out[kind]["rounds_ms"] = times[kind]
    paired = [d / p for d, p in zip(times["doctor"], times["plain"])]
    out["ratio_of_medians"] = out["doctor"]["ms_per_step"] / out["plain"]["ms_per_step"]
    out["paired_ratio_median"] = statistics.median(paired)
    return out


def main_profile(args, x, y):
    results = {"load_avg": os.getloadavg()}
    for name in args.models:
        for every in (16, 1):
            if not any(j == "on" for j in args.jit) or "off" in args.jit:
                counts = op_counts(name, x, y, every)
                sizes = sorted(counts["doctor"]["branches"].values())
                print(f"{name} every={every} ops: plain {counts['plain']['ops']}, "
                      f"doctor {counts['doctor']['ops']} with {counts['doctor']['If']} "
                      f"conditionals (branch sizes {sizes})", flush=True)
                results[f"{name}/every={every}/ops"] = counts
            for jit in [j == "on" for j in args.jit]:
                row = profile(name, x, y, every, jit, args.rounds * 6)
                results[f"{name}/every={every}/jit={jit}"] = row
                plain, doctor = row["plain"], row["doctor"]
                print(f"{name} every={every} jit={jit}: step "
                      f"{plain['ms_per_step']:.3f} -> {doctor['ms_per_step']:.3f} ms, "
                      f"x{row['ratio_of_medians']:.2f} (paired "
                      f"{row['paired_ratio_median']:.2f}); first call "
                      f"{plain['first_call_s']:.2f} -> {doctor['first_call_s']:.2f} s, "
                      f"partial batch {plain['partial_batch_s']:.2f} -> "
                      f"{doctor['partial_batch_s']:.2f} s", flush=True)
    results["load_avg_after"] = os.getloadavg()
    print(f"load average before/after: {results['load_avg']} / {results['load_avg_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"],
                        choices=["mlp", "cnn"])
    parser.add_argument("--jit", nargs="+", default=["off", "on"], choices=["off", "on"])
    parser.add_argument("--data-dir", default=os.environ.get("KERASDOC_DATA"))
    parser.add_argument("--walkthrough", metavar="DIR",
                        default=os.path.join(os.path.dirname(HERE), "data"),
                        help="bundled subset folder for the whole walkthrough fits "
                             "(default: the repository's data/)")
    parser.add_argument("--no-walkthrough", action="store_true",
                        help="skip the whole walkthrough fits")
    parser.add_argument("--no-steady", action="store_true",
                        help="skip the steady-state epochs (walkthrough only)")
    parser.add_argument("--variants", nargs="+", default=None,
                        help="run only these variants (and plain)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--profile", action="store_true",
                        help="time the compiled step alone (Keras's and the Doctor's, "
                             "every=16 and 1, interleaved), count its ops and, under "
                             "jit, its XLA compile time; no fit")
    args = parser.parse_args(argv)
    if args.profile:
        from kerasdoc.datasets import load_fashion_mnist

        (x, y), _, _ = load_fashion_mnist(args.data_dir, download=False)
        return main_profile(args, x[:args.images].astype("float32") / 255.0,
                            y[:args.images].astype("int64"))

    results = {"rounds": args.rounds, "cpu_count": os.cpu_count(),
               "load_avg": os.getloadavg()}
    jits = [j == "on" for j in args.jit]
    with tempfile.TemporaryDirectory() as logdir:
        if not args.no_steady:
            from kerasdoc.datasets import load_fashion_mnist

            (x, y), _, _ = load_fashion_mnist(args.data_dir, download=False)
            x = x[:args.images].astype("float32") / 255.0
            y = y[:args.images].astype("int64")
            results["images"] = len(x)
            for name in args.models:
                for jit in jits:
                    results[f"{name}/jit={jit}"] = run(name, x, y, args.rounds,
                                                       logdir, jit, args.variants)
        if args.walkthrough and not args.no_walkthrough:
            for name in args.models:
                for jit in jits:
                    results[f"walkthrough {name}/jit={jit}"] = walkthrough(
                        name, args.walkthrough, args.rounds, logdir, jit,
                        args.variants)
    results["load_avg_after"] = os.getloadavg()
    print()
    print(f"{'model':26s} {'variant':16s} {'median CPU s':>12s} {'x plain':>8s} "
          f"{'paired x (min-max)':>20s}")
    for key, table in results.items():
        if not isinstance(table, dict):
            continue
        for variant, row in table.items():
            if isinstance(row, dict):
                print(f"{key:26s} {variant:16s} {row['median_s']:12.2f} "
                      f"{row['ratio_to_plain']:8.2f} "
                      f"{row['paired_ratio_median']:6.2f} ({row['paired_ratio_min']:.2f}-"
                      f"{row['paired_ratio_max']:.2f})")
        if "sharpness_estimate_in_steps" in table:
            print(f"{key:20s} one sharpness estimate = "
                  f"{table['sharpness_estimate_in_steps']:.2f} training steps")
    print(f"load average before/after: {results['load_avg']} / "
          f"{results['load_avg_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
