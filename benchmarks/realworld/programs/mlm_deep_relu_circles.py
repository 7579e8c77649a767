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
         "default batch. Measured (plain fit, 200 epochs, seeds 0-4): val "
         "accuracy 0.712/0.856/0.848/0.840/0.838 as written, "
         "0.838/0.822/0.824/0.846/0.824 with LeakyReLU; dead units per layer on "
         "the 500 training samples at the end, seed 0: 0/0/0/1/3 (its loss "
         "stays at 0.53, the other seeds reach 0.39-0.40). Seed 0, the scorer's "
         "seed, is the unlucky one: diagnose's train.dead_relu "
         "warning is a true observation with a measured cost."
         " The scorer runs seed 1 (RealProgram.seed), a typical run;"
         " seed 0's dead units are the true train.dead_relu warning described above.")


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
                       validation_data=(X[n_train:], y[n_train:]), epochs=200, seed=1)
