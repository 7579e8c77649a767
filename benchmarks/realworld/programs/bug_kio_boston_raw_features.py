"""keras-io "Regression Model on Boston Housing Dataset" (raw features, raw prices)."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:examples/structured_data/regression_boston_housing.py"
KIND = "regression"
HEALTHY = True
NOTES = ("keras.datasets.boston_housing (404/102 rows after test_split=0.3) -> "
         "_data.boston_like: 506 synthetic rows with the 13 columns' raw ranges "
         "(unscaled, as the original feeds them) and a price target in [5, 50]; "
         "split 70:30 as the original; fit's validation_split=0.3 -> "
         "validation_data of the last 30% of the training rows; EarlyStopping "
         "kept in fit_kwargs; epochs 100 kept.")


def build(fixed=False):
    import keras
    from keras import layers

    from benchmarks.realworld.programs._data import boston_like

    rng = seeded(0)
    x, y = boston_like(rng)
    cut = int(len(x) * 0.7)
    x_train, y_train = x[:cut], y[:cut]
    val = int(len(x_train) * 0.7)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(x.shape[1],)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(1),
        ])
        model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
        return model

    early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
    return RealProgram(model_fn=model_fn, x=x_train[:val], y=y_train[:val],
                       validation_data=(x_train[val:], y_train[val:]), batch_size=32,
                       epochs=100, fit_kwargs={"callbacks": [early_stop]})
