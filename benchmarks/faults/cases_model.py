"""Fault cases for `model.*` and `optim.*`: architecture, initialisation and compile settings.

Every program trains the walkthrough's MLP on the bundled subset; the broken
twin changes one layer argument, loss or optimizer setting.
"""

import functools

import numpy as np

from benchmarks.faults._common import N_CLASSES, adam, fashion, fashion_program, mlp
from benchmarks.faults._program import case


@case("model.zero_init", "error", fast=True)
def zero_init(broken):
    """Hidden kernel initialised to zeros under ReLU."""
    return fashion_program(functools.partial(
        mlp, kernel_initializer="zeros" if broken else "he_normal"))


@case("model.init_activation_mismatch", "warning", fast=True)
def init_activation_mismatch(broken):
    """He-normal init under tanh in a 5-layer stack (twin: Glorot)."""
    return fashion_program(functools.partial(
        mlp, hidden=(64,) * 5, activation="tanh",
        kernel_initializer="he_normal" if broken else "glorot_uniform"))


@case("model.output_activation", "error", fast=True)
def output_activation(broken):
    """Linear output (logits) compiled with from_logits=False cross-entropy."""
    return fashion_program(functools.partial(
        mlp, output_activation=None if broken else "softmax"))


@case("model.output_activation", ("info", "warning"), variant="softmax_from_logits")
def softmax_from_logits(broken):
    """Softmax output with from_logits=True: works on TF via stored logits, breaks elsewhere."""
    import keras

    return fashion_program(functools.partial(
        mlp, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=broken)))


@case("model.loss_mismatch", "error", fast=True)
def loss_mismatch(broken):
    """Mean squared error on integer labels: broadcast against all ten softmax units."""
    return fashion_program(functools.partial(
        mlp, loss="mean_squared_error" if broken else "sparse_categorical_crossentropy"))


@case("model.loss_mismatch", ("warning", "error"), variant="bce_onehot")
def bce_onehot(broken):
    """Binary cross-entropy on a 10-class softmax with one-hot labels.

    It still trains (each unit as its own yes/no problem) while the
    'accuracy' metric turns into per-unit binary accuracy, so by the
    catalogue's "severity follows what breaks" rule either a warning or an
    error is accepted.
    """
    data = fashion()
    eye = np.eye(N_CLASSES, dtype="float32")
    loss = "binary_crossentropy" if broken else "categorical_crossentropy"
    return fashion_program(functools.partial(mlp, loss=loss), x=data["x"], y=eye[data["y"]],
                    validation_data=(data["x_val"], eye[data["y_val"]]))


@case("model.output_units", "error", fast=True)
def output_units(broken):
    """Eight output units for the ten FashionMNIST classes."""
    return fashion_program(functools.partial(mlp, n_out=8 if broken else N_CLASSES))


@case("model.missing_bias", "warning", fast=True)
def missing_bias(broken):
    """Hidden Dense without bias and no normalization after it."""
    return fashion_program(functools.partial(mlp, hidden_kwargs={"use_bias": not broken}))


@case("model.bias_regularized", "info", fast=True)
def bias_regularized(broken):
    """L2 on the hidden biases as well as the kernels (twin: kernels only)."""
    import keras

    kwargs = {"kernel_regularizer": keras.regularizers.L2(1e-4)}
    if broken:
        kwargs["bias_regularizer"] = keras.regularizers.L2(1e-4)
    return fashion_program(functools.partial(mlp, hidden_kwargs=kwargs))


def _bn_mlp_build():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, use_bias=False, kernel_initializer="he_normal"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.Dense(N_CLASSES, activation="softmax"),
    ], name="bn_mlp")
    model.compile(optimizer=adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("model.batchnorm_small_batch", "warning")
def batchnorm_small_batch(broken):
    """BatchNormalization trained with batches of 4 (twin: 32)."""
    return fashion_program(_bn_mlp_build, batch_size=4 if broken else 32,
                    epochs=1 if broken else 2)


@case("model.dropout_rate", "info", fast=True)
def dropout_rate(broken):
    """Dropout(0.8) after the hidden layer (twin: 0.3)."""
    import keras

    rate = 0.8 if broken else 0.3
    return fashion_program(functools.partial(
        mlp, after_hidden=(lambda: keras.layers.Dropout(rate),)))


def _rare_class_data():
    """Bags (class 8) vs everything else at about 1:45; the twin has the same data."""
    data = fashion()

    def pick(x, y, n_positive):
        positive = np.flatnonzero(y == 8)[:n_positive]
        negative = np.flatnonzero(y != 8)
        keep = np.sort(np.concatenate([positive, negative]))
        return x[keep], (y[keep] == 8).astype("float32")

    return pick(data["x"], data["y"], 20), pick(data["x_val"], data["y_val"], 6)


@case("model.output_bias_init", "info")
def output_bias_init(broken):
    """Sigmoid output on 1:45 labels with a zero bias (twin: bias = log prior odds).

    Both twins carry the imbalance itself, so `data.class_imbalance` is tolerated.
    """
    (x, y), validation = _rare_class_data()
    prior = float(y.mean())
    bias = None if broken else [np.log(prior / (1.0 - prior))]
    model_fn = functools.partial(mlp, n_out=1, output_activation="sigmoid",
                                 loss="binary_crossentropy", output_bias=bias)
    return fashion_program(model_fn, x=x, y=y, validation_data=validation,
                    class_names=("other", "bag"),
                    tolerated={"data.class_imbalance"})


@case("model.frozen", "error", fast=True)
def frozen(broken):
    """Every layer set trainable=False before compile."""
    return fashion_program(functools.partial(mlp, trainable=not broken))


# The audit's warning becomes an error when the training run confirms it:
# diagnose folds the divergence it saw into this root cause (kerasdoc._causes).
@case("optim.learning_rate", ("warning", "error"), fast=True)
def optim_learning_rate(broken):
    """Adam with learning_rate=0.5."""
    rate = 0.5 if broken else 1e-3
    return fashion_program(functools.partial(mlp, optimizer=functools.partial(adam, rate)))


@case("optim.vanilla_sgd", "info", fast=True)
def vanilla_sgd(broken):
    """SGD without momentum (twin: momentum 0.9)."""
    import keras

    momentum = 0.0 if broken else 0.9
    optimizer = functools.partial(keras.optimizers.SGD, 0.02, momentum=momentum)
    return fashion_program(functools.partial(mlp, optimizer=optimizer))


@case("optim.batch_size", "warning", fast=True)
def batch_size(broken):
    """Batch size 500 on 1,000 samples: two steps per epoch."""
    return fashion_program(mlp, batch_size=500 if broken else 32)

