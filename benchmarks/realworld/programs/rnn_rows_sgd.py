"""keras-io guide "Working with RNNs": LSTM over image rows, BatchNormalization, plain SGD."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:guides/working_with_rnns.py"
KIND = "plain_sgd"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST: 8000 train / 1000 test images (/255, each "
         "image a sequence of 28 rows of 28 values as the guide); build_model "
         "(LSTM(64), BatchNormalization, Dense(10) logits) and compile "
         "(SparseCategoricalCrossentropy(from_logits=True), 'sgd') as the "
         "guide; batch 64 kept; epochs 1 -> 3 (1 epoch of 60,000 in the guide).")


def build(fixed=False):
    import keras

    seeded(0)
    (x, y), (xt, yt) = fashion_mnist(8000, 1000)
    x, xt = x / 255.0, xt / 255.0
    units, input_dim, output_size = 64, 28, 10

    def model_fn():
        model = keras.models.Sequential([
            keras.Input(shape=(None, input_dim)),
            keras.layers.LSTM(units),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(output_size),
        ])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      optimizer="sgd", metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xt, yt),
                       batch_size=64, epochs=3)
