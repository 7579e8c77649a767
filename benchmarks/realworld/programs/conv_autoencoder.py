"""keras-io "Convolutional autoencoder for image denoising" (first stage: reconstruction)."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/vision/autoencoder.py"
KIND = "autoencoder"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST (first 6000 train / 1000 test images, /255, "
         "reshaped to (28, 28, 1) as the original's preprocess); the first "
         "(reconstruction) training of the autoencoder is ported, with "
         "validation_data (test, test) as the original; epochs 50 -> 3.")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, _), (xt, _) = fashion_mnist(6000, 1000)
    train_data = np.reshape(x.astype("float32") / 255.0, (len(x), 28, 28, 1))
    test_data = np.reshape(xt.astype("float32") / 255.0, (len(xt), 28, 28, 1))

    def model_fn():
        inputs = layers.Input(shape=(28, 28, 1))
        h = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
        h = layers.MaxPooling2D((2, 2), padding="same")(h)
        h = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(h)
        h = layers.MaxPooling2D((2, 2), padding="same")(h)
        h = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu",
                                   padding="same")(h)
        h = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu",
                                   padding="same")(h)
        h = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(h)
        autoencoder = keras.Model(inputs, h)
        autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
        return autoencoder

    return RealProgram(model_fn=model_fn, x=train_data, y=train_data,
                       validation_data=(test_data, test_data), batch_size=128, epochs=3)
