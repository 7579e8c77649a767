"""keras-io "Simple custom layer example: Antirectifier" (fchollet)."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/keras_recipes/antirectifier.py"
KIND = "custom_layer"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST (first 6000 train images, flattened, /255 as the "
         "original); validation_split=0.15 -> validation_data of the last 15%; "
         "epochs 20 -> 3.")


def _antirectifier():
    import keras
    from keras import layers, ops

    class Antirectifier(layers.Layer):
        def __init__(self, initializer="he_normal", **kwargs):
            super().__init__(**kwargs)
            self.initializer = keras.initializers.get(initializer)

        def build(self, input_shape):
            output_dim = input_shape[-1]
            self.kernel = self.add_weight(shape=(output_dim * 2, output_dim),
                                          initializer=self.initializer, name="kernel",
                                          trainable=True)

        def call(self, inputs):
            inputs -= ops.mean(inputs, axis=-1, keepdims=True)
            pos = ops.relu(inputs)
            neg = ops.relu(-inputs)
            concatenated = ops.concatenate([pos, neg], axis=-1)
            return ops.matmul(concatenated, self.kernel)

    return Antirectifier


def build(fixed=False):
    import keras
    from keras import layers

    seeded(0)
    (x, y), _ = fashion_mnist(6000, 0)
    x = x.reshape(-1, 784).astype("float32") / 255
    cut = int(len(x) * 0.85)
    Antirectifier = _antirectifier()

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(784,)),
            layers.Dense(256),
            Antirectifier(),
            layers.Dense(256),
            Antirectifier(),
            layers.Dropout(0.5),
            layers.Dense(10),
        ])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      optimizer=keras.optimizers.RMSprop(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
        return model

    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=128, epochs=3)
