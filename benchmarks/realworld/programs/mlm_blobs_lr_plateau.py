"""MachineLearningMastery "Understand the Impact of Learning Rate on Neural Network
Performance": ReduceLROnPlateau on the blobs problem."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "understand-the-dynamics-of-learning-rate-on-deep-learning-neural-networks/")
KIND = "lr_schedule"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: make_blobs(n_samples=1000, centers=3, "
         "n_features=2, cluster_std=2, random_state=2), one-hot, 500/500 split; "
         "Dense(50, he_uniform, relu) -> Dense(3, softmax), SGD(0.01), "
         "ReduceLROnPlateau(monitor='val_loss', factor=0.1, patience=5, "
         "min_delta=1e-7) as fit callback; epochs 200 -> 100, default batch.")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_blobs

    seeded(0)
    X, y = make_blobs(n_samples=1000, centers=3, n_features=2, cluster_std=2,
                      random_state=2)
    X = X.astype("float32")
    y = keras.utils.to_categorical(y)
    n_train = 500

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            keras.layers.Dense(50, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.Dense(3, activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy",
                      optimizer=keras.optimizers.SGD(learning_rate=0.01),
                      metrics=["accuracy"])
        return model

    rlrp = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=5,
                                             min_delta=1e-7)
    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), epochs=100,
                       fit_kwargs={"callbacks": [rlrp]})
