"""MachineLearningMastery "Regression Tutorial with the Keras Deep Learning Library" (standardised inputs, raw target)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/regression-tutorial-keras-deep-learning-library-python/"
KIND = "regression"
HEALTHY = True
NOTES = ("Boston housing CSV (506 rows, 13 features, price 5-50) -> scikit-learn's "
         "bundled load_diabetes (442 rows, 10 features, raw target 25-346); the "
         "tutorial's StandardScaler pipeline on the inputs kept, target raw as the "
         "tutorial; KerasRegressor k-fold -> one fit on an 80/20 split; "
         "baseline_model (Dense(13, normal init, relu) -> Dense(1, normal init)), "
         "mean_squared_error, adam; batch 5 kept; epochs 100 kept.")


def build(fixed=False):
    import keras
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    rng = seeded(0)
    X, y = load_diabetes(return_X_y=True)
    order = rng.permutation(len(X))
    X, y = X[order].astype("float32"), y[order].astype("float32")
    cut = int(0.8 * len(X))
    scaler = StandardScaler().fit(X[:cut])
    X = scaler.transform(X).astype("float32")

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(X.shape[1],)),
            keras.layers.Dense(13, kernel_initializer="normal", activation="relu"),
            keras.layers.Dense(1, kernel_initializer="normal"),
        ])
        model.compile(loss="mean_squared_error", optimizer="adam")
        return model

    return RealProgram(model_fn=model_fn, x=X[:cut], y=y[:cut],
                       validation_data=(X[cut:], y[cut:]), batch_size=5, epochs=100)
