"""MachineLearningMastery "Deep Learning Models for Multi-Output Regression" (MAE, 3 targets)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/deep-learning-models-for-multi-output-regression/"
KIND = "regression"
HEALTHY = True
FAST = True
NOTES = ("Data exactly as the tutorial: make_regression(n_samples=1000, "
         "n_features=10, n_informative=5, n_targets=3, random_state=2), raw "
         "targets; the tutorial's repeated k-fold -> one fit with a 20% "
         "validation split; Dense(20, he_uniform, relu) -> Dense(3), mae, adam; "
         "epochs 100 kept, Keras's default batch (32).")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_regression

    seeded(0)
    X, y = make_regression(n_samples=1000, n_features=10, n_informative=5, n_targets=3,
                           random_state=2)
    X, y = X.astype("float32"), y.astype("float32")

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(10,)),
            keras.layers.Dense(20, kernel_initializer="he_uniform", activation="relu"),
            keras.layers.Dense(3),
        ])
        model.compile(loss="mae", optimizer="adam")
        return model

    return RealProgram(model_fn=model_fn, x=X[:800], y=y[:800],
                       validation_data=(X[800:], y[800:]), epochs=100)
