"""MachineLearningMastery "Understand the Impact of Learning Rate on Neural Network
Performance": SGD with a time-based learning-rate decay."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "understand-the-dynamics-of-learning-rate-on-deep-learning-neural-networks/")
KIND = "lr_schedule"
HEALTHY = True
NOTES = ("Data exactly as the tutorial (make_blobs, 3 centers, 500/500 split, "
         "one-hot); SGD(learning_rate=0.01, decay=1e-3) -> Keras 3 "
         "has no `decay` argument, so the same time-based decay "
         "lr / (1 + decay * iterations) as InverseTimeDecay(0.01, decay_steps=1, "
         "decay_rate=1e-3); epochs 200 -> 100, default batch.")


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
        schedule = keras.optimizers.schedules.InverseTimeDecay(0.01, decay_steps=1,
                                                               decay_rate=1e-3)
        model.compile(loss="categorical_crossentropy",
                      optimizer=keras.optimizers.SGD(learning_rate=schedule),
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), epochs=100)
