"""MachineLearningMastery "Multi-Class Classification Tutorial with the Keras Deep Learning Library" (iris)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "https://machinelearningmastery.com/multi-class-classification-tutorial-keras-deep-learning-library/"
KIND = "multiclass"
HEALTHY = True
NOTES = ("iris.csv -> scikit-learn's bundled load_iris (the same 150 flowers); "
         "raw features and one-hot labels as the tutorial; the tutorial's "
         "KerasClassifier k-fold -> one fit on a stratified 80/20 split; "
         "Dense(8 relu) -> Dense(3 softmax), adam, categorical_crossentropy; "
         "batch 5 kept; epochs 200 -> 60.")


def build(fixed=False):
    import keras
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    seeded(0)
    X, Y = load_iris(return_X_y=True)
    dummy_y = keras.utils.to_categorical(Y, 3)
    x_tr, x_te, y_tr, y_te = train_test_split(X.astype("float32"), dummy_y, test_size=0.2,
                                              random_state=7, stratify=Y)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy", optimizer="adam",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x_tr, y=y_tr, validation_data=(x_te, y_te),
                       batch_size=5, epochs=60)
