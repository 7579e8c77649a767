"""MachineLearningMastery "Your First Deep Learning Project in Python with Keras Step-by-Step"
(Pima Indians diabetes, raw unscaled features).

Ported as a healthy program first; kerasdoc's data.not_normalized warning on it
is true (measured below), so it is a buggy program of the corpus.
"""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/tutorial-first-neural-network-python-keras/"
KIND = "binary"
HEALTHY = False
FAULT = ("the eight columns are fed raw (insulin 0-846 next to pedigree 0.08-2.4, input "
         "RMS about 62): the widest columns swamp the first layer, many ReLU units die "
         "and the model stays well short of what it learns from standardised inputs")
EXPECTED = ("data.not_normalized", "train.dead_relu", "train.logits_blowup",
            "probe.initial_loss")
NOTES = ("pima-indians-diabetes.csv (768 rows, 8 raw columns) -> 768 synthetic "
         "rows with the columns' raw ranges (pregnancies 0-17, glucose 0-199, "
         "blood pressure, skin, insulin 0-846, BMI, pedigree, age 21-81) and an "
         "outcome (~35% positive) driven mostly by glucose, BMI and age; "
         "unscaled as the tutorial; Dense(12, relu) -> Dense(8, relu) -> "
         "Dense(1, sigmoid), binary_crossentropy, adam; batch 10 kept; the "
         "tutorial has no validation data (the last 20% are held out here for "
         "the learning check); epochs 150 -> 60. Fix (fixed=True): the columns "
         "standardised with the training rows' mean and std. Measured (plain fit "
         "with the program's settings, validation ROC AUC, seeds 0/1/2, "
         "2026-11-29): broken 0.765 / 0.726 / 0.766, fixed 0.876 / 0.876 / 0.879.")


def build(fixed=False):
    import keras
    import numpy as np

    rng = seeded(0)
    n = 768
    preg = np.clip(rng.poisson(3.8, n), 0, 17)
    glucose = np.clip(rng.normal(121, 32, n), 0, 199)
    bp = np.clip(rng.normal(69, 19, n), 0, 122)
    skin = np.clip(rng.normal(20, 16, n), 0, 99)
    insulin = np.clip(rng.exponential(80, n) * (rng.random(n) > 0.48), 0, 846)
    bmi = np.clip(rng.normal(32, 7.9, n), 0, 67.1)
    pedigree = np.clip(rng.lognormal(-0.8, 0.6, n), 0.078, 2.42)
    age = np.clip(21 + rng.exponential(12, n), 21, 81)
    X = np.stack([preg, glucose, bp, skin, insulin, bmi, pedigree, age], 1).astype("float32")
    score = (0.035 * (glucose - 121) + 0.09 * (bmi - 32) + 0.03 * (age - 33)
             + 0.8 * (pedigree - 0.47) + 0.05 * preg + rng.normal(0, 0.8, n))
    y = (score > np.quantile(score, 0.65)).astype("float32")
    cut = int(0.8 * n)
    if fixed:  # standardised with the training rows' mean and std
        mean, std = X[:cut].mean(0), X[:cut].std(0)
        X = ((X - mean) / std).astype("float32")

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(8,)),
            keras.layers.Dense(12, activation="relu"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X[:cut], y=y[:cut],
                       validation_data=(X[cut:], y[cut:]), batch_size=10, epochs=60)
