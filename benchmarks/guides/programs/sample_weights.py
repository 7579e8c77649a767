"""fit(..., sample_weight=...) with per-sample weights."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/guides/training_with_built_in_methods/ (the 'Sample weights' section)"
PATTERN = "sample weights"
FAST = False
NOTES = ("As the guide: sample_weight = np.ones(len(y_train)); sample_weight[y_train == 5] "
         "= 2.0, passed to fit with numpy arrays. FashionMNIST subset (512/128) flattened "
         "and scaled to [0, 1]; Dense 64 relu, Dense 10 softmax; RMSprop, "
         "sparse_categorical_crossentropy, batch 32, 2 epochs.")


def build():
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0
    sample_weight = np.ones(shape=(len(y),))
    sample_weight[y == 5] = 2.0

    def model_fn():
        inputs = keras.Input(shape=(784,), name="digits")
        h = layers.Dense(64, activation="relu", name="dense_1")(inputs)
        outputs = layers.Dense(10, activation="softmax", name="predictions")(h)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                      loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32,
                        fit_kwargs={"sample_weight": sample_weight})
