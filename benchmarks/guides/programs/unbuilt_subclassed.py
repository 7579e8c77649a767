"""A subclassed model handed to fit unbuilt (never called before training)."""

from benchmarks.guides._program import GuideProgram, seeded

SOURCE = "https://keras.io/guides/making_new_layers_and_models_via_subclassing/"
PATTERN = "an unbuilt subclassed model, as fit receives it"
FAST = False
NOTES = ("The guide's custom Linear layer (add_weight in build()) used by a keras.Model "
         "subclass (the 'MLPBlock' pattern) that is compiled and fitted without ever "
         "being called, so fit builds it from the first batch. Synthetic tabular data: "
         "384 samples, 8 standardized features, 3 classes; Adam, "
         "sparse_categorical_crossentropy, batch 32, 3 epochs.")


def build():
    import keras
    import numpy as np
    from keras import ops

    rng = seeded(0)
    n = 384
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 8)).astype("float32")
    x[np.arange(n), y] += 2.0
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")

    class Linear(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros",
                                     trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class MLPBlock(keras.Model):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(3)

        def call(self, inputs):
            h = ops.relu(self.linear_1(inputs))
            return ops.softmax(self.linear_2(h))

    def model_fn():
        model = MLPBlock()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, x[:320], y[:320], validation_data=(x[320:], y[320:]),
                        batch_size=32, epochs=3)

