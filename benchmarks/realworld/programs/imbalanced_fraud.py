"""keras-io "Imbalanced classification: credit card fraud detection" (fchollet)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/structured_data/imbalanced_classification.py"
KIND = "binary"
HEALTHY = True
NOTES = ("Kaggle creditcard.csv (284,807 rows, 30 columns, 0.17% fraud) -> seeded "
         "synthetic table of 20,000 rows, 30 columns, ~1% positives whose "
         "probability depends on 6 of the columns; standardised with training "
         "statistics as the original; ModelCheckpoint callback dropped; the "
         "original's FN/FP/TN/TP/precision/recall metrics kept; epochs 30 -> 5.")


def build(fixed=False):
    import keras
    import numpy as np

    rng = seeded(0)
    n, d = 20000, 30
    features = rng.standard_normal((n, d)).astype("float32") * rng.uniform(0.5, 40, d)
    features[:, 0] = rng.uniform(0, 172792, n)  # "Time"-like column
    z = features[:, 1:7] / features[:, 1:7].std(0)
    logit = z @ np.array([1.4, -1.1, 0.9, 1.2, -0.8, 0.7]) - 6.0
    targets = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("uint8")[:, None]
    num_val = int(n * 0.2)
    train_x, train_y = features[:-num_val].copy(), targets[:-num_val]
    val_x, val_y = features[-num_val:].copy(), targets[-num_val:]
    counts = np.bincount(train_y[:, 0])
    mean = train_x.mean(0)
    train_x -= mean
    val_x -= mean
    std = train_x.std(0)
    train_x /= std
    val_x /= std

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=train_x.shape[1:]),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        metrics = [keras.metrics.FalseNegatives(name="fn"),
                   keras.metrics.FalsePositives(name="fp"),
                   keras.metrics.TrueNegatives(name="tn"),
                   keras.metrics.TruePositives(name="tp"),
                   keras.metrics.Precision(name="precision"),
                   keras.metrics.Recall(name="recall")]
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                      metrics=metrics)
        return model

    class_weight = {0: 1.0 / counts[0], 1: 1.0 / counts[1]}
    return RealProgram(model_fn=model_fn, x=train_x, y=train_y,
                       validation_data=(val_x, val_y), batch_size=2048, epochs=5,
                       fit_kwargs={"class_weight": class_weight})
