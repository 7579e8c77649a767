"""MachineLearningMastery "Time Series Prediction with LSTM Recurrent Neural Networks in Python
with Keras": LSTM(4) on the MinMax-scaled airline passengers series, batch 1."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "time-series-prediction-lstm-recurrent-neural-networks-python-keras/")
KIND = "timeseries"
HEALTHY = True
NOTES = ("airline-passengers.csv (144 monthly counts, 104-622) -> 144 synthetic "
         "months: (100 + 2.6 t) x (1 + 0.2 sin(2 pi t / 12)) plus noise, same "
         "range; MinMaxScaler, 67/33 split and look_back=1 as the tutorial; "
         "LSTM(4) -> Dense(1), mean_squared_error, adam; batch_size=1 kept; "
         "epochs 100 -> 20.")


def build(fixed=False):
    import keras
    import numpy as np
    from sklearn.preprocessing import MinMaxScaler

    rng = seeded(0)
    t = np.arange(144)
    passengers = (100 + 2.6 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) \
        + rng.normal(0, 8, 144)
    dataset = MinMaxScaler(feature_range=(0, 1)).fit_transform(
        passengers.reshape(-1, 1)).astype("float32")
    train_size = int(len(dataset) * 0.67)
    train, test = dataset[:train_size], dataset[train_size:]
    look_back = 1

    def create_dataset(data):
        xs = [data[i:i + look_back, 0] for i in range(len(data) - look_back - 1)]
        ys = [data[i + look_back, 0] for i in range(len(data) - look_back - 1)]
        return np.array(xs), np.array(ys)

    trainX, trainY = create_dataset(train)
    testX, testY = create_dataset(test)
    trainX = trainX.reshape((trainX.shape[0], 1, trainX.shape[1]))
    testX = testX.reshape((testX.shape[0], 1, testX.shape[1]))

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(1, look_back)),
            keras.layers.LSTM(4),
            keras.layers.Dense(1),
        ])
        model.compile(loss="mean_squared_error", optimizer="adam")
        return model

    return RealProgram(model_fn=model_fn, x=trainX, y=trainY,
                       validation_data=(testX, testY), batch_size=1, epochs=20)
