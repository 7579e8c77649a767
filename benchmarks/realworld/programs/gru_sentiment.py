"""A public notebook's GRU sentiment classifier on IMDB token ids (Embedding -> GRU -> sigmoid)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://github.com/chandan11248/deep-learning (GRU on IMDB notebook)"
KIND = "text"
HEALTHY = True
NOTES = ("keras.datasets.imdb (num_words=10000, pad_sequences maxlen=100, "
         "25,000/25,000) -> _data.token_sequences: 2500 train / 500 test "
         "sequences, vocabulary 10000, maxlen 100, front-padded as "
         "pad_sequences; Embedding(10000, 128) -> GRU(64) -> Dense(1, sigmoid), "
         "adam, binary_crossentropy; batch 64 and epochs 3 kept.")


def build(fixed=False):
    import keras

    from benchmarks.realworld.programs._data import token_sequences

    rng = seeded(0)
    max_features, maxlen = 10000, 100
    x, y = token_sequences(rng, 3000, maxlen, max_features)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(maxlen,)),
            keras.layers.Embedding(max_features, 128),
            keras.layers.GRU(64, return_sequences=False),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:2500], y=y[:2500],
                       validation_data=(x[2500:], y[2500:]), batch_size=64, epochs=3)
