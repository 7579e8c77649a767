"""MachineLearningMastery "How to Accelerate Learning of Deep Neural Networks With Batch
Normalization": the MLP with BatchNormalization on two circles."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-accelerate-learning-of-deep-neural-networks-with-batch-normalization/")
KIND = "sgd_momentum"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: make_circles(n_samples=1000, noise=0.1, "
         "random_state=1), 500/500 split; Dense(50, relu, he_uniform) -> "
         "BatchNormalization -> Dense(1, sigmoid), binary_crossentropy, "
         "SGD(0.01, momentum=0.9); epochs 100 kept, default batch.")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_circles

    seeded(0)
    X, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
    X = X.astype("float32")
    n_train = 500

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            keras.layers.Dense(50, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy",
                      optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), epochs=100)
