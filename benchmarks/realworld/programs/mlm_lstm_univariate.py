"""MachineLearningMastery "How to Develop LSTM Models for Time Series Forecasting": the vanilla
LSTM on a tiny raw univariate sequence (one full batch per epoch)."""

from benchmarks.realworld._program import RealProgram, seeded, split_sequence

SOURCE = "https://machinelearningmastery.com/how-to-develop-lstm-models-for-time-series-forecasting/"
KIND = "timeseries"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: the raw sequence [10, 20, ..., 90] split "
         "into 6 samples of 3 steps (targets 40..90, unscaled); LSTM(50, relu) -> "
         "Dense(1), adam, mse; default batch (6 rows, one full batch); epochs 200 "
         "kept; no validation data, as the tutorial.")


def build(fixed=False):
    import keras

    seeded(0)
    raw_seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    n_steps = 3
    X, y = split_sequence(raw_seq, n_steps)
    X = X.reshape((X.shape[0], X.shape[1], 1))

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(n_steps, 1)),
            keras.layers.LSTM(50, activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer="adam", loss="mse")
        return model

    return RealProgram(model_fn=model_fn, x=X, y=y, epochs=200)
