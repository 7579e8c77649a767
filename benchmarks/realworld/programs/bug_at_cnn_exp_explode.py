"""AUTOTRAINER "Gradient Explode" case 26, CNN variant: exponential activations in every layer."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, fashion_as_cifar

SOURCE = f"{AUTOTRAINER}:DL_tools/code/GradientExplode/case26-CNN.py"
KIND = "cnn"
HEALTHY = False
FAULT = ("four Conv2D and one Dense(128) with activation='exponential': activations overflow "
         "and the loss turns to NaN")
EXPECTED = ("train.nonfinite", "train.exploding_gradients", "train.loss_diverging",
            "train.logits_blowup", "probe.cannot_overfit_batch", "probe.initial_loss")
NOTES = ("CIFAR-10 (first 10000/2000, standardised) -> FashionMNIST (first 2000/500, 28x28x1, "
         "standardised the same way). Model as the script (glorot_uniform, 'same' padding), "
         "input (28, 28, 1). Adam, batch 256, 100 epochs capped to 4. Fix (fixed=True): ReLU "
         "hidden activations, AUTOTRAINER's 'explode_relu' repair. Measured (plain fit, 4 epochs, "
         "seed 0): buggy "
         "loss NaN from the first epoch (val_accuracy 0.11), fixed val_accuracy 0.76 (val_loss "
         "0.68).")


def build(fixed=False):
    import keras
    from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D

    seeded(0)
    (x, y), (xv, yv) = fashion_as_cifar(2000, 500)
    act = "relu" if fixed else "exponential"

    def model_fn():
        init = "glorot_uniform"
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            Conv2D(16, (3, 3), padding="same", activation=act, kernel_initializer=init),
            Conv2D(16, (3, 3), padding="same", activation=act, kernel_initializer=init),
            MaxPooling2D(pool_size=(2, 2)),
            Conv2D(36, (3, 3), padding="same", activation=act, kernel_initializer=init),
            Conv2D(36, (3, 3), padding="same", activation=act, kernel_initializer=init),
            MaxPooling2D(pool_size=(2, 2)),
            Flatten(),
            Dense(128, activation=act, kernel_initializer=init),
            Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=256, epochs=4)
