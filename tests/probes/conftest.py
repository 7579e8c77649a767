"""Fixtures of the probe tests: the scaled walkthrough subset and broken twins.

Each broken twin is the walkthrough baseline with one fault the issue names: a
layer that rolls the batch, logits scaled by 100 before the softmax, a layer
that replaces the input by zeros, a `tf.custom_gradient` layer returning twice
the true gradient, SGD with learning rate 10.
"""

import types

import numpy as np
import pytest


def _build_twins():
    import keras
    import tensorflow as tf
    from keras import ops

    class BatchRoll(keras.layers.Layer):
        """Shifts the batch by one sample: output i comes from input i-1."""

        def call(self, x):
            return ops.roll(x, 1, axis=0)

    class Scale(keras.layers.Layer):
        """Multiplies by a constant (e.g. logits by 100 before the softmax)."""

        def __init__(self, factor=100.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    class Ignore(keras.layers.Layer):
        """Replaces its input by zeros: the model no longer sees the data."""

        def call(self, x):
            return ops.zeros_like(x)

    class CustomTanh(keras.layers.Layer):
        """tanh with a hand-written gradient; `wrong=True` returns twice the truth."""

        def __init__(self, wrong=False, **kwargs):
            super().__init__(**kwargs)
            self.wrong = wrong

        def call(self, x):
            factor = 2.0 if self.wrong else 1.0

            @tf.custom_gradient
            def forward(t):
                y = tf.tanh(t)

                def grad(upstream):
                    return upstream * (1.0 - y * y) * factor

                return y, grad

            return forward(x)

        def get_config(self):
            return {**super().get_config(), "wrong": self.wrong}

    def custom_ce(wrong):
        """Sparse cross-entropy on probabilities; `wrong` flips its gradient sign."""

        @tf.custom_gradient
        def nll(p):
            value = -tf.math.log(p)

            def grad(upstream):
                true = -upstream / p
                return -true if wrong else true

            return value, grad

        def loss(y_true, y_pred):
            labels = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
            picked = tf.gather(y_pred, labels, axis=1, batch_dims=1)
            return nll(tf.clip_by_value(picked, 1e-7, 1.0))

        return loss

    class Subclassed(keras.Model):
        """The baseline written as a subclassed model, optionally with CustomTanh."""

        def __init__(self, wrong=False, **kwargs):
            super().__init__(**kwargs)
            self.wrong = wrong
            self.flat = keras.layers.Flatten()
            self.hidden = keras.layers.Dense(32)
            self.act = CustomTanh(wrong=wrong)
            self.out = keras.layers.Dense(10, activation="softmax")

        def call(self, x):
            return self.out(self.act(self.hidden(self.flat(x))))

        def get_config(self):
            return {**super().get_config(), "wrong": self.wrong}

    def mlp(*middle, head=(), optimizer=None, loss="sparse_categorical_crossentropy"):
        """The baseline with extra layers after Flatten (`middle`) or on the logits."""
        model = keras.Sequential([
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            *middle,
            keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dense(10),
            *head,
            keras.layers.Activation("softmax"),
        ])
        model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=loss,
                      metrics=["accuracy"])
        return model

    def batch_mixer():
        return mlp(head=[BatchRoll()])

    def scaled_output():
        return mlp(head=[Scale(100.0)])

    def input_ignorer():
        return mlp(Ignore())

    def double_softmax():
        return mlp(head=[keras.layers.Activation("softmax")])

    def wrong_gradient(wrong=True):
        return mlp(keras.layers.Dense(32), CustomTanh(wrong=wrong))

    def wrong_loss(wrong=True):
        return mlp(loss=custom_ce(wrong))

    def subclassed(wrong=False):
        model = Subclassed(wrong=wrong)
        model(np.zeros((1, 28, 28), "float32"))
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy")
        return model

    def with_optimizer(optimizer):
        from kerasdoc.examples import baseline_mlp

        model = baseline_mlp(compile=False)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    def sgd_lr10():
        return with_optimizer(keras.optimizers.SGD(10.0))

    return types.SimpleNamespace(**{k: v for k, v in locals().items()
                                    if not k.startswith("_")})


@pytest.fixture(scope="session")
def twins():
    """Namespace of twin builders (`twins.batch_mixer()`, ...) and custom layers."""
    return _build_twins()


@pytest.fixture(scope="session")
def subset(bundled_subset):
    """(x_train, y_train) of the bundled subset, inputs scaled to [0, 1]."""
    return (bundled_subset.x_train.astype("float32") / 255.0,
            bundled_subset.y_train.astype("int64"))


@pytest.fixture(scope="session")
def small(subset):
    """The first 256 training samples: enough for every probe, faster."""
    x, y = subset
    return x[:256], y[:256]


@pytest.fixture
def baseline():
    """A fresh walkthrough baseline (Adam 1e-3, sparse CE), seeded by conftest."""
    from kerasdoc.examples import baseline_mlp

    return baseline_mlp()


def _tabular(n, seed):
    """Benchmark case data.categorical_scaled's healthy twin: 6 standardised
    continuous columns, a one-hot of 4 and a 0/1 flag; 3 classes from a score."""
    rng = np.random.default_rng(seed)
    continuous = rng.normal(size=(n, 6)) * [1.0, 5.0, 0.2, 3.0, 1.0, 2.0]
    category = rng.integers(0, 4, size=n)
    flag = rng.integers(0, 2, size=n)
    score = continuous[:, 0] + continuous[:, 1] / 5.0 + 1.5 * (category == 2) - 1.5 * flag
    y = np.digitize(score, [-1.0, 1.0]).astype("int64")
    scaled = (continuous - continuous.mean(0)) / continuous.std(0)
    return np.concatenate([scaled, np.eye(4)[category], flag[:, None]], axis=1).astype(
        "float32"), y


@pytest.fixture(scope="session")
def tabular():
    """(x, y): 600 rows of healthy tabular data with 3 classes."""
    return _tabular(600, 10)


@pytest.fixture
def tabular_mlp():
    """A fresh small tabular MLP (Dense 32 relu, softmax 3; Adam 1e-3), seeded."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(11,)),
        keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy")
    return model
