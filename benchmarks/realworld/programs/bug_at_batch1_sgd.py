"""AUTOTRAINER "Oscillating Loss": SGD with momentum at batch size 1 on three blobs."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, blob

SOURCE = (f"{AUTOTRAINER}:DL_tools/code/L-code/unstable/zxy-case-20-unstale/case_20.py "
          "(config as AutoTrainer/demo_case/Oscillating_Loss_Case/config.pkl)")
KIND = "multiclass"
HEALTHY = False
FAULT = ("SGD(lr=0.01, momentum=0.9) with batch_size=1 on raw, unscaled blob coordinates: "
         "every step follows one sample and the loss swings from epoch to epoch")
EXPECTED = ("train.loss_oscillating", "optim.learning_rate", "probe.learning_rate",
            "data.not_normalized")
NOTES = ("Data: make_blobs(random_state=2) exactly, 500/500, raw coordinates (about [-15, 5]), "
         "one-hot. Model, optimizer and batch size 1 as case_20.py and the Oscillating_Loss "
         "demo's "
         "config.pkl (SGD lr=0.01 momentum=0.9 -> learning_rate=0.01); 200 epochs capped to 8 "
         "(500 steps each). Fix (fixed=True): Adam(learning_rate=1e-3) at batch size 1, "
         "AUTOTRAINER's 'unstable_adam' repair of this demo. Measured "
         "(plain fit, 8 epochs, seed 0): buggy val_accuracy 0.53 (val_loss 0.89), fixed 0.83 "
         "(val_loss 0.46).")


def build(fixed=False):
    import keras
    from keras.layers import Dense

    seeded(0)
    (x, y), (xv, yv) = blob(n_train=500)

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            Dense(50, activation="relu", kernel_initializer="he_uniform"),
            Dense(3, activation="softmax"),
        ])
        opt = (keras.optimizers.Adam(learning_rate=1e-3) if fixed
               else keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
        model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=1, epochs=8)
