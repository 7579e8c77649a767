"""compile(jit_compile=True, steps_per_execution=4): XLA and several steps per call."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/api/models/model_training_apis/ (Model.compile arguments)"
PATTERN = "jit_compile with steps_per_execution"
FAST = False
NOTES = ("Model.compile(..., steps_per_execution=4, jit_compile=True) on an MLP. "
         "FashionMNIST subset (512/128) flattened and scaled to [0, 1]; Dense 64 relu, "
         "Dense 10 softmax; Adam, sparse_categorical_crossentropy, batch 32, 2 epochs "
         "(16 steps per epoch, 4 per call).")


def build():
    import keras
    from keras import layers

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(784,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], steps_per_execution=4, jit_compile=True)
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32)
