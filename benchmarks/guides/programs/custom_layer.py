"""A functional model with a custom Layer (add_weight in build, no get_config)."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/guides/making_new_layers_and_models_via_subclassing/"
PATTERN = "a model with a custom layer"
FAST = False
NOTES = ("The guide's Linear layer (weights created in build() with add_weight, "
         "random_normal kernel, zeros bias; no get_config) used in a functional model. "
         "FashionMNIST subset (512/128) flattened and scaled to [0, 1]; Linear(64) + "
         "relu, Dense 10 softmax; Adam, sparse_categorical_crossentropy, batch 32, "
         "2 epochs.")


def build():
    import keras
    from keras import layers, ops

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0

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

    def model_fn():
        inputs = keras.Input(shape=(784,))
        h = layers.Activation("relu")(Linear(64)(inputs))
        outputs = layers.Dense(10, activation="softmax")(h)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32)
