"""keras-io "Supervised Contrastive Learning": the classifier on a frozen ResNet50V2 encoder
(augmentation with an adapted Normalization inside the model, array inputs)."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/vision/supervised-contrastive-learning.py"
KIND = "transfer"
HEALTHY = True
NOTES = ("CIFAR-10 arrays -> FashionMNIST: 3000 train / 600 test images padded "
         "to 32x32 and repeated to 3 channels (0-255 floats, the model's own "
         "Normalization adapted on them as the original); the original's "
         "second stage, create_classifier(encoder, trainable=False), on a "
         "ResNet50V2(include_top=False, weights=None, pooling='avg') encoder "
         "that is frozen without the contrastive pretraining (the keras.applications "
         "frozen-backbone case); data_augmentation (Normalization, "
         "RandomFlip('horizontal'), RandomRotation(0.02)), Dropout(0.5), "
         "Dense(512, relu), Dropout(0.5), Dense(10, softmax), Adam(0.001), "
         "SparseCategoricalCrossentropy, SparseCategoricalAccuracy as the "
         "original; batch 265 kept; epochs 50 -> 4.")


def build(fixed=False):
    import keras
    import numpy as np
    from keras import layers

    seeded(0)
    (x, y), (xt, yt) = fashion_mnist(3000, 600)

    def prep(images):
        padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
        return np.repeat(padded[..., None], 3, -1).astype("float32")

    x_train, x_test = prep(x), prep(xt)
    input_shape = (32, 32, 3)

    def model_fn():
        data_augmentation = keras.Sequential([
            layers.Normalization(),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.02),
        ])
        data_augmentation.layers[0].adapt(x_train)
        resnet = keras.applications.ResNet50V2(include_top=False, weights=None,
                                               input_shape=input_shape, pooling="avg")
        inputs = keras.Input(shape=input_shape)
        augmented = data_augmentation(inputs)
        outputs = resnet(augmented)
        encoder = keras.Model(inputs=inputs, outputs=outputs, name="cifar10-encoder")
        for layer in encoder.layers:
            layer.trainable = False
        inputs = keras.Input(shape=input_shape)
        features = encoder(inputs)
        features = layers.Dropout(0.5)(features)
        features = layers.Dense(512, activation="relu")(features)
        features = layers.Dropout(0.5)(features)
        outputs = layers.Dense(10, activation="softmax")(features)
        model = keras.Model(inputs=inputs, outputs=outputs, name="cifar10-classifier")
        model.compile(optimizer=keras.optimizers.Adam(0.001),
                      loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
        return model

    return RealProgram(model_fn=model_fn, x=x_train, y=y, validation_data=(x_test, yt),
                       batch_size=265, epochs=4)
