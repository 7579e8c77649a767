"""Fault cases for `probe.*` and `train.*`: faults only running the model reveals.

The static audit cannot see these (custom layers, regularisation scale,
learning-rate schedules, initial scales): the sanity probes or the `Doctor`
callback inside `diagnose` must find them.
"""

import functools

import numpy as np

from benchmarks.faults._common import adam, fashion, fashion_program, layer, mlp
from benchmarks.faults._program import case


def _keras():
    import keras

    return keras


# -- probe.* ------------------------------------------------------------------

@case("probe.initial_loss", "warning")
def initial_loss(broken):
    """Output bias initialised to favour class 0 by 6 nats (twin: zero bias)."""
    bias = np.zeros(10, dtype="float32")
    if broken:
        bias[0] = 6.0
    return fashion_program(functools.partial(mlp, output_bias=bias))


@case("probe.cannot_overfit_batch", "error")
def cannot_overfit_batch(broken):
    """L2 weight penalty of 1.0 on every kernel (10,000x too strong; twin: 1e-4)."""
    keras = _keras()
    strength = 1.0 if broken else 1e-4

    def build():
        regularizer = {"kernel_regularizer": keras.regularizers.L2(strength)}
        return mlp(hidden_kwargs=regularizer, output_kwargs=regularizer)

    return fashion_program(build)


@case("probe.input_independent", "error")
def input_independent(broken):
    """`Rescaling(1 // 255)` inside the model: integer division, every input becomes 0.

    Both twins feed raw 0-255 pixels and rescale inside the model, as the
    Keras guides recommend; the twin uses `Rescaling(1 / 255)`.
    """
    keras = _keras()
    data = fashion()
    scale = 1 // 255 if broken else 1 / 255
    model_fn = functools.partial(mlp, before=(lambda: keras.layers.Rescaling(scale),))
    return fashion_program(model_fn, x=data["raw"].astype("float32"), y=data["y"],
                    validation_data=(data["raw_val"].astype("float32"), data["y_val"]))


@case("probe.batch_mixing", "error", fast=True)
def batch_mixing(broken):
    """A custom centering layer averages over the batch axis (twin: over features)."""
    axis = 0 if broken else -1
    return fashion_program(functools.partial(mlp, after_hidden=(layer("Centering", axis=axis),)))


@case("probe.gradient_check", "error")
def gradient_check(broken):
    """A custom softplus whose hand-written gradient drops the upstream gradient."""
    return fashion_program(functools.partial(
        mlp, activation=layer("CustomSoftplus", correct=not broken)))


@case("probe.learning_rate", "warning")
def probe_learning_rate(broken):
    """SGD+momentum with learning_rate=1e-5, far below the useful range (twin: 1e-2)."""
    keras = _keras()
    rate = 1e-5 if broken else 1e-2
    optimizer = functools.partial(keras.optimizers.SGD, rate, momentum=0.9)
    return fashion_program(functools.partial(mlp, optimizer=optimizer))


# -- train.* ------------------------------------------------------------------

@case("train.nonfinite", "error", fast=True)
def train_nonfinite(broken):
    """A log-features layer takes log(relu(x)): -inf for every inactive unit."""
    offset = 0.0 if broken else 1.0
    return fashion_program(functools.partial(
        mlp, after_hidden=(layer("LogFeatures", offset=offset),)))


@case("train.exploding_gradients", "error")
def exploding_gradients(broken):
    """Eight ReLU layers initialised with stddev 0.5 (activations grow ~3x a layer)."""
    keras = _keras()
    init = keras.initializers.RandomNormal(stddev=0.5) if broken else "he_normal"
    return fashion_program(functools.partial(mlp, hidden=(64,) * 8, kernel_initializer=init))


@case("train.vanishing_gradients", "warning")
def vanishing_gradients(broken):
    """Ten sigmoid layers (twin: ten ReLU layers with He init)."""
    if broken:
        model_fn = functools.partial(mlp, hidden=(64,) * 10, activation="sigmoid",
                                     kernel_initializer="glorot_uniform")
    else:
        model_fn = functools.partial(mlp, hidden=(64,) * 10)
    return fashion_program(model_fn, epochs=3)


@case("train.dead_relu", "warning")
def dead_relu(broken):
    """Hidden ReLU biases initialised to -3: almost no unit ever activates."""
    keras = _keras()
    bias = keras.initializers.Constant(-3.0) if broken else "zeros"
    return fashion_program(functools.partial(mlp, bias_initializer=bias))


@case("train.saturated_activations", "warning")
def saturated_activations(broken):
    """tanh layer initialised with stddev 1.0 over 784 inputs: units pinned at +-1."""
    keras = _keras()
    init = keras.initializers.RandomNormal(stddev=1.0) if broken else "glorot_uniform"
    return fashion_program(functools.partial(mlp, activation="tanh", kernel_initializer=init))


@case("train.logits_blowup", "warning")
def logits_blowup(broken):
    """Logits multiplied by 50 before the softmax (a temperature applied the wrong way)."""
    keras = _keras()
    scale = 50.0 if broken else 1.0
    return fashion_program(functools.partial(
        mlp, output_activation=None,
        after_output=(layer("Temperature", scale=scale),
                      lambda: keras.layers.Activation("softmax"))), epochs=4)


@case("train.loss_diverging", "error")
def loss_diverging(broken):
    """An ExponentialDecay with decay_rate=2.0: the learning rate doubles every 16 steps."""
    keras = _keras()
    rate = 2.0 if broken else 0.96

    def optimizer():
        return keras.optimizers.Adam(
            keras.optimizers.schedules.ExponentialDecay(1e-3, 16, rate))

    return fashion_program(functools.partial(mlp, activation="tanh",
                                      kernel_initializer="glorot_uniform",
                                      optimizer=optimizer), epochs=5)


@case("train.loss_oscillating", "warning")
def loss_oscillating(broken):
    """A cyclical learning rate switching every 16 steps between 1e-3 and 0.05 (twin: 2e-3)."""
    keras = _keras()
    peak = 0.05 if broken else 2e-3

    def optimizer():
        boundaries = [16 * (i + 1) for i in range(40)]
        values = [1e-3 if i % 2 == 0 else peak for i in range(41)]
        return keras.optimizers.Adam(
            keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values))

    return fashion_program(functools.partial(mlp, optimizer=optimizer), epochs=6)


@case("train.loss_plateau", "warning")
def loss_plateau(broken):
    """Adam at learning_rate=1e-6, a thousand times too small: the loss barely moves."""
    rate = 1e-6 if broken else 1e-3
    return fashion_program(functools.partial(mlp, optimizer=functools.partial(adam, rate)),
                    epochs=6)


@case("train.weights_unchanged", "error", fast=True)
def weights_unchanged(broken):
    """Adam with learning_rate=0.0."""
    rate = 0.0 if broken else 1e-3
    return fashion_program(functools.partial(mlp, optimizer=functools.partial(adam, rate)))


@case("train.update_ratio", "info")
def update_ratio(broken):
    """Adam with learning_rate=1e-8 (an exponent typo): updates ~1e-7 of the weights' size."""
    rate = 1e-8 if broken else 1e-3
    return fashion_program(functools.partial(mlp, optimizer=functools.partial(adam, rate)))


@case("train.sharpness_unstable", "warning")
def sharpness_unstable(broken):
    """A plain-SGD warm-up from 0.05 to a peak of 4.0 over 40 steps, past the stability bound.

    The twin warms up to 0.1. The sharpness estimate is opt-in and
    `diagnose` does not turn it on, so both twins run `model.fit` with
    `Doctor(stop_on=None, sharpness_every=256)` (the `fit` entry).
    """
    keras = _keras()
    from benchmarks.bench_sharpness import warmup

    peak = 4.0 if broken else 0.1

    def optimizer():
        return keras.optimizers.SGD(warmup(0.05, peak, 40))

    return fashion_program(functools.partial(mlp, optimizer=optimizer), entry="fit",
                           extra={"stop_on": None, "sharpness_every": 256})


def _small_train(n_per_class):
    """The first `n_per_class` bundled training images of every class."""
    data = fashion()
    keep = np.sort(np.concatenate([np.flatnonzero(data["y"] == c)[:n_per_class]
                                   for c in range(10)]))
    return data["x"][keep], data["y"][keep]


@case("train.overfitting", "warning")
def overfitting(broken):
    """A 512-unit MLP trained 40 epochs on 200 images (twin: stopped after 4)."""
    x, y = _small_train(20)
    return fashion_program(functools.partial(mlp, hidden=(512,)), x=x, y=y,
                    batch_size=16, epochs=40 if broken else 4)


@case("train.loss_accuracy_divergence", "info")
def loss_accuracy_divergence(broken):
    """A 512-unit MLP trained 15 epochs (twin: 4) against validation labels of which 20% are wrong.

    As the model grows confident, the loss on the wrongly labelled validation
    samples climbs while accuracy on the others still improves.
    """
    data = fashion()
    y_val = np.array(data["y_val"])
    generator = np.random.default_rng(5)
    wrong = generator.choice(len(y_val), size=len(y_val) // 5, replace=False)
    y_val[wrong] = (y_val[wrong] + generator.integers(1, 10, size=len(wrong))) % 10
    return fashion_program(functools.partial(mlp, hidden=(512,)),
                    validation_data=(data["x_val"], y_val), epochs=15 if broken else 4)


@case("train.validation_gap", "warning")
def validation_gap(broken):
    """Half the training labels randomised (an annotation bug) while validation labels are clean."""
    data = fashion()
    y = np.array(data["y"])
    if broken:
        generator = np.random.default_rng(4)
        noisy = generator.choice(len(y), size=len(y) // 2, replace=False)
        y[noisy] = generator.integers(0, 10, size=len(noisy))
    return fashion_program(mlp, x=data["x"], y=y, epochs=4)
