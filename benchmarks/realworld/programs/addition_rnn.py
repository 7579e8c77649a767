"""keras-io "Sequence to sequence learning for performing number addition" (LSTM encoder-decoder, one-hot chars)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/nlp/addition_rnn.py"
KIND = "multiclass"
HEALTHY = True
NOTES = ("Data generated exactly as the original (random 'a+b' questions up to "
         "3 digits, reversed, one-hot over '0123456789+ ', 90/10 split), but "
         "TRAINING_SIZE 50000 -> 12000 and epochs 30 -> 4; the original's loop "
         "of one-epoch fits -> one fit of 4 epochs.")

DIGITS, REVERSE = 3, True
MAXLEN = DIGITS + 1 + DIGITS
CHARS = "0123456789+ "


def _encode(text, num_rows):
    import numpy as np

    index = {c: i for i, c in enumerate(CHARS)}
    x = np.zeros((num_rows, len(CHARS)))
    for i, c in enumerate(text):
        x[i, index[c]] = 1
    return x


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    rng = seeded(0)
    questions, expected, seen = [], [], set()
    while len(questions) < 12000:
        f = lambda: int("".join(rng.choice(list("0123456789"))  # noqa: E731
                                for _ in range(int(rng.integers(1, DIGITS + 1)))))
        a, b = f(), f()
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        q = f"{a}+{b}"
        query = q + " " * (MAXLEN - len(q))
        ans = str(a + b)
        ans += " " * (DIGITS + 1 - len(ans))
        if REVERSE:
            query = query[::-1]
        questions.append(query)
        expected.append(ans)
    x = np.stack([_encode(q, MAXLEN) for q in questions]).astype("bool")
    y = np.stack([_encode(a, DIGITS + 1) for a in expected]).astype("bool")
    order = np.arange(len(y))
    rng.shuffle(order)
    x, y = x[order], y[order]
    split_at = len(x) - len(x) // 10

    def model_fn():
        model = keras.Sequential([
            layers.Input((MAXLEN, len(CHARS))),
            layers.LSTM(128),
            layers.RepeatVector(DIGITS + 1),
            layers.LSTM(128, return_sequences=True),
            layers.Dense(len(CHARS), activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy", optimizer="adam",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:split_at], y=y[:split_at],
                       validation_data=(x[split_at:], y[split_at:]), batch_size=32,
                       epochs=4)
