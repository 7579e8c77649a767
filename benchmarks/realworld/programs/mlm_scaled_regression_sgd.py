"""MachineLearningMastery "How to use Data Scaling Improve Deep Learning Model Stability and
Performance": the MLP with standardised inputs and targets, SGD with momentum."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-improve-neural-network-stability-and-modeling-performance-with-data-scaling/")
KIND = "sgd_momentum"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: make_regression(n_samples=1000, "
         "n_features=20, noise=0.1, random_state=1), inputs and target "
         "standardised with StandardScaler, 500/500 split; Dense(25, he_uniform, "
         "relu) -> Dense(1, linear), mean_squared_error, SGD(0.01, momentum=0.9); "
         "epochs 100 kept, default batch.")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_regression
    from sklearn.preprocessing import StandardScaler

    seeded(0)
    X, y = make_regression(n_samples=1000, n_features=20, noise=0.1, random_state=1)
    X = StandardScaler().fit_transform(X).astype("float32")
    y = StandardScaler().fit_transform(y.reshape(-1, 1)).astype("float32")
    n_train = 500

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(20,)),
            keras.layers.Dense(25, activation="relu", kernel_initializer="he_uniform"),
            keras.layers.Dense(1, activation="linear"),
        ])
        model.compile(loss="mean_squared_error",
                      optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
        return model

    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), epochs=100)
