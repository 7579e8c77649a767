"""keras-io "Timeseries classification with a Transformer model" (FordA).

Ported as a healthy program first; kerasdoc's train.vanishing_gradients warning
on it is true (measured below), so it is a buggy program of the corpus. The
series have one feature, and each encoder block applies LayerNormalization to
a one-feature output (after the attention and after the feed-forward Conv1D):
normalising one value gives exactly its beta (0), so both sub-layers output a
constant, receive exactly zero gradient and every block is the identity. The
pooling (data_format="channels_last") then averages each z-normalised series
over time, which is 0 for every series: the head sees no input. Upstream
reports: keras-team/keras-io issues #1813, #1908, #2018 ("accuracy stays the
same"), fix proposed in pull request #2006 (pool with "channels_first", as the
published keras.io page's parameter count shows).
"""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/timeseries/timeseries_classification_transformer.py"
KIND = "timeseries"
HEALTHY = False
FAULT = ("LayerNormalization over a one-feature axis outputs a constant (its beta), so "
         "every attention and feed-forward layer gets exactly zero gradient and each "
         "encoder block is the identity; the channels_last pooling then averages each "
         "z-normalised series to 0, so the head sees no input and the model stays at "
         "chance")
EXPECTED = ("train.vanishing_gradients", "train.weights_unchanged", "train.loss_plateau",
            "probe.input_independent", "probe.cannot_overfit_batch")
NOTES = ("FordA (3601 series of length 500) -> _data.series_classes: 1200 "
         "z-normalised series of length 500 -> 128 (attention over 500 steps is "
         "too slow on this CPU) whose class sets their frequencies; "
         "build_model(head_size=256, num_heads=4, ff_dim=4, "
         "num_transformer_blocks=4 -> 2, mlp_units=[128], mlp_dropout=0.4, "
         "dropout=0.25), Adam(1e-4), sparse_categorical_crossentropy as the "
         "original; validation_split=0.2 -> validation_data of the last 20%; "
         "EarlyStopping(patience=10, restore_best_weights=True) kept; batch 64; "
         "epochs 150 -> 6. Fix (fixed=True): GlobalAveragePooling1D("
         "data_format='channels_first'), upstream pull request #2006 (the head then sees "
         "the 128 steps; the encoder blocks stay the identity, as on the published page). "
         "Measured (Doctor on a plain fit with the program's settings, seed 0, "
         "2026-11-29): loss 0.6931 -> 0.6924 in 6 epochs, validation accuracy 0.500 "
         "every epoch; the gradient norms of both MultiHeadAttention layers and all four "
         "Conv1D layers are exactly 0 at every check (LayerNormalization's 0.003-0.012, "
         "the last Dense's 0.02-0.10); the scorer's learning check: loss 0.693 -> 0.693, "
         "accuracy 0.500 (needs 0.625). Fixed, plain fit, seed 0: validation accuracy "
         "0.504 / 0.542 / 0.587 / 0.625 / 0.650 / 0.688 over the 6 epochs.")


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
        h = layers.GlobalAveragePooling1D(
            data_format="channels_first" if fixed else "channels_last")(h)
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
