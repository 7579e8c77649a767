"""A Sequential model with a Lambda layer wrapping a Python function."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = ("https://keras.io/api/layers/core_layers/lambda/ (and its Keras 2 page, "
          "https://keras.io/2/api/layers/core_layers/lambda/, for the antirectifier "
          "function)")
PATTERN = "a model with a Lambda layer"
FAST = False
NOTES = ("The Lambda docs' antirectifier (centre, L2-normalise, concatenate the "
         "positive and negative parts) written with keras.ops and wrapped in "
         "layers.Lambda between two Dense layers. FashionMNIST subset (512/128) "
         "flattened and scaled to [0, 1]; Dense 64, Lambda(antirectifier), Dense 10 "
         "softmax; Adam, sparse_categorical_crossentropy, batch 32, 2 epochs.")


def build():
    import keras
    from keras import layers, ops

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0

    def antirectifier(t):
        t = t - ops.mean(t, axis=1, keepdims=True)
        t = t / ops.sqrt(ops.sum(ops.square(t), axis=1, keepdims=True) + 1e-6)
        return ops.concatenate([ops.relu(t), ops.relu(-t)], axis=1)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(784,)),
            layers.Dense(64),
            layers.Lambda(antirectifier),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32)
