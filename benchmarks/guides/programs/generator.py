"""A Python generator yielding (x, y) batches, with steps_per_epoch."""

from benchmarks.guides._program import GuideProgram, seeded

SOURCE = ("https://keras.io/api/models/model_training_apis/ (fit: x may be a Python "
          "generator returning (inputs, targets); steps_per_epoch for a generator that "
          "loops forever)")
PATTERN = "a generator"
FAST = False
NOTES = ("A generator function looping over shuffled minibatches of numpy arrays "
         "forever, passed as fit(gen(), steps_per_epoch=...); validation as arrays. "
         "Synthetic tabular data: 320 train / 64 val samples, 10 standardized features, "
         "binary target from a linear rule; Dense 16 relu + Dense 1 sigmoid, Adam, "
         "binary_crossentropy, batches of 32, 10 steps per epoch, 3 epochs.")


def build():
    import keras
    import numpy as np

    rng = seeded(0)
    n = 384
    x = rng.normal(size=(n, 10)).astype("float32")
    y = (x @ rng.normal(size=10) + 0.3 * rng.normal(size=n) > 0).astype("float32")
    x_train, y_train, x_val, y_val = x[:320], y[:320], x[320:], y[320:]

    def batches(batch_size=32):
        order = np.random.default_rng(1)
        while True:
            index = order.permutation(len(x_train))
            for start in range(0, len(index), batch_size):
                part = index[start:start + batch_size]
                yield x_train[part], y_train[part]

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(10,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, batches(), validation_data=(x_val, y_val), epochs=3,
                        fit_kwargs={"steps_per_epoch": 10})
