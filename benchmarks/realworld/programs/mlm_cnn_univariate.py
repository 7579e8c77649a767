"""MachineLearningMastery "How to Develop Convolutional Neural Network Models for Time Series
Forecasting": the univariate Conv1D model on a tiny raw sequence."""

from benchmarks.realworld._program import RealProgram, seeded, split_sequence

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-develop-convolutional-neural-network-models-for-time-series-forecasting/")
KIND = "timeseries"
HEALTHY = True
FAST = True
NOTES = ("Data exactly as the tutorial: [10, 20, ..., 90] split into 6 samples "
         "of 3 steps, raw targets; Conv1D(64, 2, relu) -> MaxPooling1D(2) -> "
         "Flatten -> Dense(50, relu) -> Dense(1), adam, mse; default batch (one "
         "full batch); epochs 1000 -> 300.")


def build(fixed=False):
    import keras

    seeded(0)
    raw_seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    n_steps = 3
    X, y = split_sequence(raw_seq, n_steps)
    X = X.reshape(-1, n_steps, 1)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(n_steps, 1)),
            keras.layers.Conv1D(filters=64, kernel_size=2, activation="relu"),
            keras.layers.MaxPooling1D(pool_size=2),
            keras.layers.Flatten(),
            keras.layers.Dense(50, activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer="adam", loss="mse")
        return model

    return RealProgram(model_fn=model_fn, x=X, y=y, epochs=300)
