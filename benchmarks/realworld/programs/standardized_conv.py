"""keras-io "Customizing the convolution operation of a Conv2D layer" (StandardizedConv2D)."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/keras_recipes/subclassing_conv_layers.py"
KIND = "custom_layer"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST (first 5000 train images, /255, one-hot as the "
         "original); validation_split=0.1 -> validation_data of the last 10%; "
         "InputLayer(input_shape=...) -> keras.Input; tf.nn.moments kept; "
         "epochs 5 -> 2.")


def _layers():
    import tensorflow as tf
    from keras import layers

    class StandardizedConv2DWithOverride(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, var = tf.nn.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return tf.nn.conv2d(inputs, (kernel - mean) / tf.sqrt(var + 1e-10),
                                padding="VALID", strides=list(self.strides),
                                name=self.__class__.__name__)

    class StandardizedConv2DWithCall(layers.Conv2D):
        def call(self, inputs):
            mean, var = tf.nn.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            result = self.convolution_op(inputs, (self.kernel - mean) / tf.sqrt(var + 1e-10))
            if self.use_bias:
                result = result + self.bias
            return result  # as the original: its activation is not applied

    return StandardizedConv2DWithOverride, StandardizedConv2DWithCall


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, y), _ = fashion_mnist(5000, 0)
    x = np.expand_dims(x.astype("float32") / 255, -1)
    y = keras.utils.to_categorical(y, 10)
    cut = int(len(x) * 0.9)
    WithOverride, WithCall = _layers()

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            WithCall(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            WithOverride(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy", optimizer="adam",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=128, epochs=2)
