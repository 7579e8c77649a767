"""MachineLearningMastery "How to Develop Multilayer Perceptron Models for Time Series
Forecasting": the univariate MLP on a tiny raw sequence."""

from benchmarks.realworld._program import RealProgram, seeded, split_sequence

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-develop-multilayer-perceptron-models-for-time-series-forecasting/")
KIND = "timeseries"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: [10, 20, ..., 90] split into 6 samples "
         "of 3 steps, raw inputs and targets; Dense(100, relu, input_dim=3) -> "
         "Dense(1), adam, mse; default batch (one full batch); epochs 2000 -> 500.")


def build(fixed=False):
    import keras

    seeded(0)
    raw_seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    n_steps = 3
    X, y = split_sequence(raw_seq, n_steps)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(n_steps,)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer="adam", loss="mse")
        return model

    return RealProgram(model_fn=model_fn, x=X, y=y, epochs=500)
