"""MachineLearningMastery "How to Develop a Deep CNN for Fashion-MNIST Clothing Classification":
the baseline CNN with SGD and momentum."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-develop-a-cnn-from-scratch-for-fashion-mnist-clothing-classification/")
KIND = "sgd_momentum"
HEALTHY = True
NOTES = ("FashionMNIST as the tutorial, but the first 10,000 train / 2000 test "
         "images instead of 60,000/10,000; /255 and one-hot as the tutorial; "
         "Conv2D(32, 3x3, relu, he_uniform) -> MaxPooling -> Flatten -> "
         "Dense(100, relu, he_uniform) -> Dense(10, softmax), SGD(0.01, "
         "momentum=0.9), categorical_crossentropy; batch 32 kept; epochs 10 -> 2.")


def build(fixed=False):
    import keras

    seeded(0)
    (x, y), (xt, yt) = fashion_mnist(10000, 2000)
    x = x.reshape((len(x), 28, 28, 1)).astype("float32") / 255.0
    xt = xt.reshape((len(xt), 28, 28, 1)).astype("float32") / 255.0
    y, yt = keras.utils.to_categorical(y), keras.utils.to_categorical(yt)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, (3, 3), activation="relu",
                                kernel_initializer="he_uniform"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(100, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xt, yt),
                       batch_size=32, epochs=2)
