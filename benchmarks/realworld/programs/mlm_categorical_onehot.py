"""MachineLearningMastery "3 Ways to Encode Categorical Variables for Deep Learning" (one-hot inputs)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = ("https://machinelearningmastery.com/"
          "how-to-prepare-categorical-data-for-deep-learning-in-python/")
KIND = "tabular"
HEALTHY = True
FAST = True
NOTES = ("UCI breast-cancer CSV (286 rows, 9 categorical columns, recurrence "
         "label) -> 286 synthetic rows with 9 categorical columns of the same "
         "cardinalities (age, menopause, tumor-size, inv-nodes, node-caps, "
         "deg-malig, breast, breast-quad, irradiat) and a label that depends on "
         "four of them (~30% positive); the one-hot encoding (sklearn "
         "OneHotEncoder), the 67/33 split, the model and compile as the "
         "original; epochs 100, batch 16 kept.")


def build(fixed=False):
    import keras
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder

    rng = seeded(0)
    n = 286
    cards = [6, 3, 11, 7, 2, 3, 2, 5, 2]
    cols = np.stack([rng.integers(0, c, n) for c in cards], 1)
    score = (0.5 * cols[:, 2] + 0.9 * cols[:, 3] + 1.5 * (cols[:, 5] == 2)
             + 0.8 * cols[:, 8] + rng.normal(0, 1.0, n))
    label = np.where(score > np.quantile(score, 0.7), "recurrence-events",
                     "no-recurrence-events")
    X = cols.astype(str)
    X_train, X_test, y_train, y_test = train_test_split(X, label, test_size=0.33,
                                                        random_state=1)
    ohe = OneHotEncoder(handle_unknown="ignore")
    ohe.fit(X_train)
    X_train_enc = ohe.transform(X_train).toarray().astype("float32")
    X_test_enc = ohe.transform(X_test).toarray().astype("float32")
    le = LabelEncoder()
    le.fit(y_train)
    y_train_enc, y_test_enc = le.transform(y_train), le.transform(y_test)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(X_train_enc.shape[1],)),
            keras.layers.Dense(10, activation="relu", kernel_initializer="he_normal"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X_train_enc, y=y_train_enc,
                       validation_data=(X_test_enc, y_test_enc), batch_size=16,
                       epochs=100)
