"""MachineLearningMastery "Multi-Label Classification with Deep Learning" (sigmoid outputs)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/multi-label-classification-with-deep-learning/"
KIND = "multilabel"
HEALTHY = True
FAST = True
NOTES = ("Data exactly as the tutorial: make_multilabel_classification("
         "n_samples=1000, n_features=10, n_classes=3, n_labels=2, random_state=1) "
         "(count features 0..~20); the tutorial's repeated k-fold -> one fit "
         "with a 20% validation split; Dense(20, he_uniform, relu) -> Dense(3, "
         "sigmoid), binary_crossentropy, adam; epochs 100 kept, default batch.")


def build(fixed=False):
    import keras
    from sklearn.datasets import make_multilabel_classification

    seeded(0)
    X, y = make_multilabel_classification(n_samples=1000, n_features=10, n_classes=3,
                                          n_labels=2, random_state=1)
    X, y = X.astype("float32"), y.astype("float32")

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(10,)),
            keras.layers.Dense(20, kernel_initializer="he_uniform", activation="relu"),
            keras.layers.Dense(3, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy", optimizer="adam")
        return model

    return RealProgram(model_fn=model_fn, x=X[:800], y=y[:800],
                       validation_data=(X[800:], y[800:]), epochs=100)
