"""AUTOTRAINER demo "Data Issue": a small CNN fed raw 0-255 pixels (preprocessing overwritten)."""

from benchmarks.realworld._program import RealProgram, seeded
from benchmarks.realworld.programs._autotrainer import AUTOTRAINER, fashion_as_mnist

SOURCE = f"{AUTOTRAINER}:AutoTrainer/demo_case/Data_Issue_case/demo_data.py"
KIND = "cnn"
HEALTHY = False
FAULT = ("get_dataset() computes preprocess(x) (/255) and then overwrites it with the raw "
         "uint8 pixels, so the CNN trains on 0-255 inputs")
EXPECTED = ("data.not_normalized",)
NOTES = ("MNIST -> FashionMNIST (first 4000 train / 1000 test images, same 28x28x1 shape, "
         "one-hot as the demo). Config from the demo's config_data.pkl: Adam(lr=1e-3) -> "
         "learning_rate=1e-3, batch 32, 10 epochs capped to 3. Fix (fixed=True): keep the /255 "
         "preprocessing. Measured (plain fit, 3 epochs, seed 0): buggy val_accuracy 0.19 "
         "(first-epoch loss 45.8), fixed 0.77.")


def build(fixed=False):
    import keras
    from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

    seeded(0)
    (x, y), (xv, yv) = fashion_as_mnist(4000, 1000, scale=fixed)

    def model_fn():
        init = "he_uniform"
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            Conv2D(16, (3, 3), padding="valid", activation="relu", kernel_initializer=init),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Conv2D(36, (3, 3), padding="valid", activation="relu", kernel_initializer=init),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Flatten(),
            Dense(256, activation="relu", kernel_initializer=init),
            Dense(128, activation="relu", kernel_initializer=init),
            Dropout(0.25),
            Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xv, yv),
                       batch_size=32, epochs=3)
