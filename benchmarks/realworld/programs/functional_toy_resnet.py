"""keras-io guide "The Functional API": the toy ResNet for CIFAR-10."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:guides/functional_api.py"
KIND = "cnn"
HEALTHY = True
NOTES = ("CIFAR-10 (the guide trains on x_train[:1000], /255, one-hot) -> "
         "FashionMNIST: 2000 images padded to 32x32 and repeated to 3 channels, "
         "/255, one-hot; validation_split=0.2 -> validation_data of the last 20%; "
         "epochs 1 -> 4 (one epoch of 1000 images is too short to tell learning "
         "from chance).")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, y), _ = fashion_mnist(2000, 0)
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))[..., None].repeat(3, -1).astype("float32") / 255.0
    y = keras.utils.to_categorical(y, 10)
    cut = int(len(x) * 0.8)

    def model_fn():
        inputs = keras.Input(shape=(32, 32, 3), name="img")
        h = layers.Conv2D(32, 3, activation="relu")(inputs)
        h = layers.Conv2D(64, 3, activation="relu")(h)
        block_1_output = layers.MaxPooling2D(3)(h)
        h = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
        h = layers.Conv2D(64, 3, activation="relu", padding="same")(h)
        block_2_output = layers.add([h, block_1_output])
        h = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
        h = layers.Conv2D(64, 3, activation="relu", padding="same")(h)
        block_3_output = layers.add([h, block_2_output])
        h = layers.Conv2D(64, 3, activation="relu")(block_3_output)
        h = layers.GlobalAveragePooling2D()(h)
        h = layers.Dense(256, activation="relu")(h)
        h = layers.Dropout(0.5)(h)
        outputs = layers.Dense(10)(h)
        model = keras.Model(inputs, outputs, name="toy_resnet")
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                      metrics=["acc"])
        return model

    return RealProgram(model_fn=model_fn, x=x[:cut], y=y[:cut],
                       validation_data=(x[cut:], y[cut:]), batch_size=64, epochs=4)
