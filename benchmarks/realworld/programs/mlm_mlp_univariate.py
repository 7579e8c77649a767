"""MachineLearningMastery "How to Develop Multilayer Perceptron Models for Time Series
Forecasting": the univariate MLP on a tiny raw sequence."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-develop-multilayer-perceptron-models-for-time-series-forecasting/")
KIND = "timeseries"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: [10, 20, ..., 90] split into 6 samples "
         "of 3 steps, raw inputs and targets; Dense(100, relu, input_dim=3) -> "
         "Dense(1), adam, mse; default batch (one full batch); epochs 2000 -> 500.")


def build(fixed=False):
    import keras
    import numpy as np

    seeded(0)
    raw_seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    n_steps = 3
    X = np.array([raw_seq[i:i + n_steps] for i in range(len(raw_seq) - n_steps)],
                 dtype="float32")
    y = np.array([raw_seq[i + n_steps] for i in range(len(raw_seq) - n_steps)],
                 dtype="float32")

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(n_steps,)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer="adam", loss="mse")
        return model

    return RealProgram(model_fn=model_fn, x=X, y=y, epochs=500)
