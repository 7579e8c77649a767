"""keras-io guide "Customizing what happens in fit() with TensorFlow": the first CustomModel."""

from benchmarks.realworld._program import RealProgram, seeded

SOURCE = "keras-team/keras-io:guides/custom_train_step_in_tensorflow.py"
KIND = "custom_train_step"
HEALTHY = True
FAST = True
NOTES = ("The guide fits np.random.random((1000, 32)) against unrelated "
         "np.random.random((1000, 1)) targets (nothing to learn) -> the same "
         "inputs with targets (x - 0.5) @ w + 0.05 noise (w ~ N(0, 0.3)), so learning "
         "is measurable; model, compile (adam, mse, mae) and train_step as the "
         "guide; default batch size as the guide; epochs 3 -> 40 (Adam at 1e-3 "
         "needs several hundred steps to fit the 32 weights).")


def _custom_model():
    import keras
    import tensorflow as tf

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply(gradients, trainable_vars)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def build(fixed=False):
    import keras

    rng = seeded(0)
    x = rng.random((1000, 32)).astype("float32")
    w = rng.normal(0, 0.3, (32, 1))
    y = ((x - 0.5) @ w + rng.normal(0, 0.05, (1000, 1))).astype("float32")
    CustomModel = _custom_model()

    def model_fn():
        inputs = keras.Input(shape=(32,))
        outputs = keras.layers.Dense(1)(inputs)
        model = CustomModel(inputs, outputs)
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return model

    return RealProgram(model_fn=model_fn, x=x, y=y, epochs=40)
