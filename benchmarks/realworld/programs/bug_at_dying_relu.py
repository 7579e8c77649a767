"""AUTOTRAINER "Dying ReLU" case 14: eight ReLU layers of width 5 with a tiny uniform init."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, circle

SOURCE = f"{AUTOTRAINER}:DL_tools/code/DyingReLU/case14.py"
KIND = "binary"
HEALTHY = False
FAULT = ("eight Dense(5, activation='relu') layers initialised with RandomUniform(-0.05, 0.05) "
         "and zero biases: activations shrink layer after layer and the ReLUs die")
EXPECTED = ("train.dead_relu", "train.vanishing_gradients", "train.loss_plateau",
            "probe.cannot_overfit_batch",
            # The fault itself: RandomUniform(-0.05, 0.05) ignores the fan-in and
            # shrinks the signal at every ReLU layer (He init, the fix, keeps it).
            "model.init_activation_mismatch")
NOTES = ("Data: make_circles(noise=0.1, random_state=1) min-max scaled to [-1, 1], 700/300, "
         "exactly DL_tools/data/simplednn.py. Keras 2's 'RandomUniform' default (-0.05, 0.05) is "
         "Keras 3's too. Adam, batch 128, 50 epochs as the case; capped to 40. Fix (fixed=True): "
         "he_uniform kernels, AUTOTRAINER's 'relu_initial' repair. Measured (plain fit, 40 "
         "epochs, "
         "seed 0): buggy val_accuracy 0.50 (loss 0.6932 throughout), fixed 0.64 (val_loss 0.62).")


def build(fixed=False):
    import keras
    from keras.layers import Dense, Input

    seeded(0)
    (x, y), (xv, yv) = circle(scaled=True)
    init = "he_uniform" if fixed else "RandomUniform"

    def model_fn():
        inp = Input(shape=(2,))
        h = inp
        for _ in range(8):
            h = Dense(5, activation="relu", kernel_initializer=init, bias_initializer="Zeros")(h)
        out = Dense(1, activation="sigmoid")(h)
        model = keras.Model(inp, out)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=128, epochs=40)
