"""keras-io "Timeseries anomaly detection using an Autoencoder" (Conv1D / Conv1DTranspose)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/timeseries/timeseries_anomaly_detection.py"
KIND = "autoencoder"
HEALTHY = True
NOTES = ("NAB art_daily_small_noise.csv (4032 points, one every 5 min) -> "
         "_data.seasonal_series with a 288-step daily period, 4032 points, no trend, "
         "small noise, standardised with the training mean/std as the original; "
         "windows of TIME_STEPS=288 as the original (3745 windows); "
         "validation_split=0.1 -> validation_data of the last 10% of windows; "
         "EarlyStopping kept; epochs 50 -> 4.")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    from benchmarks.realworld.programs._data import seasonal_series

    rng = seeded(0)
    values = seasonal_series(rng, 4032, period=288, trend=0.0, noise=0.05)
    values = (values - values.mean()) / values.std()
    steps = 288
    x = np.stack([values[i:i + steps] for i in range(len(values) - steps + 1)])
    cut = int(len(x) * 0.9)

    def model_fn():
        model = keras.Sequential([
            layers.Input(shape=(x.shape[1], x.shape[2])),
            layers.Conv1D(filters=32, kernel_size=7, padding="same", strides=2,
                          activation="relu"),
            layers.Dropout(rate=0.2),
            layers.Conv1D(filters=16, kernel_size=7, padding="same", strides=2,
                          activation="relu"),
            layers.Conv1DTranspose(filters=16, kernel_size=7, padding="same", strides=2,
                                   activation="relu"),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(filters=32, kernel_size=7, padding="same", strides=2,
                                   activation="relu"),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
        return model

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
    return RealProgram(model_fn=model_fn, x=x[:cut], y=x[:cut],
                       validation_data=(x[cut:], x[cut:]), batch_size=128, epochs=4,
                       fit_kwargs={"callbacks": [stop]})
