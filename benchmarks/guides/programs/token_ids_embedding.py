"""Integer token ids as arrays through an Embedding layer."""

from benchmarks.guides._program import GuideProgram, reviews, seeded

SOURCE = "https://keras.io/examples/nlp/text_classification_from_scratch/"
PATTERN = "token ids through an Embedding"
FAST = False
NOTES = ("The example's model (Embedding on int sequences) fed with already-vectorized "
         "ids as numpy arrays (vectorize_layer applied once, as users do when they cache "
         "the ids). 400 synthetic reviews, vocabulary 100, length 12, Embedding(100, 16) "
         "+ GlobalAveragePooling1D + Dense(2, softmax) with "
         "sparse_categorical_crossentropy, batch 32, 3 epochs.")


def build():
    import keras
    import numpy as np
    from keras import layers

    rng = seeded(0)
    texts, labels = reviews(rng, 400)
    vtexts, vlabels = reviews(rng, 96)
    vectorize_layer = layers.TextVectorization(max_tokens=100, output_mode="int",
                                               output_sequence_length=12)
    vectorize_layer.adapt(texts)
    ids = np.asarray(vectorize_layer(texts[:, None])).astype("int32")
    vids = np.asarray(vectorize_layer(vtexts[:, None])).astype("int32")

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(12,), dtype="int32"),
            layers.Embedding(100, 16),
            layers.GlobalAveragePooling1D(),
            layers.Dense(16, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, ids, labels, validation_data=(vids, vlabels),
                        batch_size=32, epochs=3)
