"""DeepDiagnosis subject (AUTOTRAINER MNIST model_44ae76ae): an all-sigmoid deep LeNet."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import DEEPDIAGNOSIS, fashion_as_mnist

SOURCE = f"{DEEPDIAGNOSIS}:AUTOTRAINER Model Code/Models_MNIST.py (model_44ae76ae)"
KIND = "cnn"
HEALTHY = False
FAULT = ("two sigmoid convolutions and eight sigmoid Dense layers (120, then 7 x 84) under He "
         "init: the gradient vanishes (DeepDiagnosis: 'Vanishing Gradient Problem in delta "
         "Weights')")
EXPECTED = ("train.vanishing_gradients", "train.saturated_activations",
            "model.init_activation_mismatch", "train.loss_plateau", "probe.cannot_overfit_batch")
NOTES = ("MNIST -> FashionMNIST (first 3000/500, 28x28x1, /255 as AUTOTRAINER's mnist "
         "preprocess, one-hot). Architecture exactly as model_44ae76ae (VarianceScaling(2.0, "
         "fan_in, normal), l1_l2(l2=1e-4) on every kernel). The repository publishes the model, "
         "not "
         "its training config: compiled with the MNIST config AUTOTRAINER's demos use "
         "(Adam(lr=1e-3) -> learning_rate=1e-3, categorical_crossentropy, batch 32), 3 epochs. "
         "Fix (fixed=True): ReLU for every hidden activation, AUTOTRAINER's 'vanish_relu' repair. "
         "Measured (plain fit, 3 epochs, seed 0): buggy "
         "val_accuracy 0.10 (loss 2.36, chance), fixed 0.74 (val_loss 0.71).")


def build(fixed=False):
    import keras
    from keras import initializers, regularizers
    from keras.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D

    seeded(0)
    (x, y), (xv, yv) = fashion_as_mnist(3000, 500)
    act = "relu" if fixed else "sigmoid"

    def model_fn():
        def kw():
            return dict(kernel_initializer=initializers.VarianceScaling(
                scale=2.0, mode="fan_in", distribution="normal"),
                kernel_regularizer=regularizers.l1_l2(l1=0.0, l2=1e-4))

        layers = [keras.Input(shape=(28, 28, 1)),
                  Conv2D(6, (5, 5), strides=(1, 1), padding="valid", **kw()), Activation(act),
                  MaxPooling2D(pool_size=(2, 2), strides=(2, 2), padding="valid"),
                  Conv2D(16, (5, 5), strides=(1, 1), padding="valid", **kw()), Activation(act),
                  MaxPooling2D(pool_size=(2, 2), strides=(2, 2), padding="valid"),
                  Flatten(),
                  Dense(120, **kw()), Activation(act)]
        for _ in range(7):
            layers += [Dense(84, **kw()), Activation(act)]
        layers += [Dense(10, bias_initializer=initializers.Zeros(), **kw()),
                   Activation("softmax")]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=32, epochs=3)
