"""Probes on models as users write them: Lambda layers, custom layers, subclassed
models, custom train steps. They are copied in-process, or lent with their state
saved and restored exactly; a custom `train_step` is run as `fit` runs it."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kerasdoc  # noqa: E402
from kerasdoc._modelcopy import ModelState, NotCopyable, SavedState, copy_model  # noqa: E402
from kerasdoc.probes import _common  # noqa: E402
from kerasdoc.probes._sanity import PROBES as N  # noqa: E402  (probe -> check name)

SCALE = 0.5


class NoConfig(keras.layers.Layer):
    """A custom layer without get_config whose __init__ takes no **kwargs."""

    def __init__(self, units, factor):
        super().__init__()
        self.units, self.factor = units, factor

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], self.units))

    def call(self, x):
        return keras.ops.matmul(x, self.w) * self.factor


class Sub(keras.Model):
    """A subclassed model without get_config (Keras cannot rebuild it)."""

    def __init__(self, units, head):
        super().__init__()
        self.d1 = keras.layers.Dense(units, activation="relu")
        self.drop = keras.layers.Dropout(0.3)
        self.d2 = head

    def call(self, x, training=False):
        return self.d2(self.drop(self.d1(x), training=training))


class GuideStep(keras.Model):
    """The Keras guide's custom train_step (`x, y = data`), its own trackers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = keras.metrics.Mean(name="loss")

    def train_step(self, data):
        import tensorflow as tf

        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, y_pred))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.tracker.update_state(loss)
        return {"loss": self.tracker.result()}

    @property
    def metrics(self):
        return [self.tracker]


def _data(n=64, d=6, k=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (np.argmax(x[:, :k], axis=1)).astype("int64")
    return x, y


def _compile(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def lambda_model():
    k = 3.0  # a closure's captured value
    inputs = keras.Input((6,))
    h = keras.layers.Lambda(lambda t: t * k)(inputs)
    h = keras.layers.Lambda(lambda t: t * SCALE)(h)
    h = keras.layers.Dense(8, activation="relu")(h)
    return _compile(keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h)))


def custom_layer_model():
    inputs = keras.Input((6,))
    h = NoConfig(8, 2.0)(inputs)
    return _compile(keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h)))


def subclassed_model():
    model = _compile(Sub(8, keras.layers.Dense(3, activation="softmax")))
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # built, optimizer state
    return model


def guide_step_model():
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    model = GuideStep(inputs, keras.layers.Dense(3, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("build", [lambda_model, custom_layer_model])
def test_lambda_and_config_less_layers_are_copied_in_process(build):
    keras.utils.set_random_seed(0)
    model = build()
    x, _ = _data()
    clone = copy_model(model, sample_x=x)
    assert clone is not model
    assert np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert all(a is not b for a, b in zip(clone.weights, model.weights))


def test_copies_of_models_with_adapted_lookup_layers_keep_their_vocabulary():
    """StringLookup/TextVectorization tables are outside config and weights: a rebuilt
    layer's table is empty ("Table not initialized"), so copies share the layer."""
    import tensorflow as tf

    texts = tf.constant([["good fun film"], ["bad dull film"], ["fun good"], ["dull bad"]])
    vectorize = keras.layers.TextVectorization(max_tokens=10, output_sequence_length=3)
    vectorize.adapt(texts)
    lookup = keras.layers.StringLookup(vocabulary=["a", "b"])
    text_in = keras.Input((1,), dtype="string")
    tag_in = keras.Input((1,), dtype="string")
    h = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(
        vectorize(text_in)))
    tag = keras.layers.Flatten()(keras.layers.Embedding(4, 2)(lookup(tag_in)))
    out = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.Concatenate()([h, tag]))
    model = keras.Model([text_in, tag_in], out)
    model.compile("adam", "binary_crossentropy")
    tags = tf.constant([["a"], ["b"], ["a"], ["c"]])
    clone = copy_model(model)
    assert np.allclose(clone.predict([texts, tags], verbose=0),
                       model.predict([texts, tags], verbose=0))
    before = [w.copy() for w in model.get_weights()]
    clone.fit([texts, tags], np.array([1, 0, 1, 0]), epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert vectorize.get_vocabulary()[:2] == ["", "[UNK]"]


def test_subclassed_model_without_config_cannot_be_copied_and_the_message_fits():
    with pytest.raises(NotCopyable) as info:
        copy_model(subclassed_model())
    assert "give the model's class a get_config" not in str(info.value)
    assert "Sub" in str(info.value)


def test_copy_keeps_the_class_and_the_instance_settings():
    model = guide_step_model()
    model.extra_flag = False  # a plain setting on the instance
    clone = copy_model(model)
    assert type(clone) is GuideStep and clone.extra_flag is False
    model.compile(optimizer="adam", loss="mse", steps_per_execution=4)
    assert copy_model(model).steps_per_execution == 4  # compiled like the original


def test_copies_do_not_repeat_keras_build_warnings_the_user_already_got():
    import warnings

    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(2)(keras.layers.Concatenate()([a, b]))
    with pytest.warns(UserWarning, match="keys in the dict must match"):
        model = keras.Model({"ka": a, "kb": b}, out)  # keys differ from names
    model.compile(optimizer="adam", loss="mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clone = copy_model(model)
        warnings.warn("a user's own warning", UserWarning)  # filters restored
    texts = [str(w.message) for w in caught]
    assert not [t for t in texts if "keys in the dict must match" in t], texts
    assert texts == ["a user's own warning"]
    x = {"ka": np.ones((2, 4), "float32"), "kb": np.ones((2, 3), "float32")}
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("build", [lambda_model, custom_layer_model, subclassed_model,
                                   guide_step_model])
def test_sanity_check_runs_on_models_as_users_write_them(build):
    keras.utils.set_random_seed(0)
    model = build()
    x, y = _data()
    before = ModelState.capture(model)
    variables = [np.array(v.numpy()) for v in model.variables]
    report = kerasdoc.sanity_check(model, x, y, batch_size=16,
                                   checks=["initial_loss", "overfit_batch",
                                           "input_independence", "lr_range_test"])
    assert ModelState.capture(model).diff(before) == []
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(variables, model.variables))
    assert N["overfit_batch"] in report.ran and N["lr_range_test"] in report.ran
    if build is subclassed_model:  # one model, lent in turn: no two copies at once
        assert "two independent copies" in report.skipped[N["input_independence"]]
    else:
        assert N["input_independence"] in report.ran


def test_custom_step_gets_the_batch_as_fit_gives_it():
    keras.utils.set_random_seed(0)
    model = guide_step_model()
    x, y = _data()
    clone = copy_model(model, sample_x=x)
    losses = [_common.train_loss(clone, x[:16], y[:16]) for _ in range(30)]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_lent_model_is_restored_exactly_after_an_error():
    model = subclassed_model()
    x, y = _data()
    saved = SavedState(model)
    keys = set(vars(model))
    before = [np.array(v.numpy()) for v in model.variables + model.optimizer.variables]
    with pytest.raises(RuntimeError, match="boom"):
        with _common.preserved_global_rng():
            lent = _common.probe_copy(model, seed=3, sample_x=x)
            assert lent is model and model.optimizer is not saved.attributes["optimizer"][0]
            for _ in range(3):
                _common.train_loss(lent, x[:16], y[:16])
            raise RuntimeError("boom")
    assert set(vars(model)) == keys
    assert model.optimizer is saved.attributes["optimizer"][0]
    after = [v.numpy() for v in model.variables + model.optimizer.variables]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


class Unbuilt(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = keras.layers.Dense(8, activation="relu")
        self.b = keras.layers.Dense(3, activation="softmax")

    def call(self, t):
        return self.b(self.a(t))


def unbuilt_sequential():
    return keras.Sequential([keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("make", [unbuilt_sequential, Unbuilt])
def test_unbuilt_models_are_built_as_fit_builds_them(make):
    from kerasdoc._modelcopy import build_like_fit

    x, y = _data()
    x64 = x.astype("float64")  # fit casts floats to floatx: so does the build
    weights = []
    for build_first in (False, True):
        keras.utils.set_random_seed(0)
        model = make()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        if build_first:
            assert not model.built
            build_like_fit(model, x64)
            assert model.built and not model.optimizer.built
        model.fit(x64, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


@pytest.mark.parametrize("make", [unbuilt_sequential, Unbuilt])
def test_sanity_check_takes_unbuilt_models(make):
    x, y = _data()
    keras.utils.set_random_seed(0)
    model = _compile(make())
    report = kerasdoc.sanity_check(model, x, y, batch_size=16,
                                   checks=["initial_loss", "batch_mixing",
                                           "overfit_batch"])
    assert model.built
    assert set(report.ran) == {N["initial_loss"], N["batch_mixing"], N["overfit_batch"]}
    assert not report.skipped


def test_custom_step_compiled_without_a_loss_runs_the_probes_that_follow_its_step():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    model = GuideStep(inputs, keras.layers.Dense(3, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))  # the guide's way: no loss
    x, y = _data()
    before = ModelState.capture(model)
    report = kerasdoc.sanity_check(model, x, y, batch_size=16,
                                   checks=["initial_loss", "overfit_batch"])
    assert ModelState.capture(model).diff(before) == []
    assert N["overfit_batch"] in report.ran
    assert N["initial_loss"] in report.skipped  # needs a compiled loss: said, not crashed
