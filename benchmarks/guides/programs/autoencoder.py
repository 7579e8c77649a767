"""A convolutional autoencoder fitted with x as its own target."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/examples/vision/autoencoder/ (Convolutional autoencoder for image denoising)"
PATTERN = "an autoencoder"
FAST = False
NOTES = ("The example's autoencoder: Conv2D 32 3x3 relu same + MaxPooling2D twice, "
         "Conv2DTranspose 32 3x3 strides 2 relu same twice, Conv2D 1 3x3 sigmoid same; "
         "adam, binary_crossentropy; fit(x, x) on images scaled to [0, 1] as its "
         "preprocess(). Here 16 filters (32), FashionMNIST subset (512/128) instead of "
         "MNIST, batch 32 (128), 2 epochs (50); the first (plain) training, not the "
         "denoising one.")


def build():
    import keras
    from keras import layers

    seeded(0)
    (x, _), (xv, _) = fashion_subset()
    x = x[..., None].astype("float32") / 255.0
    xv = xv[..., None].astype("float32") / 255.0

    def model_fn():
        inputs = layers.Input(shape=(28, 28, 1))
        h = layers.Conv2D(16, (3, 3), activation="relu", padding="same")(inputs)
        h = layers.MaxPooling2D((2, 2), padding="same")(h)
        h = layers.Conv2D(16, (3, 3), activation="relu", padding="same")(h)
        h = layers.MaxPooling2D((2, 2), padding="same")(h)
        h = layers.Conv2DTranspose(16, (3, 3), strides=2, activation="relu",
                                   padding="same")(h)
        h = layers.Conv2DTranspose(16, (3, 3), strides=2, activation="relu",
                                   padding="same")(h)
        outputs = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(h)
        autoencoder = keras.Model(inputs, outputs)
        autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
        return autoencoder

    return GuideProgram(model_fn, x, x, validation_data=(xv, xv), batch_size=32)
