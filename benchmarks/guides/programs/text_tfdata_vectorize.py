"""tf.data text classifier: TextVectorization mapped over the dataset, then an Embedding model."""

from benchmarks.guides._program import GuideProgram, reviews, seeded

SOURCE = "https://keras.io/examples/nlp/text_classification_from_scratch/"
PATTERN = "a tf.data text classifier with TextVectorization"
FAST = False
NOTES = ("The example adapts TextVectorization on the raw IMDB text dataset and maps "
         "`vectorize_text` over the tf.data pipeline (option 2: vectorize "
         "asynchronously before training), then trains Embedding + Conv1D + "
         "GlobalMaxPooling1D + Dense(1, sigmoid) with binary_crossentropy. Here: 400 "
         "synthetic 12-word reviews, vocabulary 100, sequence length 12, Conv1D of 16 "
         "filters (128 in the example), batch 32, 2 epochs.")


def build():
    import keras
    import tensorflow as tf
    from keras import layers

    rng = seeded(0)
    texts, labels = reviews(rng, 400)
    vtexts, vlabels = reviews(rng, 96)
    vectorize_layer = layers.TextVectorization(max_tokens=100, output_mode="int",
                                               output_sequence_length=12)
    vectorize_layer.adapt(texts)

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return tf.squeeze(vectorize_layer(text), 0), label

    def dataset(t, l, shuffle):
        ds = tf.data.Dataset.from_tensor_slices((t, l))
        if shuffle:
            ds = ds.shuffle(len(t), seed=0)
        return ds.map(vectorize_text).batch(32).prefetch(2)

    def model_fn():
        inputs = keras.Input(shape=(None,), dtype="int64")
        x = layers.Embedding(100, 16)(inputs)
        x = layers.Dropout(0.5)(x)
        x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
        x = layers.GlobalMaxPooling1D()(x)
        x = layers.Dense(16, activation="relu")(x)
        predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
        model = keras.Model(inputs, predictions)
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, dataset(texts, labels, True),
                        validation_data=dataset(vtexts, vlabels, False), epochs=3)
