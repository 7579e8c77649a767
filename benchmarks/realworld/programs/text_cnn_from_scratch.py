"""keras-io "Text classification from scratch" (Embedding + Conv1D on token ids, tf.data)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/nlp/text_classification_from_scratch.py"
KIND = "text"
HEALTHY = True
NOTES = ("IMDB review strings through TextVectorization(max_tokens=20000, "
         "output_sequence_length=500) -> _data.token_sequences: 3000 train / 600 "
         "val integer sequences (vocabulary 20000, length 200 instead of 500, "
         "padded at the end as TextVectorization pads) whose label depends on "
         "their tokens; passed as batched tf.data datasets of (tokens, label) "
         "(batch 32) as the original's vectorised datasets; epochs 3 kept.")


def build(fixed=False):
    import keras
    import tensorflow as tf
    from keras import layers

    from benchmarks.realworld.programs._data import token_sequences

    rng = seeded(0)
    max_features, embedding_dim, length = 20000, 128, 200
    x, y = token_sequences(rng, 3600, length, max_features, pad_front=False)
    train_ds = tf.data.Dataset.from_tensor_slices((x[:3000].astype("int64"), y[:3000]))
    val_ds = tf.data.Dataset.from_tensor_slices((x[3000:].astype("int64"), y[3000:]))
    train_ds = train_ds.shuffle(3000, seed=0).batch(32).cache().prefetch(10)
    val_ds = val_ds.batch(32).cache().prefetch(10)

    def model_fn():
        inputs = keras.Input(shape=(None,), dtype="int64")
        h = layers.Embedding(max_features, embedding_dim)(inputs)
        h = layers.Dropout(0.5)(h)
        h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
        h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
        h = layers.GlobalMaxPooling1D()(h)
        h = layers.Dense(128, activation="relu")(h)
        h = layers.Dropout(0.5)(h)
        predictions = layers.Dense(1, activation="sigmoid", name="predictions")(h)
        model = keras.Model(inputs, predictions)
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=train_ds, validation_data=val_ds, epochs=3)
