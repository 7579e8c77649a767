"""Raw strings into the model: TextVectorization inside an end-to-end model."""

from benchmarks.guides._program import GuideProgram, reviews, seeded

SOURCE = "https://keras.io/examples/nlp/text_classification_from_scratch/"
PATTERN = "string inputs through TextVectorization inside the model"
FAST = False
NOTES = ("The example's last section ('Make an end-to-end model') puts the adapted "
         "vectorize_layer in front of the trained model so that it takes raw strings "
         "(keras.Input(shape=(1,), dtype='string')) and evaluates it on the raw string "
         "tf.data dataset. Here the end-to-end model is the one trained, on a tf.data "
         "dataset of (string, label) batches: 400 synthetic 12-word reviews, Embedding + "
         "GlobalAveragePooling1D + Dense(1, sigmoid), batch 32, 3 epochs.")


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

    def model_fn():
        inputs = keras.Input(shape=(1,), dtype="string")
        x = vectorize_layer(inputs)
        x = layers.Embedding(100, 16)(x)
        x = layers.GlobalAveragePooling1D()(x)
        x = layers.Dense(16, activation="relu")(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs, outputs)
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    def raw_dataset(t, l, shuffle):
        ds = tf.data.Dataset.from_tensor_slices((t[:, None], l))
        if shuffle:
            ds = ds.shuffle(len(t), seed=0)
        return ds.batch(32)

    return GuideProgram(model_fn, raw_dataset(texts, labels, True),
                        validation_data=raw_dataset(vtexts, vlabels, False), epochs=3)
