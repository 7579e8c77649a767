"""keras-io "Bidirectional LSTM on IMDB" (Embedding + two BiLSTMs on token ids)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/nlp/bidirectional_lstm_imdb.py"
KIND = "text"
HEALTHY = True
NOTES = ("keras.datasets.imdb (25,000/25,000 reviews, num_words=20000, "
         "pad_sequences maxlen=200) -> _data.token_sequences: 2000 train / 500 "
         "val sequences, vocabulary 20000, padded at the front like pad_sequences, "
         "maxlen 200 -> 80 for CPU time; epochs 2 kept.")


def build(fixed=False):
    import keras
    from keras import layers

    from benchmarks.realworld.programs._data import token_sequences

    rng = seeded(0)
    max_features, maxlen = 20000, 80
    x, y = token_sequences(rng, 2500, maxlen, max_features)

    def model_fn():
        inputs = keras.Input(shape=(None,), dtype="int32")
        h = layers.Embedding(max_features, 128)(inputs)
        h = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(h)
        h = layers.Bidirectional(layers.LSTM(64))(h)
        outputs = layers.Dense(1, activation="sigmoid")(h)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:2000], y=y[:2000],
                       validation_data=(x[2000:], y[2000:]), batch_size=32, epochs=2)
