"""keras-io guide "Transfer learning & fine-tuning": the end-to-end example, first stage
(frozen Xception backbone, augmentation and Rescaling in the model, tf.data input)."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:guides/transfer_learning.py"
KIND = "transfer"
HEALTHY = True
NOTES = ("cats_vs_dogs (tfds, 40%/10% splits, resized to 150x150, batch 64) -> "
         "FashionMNIST T-shirt vs Trouser: 1200 train / 300 validation images, "
         "grey repeated to 3 channels, raw 0-255 floats as tfds images, resized "
         "in the tf.data pipeline as the guide does but to 75x75 (Xception's "
         "minimum is 71; 150x150 is too slow on this CPU); Xception("
         "weights='imagenet') -> weights=None (no download), frozen as the "
         "guide; data_augmentation (RandomFlip('horizontal'), "
         "RandomRotation(0.1)), Rescaling(1/127.5, offset=-1), base(training="
         "False), GlobalAveragePooling2D, Dropout(0.2), Dense(1) logits; "
         "Adam(), BinaryCrossentropy(from_logits=True), BinaryAccuracy; "
         "epochs 2 -> 3.")

SIZE = 75


def build(fixed=False):
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import layers

    seeded(0)
    (x, y), (xt, yt) = fashion_mnist(12000, 2000)
    keep, keept = np.isin(y, (0, 1)), np.isin(yt, (0, 1))
    x, y = x[keep][:1200], y[keep][:1200]
    xt, yt = xt[keept][:300], yt[keept][:300]

    def to_ds(images, labels):
        images = np.repeat(images[..., None], 3, -1).astype("float32")
        ds = tf.data.Dataset.from_tensor_slices((images, labels.astype("int64")))
        ds = ds.map(lambda im, lab: (tf.image.resize(im, (SIZE, SIZE)), lab))
        return ds.batch(64).cache().prefetch(buffer_size=10)

    train_ds, validation_ds = to_ds(x, y), to_ds(xt, yt)

    def model_fn():
        data_augmentation = keras.Sequential(
            [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
        base_model = keras.applications.Xception(weights=None,
                                                 input_shape=(SIZE, SIZE, 3),
                                                 include_top=False)
        base_model.trainable = False
        inputs = keras.Input(shape=(SIZE, SIZE, 3))
        h = data_augmentation(inputs)
        h = layers.Rescaling(scale=1 / 127.5, offset=-1)(h)
        h = base_model(h, training=False)
        h = layers.GlobalAveragePooling2D()(h)
        h = layers.Dropout(0.2)(h)
        outputs = layers.Dense(1)(h)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.Adam(),
                      loss=keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[keras.metrics.BinaryAccuracy()])
        return model

    return RealProgram(model_fn=model_fn, x=train_ds, validation_data=validation_ds,
                       epochs=3)
