"""Shared pieces of the fault cases: the bundled data, a model builder, small custom layers.

Everything here is deliberately small: the bundled FashionMNIST subset
(1,000 train / 300 test images), a Flatten-Dense MLP builder matching the
walkthrough's baseline, and four custom layers that carry faults no static
audit can see (a wrong custom gradient, batch-axis statistics, a log of
zeros, a softmax temperature).
"""

import functools
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
N_CLASSES = 10
SEED = 0


def _readonly(array):
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@functools.lru_cache(maxsize=None)
def fashion():
    """The bundled subset as read-only arrays: x in [0, 1] float32, y int64.

    Returns:
        dict with `x`, `y` (1,000 train), `x_val`, `y_val` (300 test),
        `raw` / `raw_val` (the uint8 images) and `class_names`.
    """
    from kerasdoc import load_subset

    subset = load_subset(REPO_ROOT / "data")
    return {
        "x": _readonly(subset.x_train.astype("float32") / 255.0),
        "y": _readonly(subset.y_train.astype("int64")),
        "x_val": _readonly(subset.x_test.astype("float32") / 255.0),
        "y_val": _readonly(subset.y_test.astype("int64")),
        "raw": _readonly(subset.x_train),
        "raw_val": _readonly(subset.x_test),
        "class_names": tuple(subset.class_names),
    }


def rng(offset=0):
    """A fresh seeded generator (cases never share random state)."""
    return np.random.default_rng(SEED + offset)


def _import_keras():
    import keras

    return keras


def adam(learning_rate=1e-3):
    return _import_keras().optimizers.Adam(learning_rate)


def mlp(*, hidden=(128,), activation="relu", kernel_initializer="he_normal",
        bias_initializer="zeros", output_activation="softmax", n_out=N_CLASSES,
        loss="sparse_categorical_crossentropy", optimizer=None,
        input_shape=(28, 28), before=(), after_hidden=(), hidden_kwargs=None,
        output_kwargs=None, after_output=(), output_bias=None, trainable=True,
        seed=SEED, metrics=("accuracy",)):
    """Build and compile the walkthrough's MLP, with every fault a keyword away.

    Args:
        hidden: units of each hidden Dense layer. Defaults to `(128,)`.
        activation: hidden activation (a string or a layer factory).
        kernel_initializer / bias_initializer: hidden layers' initializers.
        output_activation: output activation; `None` for linear logits.
        n_out: output units. Defaults to `10`.
        loss: compiled loss. Defaults to sparse categorical cross-entropy.
        optimizer: a zero-argument factory of the optimizer (a fresh
            Adam(1e-3) if `None`).
        before: layer factories inserted after `Flatten`.
        after_hidden: layer factories inserted after each hidden layer.
        hidden_kwargs / output_kwargs: extra Dense arguments.
        after_output: layer factories appended after the output Dense.
        output_bias: values assigned to the output bias after building.
        trainable: set every layer's `trainable` flag.
        seed: `keras.utils.set_random_seed` before building.
        metrics: compiled metrics. Defaults to `("accuracy",)`.
    """
    keras = _import_keras()
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    layers += [make() for make in before]
    for i, units in enumerate(hidden):
        if callable(activation) and not isinstance(activation, str):
            layers.append(keras.layers.Dense(units, kernel_initializer=kernel_initializer,
                                             bias_initializer=bias_initializer,
                                             name=f"hidden_{i}", **(hidden_kwargs or {})))
            layers.append(activation())
        else:
            layers.append(keras.layers.Dense(units, activation=activation,
                                             kernel_initializer=kernel_initializer,
                                             bias_initializer=bias_initializer,
                                             name=f"hidden_{i}", **(hidden_kwargs or {})))
        layers += [make() for make in after_hidden]
    layers.append(keras.layers.Dense(n_out, activation=output_activation, name="output",
                                     **(output_kwargs or {})))
    layers += [make() for make in after_output]
    model = keras.Sequential(layers, name="faults_mlp")
    if output_bias is not None:
        model.get_layer("output").bias.assign(np.asarray(output_bias, dtype="float32"))
    if not trainable:
        for layer in model.layers:
            layer.trainable = False
    model.compile(optimizer=optimizer() if optimizer is not None else adam(),
                  loss=loss, metrics=list(metrics))
    return model


def _layers():
    """Custom layers, defined on first use so importing the cases stays light."""
    keras = _import_keras()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="kerasdoc_faults")
    class Centering(keras.layers.Layer):
        """Subtracts the mean over `axis`: -1 is per sample, 0 mixes the batch."""

        def __init__(self, axis=-1, **kwargs):
            super().__init__(**kwargs)
            self.axis = axis

        def call(self, inputs):
            return inputs - ops.mean(inputs, axis=self.axis, keepdims=True)

        def get_config(self):
            return {**super().get_config(), "axis": self.axis}

    @keras.saving.register_keras_serializable(package="kerasdoc_faults")
    class LogFeatures(keras.layers.Layer):
        """log(relu(x) + offset); offset 0 takes the log of zeros."""

        def __init__(self, offset=1.0, **kwargs):
            super().__init__(**kwargs)
            self.offset = offset

        def call(self, inputs):
            return ops.log(ops.relu(inputs) + self.offset)

        def get_config(self):
            return {**super().get_config(), "offset": self.offset}

    @keras.saving.register_keras_serializable(package="kerasdoc_faults")
    class Temperature(keras.layers.Layer):
        """Multiplies logits by `scale` (a softmax temperature of 1/scale)."""

        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, inputs):
            return inputs * self.scale

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    @keras.saving.register_keras_serializable(package="kerasdoc_faults")
    class CustomSoftplus(keras.layers.Layer):
        """Softplus with a hand-written gradient; `correct=False` forgets the chain rule."""

        def __init__(self, correct=True, **kwargs):
            super().__init__(**kwargs)
            self.correct = correct

        def call(self, inputs):
            import tensorflow as tf

            correct = self.correct

            @tf.custom_gradient
            def softplus(x):
                def grad(upstream):
                    if correct:
                        return upstream * tf.sigmoid(x)
                    return tf.sigmoid(x)  # the bug: upstream gradient dropped

                return tf.math.softplus(x), grad

            return softplus(inputs)

        def get_config(self):
            return {**super().get_config(), "correct": self.correct}

    return {"Centering": Centering, "LogFeatures": LogFeatures,
            "Temperature": Temperature, "CustomSoftplus": CustomSoftplus}


_LAYERS = None


def layer(name, **kwargs):
    """A factory for one of the custom layers, e.g. `layer("Centering", axis=0)`."""
    global _LAYERS
    if _LAYERS is None:
        _LAYERS = _layers()
    cls = _LAYERS[name]
    return lambda: cls(**kwargs)


def fashion_program(model_fn, *, x=None, y=None, validation_data=None, **settings):
    """A `Program` on the bundled FashionMNIST subset unless `x`/`validation_data` say otherwise."""
    from benchmarks.faults._program import Program

    data = fashion()
    if x is None:
        x, y = data["x"], data["y"]
    if validation_data is None:
        validation_data = (data["x_val"], data["y_val"])
    settings.setdefault("class_names", data["class_names"])
    return Program(model_fn=model_fn, x=x, y=y, validation_data=validation_data, **settings)
