"""keras-io guide "Training & evaluation with the built-in methods": class weights."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:guides/training_with_built_in_methods.py"
KIND = "multiclass"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST: 6000 train images (flattened, /255); the guide's "
         "class_weight (class 5 weighted 2.0, the others 1.0) passed to fit as "
         "the guide does; get_compiled_model() as the guide; batch 64, "
         "epochs 1 -> 2.")


def build(fixed=False):
    import keras
    from keras import layers

    seeded(0)
    (x, y), (xt, yt) = fashion_mnist(6000, 1000)
    x = x.reshape(len(x), 784).astype("float32") / 255
    xt = xt.reshape(len(xt), 784).astype("float32") / 255
    class_weight = {i: 1.0 for i in range(10)}
    class_weight[5] = 2.0

    def model_fn():
        inputs = keras.Input(shape=(784,), name="digits")
        h = layers.Dense(64, activation="relu", name="dense_1")(inputs)
        h = layers.Dense(64, activation="relu", name="dense_2")(h)
        outputs = layers.Dense(10, activation="softmax", name="predictions")(h)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xt, yt),
                       batch_size=64, epochs=2, fit_kwargs={"class_weight": class_weight})
