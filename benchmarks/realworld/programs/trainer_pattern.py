"""keras-io "Trainer pattern": a Model subclass with a custom train_step wrapping a Sequential model."""

from benchmarks.realworld._program import RealProgram, fashion_mnist, seeded

SOURCE = "keras-team/keras-io:examples/keras_recipes/trainer_pattern.py"
KIND = "custom_train_step"
HEALTHY = True
NOTES = ("MNIST -> FashionMNIST (first 6000 train / 1000 test images, /255 as the "
         "original); trainer_1 (model_a, plain keras.optimizers.SGD()) is ported; "
         "train_step's tf.keras compiled_loss/compiled_metrics -> Keras 3's "
         "compute_loss and metric updates (same computation); the Flatten's "
         "input_shape -> a keras.Input; epochs 5 -> 3.")


def _trainer():
    import keras
    import tensorflow as tf

    class MyTrainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self.model(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def call(self, x):
            return self.model(x)

    return MyTrainer


def build(fixed=False):
    import keras

    seeded(0)
    (x, y), (xt, yt) = fashion_mnist(6000, 1000)
    x, xt = x / 255.0, xt / 255.0
    MyTrainer = _trainer()

    def model_fn():
        model_a = keras.models.Sequential([
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ])
        trainer_1 = MyTrainer(model_a)
        trainer_1.compile(keras.optimizers.SGD(), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
        return trainer_1

    return RealProgram(model_fn=model_fn, x=x, y=y, validation_data=(xt, yt),
                       batch_size=64, epochs=3)
