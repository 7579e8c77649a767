"""`diagnose` keeps to `budget_s` for the whole call, whatever the size of the data.

The deadline (kerasdoc._deadline) is split across the parts by weight, the
probes split their share again, each probe's loop stops at its deadline and
says so at info, and a check that cannot start in time is skipped with the
reason. The wall-time tests call `diagnose` with a budget of a few seconds on
data sized so that the call without a budget takes far longer, and check the
call ends within `budget_s * 1.1` plus the allowance `_in_flight` justifies.
"""

import time

import numpy as np
import pytest

import kerasdoc
from kerasdoc import _deadline
from kerasdoc._deadline import Deadline


class _Clock:
    """A clock that moves only when told to."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


# The deadline itself --------------------------------------------------------
def test_share_splits_by_weight_and_passes_unused_time_on():
    clock = _Clock()
    call = Deadline(100.0, clock=clock)
    first = call.share(1.0, 4.0)  # 1 of the weights 1 + 3 still to run
    assert first.left() == pytest.approx(25.0)
    clock.now += 5.0  # the first part used 5 of its 25 s
    second = call.share(3.0, 3.0)  # the last part gets everything left
    assert second.left() == pytest.approx(95.0) and second.end == call.end
    clock.now += 200.0
    assert call.spent() and second.spent() and call.share(1.0, 2.0).left() <= 0


def test_a_nested_deadline_never_ends_after_the_outer_one():
    clock = _Clock()
    outer = Deadline(10.0, clock=clock)
    with _deadline.active(outer):
        with _deadline.active(Deadline(50.0, clock=clock)) as inner:
            assert _deadline.current() is inner
            assert inner.left() == pytest.approx(10.0)
        assert _deadline.current() is outer
    assert _deadline.current() is None
    assert Deadline(None).left() == float("inf") and not Deadline(None).spent()


def test_work_that_cannot_finish_its_first_step_in_time_does_not_start():
    clock = _Clock()
    call = Deadline(60.0, clock=clock)
    probe = call.share(1.0, 2.0)  # 30 s
    assert probe.can_start(copies=2) is None  # nothing measured yet
    clock.now += 8.0
    probe.note_first_step(probe.elapsed())  # a copy, its trace and one step: 8 s
    assert call.first_step == 8.0
    later = call.share(1.0, 1.0)  # 52 s left
    assert later.can_start(copies=2) is None
    clock.now += 45.0  # 7 s left: less than the 8 s measured
    reason = later.can_start()
    assert reason.startswith("time budget spent: 7.0 s left for it, less than the 8.0 s")
    clock.now += 10.0
    assert later.can_start() == "time budget spent before this check"


def test_a_probe_loop_stops_at_the_ambient_deadline():
    from kerasdoc.probes._common import Budget

    assert Budget(100, None).reason(1) is None
    with _deadline.active(Deadline(0.0)):
        assert Budget(100, None).reason(1) == "time_budget"
        assert Budget(1, None).reason(1) == "max_steps"  # the step budget first


# Probes cut short: inconclusive, info ----------------------------------------
@pytest.fixture(scope="module")
def digits():
    """8x8 digits scaled to [0, 1] (300 samples) and a compiled MLP builder."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:300] / 16.0).astype("float32"), y[:300]


def _mlp(n_in, n_out, loss, *, activation=None):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(n_out, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


def _ignores_its_input(n_in, n_out):
    """A classifier whose first layer multiplies the input by zero."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((n_in,))
    h = keras.layers.Lambda(lambda t: t * 0.0)(inputs)
    h = keras.layers.Dense(16, activation="relu")(h)
    model = keras.Model(inputs, keras.layers.Dense(n_out, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_a_probe_stopped_by_its_budget_reports_info_not_an_error(digits):
    from kerasdoc.probes._checks import _outcome
    from kerasdoc.probes._overfit import overfit_batch

    x, y = digits
    # Uncut, the probe calls this model an error (its firing test in
    # tests/probes/test_overfit.py uses the same kind of input-blind twin).
    model = _ignores_its_input(64, 10)
    findings, reason = _outcome(overfit_batch, model, x, y, max_steps=60, patience=15,
                                time_budget=1e-6)
    assert reason is None
    [finding] = findings
    assert finding.code == "probe.cannot_overfit_batch"
    assert str(finding.severity) == "info"
    assert finding.message.startswith("Inconclusive: budget spent after 1 steps")
    assert finding.evidence["conclusive"] is False
    assert finding.evidence["stopped"] == "time_budget"


def test_a_probe_cut_short_that_found_nothing_says_it_did_not_finish(digits):
    from kerasdoc.probes._checks import _outcome
    from kerasdoc.probes._lr_range import lr_range_test

    x, y = digits
    findings, _ = _outcome(lr_range_test, _mlp(64, 10, "sparse_categorical_crossentropy",
                                               activation="softmax"),
                           x, y, time_budget=1e-6)
    [finding] = findings
    assert finding.code == "probe.learning_rate" and str(finding.severity) == "info"
    assert "budget spent after 1 steps" in finding.message
    # a probe that ran to its end is untouched
    findings, _ = _outcome(lr_range_test, _mlp(64, 10, "sparse_categorical_crossentropy",
                                               activation="softmax"),
                           x, y, max_steps=5)
    assert all(not f.message.startswith("Inconclusive: budget") for f in findings)


def test_probes_that_cannot_start_in_time_are_skipped_for_the_budget(digits):
    x, y = digits
    model = _mlp(64, 10, "sparse_categorical_crossentropy", activation="softmax")
    with _deadline.active(Deadline(0.0)):
        report = kerasdoc.sanity_check(model, x, y)
    assert not report.ran and len(report) == 0
    assert set(report.skipped) >= {"probe.cannot_overfit_batch", "probe.learning_rate"}
    assert all("budget spent" in reason for reason in report.skipped.values())


# The whole call: wall time <= budget_s * 1.1 + the work in flight ------------
BUDGET_S = 2.0
"""The budget of the wall-time tests: each call would take minutes without it."""


def _in_flight(model, x, y):
    """Seconds of the work a deadline cannot cut, measured on this machine now.

    When a deadline passes, what is in flight still finishes: a copy of the
    model and the first step of a probe (its trace), or the training run's
    first, instrumented step, whose graph (the step plus the `Doctor`'s
    statistics) takes about as long again to trace. The allowance is twice a
    measured copy-and-first-step, plus 0.5 s for the report's assembly and
    Python's own jitter. Measured here, under whatever load the machine is
    under, so a busy machine does not turn the test red while a real
    overrun (a part that ignores its deadline: tens of seconds here) still does.
    """
    from kerasdoc.probes import _common

    start = time.perf_counter()
    with _common.preserved_global_rng():
        clone = _common.probe_copy(model, seed=0, sample_x=x[:1])
        _common.train_loss(clone, x[:32], y[:32])
    return 2 * (time.perf_counter() - start) + 0.5


def _timed_diagnose(model, x, y, **kwargs):
    allowance = _in_flight(model, x, y)
    start = time.perf_counter()
    report = kerasdoc.diagnose(model, x, y, budget_s=BUDGET_S, **kwargs)
    wall = time.perf_counter() - start
    assert wall <= BUDGET_S * 1.1 + allowance, (wall, allowance, report.timings)
    assert not report.failed, report.failed
    budgeted = [k for k, v in report.skipped.items() if "budget" in str(v)]
    assert budgeted, report.skipped  # the budget, not the data, ended the call
    for f in report:
        if f.code.startswith("probe.") and f.evidence.get("stopped") == "time_budget":
            assert str(f.severity) == "info", f
    return report


def test_regression_with_thousands_of_distinct_targets_keeps_to_the_budget():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6000, 10)).astype("float32")
    y = (x @ rng.normal(size=10) + 0.1 * rng.normal(size=6000)).astype("float32")
    assert len(np.unique(y)) == 6000
    model = _mlp(10, 1, "mse")
    # 100 epochs of 188 steps, and the probes: minutes without a budget.
    _timed_diagnose(model, x, y, epochs=100)


def test_a_100k_row_table_keeps_to_the_budget():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100_000, 20)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("float32")
    model = _mlp(20, 1, "binary_crossentropy", activation="sigmoid")
    _timed_diagnose(model, x, y, epochs=20)


def test_an_image_cnn_keeps_to_the_budget():
    import keras
    from keras import layers

    rng = np.random.default_rng(2)
    y = rng.integers(0, 10, size=3500)
    x = rng.uniform(0, 1, size=(3500, 28, 28, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    _timed_diagnose(model, x[:3000], y[:3000], epochs=50,
                    validation_data=(x[3000:], y[3000:]))


def test_the_data_part_audits_a_bounded_sample_and_says_so(monkeypatch):
    import kerasdoc._diagnose as diagnose_module

    monkeypatch.setattr(diagnose_module, "DATA_ROWS", 500)
    rng = np.random.default_rng(3)
    x = (rng.normal(size=(2000, 5)) * 1000.0).astype("float32")  # raw, unscaled
    y = (x[:, 0] > 0).astype("float32")
    kept = x.copy()
    report = kerasdoc.diagnose(_mlp(5, 1, "binary_crossentropy", activation="sigmoid"),
                               x, y, validation_data=(x[:300], y[:300]), parts=["data"])
    assert np.array_equal(x, kept)  # the user's arrays are untouched
    note = report.skipped["data (rest)"]
    assert "500 of 2,000 training rows and 300 of 300 validation rows" in note
    [finding] = report.by_code("data.not_normalized")
    assert finding.evidence["rows_audited"]["train"] == (500, 2000)


# Planning the work a deadline cannot cut (traces), on shared copies ----------
def test_work_planned_not_to_fit_is_skipped_with_what_was_planned():
    clock = _Clock()
    call = Deadline(60.0, clock=clock)
    part = call.share(1.0, 2.0)  # 30 s
    assert part.can_start(need=20.0, what="its trace is planned to take") is None
    longer = part.within(45.0)  # a probe's share grown to hold its trace
    assert longer.left() == pytest.approx(30.0)  # never past its part
    reason = part.can_start(need=40.0, what="its trace is planned to take")
    assert reason == ("time budget spent: 30.00 s left for it, less than the 40.00 s "
                      "its trace is planned to take")


def test_probes_whose_traces_cannot_fit_are_skipped_before_tracing(digits, monkeypatch):
    from kerasdoc.probes import _shared

    x, y = digits
    model = _mlp(64, 10, "sparse_categorical_crossentropy", activation="softmax")
    # A train step predicted to trace for hours: no probe that trains starts.
    monkeypatch.setattr(_shared, "TRAIN_TRACE_FACTOR", 1e5)
    with _deadline.active(Deadline(20.0)):
        report = kerasdoc.sanity_check(model, x, y)
    trained = {"probe.cannot_overfit_batch", "probe.input_independent",
               "probe.learning_rate"}
    assert trained <= set(report.skipped), report.skipped
    for name in trained:
        assert "train-step trace" in report.skipped[name], report.skipped[name]
        assert "trace of the model's forward pass" in report.skipped[name]
    assert "probe.initial_loss" in report.ran  # measured without training


def test_a_probe_whose_traces_fit_in_the_probes_time_runs_in_a_grown_share(
        digits, monkeypatch):
    from kerasdoc.probes import _shared

    x, y = digits
    model = _mlp(64, 10, "sparse_categorical_crossentropy", activation="softmax")
    with _shared.sharing(model) as pool, _deadline.active(Deadline(600.0)):
        forward = pool.forward_trace_seconds(x)
        # The first trace (with its margin) is planned at two thirds of the
        # probes' time: more than the one-batch probe's own share (half),
        # less than all of it, so the probe runs in a share grown to hold it.
        monkeypatch.setattr(_shared, "TRAIN_TRACE_FACTOR",
                            600.0 * 2 / 3 / _deadline.TRACE_MARGIN / forward)
        report = kerasdoc.sanity_check(
            model, x, y, checks=["overfit_batch", "lr_range_test"],
            settings={"probe.cannot_overfit_batch": {"max_steps": 20},
                      "probe.learning_rate": {"max_steps": 10}})
    assert report.ran == ("probe.cannot_overfit_batch", "probe.learning_rate"), \
        report.skipped


def test_a_training_run_whose_first_step_cannot_fit_is_skipped(digits, monkeypatch):
    import kerasdoc._diagnose as diagnose_module

    x, y = digits
    monkeypatch.setattr(diagnose_module, "DOCTOR_TRACE_FACTOR", 1e5)
    start = time.perf_counter()
    report = kerasdoc.diagnose(_mlp(64, 10, "sparse_categorical_crossentropy",
                                    activation="softmax"), x, y, parts=["training"],
                               budget_s=20.0)
    assert time.perf_counter() - start < 20.0 * 1.1
    assert report.ran == () and not report.failed
    assert report.skipped["training"].startswith("time budget spent")
    assert "instrumented first step" in report.skipped["training"]


def test_the_initial_loss_stops_at_its_deadline_and_says_on_how_many_samples(digits):
    from kerasdoc.probes import initial_loss

    x, y = digits
    model = _mlp(64, 10, "sparse_categorical_crossentropy", activation="softmax")
    assert initial_loss(model, x, y).n_samples == 300
    with _deadline.active(Deadline(1e-9)):
        cut = initial_loss(model, x, y)  # one small batch, then the deadline
    assert cut.n_samples == 32 and np.isfinite(cut.measured)


def test_a_probe_of_passes_that_cannot_all_fit_stops_for_the_budget():
    from kerasdoc.probes._common import CANNOT_RUN, BudgetSpent, passes_fit

    clock = _Clock()
    share = Deadline(10.0, clock=clock)
    passes_fit(None, 1, 100.0, 2, "passes")  # no deadline: never stops
    passes_fit(share, 1, 4.0, 2, "passes")  # 8 s of 10 left: goes on
    clock.now += 4.0
    with pytest.raises(BudgetSpent, match=r"6\.0 s left after 2 passes, less than the "
                                          r"8\.0 s its 2 passes still to do take"):
        passes_fit(share, 2, 4.0, 2, "passes")
    assert BudgetSpent in CANNOT_RUN  # the probe is skipped with the reason


def test_batch_mixing_plans_its_passes_with_the_measured_forward_pass(digits):
    from kerasdoc._registry import Skip
    from kerasdoc.probes import _shared
    from kerasdoc.probes._batch_mixing import batch_mixing
    from kerasdoc.probes._checks import _outcome

    x, y = digits
    model = _mlp(64, 10, "sparse_categorical_crossentropy", activation="softmax")
    with _shared.sharing(model), _deadline.active(Deadline(5.0)):
        _shared.note_cost("eager_forward", 10.0)  # as if one pass took 10 s
        with pytest.raises(Skip, match=r"^time budget spent: .* left before its first "
                                       r"pass, less than the 20\.0 s its 1 passes"):
            _outcome(batch_mixing, model, x)
    assert batch_mixing(model, x).checked  # outside diagnose's deadline it runs


def test_the_training_run_leaves_time_for_its_first_validation_pass():
    from types import SimpleNamespace

    from kerasdoc._diagnose import _budget_callback

    clock = _Clock()
    budget = Deadline(10.0, clock=clock)
    state = {}
    stop = _budget_callback(budget, state, reserve=4.0)
    stop.set_model(SimpleNamespace(stop_training=False, stop_evaluating=False))
    clock.now += 5.0
    stop.on_train_batch_end(0)
    assert not stop.model.stop_training  # 5 s left, 4 s kept for the validation
    clock.now += 2.0
    stop.on_train_batch_end(1)
    assert stop.model.stop_training  # 3 s left: validation's trace must fit
    stop.model.stop_training = False
    stop.on_test_begin()
    stop.on_test_end()
    stop.on_train_batch_end(2)
    assert not stop.model.stop_training  # validated once: up to the deadline


def test_a_validation_pass_starts_only_when_its_trace_fits():
    from kerasdoc._diagnose import _ValidationGate

    clock = _Clock()
    budget = Deadline(10.0, clock=clock)
    state = {}
    gate = _ValidationGate(budget, state, reserve=4.0)
    assert isinstance(gate, list)  # what fit's validation_freq takes besides an int
    clock.now += 7.0
    assert 1 in gate  # 3 s left: the run stopped for it, half the planned trace fits
    assert "validation_skipped" not in state
    clock.now += 1.5
    assert 1 not in gate  # 1.5 s left, under half the 4 s planned: not started
    assert state["validation_skipped"] == (1, 1.5)
    state.clear()
    state["validated"] = True  # traced already: its batches stop at the deadline
    assert 2 in gate
    clock.now += 2.0
    assert 2 not in gate and state["validation_skipped"] == (2, 0.0)


def test_a_training_run_whose_first_step_overran_skips_the_validation_trace(monkeypatch):
    """The first step ends past the part's deadline: no validation pass is traced."""
    import keras

    from kerasdoc import _diagnose

    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    clock = _Clock()
    budget = Deadline(5.0, clock=clock)
    tested = []

    class Overrun(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            clock.now += 10.0  # the first (uninterruptible) step took 10 s

        def on_test_begin(self, logs=None):
            tested.append(True)

    doctor, note = _diagnose._train_copy(model, x, y, validation_data=(x, y), batch_size=16,
                                         epochs=2, budget=budget, seed=0,
                                         callbacks=[Overrun()])
    assert not tested
    assert "validation pass of epoch 1 was not started by the time budget" in note
    assert note.startswith("training stopped by the time budget after 2 steps (1 of 2 ")


def test_the_cpu_meter_measures_the_share_over_its_recent_window():
    from kerasdoc._deadline import CpuMeter

    wall, cpu = _Clock(), _Clock()
    meter = CpuMeter(window=5.0, clock=wall, cpu=cpu)
    assert meter.share() is None  # nothing marked yet
    meter.tick()
    wall.now += 0.2
    cpu.now += 0.2
    assert meter.share() is None  # too short a span to say
    for _ in range(4):  # alone on a core: one CPU second per second
        wall.now += 1.0
        cpu.now += 1.0
        meter.tick()
    assert meter.share() == pytest.approx(1.0)
    for _ in range(10):  # the machine got busy: a quarter of a core
        wall.now += 1.0
        cpu.now += 0.25
        meter.tick()
    # Only the last 5 s (and the mark just before them) are measured.
    assert meter.share() == pytest.approx(0.25)


def test_a_measured_trace_is_planned_at_the_cpu_share_of_now():
    from types import SimpleNamespace

    from kerasdoc.probes._shared import Pool

    pool = Pool(model=None)
    slot = SimpleNamespace(shapes=set())
    pool.note_step(slot, 16, 4.0, relaxed=True, cpu=3.6)  # traced at 0.9 of a core
    assert pool.predicted_first_step(share=0.9) == pytest.approx(4.0)  # as measured
    assert pool.predicted_first_step(share=1.0) == pytest.approx(4.0)  # never below
    assert pool.load_note(share=1.0) == ""
    # Three times busier now: the same CPU work takes three times as long.
    assert pool.predicted_first_step(share=0.3) == pytest.approx(12.0)
    assert "scaled from 4.0 s to the CPU share" in pool.load_note(share=0.3)
    slot2 = SimpleNamespace(shapes=set())
    pool.note_step(slot2, 16, 9.0, cpu=3.0)  # a later trace, already under load
    # 4.0 x 0.9 / (1/3) = 10.8 for the first, 9.0 for the later: the largest.
    assert pool.predicted_first_step(share=1 / 3) == pytest.approx(10.8)
    assert pool.costs["first_step"] == 4.0  # the first, as before
    assert pool.predicted_first_step(share=None) == pytest.approx(9.0)  # no ambient meter


def test_a_probe_that_needs_a_new_copy_plans_its_making():
    from types import SimpleNamespace

    from kerasdoc.probes._sanity import _planned_traces
    from kerasdoc.probes._shared import Pool

    pool = Pool(model=None)
    pool.slots = [SimpleNamespace(lent=False, shapes={16, None})]  # traced, open batch
    pool.costs.update(copy=1.5, first_step=4.0, first_steps=[(4.0, None)])
    x = np.zeros((100, 4), "float32")
    # Two copies at once: the second is made (1.5 s) and traced (4.0 s).
    need, how = _planned_traces(pool, "probe.input_independent", 32, x)
    assert need == pytest.approx(5.5)
    assert "1 train-step trace" in how and "1.5 s for the 1 model copy to make first" in how
    # One copy, the one the pool holds: nothing to make or trace.
    assert _planned_traces(pool, "probe.cannot_overfit_batch", 32, x) == (0.0, None)


def test_a_probe_of_passes_whose_time_is_gone_says_so_plainly():
    from kerasdoc.probes._common import BudgetSpent, passes_fit

    clock = _Clock()
    deadline = Deadline(1.0, clock=clock)
    clock.now += 2.0
    with pytest.raises(BudgetSpent, match=r"^time budget spent before its first pass$"):
        passes_fit(deadline, 0, 0.01, 1, "passes")
    with pytest.raises(BudgetSpent, match=r"^time budget spent after 3 samples$"):
        passes_fit(deadline, 3, 0.01, 2, "samples")
    passes_fit(Deadline(1.0, clock=clock), 0, 0.1, 2, "passes")  # 0.2 s of 1 s: fits


def test_the_probes_take_the_rest_of_the_call_only_when_training_cannot_run_in_it():
    from types import SimpleNamespace

    from kerasdoc.probes._sanity import _rest_of_call
    from kerasdoc.probes._shared import Pool

    x = np.zeros((100, 4), "float32")

    def setting(forward, training_needs):
        clock = _Clock()
        call = Deadline(100.0, clock=clock)
        probes = call.share(4.0, 8.0)  # half the call: 50 s
        call.later = lambda: training_needs
        pool = Pool(model=None)
        pool.slots = [SimpleNamespace(lent=False, shapes=set())]
        pool.costs["forward_trace"] = forward
        return call, probes, pool

    # The training run needs 200 s of the 100 left: it cannot run. The first
    # trace, at the top of its range (35 x 1 s), fits in the call's 100 s.
    call, probes, pool = setting(1.0, 200.0)
    assert _rest_of_call(probes, pool, "probe.cannot_overfit_batch", 32, x)
    assert probes.end == call.end
    assert call.given_to_probes == ("its first steps, planned at 200.0 s, could not fit "
                                    "in the 100.0 s left of the call, which the probes "
                                    "used instead")
    # The training run may still run: its time stays its own.
    call, probes, pool = setting(1.0, 90.0)
    assert not _rest_of_call(probes, pool, "probe.cannot_overfit_batch", 32, x)
    assert probes.end < call.end
    # Even the whole call is too short for the trace at the top of its range.
    call, probes, pool = setting(3.0, 200.0)
    assert not _rest_of_call(probes, pool, "probe.cannot_overfit_batch", 32, x)
    # Outside diagnose (nothing declared after the probes): never.
    call, probes, pool = setting(1.0, 200.0)
    call.later = None
    assert not _rest_of_call(probes, pool, "probe.cannot_overfit_batch", 32, x)


@pytest.mark.slow
def test_probes_use_the_time_a_training_run_that_cannot_fit_leaves(digits, monkeypatch):
    """The probes' own share is too small, the training run can never fit: probes run."""
    from kerasdoc import _diagnose

    x, y = digits
    model = _mlp(64, 10, "sparse_categorical_crossentropy", activation="softmax")
    monkeypatch.setattr(_diagnose, "DOCTOR_TRACE_FACTOR", 1e6)  # never fits
    from kerasdoc.probes import _shared

    monkeypatch.setitem(_deadline.PART_WEIGHTS, "probes", 0.5)  # ~4 s of the call
    # The first trainable probe's trace is planned at 10,000 forward traces:
    # it never fits in the probes' ~4 s, however fast this machine's forward
    # trace is; at the top of the measured range (35 forward traces, no
    # margin) it fits in the call's ~33 s. (Planned at 34, a fast machine's
    # plan fitted the probes' own time and the rest of the call was never
    # needed; with ~0.2 s for the probes, the checks before it spent them.)
    monkeypatch.setattr(_shared, "TRAIN_TRACE_FACTOR", 1e4)
    report = kerasdoc.diagnose(model, x, y, budget_s=40, parts=["probes", "training"],
                               progress=False)
    reason = report.skipped.get("probe.cannot_overfit_batch")
    assert reason is None, (reason, report.skipped.get("training"))
    assert "probe.cannot_overfit_batch" in report.timings
    assert "which the probes used instead" in report.skipped["training"]
    assert report.timings["total"] <= 40 * 1.1
