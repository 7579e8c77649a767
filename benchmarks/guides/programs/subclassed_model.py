"""A subclassed keras.Model with its layers in __init__ and its forward pass in call."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/guides/making_new_layers_and_models_via_subclassing/"
PATTERN = "a subclassed model"
FAST = False
NOTES = ("The guide's 'The Model class' section: a keras.Model subclass creating its "
         "layers in __init__ and calling them in call(); the guide builds it by calling "
         "it on data before training ('Calling the instance creates its weights'), as "
         "done here. FashionMNIST subset (512 train, 128 val) flattened and scaled to "
         "[0, 1]; Dense 64 relu, Dropout 0.2, Dense 10 softmax; Adam, "
         "sparse_categorical_crossentropy, batch 32, 2 epochs.")


def build():
    import keras
    from keras import layers

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0

    class MLP(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense_1 = layers.Dense(64, activation="relu")
            self.dropout = layers.Dropout(0.2)
            self.dense_2 = layers.Dense(10, activation="softmax")

        def call(self, inputs, training=False):
            h = self.dense_1(inputs)
            h = self.dropout(h, training=training)
            return self.dense_2(h)

    def model_fn():
        model = MLP()
        model(x[:2])  # calling the instance creates its weights
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, x, y, validation_data=(xv, yv), batch_size=32)
