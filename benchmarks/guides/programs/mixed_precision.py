"""Mixed precision: layers built under the mixed_float16 policy, a float32 output."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/api/mixed_precision/policy/ (DTypePolicy, set_dtype_policy)"
PATTERN = "mixed precision"
FAST = False
NOTES = ("keras.config.set_dtype_policy('mixed_float16') before building and compiling "
         "(compile then wraps the optimizer in a LossScaleOptimizer), the softmax output "
         "kept in float32 (dtype='float32'), the global policy put back to float32 once "
         "the model is compiled so that nothing else in the process is affected. "
         "FashionMNIST subset (512/128) flattened and scaled to [0, 1]; Dense 64 relu, "
         "Dense 10 + Activation('softmax', dtype='float32'); Adam, "
         "sparse_categorical_crossentropy, batch 32, 2 epochs.")


def build():
    import keras
    from keras import layers

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0

    def model_fn():
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_float16")
        try:
            inputs = keras.Input(shape=(784,))
            h = layers.Dense(64, activation="relu")(inputs)
            h = layers.Dense(10)(h)
            outputs = layers.Activation("softmax", dtype="float32")(h)
            model = keras.Model(inputs, outputs)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
        finally:
            keras.config.set_dtype_policy(previous)
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32)
