"""keras-io guide "Training & evaluation with the built-in methods": the MNIST MLP."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:guides/training_with_built_in_methods.py"
KIND = "multiclass"
HEALTHY = True
FAST = True
NOTES = ("MNIST -> FashionMNIST: 6000 train images (flattened, /255, float32 "
         "labels as the guide) with the last 1000 held out as validation_data "
         "as the guide holds out its last 10,000; batch 64, epochs 2 kept.")


def build(fixed=False):
    import keras
    from keras import layers

    seeded(0)
    (x, y), _ = fashion_mnist(6000, 0)
    x = x.reshape(len(x), 784).astype("float32") / 255
    y = y.astype("float32")
    x_val, y_val, x_train, y_train = x[-1000:], y[-1000:], x[:-1000], y[:-1000]

    def model_fn():
        inputs = keras.Input(shape=(784,), name="digits")
        h = layers.Dense(64, activation="relu", name="dense_1")(inputs)
        h = layers.Dense(64, activation="relu", name="dense_2")(h)
        outputs = layers.Dense(10, activation="softmax", name="predictions")(h)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer=keras.optimizers.RMSprop(),
                      loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
        return model

    return RealProgram(model_fn=model_fn, x=x_train, y=y_train,
                       validation_data=(x_val, y_val), batch_size=64, epochs=2)
