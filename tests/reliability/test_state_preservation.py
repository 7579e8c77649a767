"""Nothing lost: every model-facing function leaves the user's model bit-identical.

Property (hypothesis): for each probe, `sanity_check`, `audit_model`,
`check_preprocessing`, `diagnose`, `verify` and `apply_fixes`, on a trained model (optimizer built,
iterations > 0) with a frozen layer, the weights, optimizer variables
(including the iteration count), trainable flags, compile settings and
`train_function` are bit-identical afterwards (`kerasdoc._modelcopy.ModelState`)
whether the call returns, raises, or is interrupted by a KeyboardInterrupt
(Ctrl-C) at a random moment, and whatever form the data takes (arrays, a
`tf.data.Dataset` whose seeded shuffle order must be unchanged afterwards,
or a dict keyed by the input's name). The Doctor puts the original train
step back after an interrupted `fit` too (at the next `fit`'s first step).
"""

import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import kerasdoc
from kerasdoc._modelcopy import ModelState

PROPERTY = settings(max_examples=14, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((96, 28, 28)).astype("float32")
    y = (np.arange(96) % 10).astype("int64")
    return x, y


@pytest.fixture(scope="module")
def models(data):
    """Two trained user models: the walkthrough MLP (Adam) and a CNN (SGD+momentum)."""
    import keras

    from kerasdoc.examples import baseline_mlp, small_cnn

    x, y = data
    keras.utils.set_random_seed(0)
    mlp = baseline_mlp()
    cnn = small_cnn()
    cnn.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    mlp.fit(x, y, batch_size=32, epochs=1, verbose=0)
    cnn.fit(x[..., None], y, batch_size=32, epochs=1, verbose=0)
    mlp.layers[0].trainable = False  # a frozen layer the checks must not unfreeze
    return {"mlp": mlp, "cnn": cnn}


CALLS = {
    "audit_model": lambda m, x, y: kerasdoc.audit_model(m, x=x, y=y),
    "check_preprocessing": lambda m, x, y: kerasdoc.check_preprocessing(
        m, x[:8] if x.ndim == 4 else x[:8, ..., None]),  # an image batch (N, H, W, C)
    "initial_loss": lambda m, x, y: kerasdoc.initial_loss(m, x, y, n_samples=32),
    "overfit_batch": lambda m, x, y: kerasdoc.overfit_batch(
        m, x, y, batch_size=8, max_steps=30, patience=10, time_budget=20),
    "input_independence": lambda m, x, y: kerasdoc.input_independence(
        m, x, y, n_samples=32, max_steps=10, check_every=5, time_budget=20),
    "batch_mixing": lambda m, x, y: kerasdoc.batch_mixing(m, x, batch_size=4, n_checks=2),
    "gradient_check": lambda m, x, y: kerasdoc.gradient_check(m, x, y, layers="all",
                                                              n_samples=2),
    "lr_range_test": lambda m, x, y: kerasdoc.lr_range_test(m, x, y, max_steps=20,
                                                            time_budget=20),
    "sanity_check": lambda m, x, y: kerasdoc.sanity_check(
        m, x, y, batch_size=8, checks=["initial_loss", "batch_mixing"]),
    "diagnose": lambda m, x, y: kerasdoc.diagnose(
        m, x, y, epochs=1, batch_size=32, budget_s=30,
        parts=("model", "probes", "training")),
    "verify": lambda m, x, y: kerasdoc.verify(
        kerasdoc.Report([kerasdoc.Finding("train.exploding_gradients")]), m, x, y,
        seeds=2, epochs=1),
    "apply_fixes": lambda m, x, y: kerasdoc.apply_fixes(
        kerasdoc.Report([kerasdoc.Finding("train.exploding_gradients"),
                         kerasdoc.Finding("optim.learning_rate")]), m),
}


class _Raised(Exception):
    pass


@pytest.mark.slow
@PROPERTY
@given(name=st.sampled_from(sorted(CALLS)), which=st.sampled_from(["mlp", "cnn"]),
       mode=st.sampled_from(["returns", "raises", "interrupted"]),
       delay=st.floats(0.01, 1.5), form=st.sampled_from(["arrays", "dataset", "dict"]))
def test_model_untouched_whatever_happens(models, data, name, which, mode, delay, form):
    import tensorflow as tf

    from kerasdoc._inputs import model_input_names

    model = models[which]
    x, y = data
    if which == "cnn":
        x = x[..., None]
    if name == "check_preprocessing":
        form = "arrays"  # it takes one image batch, not what fit takes

    def shuffled():
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(96, seed=3).batch(16)

    order = None
    if form == "dataset":
        order = [b[1].tolist() for b in shuffled().as_numpy_iterator()]
        x, y = shuffled(), None
    elif form == "dict":
        x = {model_input_names(model)[0]: x}
    before = ModelState.capture(model)
    iterations = int(model.optimizer.iterations.numpy())

    def interrupt(signum, frame):
        raise KeyboardInterrupt if mode == "interrupted" else _Raised("injected")

    previous = signal.signal(signal.SIGALRM, interrupt)
    if mode != "returns":
        signal.setitimer(signal.ITIMER_REAL, delay)
    try:
        CALLS[name](model, x, y)
    except (KeyboardInterrupt, _Raised):
        assert mode != "returns"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert ModelState.capture(model).diff(before) == []
    assert int(model.optimizer.iterations.numpy()) == iterations > 0
    assert model.layers[0].trainable is (which != "mlp")
    if order is not None:  # the user's dataset gives fit the order it would have
        assert [b[1].tolist() for b in x.as_numpy_iterator()] == order


@pytest.mark.slow
def test_doctor_step_removed_after_an_interrupted_fit(data):
    import keras

    from kerasdoc.examples import baseline_mlp

    x, y = data

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    keras.utils.set_random_seed(0)
    model = baseline_mlp()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0,
                  callbacks=[kerasdoc.Doctor(every=1), Interrupt()])
    # on_train_end never ran: the Doctor's wrapper is still cached, disarmed; the
    # next fit's first call finds no Doctor and hands over to Keras's own step
    before = ModelState.capture(model)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert not getattr(model.train_function, "_kerasdoc_doctor", False)
    assert int(model.optimizer.iterations.numpy()) == 2 + 12
    assert "train_function replaced" in ModelState.capture(model).diff(before)


def _global_random_state():
    import random

    import keras

    from kerasdoc._keras import global_seed_generator

    if global_seed_generator() is None:
        keras.random.uniform((1,))  # the global seed generator exists from here on
    generator = global_seed_generator()
    return (random.getstate(), np.random.get_state()[1].tobytes(),
            np.asarray(generator.state.numpy()).tobytes())


@pytest.mark.slow
@pytest.mark.parametrize("call, delay", [("verify", None), ("verify", 0.3),
                                         ("verify", 2.0), ("apply_fixes", None),
                                         ("apply_fixes", 0.05)])
def test_verify_and_apply_fixes_keep_the_global_random_state(models, data, call, delay):
    """Python's, NumPy's and Keras's global random streams are unchanged, also on Ctrl-C."""
    model = models["mlp"]
    x, y = data
    state = _global_random_state()
    before = ModelState.capture(model)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    if delay is not None:
        signal.setitimer(signal.ITIMER_REAL, delay)
    try:
        CALLS[call](model, x, y)
    except KeyboardInterrupt:
        assert delay is not None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _global_random_state() == state
    assert ModelState.capture(model).diff(before) == []
