"""MachineLearningMastery "How to Fix the Vanishing Gradients Problem Using the ReLU":
the five-hidden-layer ReLU MLP on two circles, SGD with momentum."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-fix-vanishing-gradients-using-the-rectified-linear-activation-function/")
KIND = "sgd_momentum"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: make_circles(n_samples=1000, noise=0.1, "
         "random_state=1), inputs scaled to [-1, 1] with MinMaxScaler, 500/500 "
         "split; five Dense(5, relu, he_uniform) then Dense(1, sigmoid), "
         "binary_crossentropy, SGD(0.01, momentum=0.9); epochs 500 -> 200, "
         "default batch.")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_circles
    from sklearn.preprocessing import MinMaxScaler

    seeded(0)
    X, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
    X = MinMaxScaler(feature_range=(-1, 1)).fit_transform(X).astype("float32")
    n_train = 500

    def model_fn():
        model = keras.Sequential([keras.Input(shape=(2,))] + [
            keras.layers.Dense(5, activation="relu", kernel_initializer="he_uniform")
            for _ in range(5)] + [keras.layers.Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy",
                      optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), epochs=200)
