"""A Sequential model without an Input: fit builds it from the first batch."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = ("https://keras.io/guides/sequential_model/ and "
          "https://keras.io/api/models/sequential/ ('the delayed-build pattern')")
PATTERN = "an unbuilt Sequential model, as fit receives it"
FAST = False
NOTES = ("keras.Sequential([layers...]) with no Input and no input_shape, compiled and "
         "fitted directly: 'the model gets built the first time you call fit'. "
         "FashionMNIST subset (512/128) flattened and scaled to [0, 1]; Dense 64 relu, "
         "Dense 10 softmax; RMSprop, sparse_categorical_crossentropy, batch 32, 2 epochs.")


def build():
    import keras
    from keras import layers

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0

    def model_fn():
        model = keras.Sequential([
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32)
