"""Benchmark: the cost of `kerasdoc.Doctor` on `model.fit`.

    python benchmarks/bench_doctor.py [--rounds 5] [--images 10000]
                                      [--models mlp cnn] [--data-dir DIR]

On the walkthrough MLP and the small CNN, 10,000 FashionMNIST training
images (/255, batch 32, 313 steps an epoch), each round fits a fresh model
(same seed) for 2 epochs with one of:

- `plain`: `model.fit` with no callback;
- `doctor16`: `Doctor(every=16)`;
- `doctor1`: `Doctor(every=1)` (statistics read back every step);
- `tensorboard`: `keras.callbacks.TensorBoard(histogram_freq=1)` (weights only);
- `eager_grads`: an eager per-batch callback that recomputes the gradients
  of a stored batch with a `GradientTape` and reads their norms (how earlier
  Keras debugging tools watched gradients).

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
    }


def build(name):
    from kerasdoc.examples import baseline_mlp, small_cnn

    return {"mlp": baseline_mlp, "cnn": small_cnn}[name](input_shape=(28, 28))


def run(model_name, x, y, rounds, logdir):
    import keras

    table = variants(x, y, logdir)
    times = {v: [] for v in table}
    for r in range(rounds):
        for variant, make in table.items():
            keras.utils.set_random_seed(r)
            model = build(model_name)
            timer = EpochTimer()
            model.fit(x, y, batch_size=32, epochs=2, verbose=0,
                      callbacks=make() + [timer.callback])
            times[variant].append(timer.seconds)
            print(f"  {model_name} round {r} {variant:12s} {timer.seconds:7.2f}s",
                  flush=True)
    base = statistics.median(times["plain"])
    steps = int(np.ceil(len(x) / 32))
    return {v: {"median_s": statistics.median(t),
                "steps_per_cpu_s": steps / statistics.median(t),
                "ratio_to_plain": statistics.median(t) / base,
                "rounds": t} for v, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"],
                        choices=["mlp", "cnn"])
    parser.add_argument("--data-dir", default=os.environ.get("KERASDOC_DATA"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    from kerasdoc.datasets import load_fashion_mnist

    (x, y), _, _ = load_fashion_mnist(args.data_dir, download=False)
    x = x[:args.images].astype("float32") / 255.0
    y = y[:args.images].astype("int64")
    results = {"images": len(x), "rounds": args.rounds,
               "cpu_count": os.cpu_count(), "load_avg": os.getloadavg()}
    with tempfile.TemporaryDirectory() as logdir:
        for name in args.models:
            results[name] = run(name, x, y, args.rounds, logdir)
    results["load_avg_after"] = os.getloadavg()
    print()
    print(f"{'model':5s} {'variant':12s} {'median CPU s':>12s} {'steps/CPU s':>12s} "
          f"{'x plain':>8s}")
    for name in args.models:
        for variant, row in results[name].items():
            print(f"{name:5s} {variant:12s} {row['median_s']:12.2f} "
                  f"{row['steps_per_cpu_s']:12.1f} {row['ratio_to_plain']:8.2f}")
    print(f"load average before/after: {results['load_avg']} / "
          f"{results['load_avg_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
