"""keras-io "Customizing the convolution operation of a Conv2D layer" (StandardizedConv2D).

Ported as a healthy program first; kerasdoc's probe.initial_loss and
train.logits_blowup warnings on it are true (measured below), so it is a buggy
program of the corpus. Weight standardisation rescales each output channel's
kernel to unit variance, where He's scale is 2 / fan_in (fan_in 9 and 288
here), and nothing after the convolutions normalises the activations again
(weight standardisation is meant to be paired with a normalisation layer): the
activations grow about sqrt(fan_in / 2) per layer and the softmax starts at
logits far from 0 (initial loss 16-20 against ln 10 = 2.30).
"""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/keras_recipes/subclassing_conv_layers.py"
KIND = "custom_layer"
HEALTHY = False
FAULT = ("weight-standardised kernels at unit variance instead of He's 2 / fan_in, with "
         "no normalisation after them: activations grow ~sqrt(fan_in / 2) per layer and "
         "the softmax starts saturated (initial loss 16-20 vs ln 10)")
EXPECTED = ("probe.initial_loss", "train.logits_blowup")
NOTES = ("MNIST -> FashionMNIST (first 5000 train images, /255, one-hot as the "
         "original); validation_split=0.1 -> validation_data of the last 10%; "
         "InputLayer(input_shape=...) -> keras.Input; tf.nn.moments kept; "
         "epochs 5 -> 2. Fix (fixed=True): the standardised kernel times "
         "sqrt(2 / fan_in), He's scale. Measured (plain fit with the program's "
         "settings, seeds 0/1/2, 2026-11-29): initial loss 16.0 / 19.5 / 17.8 "
         "broken, 2.39 / 2.39 / 2.45 fixed; after 2 epochs validation accuracy "
         "0.800 / 0.802 / 0.812 broken, 0.840 / 0.830 / 0.836 fixed (validation "
         "loss 0.95-1.07 vs 0.43-0.45); at the original 5 epochs 0.832 / 0.826 / "
         "0.830 broken, 0.878 / 0.868 / 0.872 fixed (validation loss 0.51-0.58 vs "
         "0.34-0.37; plain Conv2D layers: 0.834 / 0.828 / 0.830).")


def _layers(fixed=False):
    import numpy as np
    import tensorflow as tf
    from keras import layers

    def scale(kernel):  # the fix: He's scale, 2 / fan_in, on the standardised kernel
        return float(np.sqrt(2.0 / np.prod(kernel.shape[:3]))) if fixed else 1.0

    class StandardizedConv2DWithOverride(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, var = tf.nn.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return tf.nn.conv2d(inputs, (kernel - mean) / tf.sqrt(var + 1e-10) * scale(kernel),
                                padding="VALID", strides=list(self.strides),
                                name=self.__class__.__name__)

    class StandardizedConv2DWithCall(layers.Conv2D):
        def call(self, inputs):
            mean, var = tf.nn.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            result = self.convolution_op(
                inputs, (self.kernel - mean) / tf.sqrt(var + 1e-10) * scale(self.kernel))
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
    WithOverride, WithCall = _layers(fixed)

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
