"""Images fed by a keras.utils.PyDataset to a small convnet."""

from benchmarks.guides._program import GuideProgram, fashion_subset, seeded

SOURCE = "https://keras.io/guides/training_with_built_in_methods/ (the PyDataset section)"
PATTERN = "a PyDataset feeding images"
FAST = False
NOTES = ("The guide's ExamplePyDataset (__init__ with x, y, batch_size and **kwargs to "
         "super, __len__ = ceil(n / batch_size), __getitem__ slicing a batch) for "
         "training and validation, fit(train_py_dataset, validation_data=val_py_dataset). "
         "FashionMNIST subset (512/128) as (28, 28, 1) images scaled to [0, 1] in "
         "__getitem__; Conv2D 8 3x3 relu, MaxPooling2D, Flatten, Dense 10 softmax; Adam, "
         "sparse_categorical_crossentropy, batch 32, 2 epochs.")


def build():
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, y), (xv, yv) = fashion_subset()

    class ExamplePyDataset(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x = x
            self.y = y
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
            batch_y = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
            return batch_x[..., None].astype("float32") / 255.0, batch_y

    def model_fn():
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return GuideProgram(model_fn, ExamplePyDataset(x, y, 32),
                        validation_data=ExamplePyDataset(xv, yv, 32))
