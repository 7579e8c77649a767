"""AUTOTRAINER "Gradient Vanish" case 16, CNN variant: eight sigmoid convolutions."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, fashion_as_cifar

SOURCE = f"{AUTOTRAINER}:DL_tools/code/GradientVanish/case16-cnn.py"
KIND = "cnn"
HEALTHY = False
FAULT = ("eight stacked Conv2D(..., activation='sigmoid') layers and a sigmoid Dense(128): the "
         "gradient vanishes through the sigmoid stack and the CNN stays at chance")
EXPECTED = ("train.vanishing_gradients", "train.saturated_activations", "train.loss_plateau",
            "probe.cannot_overfit_batch")
NOTES = ("CIFAR-10 (first 10000/2000, 32x32x3, per-channel standardised) -> FashionMNIST (first "
         "2000/500, 28x28x1, standardised with its own mean/std the same way). Model as the "
         "script's uncommented one (glorot_uniform, 'same' padding), input (28, 28, 1). Adam, "
         "batch 256, 20 epochs capped to 4. Fix (fixed=True): ReLU in every hidden layer, "
         "AUTOTRAINER's 'vanish_relu' repair. Measured (plain fit, 4 epochs, seed 0): buggy "
         "val_accuracy 0.09 (loss 2.31, chance), fixed 0.73 (val_loss 0.73).")


def build(fixed=False):
    import keras
    from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

    seeded(0)
    (x, y), (xv, yv) = fashion_as_cifar(2000, 500)
    act = "relu" if fixed else "sigmoid"

    def model_fn():
        init = "glorot_uniform"
        layers = [keras.Input(shape=(28, 28, 1))]
        for filters in (16, 36):
            layers += [Conv2D(filters, (3, 3), padding="same", activation=act,
                              kernel_initializer=init) for _ in range(4)]
            layers.append(MaxPooling2D(pool_size=(2, 2)))
        layers += [Dropout(0.25), Flatten(),
                   Dense(128, activation=act, kernel_initializer=init, bias_initializer="zeros"),
                   Dense(10, activation="softmax")]
        model = keras.Sequential(layers)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=256, epochs=4)
