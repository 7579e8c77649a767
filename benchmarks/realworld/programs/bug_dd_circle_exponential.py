"""DeepDiagnosis subject (AUTOTRAINER Circle model_169a3fa1): ten exponential layers of width 5."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import DEEPDIAGNOSIS, circle

SOURCE = f"{DEEPDIAGNOSIS}:AUTOTRAINER Model Code/Models_Circle.py (model_169a3fa1)"
KIND = "binary"
HEALTHY = False
FAULT = ("ten Dense(5) + 'exponential' hidden layers: the forward pass overflows to inf/NaN "
         "(DeepDiagnosis: 'Numerical Problem Forward', change the activation at layer 1)")
EXPECTED = ("train.nonfinite", "train.exploding_gradients", "train.loss_diverging",
            "probe.initial_loss", "probe.cannot_overfit_batch")
NOTES = ("Data: AUTOTRAINER's simplednn_circle exactly (make_circles noise=0.1 random_state=1, "
         "700/300, raw coordinates). Architecture exactly as model_169a3fa1 (VarianceScaling(2.0, "
         "fan_in, uniform)). The repository publishes the model, not its training config: "
         "compiled "
         "with AUTOTRAINER's circle demo config (Gradient_Vanish_Case/config.pkl: Adam lr=1e-3, "
         "binary_crossentropy, batch 128), 300 epochs capped to 40. Fix (fixed=True): ReLU hidden "
         "activations, as DeepDiagnosis suggests. Measured (plain fit, 40 epochs, seed 0): "
         "buggy loss NaN from the first epoch, fixed val_accuracy 0.57 (loss 0.694 -> 0.682; a "
         "deep width-5 ReLU stack learns circles slowly, but it stays finite).")


def build(fixed=False):
    import keras
    from keras import initializers
    from keras.layers import Activation, Dense

    seeded(0)
    (x, y), (xv, yv) = circle()
    act = "relu" if fixed else "exponential"

    def model_fn():
        def init():
            return initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")

        layers = [keras.Input(shape=(2,))]
        for _ in range(10):
            layers += [Dense(5, kernel_initializer=init()), Activation(act)]
        layers += [Dense(1, kernel_initializer=init(), bias_initializer=initializers.Zeros()),
                   Activation("sigmoid")]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=128, epochs=40)
