"""Small reference models used by the walkthrough, the demo and the tests."""

__all__ = ["baseline_mlp", "small_cnn"]


def baseline_mlp(input_shape=(28, 28), n_classes=10, *, compile=True,
                 kernel_initializer="he_normal", learning_rate=1e-3):
    """The walkthrough's baseline: Flatten, Dense(128, relu, he_normal), Dense(softmax).

    Args:
        input_shape: shape of one input. Defaults to `(28, 28)`.
        n_classes: output units. Defaults to `10`.
        compile: compile with Adam and sparse categorical cross-entropy.
            Defaults to `True`.
        kernel_initializer: hidden layer initializer. Defaults to `"he_normal"`.
        learning_rate: Adam's learning rate. Defaults to `1e-3`.

    Example:

    >>> model = baseline_mlp()
    >>> model.output_shape
    (None, 10)
    """
    import keras

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu",
                           kernel_initializer=kernel_initializer),
        keras.layers.Dense(n_classes, activation="softmax"),
    ], name="baseline_mlp")
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def small_cnn(input_shape=(28, 28, 1), n_classes=10, *, compile=True,
              learning_rate=1e-3):
    """A small CNN with BatchNormalization: the walkthrough's "grow the model" step.

    Args:
        input_shape: shape of one input; `(28, 28)` inputs get a channel axis
            added by a `Reshape`. Defaults to `(28, 28, 1)`.
        n_classes: output units. Defaults to `10`.
        compile: compile with Adam and sparse categorical cross-entropy.
            Defaults to `True`.
        learning_rate: Adam's learning rate. Defaults to `1e-3`.
    """
    import keras

    layers = [keras.Input(shape=input_shape)]
    if len(input_shape) == 2:
        layers.append(keras.layers.Reshape(tuple(input_shape) + (1,)))
    layers += [
        keras.layers.Conv2D(16, 3, padding="same", use_bias=False,
                            kernel_initializer="he_normal"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu",
                            kernel_initializer="he_normal"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ]
    model = keras.Sequential(layers, name="small_cnn")
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model
