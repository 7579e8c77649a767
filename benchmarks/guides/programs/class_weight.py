"""fit(..., class_weight=...) on imbalanced classes."""

from benchmarks.guides._program import GuideProgram, seeded

SOURCE = "https://keras.io/guides/training_with_built_in_methods/ (the 'Class weights' section)"
PATTERN = "class_weight"
FAST = False
NOTES = ("The guide's class_weight dict ({0: 1.0, ..., 5: 2.0, ...}) passed to fit; here "
         "the classes are imbalanced (one in ten samples is class 1) and the weight is "
         "the inverse frequency, the reason class_weight is used. Synthetic tabular data: "
         "480 train / 96 val samples, 8 standardized features; the guide's model (Dense "
         "64 relu, Dense 64 relu) with a 2-unit softmax; Adam, sparse_categorical_crossentropy, batch 32, 3 epochs.")


def build():
    import keras
    import numpy as np

    rng = seeded(0)
    n = 576
    y = (rng.random(n) < 0.1).astype("int64")
    x = rng.normal(size=(n, 8)).astype("float32")
    x[:, :3] += 1.5 * y[:, None]
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    counts = np.bincount(y[:480], minlength=2)
    class_weight = {0: 1.0, 1: float(counts[0] / counts[1])}

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(8,)),
            keras.layers.Dense(64, activation="relu", name="dense_1"),
            keras.layers.Dense(64, activation="relu", name="dense_2"),
            keras.layers.Dense(2, activation="softmax", name="predictions"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
        return model

    return GuideProgram(model_fn, x[:480], y[:480], validation_data=(x[480:], y[480:]),
                        batch_size=32, epochs=3, fit_kwargs={"class_weight": class_weight})
