"""AUTOTRAINER demo "Improper Activation": a ReLU output layer under categorical cross-entropy."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, blob

SOURCE = f"{AUTOTRAINER}:AutoTrainer/demo_case/Improper_Activation_case/demo_activation.py"
KIND = "multiclass"
HEALTHY = False
FAULT = "the 3-class output layer is Dense(3, activation='relu') under categorical_crossentropy"
EXPECTED = ("model.output_activation",)
NOTES = ("Data: AUTOTRAINER's simplednn_blob exactly (make_blobs random_state=2, 700/300, raw "
         "coordinates, one-hot), rebuilt with scikit-learn. Config from the demo's "
         "config_acti.pkl: "
         "Adam(lr=1e-4) -> learning_rate=1e-4, batch 256, 300 epochs capped to 60. "
         "Fix (fixed=True): softmax output, AUTOTRAINER's own repair. Measured (plain fit, 60 "
         "epochs, seed 0): "
         "buggy val_accuracy 0.53 (val_loss 5.84), fixed 0.70 (val_loss 0.64).")


def build(fixed=False):
    import keras
    from keras.layers import Dense

    seeded(0)
    (x, y), (xv, yv) = blob()

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            Dense(50, activation="relu", kernel_initializer="he_uniform"),
            Dense(50, activation="relu", kernel_initializer="he_uniform"),
            Dense(50, activation="relu", kernel_initializer="he_uniform"),
            Dense(50, activation="relu", kernel_initializer="he_uniform"),
            Dense(3, activation="softmax" if fixed else "relu"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=256, epochs=60)
