"""Sharpness and gradient noise scale: against exact computations, and in the Doctor."""

import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `benchmarks` is not an installed package
    sys.path.insert(0, str(REPO_ROOT))

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from kerasdoc import Doctor  # noqa: E402
from kerasdoc.training import _detectors as D  # noqa: E402
from kerasdoc.training._curvature import (  # noqa: E402
    hessian_top_eigenvalue,
    optimizer_kind,
    stability_bound_factor,
)


def _tiny(optimizer="sgd", hidden=6, inputs=8, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(inputs,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def _data(n=64, inputs=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, inputs)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def _full_hessian(model, x, y):
    weights = model.trainable_weights
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = loss_fn(y, model(x, training=True))
        grads = inner.gradient(loss, weights)
        flat = tf.concat([tf.reshape(g, [-1]) for g in grads], 0)
    rows = outer.jacobian(flat, weights)
    return np.concatenate([r.numpy().reshape(flat.shape[0], -1) for r in rows], 1)


def test_sharpness_matches_the_exact_top_eigenvalue():
    model = _tiny()
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)  # away from the init
    hessian = _full_hessian(model, x, y)
    exact = float(np.max(np.linalg.eigvalsh((hessian + hessian.T) / 2)))
    before = [w.numpy().copy() for w in model.weights]
    estimate = hessian_top_eigenvalue(model, x, y, iterations=200)
    assert exact > 0
    assert abs(estimate - exact) / exact < 0.05, (estimate, exact)
    # the model is untouched (weights, optimizer state)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))


def test_preconditioned_sharpness_for_adam_matches_exact():
    model = _tiny(keras.optimizers.Adam(1e-2))
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    opt = model.optimizer
    t = float(opt.iterations.numpy())
    v = np.concatenate([vv.numpy().reshape(-1) for vv in opt._velocities])
    p = np.sqrt(v / (1 - opt.beta_2 ** t)) + opt.epsilon
    hessian = _full_hessian(model, x, y)
    scaled = hessian / np.sqrt(p)[:, None] / np.sqrt(p)[None, :]
    exact = float(np.max(np.linalg.eigvalsh((scaled + scaled.T) / 2)))
    estimate = hessian_top_eigenvalue(model, x, y, iterations=300,
                                      preconditioned=True)
    assert abs(estimate - exact) / exact < 0.05, (estimate, exact)


def test_stability_bounds_per_optimizer():
    assert optimizer_kind(keras.optimizers.SGD(0.1)) == ("sgd", 0.0)
    assert optimizer_kind(keras.optimizers.SGD(0.1, momentum=0.9))[0] == "sgd"
    assert stability_bound_factor("sgd", 0.0) == 2.0
    assert stability_bound_factor("sgd", 0.9) == pytest.approx(3.8)
    assert stability_bound_factor("adam", 0.9) == pytest.approx(38.0)
    assert np.isnan(stability_bound_factor("other", 0.0))


@pytest.mark.slow
def test_noise_scale_matches_per_example_brute_force():
    # SGD at rate 0: the weights stay put, so every step's estimate is of the
    # same gradient distribution; B_simple = tr(Sigma) / |G|^2 per example.
    model = _tiny(keras.optimizers.SGD(0.0), hidden=16, inputs=8)
    n = 2048
    x, y = _data(n=n, seed=1)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    with tf.GradientTape() as tape:
        losses = loss_fn(y, model(x, training=True))
    jacobians = tape.jacobian(losses, model.trainable_weights)
    g = np.concatenate([j.numpy().reshape(n, -1) for j in jacobians], axis=1)
    mean = g.mean(axis=0)
    exact = float(np.sum((g - mean) ** 2) / len(g)) / float(np.sum(mean ** 2))
    doctor = Doctor(every=64, sharpness_every=1, sharpness_sample=16, stop_on=None)
    model.fit(x, y, batch_size=32, epochs=10, verbose=0, shuffle=True,
              callbacks=[doctor])
    h = doctor.history
    estimate = float(h["noise_scale"][-1])
    assert h["noise_estimates"].sum() == 640
    assert abs(estimate - exact) / exact < 0.10, (estimate, exact)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_sharpness_in_the_doctor_changes_nothing(optimizer, small01, weights_close):
    from kerasdoc.examples import small_cnn

    x, y = small01
    keras.utils.set_random_seed(0)
    plain = small_cnn(input_shape=(28, 28), compile=False)
    watched = small_cnn(input_shape=(28, 28), compile=False)
    watched.set_weights(plain.get_weights())
    for m in (plain, watched):
        m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    keras.utils.set_random_seed(1)
    plain.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False)
    doctor = Doctor(every=4, sharpness_every=1, sharpness_trace_samples=1)
    keras.utils.set_random_seed(1)
    watched.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False,
                callbacks=[doctor])
    assert weights_close(plain.get_weights(), watched.get_weights(), atol=1e-6)
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(
        plain.optimizer.variables, watched.optimizer.variables))
    h = doctor.history
    ok = np.isfinite(h["sharpness"])
    assert ok.sum() >= 2 and np.all(h["sharpness"][ok] > 0)
    assert np.all(np.isfinite(h["stability_bound"][ok]))
    assert np.all(h["sharpness_step"][ok] <= h["step"][ok])
    # the Hutchinson trace of each window (one Rademacher vector an estimate)
    assert np.isfinite(h["hessian_trace"][ok]).all()
    assert np.median(h["hessian_trace"][ok]) > 0


def test_sharpness_off():
    model = _tiny()
    x, y = _data()
    doctor = Doctor(every=2, sharpness_every=0)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[doctor])
    h = doctor.history
    assert np.all(np.isnan(h["sharpness"])) and np.all(h["noise_estimates"] == 0)
    assert np.all(np.isnan(h["hessian_trace"]))


def _history(ratio, loss):
    n = len(ratio)
    return {"step": np.arange(1, n + 1) * 16, "loss": np.asarray(loss, float),
            "sharpness_ratio": np.asarray(ratio, float),
            "sharpness": np.asarray(ratio, float) * 20.0,
            "stability_bound": np.full(n, 20.0), "learning_rate": np.full(n, 0.1)}


def test_sharpness_finding_fires_past_the_bound_with_a_stalled_loss():
    h = _history([0.5, 3.0, 4.0, 5.0], [2.0, 1.9, 2.5, 9.0])
    (finding,) = D.detect_sharpness_unstable(h)
    assert finding.code == "train.sharpness_unstable"
    # the median of the last three estimates (steps 17-64) against the loss
    # of the 48 steps before them
    assert finding.step == 64
    assert finding.evidence["sharpness_ratio"] == 4.0
    assert tuple(finding.evidence["interval"]) == (16, 64)
    assert finding.evidence["suggested_learning_rate"] == pytest.approx(0.1 / 4.0 / 2)
    assert [list(p) for p in finding.evidence["curve"][:2]] == [[16, 0.5], [32, 3.0]]


def test_sharpness_finding_fires_on_per_step_estimates_before_the_blowup():
    # an estimate every 2 steps (the dense schedule): the median stays past
    # twice the bound and the loss creeps up; it fires long before it explodes
    steps = np.arange(2, 41, 2)
    ratio = np.r_[[0.5] * 6, [2.5, 1.2, 3.0, 4.0, 2.2, 5.0, 3.5, 6.0, 8.0, 9.0,
                              12.0, 20.0, 40.0, 80.0]]
    loss = np.r_[[2.0, 1.9, 1.8, 1.7, 1.6, 1.6], [1.7, 1.6, 1.9, 2.0, 2.1, 2.3,
                                                 2.2, 2.6, 3.0, 3.5, 5.0, 9.0,
                                                 25.0, np.nan]]
    h = {"step": steps, "loss": loss, "sharpness_ratio": ratio,
         "sharpness": ratio * 20, "stability_bound": np.full(len(steps), 20.0),
         "learning_rate": np.full(len(steps), 0.1),
         "sharpness_step": steps.astype(float)}
    (finding,) = D.detect_sharpness_unstable(h)
    assert finding.step <= 24 and finding.evidence["sharpness_ratio"] > 2.0
    assert finding.evidence["loss_during"] >= finding.evidence["loss_before"]


def test_sharpness_finding_silent_at_the_edge_and_while_learning():
    # hovering at the bound (edge of stability) while learning
    assert not D.detect_sharpness_unstable(
        _history([0.9, 1.1, 1.3, 1.0, 1.2], [2.0, 1.5, 1.3, 1.2, 1.1]))
    # far above, but the loss still falls (a catapult that recovers)
    assert not D.detect_sharpness_unstable(
        _history([5.0, 4.0, 1.0], [2.0, 1.5, 1.0]))
    # a single estimate above
    assert not D.detect_sharpness_unstable(
        _history([np.nan, 5.0, np.nan, 0.5], [2.0, 2.5, 2.6, 2.0]))
    # a catapult: three estimates far past the bound within a few steps
    # while the loss jumps, then back under it
    h = _history([4.0, 8.0, 6.0, 0.8, 0.9, 1.0], [2.0, 5.0, 4.0, 1.5, 1.3, 1.2])
    h["step"] = np.array([1, 2, 3, 8, 16, 24])
    assert not D.detect_sharpness_unstable(h)


def test_loss_diverging_carries_the_sharpness_evidence():
    from kerasdoc.findings import Finding
    from kerasdoc.training._curvature import add_curvature_evidence

    h = _history([0.5, 4.0, np.nan], [2.0, 3.0, 30.0])
    h["sharpness_step"] = np.array([10.0, 20.0, np.nan])
    h["noise_scale"] = np.array([np.nan, 50.0, 60.0])
    diverging = Finding("train.loss_diverging", message="m", step=48)
    other = Finding("train.dead_relu", message="m", step=48)
    out = add_curvature_evidence([diverging, other], h)
    assert out[1] is other
    ev = out[0].evidence
    assert ev["sharpness_ratio_max"] == 4.0 and ev["sharpness_step"] == 20
    assert ev["stable_learning_rate"] == pytest.approx(0.1 / 4.0)
    assert ev["noise_scale"] == 60.0


def test_hutchinson_trace_matches_the_exact_trace():
    from kerasdoc.training._curvature import hessian_trace

    model = _tiny()
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    hessian = _full_hessian(model, x, y)
    exact = float(np.trace(hessian))
    before = [w.numpy().copy() for w in model.weights]
    estimate = hessian_trace(model, x, y, samples=400)
    assert exact > 0
    assert abs(estimate - exact) / exact < 0.10, (estimate, exact)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights))



def _blobs(n=512, inputs=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, inputs)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def _tiny16(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def test_sharpness_finding_warns_before_a_warmup_diverges():
    # SGD warmed up from 0.05 to 4 over 40 steps: it crosses the stability
    # bound early and blows up tens of steps later; the finding comes first
    from benchmarks.bench_sharpness import one_run

    x, y = _blobs()
    run = one_run(_tiny16(), "sgd", (0.05, 4.0, 40), x, y, epochs=4,
                  batch_size=16)
    assert run["blowup"] is not None and run["blowup"] > 20
    assert run["raised"] is not None and run["lead"] > 0, run
    finding = run["finding"]
    assert finding.evidence["sharpness_ratio"] > finding.evidence["factor"]
    assert finding.evidence["suggested_learning_rate"] < finding.evidence["learning_rate"]


@pytest.mark.parametrize("kind,rate", [("sgdm", 0.01), ("adam", 1e-3), ("adam", 1e-2)])
def test_sharpness_finding_silent_on_healthy_rates(kind, rate):
    from benchmarks.bench_sharpness import one_run

    x, y = _blobs()
    run = one_run(_tiny16(), kind, rate, x, y, epochs=2, batch_size=16)
    assert run["blowup"] is None
    assert run["estimates"] >= 16
    assert run["raised"] is None, run["ratios"]


def test_sharpness_is_turned_on_through_settings():
    from kerasdoc._errors import InvalidInputError

    doctor = Doctor(settings={"train.sharpness_unstable": {
        "every": 8, "iterations": 3, "sample": 16, "trace_samples": 1}})
    assert doctor.curvature == {"every": 8, "dense": 2, "iterations": 3,
                                "sample": 16, "trace_samples": 1}
    # A keyword set to another value than its default wins over settings.
    assert Doctor(sharpness_every=5, settings={
        "train.sharpness_unstable": {"every": 8}}).curvature["every"] == 5
    assert not Doctor().curvature
    with pytest.raises(InvalidInputError, match="every"):
        Doctor(settings={"train.sharpness_unstable": {"every": -1}})


def test_diagnose_measures_sharpness_when_its_settings_ask(monkeypatch):
    import kerasdoc
    import kerasdoc.training as training

    made = []

    class Recording(training.Doctor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(training, "Doctor", Recording)
    model = _tiny()
    x, y = _data(n=64)
    kerasdoc.diagnose(model, x, y, parts=["training"], epochs=1, batch_size=16,
                      budget_s=None,
                      settings={"train.sharpness_unstable": {"every": 2}})
    (doctor,) = made
    h = doctor.history
    ok = np.isfinite(h["sharpness"])
    assert ok.sum() >= 2 and np.all(h["sharpness"][ok] > 0)
    assert np.all(h["noise_estimates"][ok] > 0)
