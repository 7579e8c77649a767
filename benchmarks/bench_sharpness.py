"""Benchmark: how early the Doctor's sharpness finding warns of divergence.

    python benchmarks/bench_sharpness.py [--data DIR] [--every 16] [--epochs 3]
                                         [--models mlp cnn] [--only diverging]

On the walkthrough MLP and the small CNN of `bench_doctor.py` (the bundled
1,000-image subset, /255, batch 32, 32 steps an epoch, seed 0), fits that
go on to diverge and healthy ones, each with
`Doctor(every=E, stop_on=None, sharpness_every=256)` (the opt-in schedule:
an estimate every step for the first 16 steps, then every eighth of the
steps run, every 2 steps while the ratio is above 1.5; statistics are read
back after each estimate).

The diverging runs are designed so that divergence takes tens of steps, not
the 2-3 steps of a constant rate far past the bound (which no estimate can
precede): a linear warm-up from a safe rate to a peak too high for the
model, crossing its stability bound on the way, as a user who warms up to
too high a rate would. The rates are the model's: the MLP's initial
sharpness is about 15 (2/lr = 15 at lr 0.13) and the CNN's about 290 (lr
0.007); both still learn with SGD a few times past it (the catapult
regime), so the peaks are where they stop learning and blow up.

Adam is listed too, and it shows the limit of the warning: on these models
Adam at too high a constant rate blows up at its second step (its first
update moves every weight by about the rate; the one estimate before it,
at step 1 against the first step's bound 2/lr, is hundreds of times past
it, but the finding needs three estimates over 8 steps), and a warm-up to
too high a rate kills the ReLUs (loss at chance, `train.dead_relu`)
instead of blowing up. Raising Adam's rate by a schedule does not change
this (seed 0, this session): a warm-up from 1e-4 to 1 over 60 steps fires
the finding (MLP at step 9, CNN at 24, ratios 1.5-3.6) and then kills the
ReLUs with no tenfold rise; a step from 1e-3 to 0.1 at step 48 blows up at
step 53 (MLP) and 50 (CNN), two to five steps after the step, with every
estimate before it near 0.1 of the bound (the rate was safe until the
step), so no estimate can lead it.

Next session (seed 0, 1,000 images, load 8-12), more Adam settings, none
with a lead: slower warm-ups 1e-3 -> 0.1 and 1e-3 -> 0.3 over 300 steps
(MLP) and 1e-3 -> 0.05 over 300 steps (CNN), 12 epochs, and a step 1e-3 ->
0.02 at step 48 (MLP) never rose tenfold (dead ReLUs, logits blow-up or
nothing) and every estimate after step 100 stayed under 0.9 of the bound.
Constant rates have a sharp edge: MLP 0.046 does not blow up (dead ReLUs
by epoch 4), 0.048
and 0.049 blow up at step 2; CNN 0.02 does not blow up (dead ReLUs,
vanishing gradients), 0.025 and 0.028 blow up at
step 2. The one estimate before such a blow-up (step 1) cannot tell it
apart: Adam's first-step ratio grows with the rate on healthy runs too
(MLP 12 at 1e-3, 123 at 1e-2, 370 at 0.03, 567 at 0.046, 591 at 0.048;
CNN 4,155 at 1e-3 and 41,555 at 1e-2, healthy, 103,887 at 0.025), since
the first second-moment estimate is the squared first gradient.

Per run it prints:

- `blowup`: the first step whose loss (per step, recovered from Keras's
  running mean) is not finite or above ten times the first step's, or
  `None`;
- `raised`: the step of the read-back at which `train.sharpness_unstable`
  was raised (the estimate behind it is `estimated`);
- `lead`: `blowup - raised` in steps (positive: the warning came first);
- `estimates`: sharpness estimates made up to the blowup (or the end);
- the other `train.*` codes, and the sharpness ratios.

Healthy runs must stay silent (no `train.sharpness_unstable`).
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

# (model, optimizer, rate or (start, peak, warm-up steps))
RUNS = {
    "diverging": [
        ("mlp", "sgd", (0.03, 3.0, 100)),
        ("cnn", "sgd", (0.01, 1.0, 100)),
        ("mlp", "adam", (1e-3, 1.0, 200)),
        ("cnn", "adam", (1e-3, 1.0, 200)),
        ("mlp", "adam", 0.05),
        ("cnn", "adam", 0.1),
        # Adam with a rate raised by a schedule, as users do: a faster
        # warm-up (from 1e-4 to 1 over 60 steps), and a step from 1e-3 to
        # 0.1 at step 48 after a healthy phase.
        ("mlp", "adam", (1e-4, 1.0, 60)),
        ("cnn", "adam", (1e-4, 1.0, 60)),
        ("mlp", "adam", ("step", 1e-3, 0.1, 48)),
        ("cnn", "adam", ("step", 1e-3, 0.1, 48)),
    ],
    "healthy": [
        ("mlp", "sgdm", 0.01), ("mlp", "adam", 1e-3), ("mlp", "adam", 1e-2),
        ("cnn", "sgdm", 0.01), ("cnn", "adam", 1e-3), ("cnn", "adam", 1e-2),
    ],
}


def warmup(start, peak, steps):
    """A linear warm-up from `start` to `peak` over `steps`, then constant."""
    import keras
    import tensorflow as tf

    class Warmup(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            t = tf.minimum(tf.cast(step, tf.float32) / steps, 1.0)
            return start + (peak - start) * t

        def get_config(self):
            return {"start": start, "peak": peak, "steps": steps}

    return Warmup()


def step_schedule(low, high, at):
    """`low` before step `at`, `high` from it on."""
    import keras
    import tensorflow as tf

    class Step(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return tf.where(tf.cast(step, tf.float32) < at, low, high)

        def get_config(self):
            return {"low": low, "high": high, "at": at}

    return Step()


def optimizer(kind, rate):
    import keras

    if isinstance(rate, tuple) and rate[0] == "step":
        lr = step_schedule(*rate[1:])
    else:
        lr = warmup(*rate) if isinstance(rate, tuple) else rate
    return {"sgd": lambda: keras.optimizers.SGD(lr),
            "sgdm": lambda: keras.optimizers.SGD(lr, momentum=0.9),
            "adam": lambda: keras.optimizers.Adam(lr)}[kind]()


def step_losses():
    """A callback recording each step's own loss (from Keras's running mean)."""
    import keras

    class StepLoss(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.losses = []

        def on_epoch_begin(self, epoch, logs=None):
            self.k, self.previous = 0, 0.0

        def on_train_batch_end(self, batch, logs=None):
            self.k += 1
            mean = float(logs["loss"])
            self.losses.append(self.k * mean - (self.k - 1) * self.previous)
            self.previous = mean

    return StepLoss()


def blowup_step(losses):
    """First step (1-based) whose loss is non-finite or 10x the first step's."""
    losses = np.asarray(losses, dtype=float)
    bad = np.flatnonzero(~np.isfinite(losses) | (losses > 10 * losses[0]))
    return int(bad[0]) + 1 if len(bad) else None


def one_run(model, kind, rate, x, y, *, every=16, epochs=3, batch_size=32,
            doctor_kwargs=None):
    """Fit `model` (compiled here) with a Doctor; returns the run's figures."""
    from kerasdoc import Doctor

    model.compile(optimizer=optimizer(kind, rate),
                  loss="sparse_categorical_crossentropy")
    recorder = step_losses()
    doctor = Doctor(every=every, stop_on=None,
                    **(doctor_kwargs or {"sharpness_every": 256}))
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
              callbacks=[doctor, recorder])
    blowup = blowup_step(recorder.losses)
    found = [f for f in doctor.report.findings if f.code == "train.sharpness_unstable"]
    raised = found[0].evidence["read_at_step"] if found else None
    h = doctor.history
    ok = np.isfinite(h["sharpness_ratio"])
    steps = h["sharpness_step"][ok].astype(int)
    end = blowup if blowup else len(recorder.losses)
    return {
        "blowup": blowup, "raised": raised,
        "estimated": found[0].step if found else None,
        "lead": (blowup - raised) if (blowup and raised) else None,
        "estimates": int(np.sum(steps <= end)),
        "codes": sorted(c for c in doctor.report.codes
                        if c != "train.sharpness_unstable"),
        "ratios": list(zip(steps.tolist(),
                           np.round(h["sharpness_ratio"][ok], 2).tolist())),
        "finding": found[0] if found else None,
    }


def build(name, seed=0):
    import keras

    from kerasdoc.examples import baseline_mlp, small_cnn

    keras.utils.set_random_seed(seed)
    return {"mlp": baseline_mlp, "cnn": small_cnn}[name](input_shape=(28, 28),
                                                         compile=False)


def describe(rate):
    if isinstance(rate, tuple) and rate[0] == "step":
        return f"step {rate[1]:g}->{rate[2]:g} at step {rate[3]}"
    if isinstance(rate, tuple):
        return f"warm-up {rate[0]:g}->{rate[1]:g} over {rate[2]} steps"
    return f"lr={rate:g}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(HERE), "data"))
    parser.add_argument("--every", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    parser.add_argument("--only", choices=list(RUNS), default=None)
    args = parser.parse_args(argv)

    import kerasdoc

    subset = kerasdoc.load_subset(args.data)
    x = subset.x_train.astype("float32") / 255.0
    y = subset.y_train.astype("int64")
    print(f"load average {os.getloadavg()}", flush=True)
    for group, runs in RUNS.items():
        if args.only and group != args.only:
            continue
        for model_name, kind, rate in runs:
            if model_name not in args.models:
                continue
            r = one_run(build(model_name), kind, rate, x, y, every=args.every,
                        epochs=args.epochs)
            print(f"{group:9s} {model_name} {kind:4s} {describe(rate):34s} "
                  f"blowup={r['blowup']} raised={r['raised']} "
                  f"estimated={r['estimated']} lead={r['lead']} "
                  f"estimates={r['estimates']} other={r['codes']}", flush=True)
            shown = [p for p in r["ratios"] if r["blowup"] is None
                     or p[0] <= r["blowup"]]
            print(f"          ratios {shown[-24:]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
