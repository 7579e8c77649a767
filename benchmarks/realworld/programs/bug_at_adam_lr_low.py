"""AUTOTRAINER "Training Not Converge" case 24: Adam with learning rate 1e-7 on three blobs."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, blob

SOURCE = f"{AUTOTRAINER}:DL_tools/code/TrainingNotConverge/case24.py"
KIND = "multiclass"
HEALTHY = False
FAULT = "Adam(lr=1e-7): ten thousand times below Adam's usual rate (the case sweeps 1.0 ... 1e-7)"
EXPECTED = ("optim.learning_rate", "probe.learning_rate", "train.loss_plateau",
            "train.weights_unchanged", "probe.cannot_overfit_batch")
NOTES = ("Data: case24's prepare_data() exactly (make_blobs random_state=2, 500/500, raw "
         "coordinates, one-hot). Model and compile as fit_model(); Adam(lr=1e-7) -> "
         "learning_rate=1e-7. fit has no batch_size (Keras default 32) and 200 epochs, capped to "
         "20. "
         "Fix (fixed=True): learning_rate=1e-3, the sweep's best value. "
         "Measured (plain fit, 20 epochs, seed 0): buggy val_accuracy 0.46 (loss 2.287 -> 2.285), "
         "fixed 0.75 (val_loss 0.57).")


def build(fixed=False):
    import keras
    from keras.layers import Dense

    seeded(0)
    (x, y), (xv, yv) = blob(n_train=500)
    rate = 1e-3 if fixed else 1e-7

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            Dense(50, activation="relu", kernel_initializer="he_uniform"),
            Dense(3, activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy",
                      optimizer=keras.optimizers.Adam(learning_rate=rate), metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=None, epochs=20)
