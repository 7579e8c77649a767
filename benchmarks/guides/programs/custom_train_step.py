"""A model overriding train_step with its own loss and metric trackers."""

from benchmarks.guides._program import GuideProgram, seeded

SOURCE = "https://keras.io/guides/custom_train_step_in_tensorflow/"
PATTERN = "a custom train_step with its own loss"
FAST = True
NOTES = ("The guide's 'Going lower-level' CustomModel: compile() without a loss, a "
         "keras.losses.MeanSquaredError held by the model, its own loss_tracker and "
         "mae_metric (keras.metrics.Mean / MeanAbsoluteError) listed in the `metrics` "
         "property, train_step unpacking `x, y = data` with a GradientTape. The guide "
         "fits random targets; here 400 samples of 16 features and y = x @ w + noise "
         "(w ~ N(0, 0.3)), Dense 16 relu + Dense 1, Adam, batch 32, 3 epochs.")


def build():
    import keras
    import tensorflow as tf

    rng = seeded(0)
    x = rng.normal(size=(400, 16)).astype("float32")
    w = rng.normal(0, 0.3, (16, 1))
    y = (x @ w + rng.normal(0, 0.05, (400, 1))).astype("float32")

    class CustomModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.loss_fn(y, y_pred)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply(gradients, trainable_vars)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    def model_fn():
        inputs = keras.Input(shape=(16,))
        h = keras.layers.Dense(16, activation="relu")(inputs)
        outputs = keras.layers.Dense(1)(h)
        model = CustomModel(inputs, outputs)
        model.compile(optimizer="adam")
        return model

    # As in the guide's section, no validation data: the model defines no
    # test_step and is compiled without a loss, so evaluate() has nothing to compute.
    return GuideProgram(model_fn, x, y, batch_size=32, epochs=3)
