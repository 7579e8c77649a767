"""AUTOTRAINER "Dying ReLU" case 14, CNN variant: eleven Dense(128) ReLUs, tiny uniform init."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, fashion_as_cifar

SOURCE = f"{AUTOTRAINER}:DL_tools/code/DyingReLU/case14-cnn.py"
KIND = "cnn"
HEALTHY = False
FAULT = ("eleven Dense(128, activation='relu') layers with RandomUniform(-0.05, 0.05) kernels and "
         "zero biases after a small CNN: the signal shrinks to nothing and the ReLUs die")
EXPECTED = ("train.dead_relu", "train.vanishing_gradients", "train.loss_plateau",
            "probe.cannot_overfit_batch",
            # The fault itself: RandomUniform(-0.05, 0.05) ignores the fan-in and
            # shrinks the signal at every ReLU layer (He init, the fix, keeps it).
            "model.init_activation_mismatch")
NOTES = ("CIFAR-10 (first 10000/2000, standardised) -> FashionMNIST (first 2000/500, 28x28x1, "
         "standardised the same way). Model as the script (convs with Keras's default init, dense "
         "stack with 'RandomUniform', whose default range (-0.05, 0.05) is the same in Keras 2 "
         "and "
         "3), input (28, 28, 1). Adam, batch 256, 30 epochs capped to 4. Fix (fixed=True): "
         "he_uniform kernels in the dense stack (the script's commented alternative). Measured "
         "(plain fit, 4 epochs, seed 0): "
         "buggy val_accuracy 0.10 (loss 2.303 throughout), fixed 0.77 (val_loss 0.65).")


def build(fixed=False):
    import keras
    from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

    seeded(0)
    (x, y), (xv, yv) = fashion_as_cifar(2000, 500)
    init = "he_uniform" if fixed else "RandomUniform"

    def model_fn():
        layers = [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(16, (3, 3), padding="same", activation="relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Conv2D(36, (3, 3), padding="same", activation="relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Flatten(),
        ]
        layers += [Dense(128, activation="relu", kernel_initializer=init,
                         bias_initializer="zeros") for _ in range(11)]
        layers.append(Dense(10, activation="softmax"))
        model = keras.Sequential(layers)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=256, epochs=4)
