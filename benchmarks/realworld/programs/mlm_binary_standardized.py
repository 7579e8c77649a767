"""MachineLearningMastery "Binary Classification Tutorial with the Keras Deep Learning Library"
(the sonar baseline with a StandardScaler pipeline)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/binary-classification-tutorial-with-the-keras-deep-learning-library/"
KIND = "binary"
HEALTHY = True
NOTES = ("sonar.csv (208 rows, 60 features) -> scikit-learn's bundled "
         "load_breast_cancer (569 rows, 30 features), standardised as the "
         "tutorial's pipeline; create_baseline (Dense(60, relu) with the input "
         "width -> Dense(1, sigmoid)), binary_crossentropy, adam; the "
         "tutorial's stratified k-fold -> one fit on a stratified 80/20 split; "
         "batch 5 kept; epochs 100 -> 30.")


def build(fixed=False):
    import keras
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    seeded(0)
    X, y = load_breast_cancer(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=7,
                                              stratify=y)
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_te = scaler.transform(x_tr).astype("float32"), scaler.transform(x_te).astype("float32")
    d = X.shape[1]

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(d,)),
            keras.layers.Dense(d, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x_tr, y=y_tr, validation_data=(x_te, y_te),
                       batch_size=5, epochs=30)
