"""DeepDiagnosis subject (AUTOTRAINER Blob model_0b6f114d): nine exponential layers."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import DEEPDIAGNOSIS, blob

SOURCE = f"{DEEPDIAGNOSIS}:AUTOTRAINER Model Code/Models_Blob.py (model_0b6f114d)"
KIND = "multiclass"
HEALTHY = False
FAULT = ("nine Dense(5) + 'exponential' activations on raw blob coordinates (about [-15, 5]): the "
         "forward pass overflows to inf/NaN at once (DeepDiagnosis: 'Numerical Problem Forward'); "
         "the 3-class output is a sigmoid")
EXPECTED = ("train.nonfinite", "train.exploding_gradients", "model.output_activation",
            "data.not_normalized", "probe.initial_loss",
            "probe.cannot_overfit_batch")
NOTES = ("Data: AUTOTRAINER's simplednn_blob exactly (make_blobs random_state=2, 700/300, raw "
         "coordinates, one-hot). Architecture exactly as model_0b6f114d (VarianceScaling(2.0, "
         "fan_in, uniform)). The repository publishes the model, not its training config: "
         "compiled "
         "with AUTOTRAINER's blob demo config (Adam lr=1e-4, categorical_crossentropy, batch "
         "256), "
         "300 epochs capped to 40. Fix (fixed=True): ReLU hidden activations and a softmax "
         "output. Measured "
         "(plain fit, 40 epochs, seed 0): buggy loss NaN from the first epoch (val_accuracy "
         "0.36), "
         "fixed val_accuracy 0.62 (val_loss 1.07, still learning at Adam 1e-4).")


def build(fixed=False):
    import keras
    from keras import initializers
    from keras.layers import Activation, Dense

    seeded(0)
    (x, y), (xv, yv) = blob()
    act = "relu" if fixed else "exponential"

    def model_fn():
        def init():
            return initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")

        layers = [keras.Input(shape=(2,)), Dense(5, kernel_initializer=init()), Activation(act)]
        for _ in range(8):
            layers += [Dense(5, kernel_initializer=init(), bias_initializer=initializers.Zeros()),
                       Activation(act)]
        layers += [Dense(3, kernel_initializer=init()),
                   Activation("softmax" if fixed else "sigmoid")]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=256, epochs=40)
