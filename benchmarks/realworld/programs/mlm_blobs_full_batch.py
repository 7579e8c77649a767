"""MachineLearningMastery "How to Control the Stability of Training Neural Networks With the
Batch Size": batch gradient descent (full batch) with SGD and momentum."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-control-the-speed-and-stability-of-training-neural-networks-"
          "with-gradient-descent-batch-size/")
KIND = "full_batch"
HEALTHY = True
FAST = True
NOTES = ("Data exactly as the tutorial: make_blobs(n_samples=1000, centers=3, "
         "n_features=2, cluster_std=2, random_state=2), one-hot, 500/500 split; "
         "Dense(50, he_uniform, relu) -> Dense(3, softmax), SGD(0.01, "
         "momentum=0.9), categorical_crossentropy; batch_size=len(trainX) and "
         "epochs 200 kept.")


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
                      optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), batch_size=n_train,
                       epochs=200)
