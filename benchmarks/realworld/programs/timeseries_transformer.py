"""keras-io "Timeseries classification with a Transformer model" (FordA)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/timeseries/timeseries_classification_transformer.py"
KIND = "timeseries"
HEALTHY = True
NOTES = ("FordA (3601 series of length 500) -> _data.series_classes: 1200 "
         "z-normalised series of length 500 -> 128 (attention over 500 steps is "
         "too slow on this CPU) whose class sets their frequencies; "
         "build_model(head_size=256, num_heads=4, ff_dim=4, "
         "num_transformer_blocks=4 -> 2, mlp_units=[128], mlp_dropout=0.4, "
         "dropout=0.25), Adam(1e-4), sparse_categorical_crossentropy as the "
         "original; validation_split=0.2 -> validation_data of the last 20%; "
         "EarlyStopping(patience=10, restore_best_weights=True) kept; batch 64; "
         "epochs 150 -> 6.")


def build(fixed=False):
    import keras
    from keras import layers

    from benchmarks.realworld.programs._data import series_classes

    rng = seeded(0)
    x, y = series_classes(rng, 1200, 128)
    x = x.reshape((x.shape[0], x.shape[1], 1))
    n_classes = 2
    cut = int(0.8 * len(x))

    def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
        h = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads,
                                      dropout=dropout)(inputs, inputs)
        h = layers.Dropout(dropout)(h)
        h = layers.LayerNormalization(epsilon=1e-6)(h)
        res = h + inputs
        h = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
        h = layers.Dropout(dropout)(h)
        h = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(h)
        h = layers.LayerNormalization(epsilon=1e-6)(h)
        return h + res

    def model_fn():
        inputs = keras.Input(shape=x.shape[1:])
        h = inputs
        for _ in range(2):
            h = transformer_encoder(h, 256, 4, 4, 0.25)
        h = layers.GlobalAveragePooling1D(data_format="channels_last")(h)
        for dim in [128]:
            h = layers.Dense(dim, activation="relu")(h)
            h = layers.Dropout(0.4)(h)
        outputs = layers.Dense(n_classes, activation="softmax")(h)
        model = keras.Model(inputs, outputs)
        model.compile(loss="sparse_categorical_crossentropy",
                      optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                      metrics=["sparse_categorical_accuracy"])
        return model

    stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=64, epochs=6,
                       fit_kwargs={"callbacks": [stop]})
