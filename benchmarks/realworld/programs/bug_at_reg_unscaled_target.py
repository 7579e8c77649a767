"""AUTOTRAINER L-code "unstable" case 17: plain SGD regression on a raw target of std ~190."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, regression

SOURCE = f"{AUTOTRAINER}:DL_tools/code/L-code/unstable/case-17-unstable/case_17.py"
KIND = "regression"
HEALTHY = False
FAULT = ("MSE regression on make_regression's raw target (std about 190) with SGD(): the first "
         "squared errors are ~4e4 and the updates blow the weights up to inf/NaN")
EXPECTED = ("train.nonfinite", "train.exploding_gradients", "train.loss_diverging",
            "data.not_normalized", "optim.learning_rate", "probe.learning_rate",
            "probe.cannot_overfit_batch")
NOTES = ("Data: make_regression(1000, 20 features, noise=0.1, random_state=1) exactly, 500/500, "
         "raw inputs and raw target. Keras 2's SGD() default lr=0.01 is Keras 3's too. Batch 32; "
         "500 epochs capped to 10. Fix (fixed=True): the target standardised with the training "
         "mean/std (the tutorial this case comes from scales the target), same SGD(). Measured "
         "(plain fit, 10 "
         "epochs, seed 0): buggy loss NaN from the first epoch, fixed val MSE 0.28 on the "
         "standardised target (R^2 about 0.72).")


def build(fixed=False):
    import keras
    from keras.layers import Dense

    seeded(0)
    (x, y), (xv, yv) = regression()
    if fixed:
        mean, std = float(y.mean()), float(y.std())
        y, yv = (y - mean) / std, (yv - mean) / std

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(20,)),
            Dense(25, activation="relu", kernel_initializer="he_uniform"),
            Dense(1, activation="linear"),
        ])
        model.compile(loss="mean_squared_error", optimizer=keras.optimizers.SGD())
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=32, epochs=10)
