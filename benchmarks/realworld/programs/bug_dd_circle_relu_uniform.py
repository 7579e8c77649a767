"""DeepDiagnosis subject (AUTOTRAINER Circle model_c54b3d2e): nine RandomUniform ReLU layers."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import DEEPDIAGNOSIS, circle

SOURCE = f"{DEEPDIAGNOSIS}:AUTOTRAINER Model Code/Models_Circle.py (model_c54b3d2e)"
KIND = "binary"
HEALTHY = False
FAULT = ("nine Dense(5) + ReLU layers with RandomUniform() kernels (-0.05, 0.05): the signal "
         "shrinks to zero through the stack, the ReLUs die and the loss stays at ln 2")
EXPECTED = ("train.dead_relu", "train.vanishing_gradients", "train.loss_plateau",
            "probe.cannot_overfit_batch",
            # The fault itself: RandomUniform(-0.05, 0.05) ignores the fan-in and
            # shrinks the signal at every ReLU layer (He init, the fix, keeps it).
            "model.init_activation_mismatch")
NOTES = ("Data: AUTOTRAINER's simplednn_circle exactly (make_circles noise=0.1 random_state=1, "
         "700/300, raw coordinates). Architecture exactly as model_c54b3d2e (RandomUniform() "
         "kernels on the nine hidden layers, VarianceScaling(2.0, fan_in, uniform) and zero bias "
         "on the output). The repository publishes the model, not its training config: compiled "
         "with AUTOTRAINER's circle demo config (Gradient_Vanish_Case/config.pkl: Adam lr=1e-3, "
         "binary_crossentropy, batch 128), 300 epochs capped to 40. Fix (fixed=True): "
         "VarianceScaling(2.0, fan_in, uniform) (He) kernels on the hidden layers too, "
         "AUTOTRAINER's 'relu_initial' repair. Measured (plain fit, 40 epochs, seed 0): "
         "buggy val_accuracy 0.50 (loss 0.6932 throughout), fixed 0.63 (val_loss 0.62).")


def build(fixed=False):
    import keras
    from keras import initializers
    from keras.layers import Activation, Dense

    seeded(0)
    (x, y), (xv, yv) = circle()

    def he():
        return initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")

    def model_fn():
        layers = [keras.Input(shape=(2,))]
        for _ in range(9):
            init = he() if fixed else initializers.RandomUniform()
            layers += [Dense(5, kernel_initializer=init), Activation("relu")]
        layers += [Dense(1, kernel_initializer=he(), bias_initializer=initializers.Zeros()),
                   Activation("sigmoid")]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=128, epochs=40)
