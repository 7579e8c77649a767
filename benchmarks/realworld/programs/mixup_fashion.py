"""keras-io "MixUp augmentation for image classification" (FashionMNIST, tf.data with mixed labels)."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/vision/mixup.py"
KIND = "cnn"
HEALTHY = True
NOTES = ("FashionMNIST as the original, but the first 12,000 train images "
         "(2000 for validation as the original's val_samples, 10,000 for "
         "training) instead of 60,000; the mix-up tf.data pipeline (two shuffled "
         "copies zipped, Beta(0.2, 0.2) weights from two gammas) as the "
         "original; batch 64 kept; epochs 10 -> 2.")


def build(fixed=False):
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import layers

    seeded(0)
    (x, y), _ = fashion_mnist(12000, 0)
    x = np.reshape(x.astype("float32") / 255.0, (-1, 28, 28, 1))
    y = keras.ops.convert_to_numpy(keras.ops.one_hot(y, 10))
    batch = 64
    val_samples = 2000
    x_val, y_val = x[:val_samples], y[:val_samples]
    new_x, new_y = x[val_samples:], y[val_samples:]
    train_ds_one = tf.data.Dataset.from_tensor_slices((new_x, new_y)).shuffle(
        batch * 100, seed=1).batch(batch)
    train_ds_two = tf.data.Dataset.from_tensor_slices((new_x, new_y)).shuffle(
        batch * 100, seed=2).batch(batch)
    train_ds = tf.data.Dataset.zip((train_ds_one, train_ds_two))
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch)

    def sample_beta_distribution(size, concentration_0=0.2, concentration_1=0.2):
        gamma_1_sample = tf.random.gamma(shape=[size], alpha=concentration_1, seed=3)
        gamma_2_sample = tf.random.gamma(shape=[size], alpha=concentration_0, seed=4)
        return gamma_1_sample / (gamma_1_sample + gamma_2_sample)

    def mix_up(ds_one, ds_two, alpha=0.2):
        images_one, labels_one = ds_one
        images_two, labels_two = ds_two
        batch_size = tf.shape(images_one)[0]
        lam = sample_beta_distribution(batch_size, alpha, alpha)
        x_l = tf.reshape(lam, (batch_size, 1, 1, 1))
        y_l = tf.reshape(lam, (batch_size, 1))
        images = images_one * x_l + images_two * (1 - x_l)
        labels = labels_one * y_l + labels_two * (1 - y_l)
        return (images, labels)

    train_ds_mu = train_ds.map(lambda a, b: mix_up(a, b, alpha=0.2),
                               num_parallel_calls=tf.data.AUTOTUNE)

    def model_fn():
        model = keras.Sequential([
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(32, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.2),
            layers.GlobalAveragePooling2D(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(loss="categorical_crossentropy", optimizer="adam",
                      metrics=["accuracy"])
        return model

    return RealProgram(model_fn=model_fn, x=train_ds_mu, validation_data=val_ds, epochs=2)
