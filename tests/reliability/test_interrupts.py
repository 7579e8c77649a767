"""Ctrl-C is never swallowed, and a model lent to a probe is restored exactly.

A real SIGINT is sent (`os.kill`), also from inside a finalizer (`__del__`),
where Python prints "Exception ignored" and carries on: the way TensorFlow
frees the variables of discarded model copies.
"""

import os
import signal
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import kerasdoc
from kerasdoc._interrupts import checkpoint, interrupt_guard
from kerasdoc._modelcopy import ModelState, _all_variables

keras = pytest.importorskip("keras")

# The finalizer below raises on purpose; Python reports it as unraisable.
pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own SIGINT handler, as in a terminal or notebook.

    A process started in the background by a non-interactive shell inherits
    SIGINT ignored, and Python then leaves it ignored.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class _InterruptWhenFreed:
    """Sends SIGINT to this process from its finalizer (where it is swallowed)."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10000):  # let the handler run inside the finalizer
            pass


def _swallowed_interrupt():
    obj = _InterruptWhenFreed()
    del obj


def test_plain_python_swallows_an_interrupt_in_a_finalizer():
    # The premise: without the guard the interrupt is lost.
    _swallowed_interrupt()


def test_guard_raises_an_interrupt_a_finalizer_swallowed():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt_guard():
            _swallowed_interrupt()
            reached.append("after the finalizer")
            checkpoint()
            reached.append("after the checkpoint")
    assert reached == ["after the finalizer"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_guard_raises_at_its_end_without_a_checkpoint():
    with pytest.raises(KeyboardInterrupt):
        with interrupt_guard():
            with interrupt_guard():  # nested guards share the outer one
                _swallowed_interrupt()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with interrupt_guard():  # a fresh guard starts clean
        pass


def test_guard_leaves_a_program_handler_and_other_threads_alone():
    calls = []
    previous = signal.signal(signal.SIGINT, lambda s, f: calls.append(s))
    try:
        with interrupt_guard():
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10000):
                pass
        assert calls == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)
    errors = []

    def in_thread():
        try:
            with interrupt_guard():
                pass
        except BaseException as exc:  # noqa: BLE001 (reported by the assert)
            errors.append(exc)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert errors == []


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    return x, np.argmax(x[:, :3], axis=1).astype("int64")


def _mlp():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_sanity_check_stops_on_an_interrupt_a_finalizer_swallowed(monkeypatch):
    from kerasdoc.probes import _common

    started = []
    seed_model = _common.seed_model

    def seed_and_interrupt(model, seed):
        started.append(seed)
        if len(started) == 1:
            _swallowed_interrupt()
        return seed_model(model, seed)

    monkeypatch.setattr(_common, "seed_model", seed_and_interrupt)
    x, y = _data()
    model = _mlp()
    before = ModelState.capture(model)
    with pytest.raises(KeyboardInterrupt):
        kerasdoc.sanity_check(model, x, y, batch_size=8,
                              checks=["initial_loss", "overfit_batch", "lr_range_test"])
    assert len(started) == 1  # the next probes never started
    assert ModelState.capture(model).diff(before) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class Net(keras.Model):
    """Subclassed, no get_config: probes borrow it and restore its state."""

    def __init__(self, units):
        super().__init__()
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.drop = keras.layers.Dropout(0.2)
        self.out = keras.layers.Dense(3, activation="softmax")

    def call(self, t, training=False):
        return self.out(self.drop(self.hidden(t), training=training))


@pytest.fixture(scope="module")
def lent_model():
    x, y = _data()
    keras.utils.set_random_seed(0)
    model = Net(8)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # optimizer built, metrics set
    return model


def _everything(model):
    return [(v.path, np.array(v.numpy())) for v in _all_variables(model)]


CALLS = {
    "overfit_batch": lambda m, x, y: kerasdoc.overfit_batch(
        m, x, y, batch_size=8, max_steps=40, patience=20, time_budget=20),
    "lr_range_test": lambda m, x, y: kerasdoc.lr_range_test(
        m, x, y, max_steps=30, time_budget=20),
    "sanity_check": lambda m, x, y: kerasdoc.sanity_check(
        m, x, y, batch_size=8, checks=["initial_loss", "overfit_batch"]),
}


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(CALLS)), delay=st.floats(0.005, 2.0))
def test_lent_model_restored_exactly_under_ctrl_c_at_a_random_moment(
        lent_model, name, delay):
    x, y = _data()
    model = lent_model
    before, values = ModelState.capture(model), _everything(model)
    attributes = dict(vars(model))
    previous = signal.signal(signal.SIGALRM,
                             lambda s, f: os.kill(os.getpid(), signal.SIGINT))
    signal.setitimer(signal.ITIMER_REAL, delay)
    try:
        CALLS[name](model, x, y)
    except KeyboardInterrupt:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert ModelState.capture(model).diff(before) == []
    after = _everything(model)
    assert [p for p, _ in after] == [p for p, _ in values]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(values, after))
    assert set(vars(model)) == set(attributes)
    assert all(vars(model)[k] is v for k, v in attributes.items())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_guard_collects_only_what_its_block_made_and_unfreezes():
    import gc

    class Node:
        pass

    if gc.get_freeze_count():
        pytest.skip("the test process froze objects itself")
    old = Node()
    old.self = old  # a cycle made before the block: frozen while it runs
    seen = {}
    with interrupt_guard():
        seen["frozen"] = gc.get_freeze_count()
        new = Node()
        new.self = new
        ref = __import__("weakref").ref(new)
        del new
    assert seen["frozen"] > 0
    assert ref() is None  # the block's own cycle was collected at its end
    assert gc.get_freeze_count() == 0  # and everything older released again


def test_the_guard_leaves_a_programs_own_frozen_objects_frozen():
    import gc

    if gc.get_freeze_count():
        pytest.skip("the test process froze objects itself")
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with interrupt_guard():
            pass
        # Neither unfrozen (0) nor frozen again (objects made since would
        # join); frozen objects that other threads free meanwhile leave it.
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_the_guard_freezes_older_objects_also_where_it_leaves_sigint_alone():
    import gc

    if gc.get_freeze_count():
        pytest.skip("the test process froze objects itself")
    seen = {}

    def work():
        with interrupt_guard():  # not the main thread: no handler installed
            seen["frozen"] = gc.get_freeze_count()
            with interrupt_guard():  # an inner block leaves the outer's freeze
                seen["inner"] = gc.get_freeze_count()
            seen["after inner"] = gc.get_freeze_count()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    # Still frozen after the inner block (counts move as frozen objects die).
    assert seen["frozen"] > 0 and seen["inner"] > 0 and seen["after inner"] > 0
    assert gc.get_freeze_count() == 0
