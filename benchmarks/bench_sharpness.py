"""Benchmark: how early the Doctor's sharpness finding warns of divergence.

    python benchmarks/bench_sharpness.py [--data DIR] [--every 1] [--epochs 2]

On the walkthrough MLP and the small CNN (the bundled 1,000-image subset,
/255, batch 32, seed 0), fits with rates that diverge (SGD and Adam too
high) and healthy ones (SGD+momentum 0.01, Adam 1e-3 and 1e-2), each with a
`Doctor(every=E, stop_on=None, sharpness_every=256)`. Per run it prints:

- `blowup`: the first step whose loss (per step, recovered from Keras's
  running mean) is not finite or above ten times the first step's;
- `raised`: the step of the read-back at which `train.sharpness_unstable`
  was raised (the estimate behind it is `estimated`);
- `lead`: `blowup - raised` in steps (positive: the warning came first);
- the other `train.*` codes, and the sharpness ratio at each estimate.

Healthy runs must stay silent (no `train.sharpness_unstable`).
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

RUNS = {
    "diverging": [("sgd", 1.0), ("sgd", 2.0), ("adam", 0.1), ("adam", 0.3)],
    "healthy": [("sgdm", 0.01), ("adam", 1e-3), ("adam", 1e-2)],
}


def optimizer(kind, lr):
    import keras

    return {"sgd": lambda: keras.optimizers.SGD(lr),
            "sgdm": lambda: keras.optimizers.SGD(lr, momentum=0.9),
            "adam": lambda: keras.optimizers.Adam(lr)}[kind]()


def one_run(model_name, kind, lr, x, y, every, epochs):
    import keras

    from kerasdoc import Doctor
    from kerasdoc.examples import baseline_mlp, small_cnn

    keras.utils.set_random_seed(0)
    build = {"mlp": baseline_mlp, "cnn": small_cnn}[model_name]
    model = build(input_shape=(28, 28), compile=False)
    model.compile(optimizer=optimizer(kind, lr),
                  loss="sparse_categorical_crossentropy")
    losses = []

    class StepLoss(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.k, self.previous = 0, 0.0

        def on_train_batch_end(self, batch, logs=None):
            self.k += 1
            mean = float(logs["loss"])
            losses.append(self.k * mean - (self.k - 1) * self.previous)
            self.previous = mean

    doctor = Doctor(every=every, stop_on=None, sharpness_every=256)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0,
              callbacks=[doctor, StepLoss()])
    losses = np.asarray(losses)
    bad = np.flatnonzero(~np.isfinite(losses) | (losses > 10 * losses[0]))
    blowup = int(bad[0]) + 1 if len(bad) else None
    found = [f for f in doctor.report.findings if f.code == "train.sharpness_unstable"]
    raised = found[0].evidence["read_at_step"] if found else None
    h = doctor.history
    ok = np.isfinite(h["sharpness_ratio"])
    return {
        "model": model_name, "optimizer": kind, "lr": lr, "blowup": blowup,
        "raised": raised, "estimated": found[0].step if found else None,
        "lead": (blowup - raised) if (blowup and raised) else None,
        "codes": sorted(c for c in doctor.report.codes if c != "train.sharpness_unstable"),
        "ratios": list(zip(h["sharpness_step"][ok].astype(int).tolist(),
                           np.round(h["sharpness_ratio"][ok], 2).tolist())),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(HERE), "data"))
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    args = parser.parse_args(argv)

    import kerasdoc

    subset = kerasdoc.load_subset(args.data)
    x = subset.x_train.astype("float32") / 255.0
    y = subset.y_train.astype("int64")
    for group, runs in RUNS.items():
        for model_name in args.models:
            for kind, lr in runs:
                r = one_run(model_name, kind, lr, x, y, args.every, args.epochs)
                print(f"{group:9s} {model_name} {kind:4s} lr={lr:<6g} blowup={r['blowup']} "
                      f"raised={r['raised']} estimated={r['estimated']} lead={r['lead']} "
                      f"other={r['codes']}", flush=True)
                print(f"          ratios {r['ratios'][:10]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
