"""keras-io "Timeseries classification from scratch" (FCN with BatchNorm on FordA)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/timeseries/timeseries_classification_from_scratch.py"
KIND = "timeseries"
HEALTHY = True
FAST = False
NOTES = ("FordA (3601 series of length 500, z-normalised, labels -1/1 -> 0/1) -> "
         "_data.series_classes: 1500 z-normalised series of length 500 whose class "
         "sets their frequencies; validation_split=0.2 -> validation_data of the "
         "last 20%; ModelCheckpoint dropped, ReduceLROnPlateau and EarlyStopping "
         "kept; epochs 500 -> 15 (BatchNormalization's moving statistics need a "
         "few hundred steps before inference-mode evaluation is meaningful).")


def build(fixed=False):
    import keras

    from benchmarks.realworld.programs._data import series_classes

    rng = seeded(0)
    x, y = series_classes(rng, 1500, 500)
    x = x.reshape((x.shape[0], x.shape[1], 1))
    num_classes = len(set(y.tolist()))
    cut = int(len(x) * 0.8)

    def model_fn():
        input_layer = keras.layers.Input(x.shape[1:])
        h = input_layer
        for _ in range(3):
            h = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(h)
            h = keras.layers.BatchNormalization()(h)
            h = keras.layers.ReLU()(h)
        gap = keras.layers.GlobalAveragePooling1D()(h)
        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
        model = keras.models.Model(inputs=input_layer, outputs=output_layer)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20,
                                          min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=0),
    ]
    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=32, epochs=15,
                       fit_kwargs={"callbacks": callbacks})
