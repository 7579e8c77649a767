"""keras-io "Simple MNIST convnet" (fchollet), on FashionMNIST."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/vision/mnist_convnet.py"
KIND = "cnn"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST (first 4000 train / 1000 test images, same shape, "
         "scaled /255 and one-hot as the original); fit's validation_split=0.1 -> "
         "validation_data of the last 10% of the train rows; epochs 15 -> 3.")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, y), _ = fashion_mnist(4000, 0)
    x = np.expand_dims(x.astype("float32") / 255, -1)
    y = keras.utils.to_categorical(y, 10)
    cut = int(len(x) * 0.9)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy", optimizer="adam",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=128, epochs=3)
