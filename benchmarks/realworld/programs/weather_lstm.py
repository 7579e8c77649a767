"""keras-io "Timeseries forecasting for weather prediction" (LSTM on a tf.data window pipeline)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/timeseries/timeseries_weather_forecasting.py"
KIND = "timeseries"
HEALTHY = True
NOTES = ("Jena climate (420,551 rows every 10 min, 7 selected features) -> "
         "_data.seasonal_series: 24,000 rows of 7 correlated seasonal features "
         "(daily period of 144 steps) with trend and noise, the target the "
         "'temperature' column 792 steps ahead, standardised with training "
         "statistics, split 71.5/28.5 as the original; windows through "
         "keras.utils.timeseries_dataset_from_array (past 720, step 6, "
         "sequence_length 120, batch 256) as the original, so x is a "
         "tf.data.Dataset; ModelCheckpoint dropped, EarlyStopping kept; epochs 10 -> 2.")


def build(fixed=False):
    import keras
    import numpy as np

    from benchmarks.realworld.programs._data import seasonal_series

    rng = seeded(0)
    raw = seasonal_series(rng, 24000, period=144, trend=0.0001, noise=0.2, features=7)
    raw[:, 1] = raw[:, 0] * 0.8 + raw[:, 1] * 0.2  # correlated like T and Tpot
    train_split = int(0.715 * len(raw))
    mean, std = raw[:train_split].mean(0), raw[:train_split].std(0)
    features = (raw - mean) / std
    past, future, step, batch_size = 720, 72, 6, 256
    sequence_length = int(past / step)

    train_data, val_data = features[:train_split], features[train_split:]
    start, end = past + future, past + future + train_split
    x_train = train_data
    y_train = features[start:end][:, 1]
    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val = val_data[:x_end]
    y_val = features[label_start:][:, 1]

    dataset_train = keras.utils.timeseries_dataset_from_array(
        x_train, y_train, sequence_length=sequence_length, sampling_rate=step,
        batch_size=batch_size)
    dataset_val = keras.utils.timeseries_dataset_from_array(
        x_val, y_val, sequence_length=sequence_length, sampling_rate=step,
        batch_size=batch_size)
    for batch in dataset_train.take(1):
        inputs_shape = tuple(np.shape(batch[0]))

    def model_fn():
        inputs = keras.layers.Input(shape=(inputs_shape[1], inputs_shape[2]))
        lstm_out = keras.layers.LSTM(32)(inputs)
        outputs = keras.layers.Dense(1)(lstm_out)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
        return model

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    return RealProgram(model_fn=model_fn, x=dataset_train, validation_data=dataset_val,
                       epochs=2, fit_kwargs={"callbacks": [stop]})
