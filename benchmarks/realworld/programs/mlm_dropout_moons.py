"""MachineLearningMastery "How to Reduce Overfitting With Dropout Regularization in Keras":
a wide MLP with Dropout on 30 points of two moons (each epoch one full batch)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/how-to-reduce-overfitting-with-dropout-regularization-in-keras/"
KIND = "full_batch"
HEALTHY = True
NOTES = ("Data exactly as the tutorial: make_moons(n_samples=100, noise=0.2, "
         "random_state=1), first 30 points for training, 70 for testing; "
         "Dense(500, relu) -> Dropout(0.4) -> Dense(1, sigmoid), "
         "binary_crossentropy, adam; default batch 32 > 30 rows, so each epoch "
         "is one full batch as in the tutorial; epochs 4000 -> 300.")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_moons

    seeded(0)
    X, y = make_moons(n_samples=100, noise=0.2, random_state=1)
    X = X.astype("float32")
    n_train = 30

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            keras.layers.Dense(500, activation="relu"),
            keras.layers.Dropout(0.4),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=X[:n_train], y=y[:n_train],
                       validation_data=(X[n_train:], y[n_train:]), epochs=300)
