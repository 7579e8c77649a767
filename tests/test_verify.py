"""`kerasdoc.verify` and `kerasdoc.apply_fixes` (issue 14) on tiny MLPs."""

import json
import random

import numpy as np
import pytest

import keras

import kerasdoc
from kerasdoc import Finding, InvalidInputError, InvalidTypeError, Report
from kerasdoc._modelcopy import ModelState
from kerasdoc._verify import judge, paired_interval


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


@pytest.fixture(scope="module")
def split():
    x, y = _data(300)
    return (x[:200], y[:200]), (x[200:], y[200:])


def _mlp(init="he_normal", optimizer=None):
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(12, activation="relu", kernel_initializer=init, name="hidden"),
        keras.layers.Dense(2, activation="softmax", name="out")])
    model.compile(optimizer or keras.optimizers.Adam(0.01),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_paired_interval_and_verdicts():
    stats = paired_interval([2.3, 2.2, 2.4], [0.6, 0.7, 0.5])
    assert stats["gain"] == pytest.approx(1.7)
    lo, hi = stats["ci95"]
    assert lo == pytest.approx(1.7 - 4.303 * 0.2 / np.sqrt(3))
    assert judge(stats, 2.3, 0.02) == "confirmed"
    assert judge(paired_interval([1.0, 1.1], [1.2, 1.3]), 1.05, 0.02) == "harmful"
    assert judge(paired_interval([1.0, 1.1, 1.0], [1.05, 1.0, 1.01]), 1.0, 0.02) == \
        "no effect"
    # a gain that is consistent but tiny is not an effect
    assert judge(paired_interval([1.0, 1.0], [0.999, 0.999]), 1.0, 0.02) == "no effect"


def test_one_criterion_reads_each_arm_as_its_loss_does():
    from kerasdoc._verify import Criterion
    from kerasdoc.remedies import TrainingSetup

    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    expected = -np.mean(np.log([0.8, 0.8, 0.8, 0.4]))
    softmax = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, "softmax")])
    softmax.compile("adam", "sparse_categorical_crossentropy")
    logits = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    logits.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = np.array([0, 1, 2, 1])
    loss, accuracy = Criterion(ids, softmax.loss)(probs, TrainingSetup.from_user(softmax))
    assert loss == pytest.approx(expected) and accuracy == 1.0
    # the same probabilities as logits of a from_logits arm
    loss, _ = Criterion(ids, logits.loss)(np.log(probs), TrainingSetup.from_user(logits))
    assert loss == pytest.approx(expected)
    # several sigmoid units under a categorical loss: Keras normalises them to sum to 1
    sigmoid = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, "sigmoid")])
    sigmoid.compile("adam", "sparse_categorical_crossentropy")
    loss, _ = Criterion(ids, sigmoid.loss)(probs / 2, TrainingSetup.from_user(sigmoid))
    assert loss == pytest.approx(expected)
    onehot = np.eye(3, dtype="float32")[ids]
    assert Criterion(onehot, "categorical_crossentropy")(
        probs, TrainingSetup.from_user(softmax))[0] == pytest.approx(expected)
    # class ids per position of a sequence
    sequence = Criterion(ids.reshape(2, 2), softmax.loss)
    assert sequence.form == "sparse"
    assert sequence(probs.reshape(2, 2, 3), TrainingSetup.from_user(softmax))[0] == \
        pytest.approx(expected)
    # whole-number regression targets under MSE on a linear unit are values
    linear = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    linear.compile("adam", "mse")
    targets = np.array([[22200.0], [25900.0]])
    values = Criterion(targets, linear.loss, linear)
    assert values.form == "values" and values.name == "MSE"
    assert values(np.array([[22100.0], [26100.0]]), TrainingSetup.from_user(linear))[0] == \
        pytest.approx((100 ** 2 + 200 ** 2) / 2)
    # MSE on class ids under a softmax (the loss_mismatch fault) is judged on the classes
    mse_softmax = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, "softmax")])
    mse_softmax.compile("adam", "mse")
    assert Criterion(ids, mse_softmax.loss, mse_softmax).form == "sparse"
    # non-finite predictions are a diverged run
    assert Criterion(ids, softmax.loss)(probs * np.nan,
                                        TrainingSetup.from_user(softmax))[0] == np.inf


def test_a_program_that_cannot_train_is_cured_by_the_loss_pairing():
    # MSE between class ids (n,) and a 3-unit softmax: Keras cannot broadcast it
    rng = np.random.default_rng(2)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = np.argmax(x[:, :3], axis=1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    report = Report([Finding("model.loss_mismatch", evidence={"loss": "mse"})])
    checked = kerasdoc.verify(report, model, x[:64], y[:64], validation_data=(x[64:], y[64:]),
                              seeds=2, epochs=1, batch_size=16, min_steps=1)
    v = checked[0].verified
    assert v["verdict"] == "confirmed", v
    assert "Incompatible shapes" in v["before_error"] or "must be equal" in v["before_error"]
    # the loss with nothing learned is measured once, before any step (about ln 3)
    assert v["large_by"]["gain_of_start"] > 0.1 and v["large"], v["large_by"]
    assert "the original run raised" in checked.to_text(color=False)


@pytest.mark.slow
def test_warning_whose_remedy_does_nothing_is_unconfirmed_info(split):
    (x, y), val = split
    model = _mlp()
    # the data come shuffled and fit shuffles: shuffling once more changes nothing real
    report = Report([Finding("data.unshuffled", severity="warning",
                             evidence={"mean_run_length": 3.0})])
    checked = kerasdoc.verify(report, model, x, y, validation_data=val, seeds=3,
                              epochs=1, batch_size=16, min_steps=1)
    finding = checked[0]
    assert finding.verified["verdict"] == "no effect", finding.verified
    assert finding.verified["standing"] == "unconfirmed"
    assert finding.severity == kerasdoc.Severity.INFO
    assert finding.verified["original_severity"] == "warning"
    assert finding.evidence["mean_run_length"] == 3.0
    assert "unconfirmed, warning lowered to info" in checked.to_text(color=False)


@pytest.mark.slow
def test_each_remedy_alone_then_together_with_the_user_state_kept(split):
    (x, y), val = split
    model = _mlp(init="zeros", optimizer=keras.optimizers.SGD(0.1))
    report = kerasdoc.audit_model(model, x=x, y=y)
    assert report.has("model.zero_init", "error") and report.has("optim.vanilla_sgd")
    report = report.merge(Report([Finding("data.split_leakage", evidence={"pairs": []}),
                                  Finding("data.duplicates")]))
    before = ModelState.capture(model)
    py, np_state = random.getstate(), np.random.get_state()
    checked = kerasdoc.verify(report, model, x, y, validation_data=val, seeds=3,
                              epochs=2, batch_size=16)
    assert ModelState.capture(model).diff(before) == []
    assert random.getstate() == py
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    by = {f.code: f for f in checked}
    v = by["model.zero_init"].verified
    assert v["verdict"] == "confirmed" and v["standing"] == "confirmed", v
    assert v["val_loss_before"] > v["val_loss_after"] and v["ci95"][0] > 0
    assert v["changes"][0].startswith("Dense 'hidden': kernel_initializer 'zeros'")
    assert v["metric_after"] > v["metric_before"]
    assert by["model.zero_init"].severity == kerasdoc.Severity.ERROR
    assert list(by["optim.vanilla_sgd"].verified["changes"]) == [
        "SGD: momentum 0.0 -> 0.9, nesterov False -> True"]
    assert by["optim.vanilla_sgd"].verified["verdict"] in ("confirmed", "no effect",
                                                           "harmful")
    assert by["data.split_leakage"].verified["verdict"] == "not verified"
    assert "validation" in by["data.split_leakage"].verified["reason"]
    assert by["data.duplicates"].verified is None  # no remedy
    together = checked.verification["together"]
    assert together["codes"] == ["model.zero_init", "optim.vanilla_sgd"]
    assert len(together["changes"]) == 2 and together["verdict"] == "confirmed", together
    text = checked.to_text(color=False)
    assert "verified: val loss " in text and " seeds, 95 % CI of the gain" in text
    assert "all remedies together: remedy: Dense 'hidden'" in text
    body = json.loads(checked.to_json())
    entry = next(f for f in body["findings"] if f["code"] == "model.zero_init")
    assert entry["verified"]["verdict"] == "confirmed"
    assert body["verification"]["criterion"] == "cross-entropy"
    assert "<svg" in checked.to_html()


def test_regression_targets_standardised_are_judged_in_original_units():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(240, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) * 300 + 2000).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    report = kerasdoc.check_data(x, y, task="regression")
    assert report.has("data.target_scale")
    checked = kerasdoc.verify(report, model, x[:180], y[:180],
                              validation_data=(x[180:], y[180:]), seeds=2, epochs=1, min_steps=1,
                              codes=["data.target_scale"])
    v = checked.by_code("data.target_scale")[0].verified
    assert v["verdict"] == "confirmed"
    assert v["val_loss_before"] > 1e5  # squared error in the targets' own units
    assert checked.verification["criterion"] == "MSE"


def test_bad_arguments_name_themselves(split):
    (x, y), val = split
    model = _mlp()
    with pytest.raises(InvalidTypeError, match="report"):
        kerasdoc.verify([], model, x, y)
    with pytest.raises(InvalidInputError, match="seeds"):
        kerasdoc.verify(Report([]), model, x, y, seeds=1)
    with pytest.raises(InvalidTypeError, match="report"):
        kerasdoc.apply_fixes("report", model)


def test_apply_fixes_returns_a_compiled_repaired_copy_and_the_changes(split):
    (x, y), _ = split
    model = _mlp(init="zeros", optimizer=keras.optimizers.SGD(0.05))
    report = Report([
        Finding("model.zero_init", evidence={"layer": "hidden", "weight": "kernel"},
                layer="hidden"),
        Finding("optim.vanilla_sgd"),
        Finding("data.class_imbalance")])
    before = ModelState.capture(model)
    fixed, changes = kerasdoc.apply_fixes(report, model, x, y)
    assert ModelState.capture(model).diff(before) == []
    assert fixed is not model and fixed.compiled
    assert fixed.get_layer("hidden").kernel.numpy().std() > 0
    assert fixed.optimizer.get_config()["momentum"] == 0.9
    # in the report's order: worst first
    assert [c.code for c in changes] == ["model.zero_init", "data.class_imbalance",
                                         "optim.vanilla_sgd"]
    assert [c.in_model for c in changes] == [True, False, True]
    assert changes[1].startswith("fit: class_weight None -> {")
    fixed.fit(x, y, epochs=1, verbose=0)  # the user can go on from there
    # a verified 'no effect' is left out
    unconfirmed = Report([Finding("optim.vanilla_sgd", verified={"verdict": "no effect"})])
    _, changes = kerasdoc.apply_fixes(unconfirmed, model)
    assert changes == []


@pytest.mark.slow
def test_diagnose_verify_true_through_the_cli_flag(tmp_path, split, capsys):
    from kerasdoc.cli import main

    (x, y), (xv, yv) = split
    model = _mlp(init="zeros")
    with pytest.raises(InvalidTypeError, match="verify"):
        kerasdoc.diagnose(model, x, y, verify="yes")
    for name, value in (("x", x), ("y", y), ("x_val", xv), ("y_val", yv)):
        np.save(tmp_path / f"{name}.npy", value)
    model.save(tmp_path / "broken.keras")
    code = main(["diagnose", str(tmp_path / "broken.keras"), "--x", str(tmp_path / "x.npy"),
                 "--y", str(tmp_path / "y.npy"), "--x-val", str(tmp_path / "x_val.npy"),
                 "--y-val", str(tmp_path / "y_val.npy"), "--parts", "model",
                 "--batch-size", "16", "--verify", "--verify-seeds", "2", "--json",
                 "--quiet", "--budget", "600"])  # a loaded machine: no budget cut
    assert code == 1  # the zero init stays an error
    body = json.loads(capsys.readouterr().out)
    entry = next(f for f in body["findings"] if f["code"] == "model.zero_init")
    v = entry["verified"]
    assert v["remedy"] == "reinit_kernels" and 2 <= v["seeds"] <= 4  # more if promising
    assert v["verdict"] in ("confirmed", "no effect", "harmful") and v["ci95"][0] is not None
    assert body["verification"]["epochs"] == 2 and body["timings"]["verify"] > 0


def test_both_arms_diverging_is_not_enough_alone_and_steps_are_reported():
    from kerasdoc._verify import _compare

    inf = float("inf")
    runs = [{"loss": inf, "metric": float("nan"), "curve": [inf], "balanced": inf,
             "steps": 8}] * 2
    out = _compare(runs, [dict(r, steps=64) for r in runs], 0.02, True)
    assert out["verdict"] == "not enough alone", out
    assert "both arms diverge" in out["reason"]
    assert out["steps"] == {"before": 8, "after": 64}
    from kerasdoc._verify import _masked

    assert _masked(out)
    # the remedied arm diverging through another fault: judged within the others too
    diverged = {"verdict": "harmful", "per_seed": {"before": [5.8, 5.9], "after": [inf, 1.0]}}
    assert _masked(diverged)
    assert not _masked(dict(diverged, per_seed={"before": [5.8, 5.9], "after": [6.0, 6.1]}))
    finite = [{"loss": 1.0 + k / 10, "metric": 0.5, "curve": [1.0], "balanced": 2.0,
               "steps": 8} for k in range(3)]
    after = [dict(r, loss=r["loss"] - 0.5, balanced=1.0) for r in finite]
    assert _compare(finite, after, 0.02, True)["verdict"] == "confirmed"
    balanced = _compare(finite, after, 0.02, True, key="balanced")
    assert balanced["criterion"] == "class-balanced loss"
    assert balanced["val_loss_before"] == pytest.approx(2.0)


def test_class_balanced_loss_weighs_each_class_the_same():
    from kerasdoc._verify import Criterion
    from kerasdoc.remedies import TrainingSetup

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy")
    y = np.array([0, 0, 0, 1])
    criterion = Criterion(y, model.loss, model)
    setup = TrainingSetup.from_user(model, np.zeros((4, 2), "float32"), y)
    pred = np.array([[0.1], [0.1], [0.1], [0.1]])  # the rare class always missed
    plain = criterion(pred, setup)[0]
    balanced = criterion.balanced(pred, setup)
    assert plain == pytest.approx((3 * -np.log(0.9) - np.log(0.1)) / 4)
    assert balanced == pytest.approx((-np.log(0.9) - np.log(0.1)) / 2)


@pytest.mark.slow
def test_a_stream_keeps_its_order_and_a_smaller_batch_is_judged_at_the_fit_epochs():
    import tensorflow as tf

    x, y = _data(160, seed=3)
    order = np.argsort(y, kind="stable")
    stream = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(40)
    model = _mlp()
    report = Report([Finding("optim.batch_size", evidence={"max_batch_fraction": 0.1})])
    checked = kerasdoc.verify(report, model, stream, validation_data=_data(60, seed=4),
                              seeds=2, epochs=1, min_steps=4, fit_epochs=3,
                              stop_early=True)
    v = checked[0].verified
    assert checked.verification["shuffle"].startswith("False (a stream")
    assert checked.verification["epochs_per_run"] == 1  # 4 steps of 40 already
    assert v["epochs"] == 3 and v["steps"] == {"before": 12, "after": 30}, v
    assert "(at 3 epochs each: 12 -> 30 optimizer steps)" in checked.to_text(color=False)


def test_a_promising_but_inconclusive_gain_gets_more_seeds():
    from kerasdoc._verify import _run_pair

    class Arm:
        epochs, calls = 2, 0

        def __init__(self, losses):
            self.losses = losses

        def run(self, seed):
            self.calls += 1
            return {"loss": self.losses[seed], "metric": 0.5, "curve": [1.0],
                    "balanced": self.losses[seed], "steps": 10}

    def left():
        return 1.0

    # gains 0.3, -0.1, 0.3, 0.2, 0.25, 0.3: noisy at 3 seeds, clear at 6
    before = Arm([1.0] * 6)
    after = Arm([0.7, 1.1, 0.7, 0.8, 0.75, 0.7])
    out = _run_pair(before, after, 3, 0, 0.02, True, left, True, "loss")
    assert out["seeds"] > 3 and out["verdict"] == "confirmed", out
    # no gain at 3 seeds: no more seeds are spent on it
    flat = Arm([1.0, 1.02, 0.98, 0.7, 0.7, 0.7])
    out = _run_pair(Arm([1.0] * 6), flat, 3, 0, 0.02, True, left, True, "loss")
    assert out["seeds"] == 3 and out["verdict"] == "no effect" and flat.calls == 3


def test_every_finding_gets_its_first_seeds_before_any_extension(monkeypatch):
    """Starvation: a slow remedy's longer re-run waits until every finding has a verdict."""
    import kerasdoc._verify as v
    from kerasdoc.remedies import Remedy

    runs, budget = [], {"left": 0}

    class FakeArm:
        def __init__(self, setup, criterion, epochs, redraws=()):
            self.setup, self.epochs, self.cache = setup, epochs, {}

        def run(self, seed):
            if seed not in self.cache:
                budget["left"] -= 1
                runs.append((self.setup, self.epochs, seed))
                gain = {"orig": 0.0, "a": 0.0, "b": 0.5, "c": 0.4, "d": -0.3}[self.setup]
                loss = 1.0 - gain + (0.01 * seed if self.setup != "orig" else 0.0)
                self.cache[seed] = {"loss": loss, "metric": 0.5, "curve": [loss],
                                    "balanced": loss, "steps": 10 * self.epochs}
            return self.cache[seed]

    monkeypatch.setattr(v, "_Arm", FakeArm)
    originals = {}

    def original(n):
        return originals.setdefault(n, FakeArm("orig", None, n))

    slow = Remedy("slow", "s", lambda s, f, seed=0: [], slow=True)
    arms, results = {}, {}
    codes = dict(zip("abcd", ("model.zero_init", "data.not_normalized",
                              "optim.vanilla_sgd", "data.unshuffled")))
    for index, name in enumerate("abcd"):
        remedy = slow if name == "a" else Remedy(name, name, lambda s, f, seed=0: [])
        arms[index] = (name, Finding(codes[name]), remedy)
        results[index] = {"remedy": remedy.name, "changes": [f"change {name}"]}
    # 2 seeds for all (2 + 4*2), a third for the inconclusive one (1 + 1): 12 runs;
    # 1 more: the extension starts, then the budget is spent
    budget["left"] = 13
    failed = {}
    together = v._schedule(
        results, arms, list(arms), None, original, lambda r: 2,
        lambda r, n: 3 * n if r.slow else None, 2, None, 3, 0, 0.02, True,
        lambda: budget["left"], failed, True, False, lambda m: None)
    assert together is None and not failed
    assert [r["verdict"] for r in results.values()] == [
        "no effect", "confirmed", "confirmed", "harmful"], results
    assert [e for s, e, k in runs[:12]] == [2] * 12  # no extension before all ran
    assert [(s, k) for s, e, k in runs[:10]] == [
        ("orig", 0), ("a", 0), ("orig", 1), ("a", 1), ("b", 0), ("b", 1), ("c", 0),
        ("c", 1), ("d", 0), ("d", 1)]  # the first pass: two seeds each, in order
    assert runs[12] == ("orig", 6, 0)
    assert "runs of 6 epochs cut by the time budget" in results[0]["extension"], results[0]
    assert results[0]["epochs"] == 2 and "extended" not in results[0]
    # with no budget at all, each finding says it was never compared
    results = {0: {"remedy": "slow", "changes": ["x"]}}
    budget["left"] = 0
    v._schedule(results, {0: arms[0]}, [0], None, original, lambda r: 2,
                lambda r, n: None, 2, None, 3, 0, 0.02, True, lambda: budget["left"],
                failed, True, False, lambda m: None)
    assert results[0]["verdict"] == "not verified"
    assert "before its comparison started (first pass)" in results[0]["reason"]
    # budget for one seed: the finding says the first pass ran short, not the second
    results = {0: {"remedy": "slow", "changes": ["x"]}}
    budget["left"] = 1
    v._schedule(results, {0: arms[0]}, [0], None, lambda n: FakeArm("orig", None, 7),
                lambda r: 2, lambda r, n: None, 2, None, 3, 0, 0.02, True,
                lambda: budget["left"], failed, True, False, lambda m: None)
    assert results[0]["reason"] == "time budget spent before two seeds ran (first pass)"


def test_verify_lists_what_it_left_unverified_and_why(split):
    (x, y), val = split
    model = _mlp(init="zeros")
    report = Report([Finding("model.zero_init", severity="error",
                             evidence={"layers": ["hidden"]}),
                     Finding("data.split_leakage", severity="warning",
                             evidence={"n_leaked": 3})])
    checked = kerasdoc.verify(report, model, x, y, validation_data=val, seeds=2,
                              budget_s=1e-6)
    unverified = {u["code"]: u for u in checked.verification["unverified"]}
    assert set(unverified) == {"model.zero_init", "data.split_leakage"}
    assert "time budget spent" in unverified["model.zero_init"]["reason"]
    assert "not judged by the validation loss" in unverified["data.split_leakage"]["reason"]
    assert checked.verification["verified"] == 0


def test_a_large_gain_is_large_against_the_loss_before_its_start_and_the_metric():
    from kerasdoc._verify import _compare

    def runs(losses, accuracy, start=2.3):
        return [{"loss": v, "metric": accuracy + 0.001 * k, "curve": [v], "balanced": v,
                 "steps": 10, "start": start, "start_balanced": start}
                for k, v in enumerate(losses)]

    before = runs([1.0, 1.02, 0.98], 0.60)
    cure = _compare(before, runs([0.5, 0.52, 0.49], 0.80), 0.02, True)
    assert cure["verdict"] == "confirmed" and cure["large"], cure["large_by"]
    assert cure["large_by"]["gain_of_start"] == pytest.approx(0.497 / 2.3, rel=1e-2)
    # confirmed, but the loss was nearly trained: small against its start (polish)
    polish = _compare(runs([0.05, 0.051, 0.049], 0.98, start=2.3),
                      runs([0.03, 0.031, 0.029], 0.985, start=2.3), 0.02, True)
    assert polish["verdict"] == "confirmed" and not polish["large"]
    assert polish["large_by"]["gain_of_start"] < 0.1
    # confirmed and large in loss, but no prediction changes: calibration
    calibrated = _compare(before, runs([0.5, 0.52, 0.49], 0.605), 0.02, True)
    assert calibrated["verdict"] == "confirmed" and not calibrated["large"]
    # an error metric (values): down 10% of its value before at least
    values = _compare(before, runs([0.5, 0.52, 0.49], 0.58), 0.02, False)
    assert not values["large"]  # MAE 0.60 -> 0.58: down 3%
    values = _compare(before, runs([0.5, 0.52, 0.49], 0.40), 0.02, False)
    assert values["large"]
    # no effect is never large
    assert not _compare(before, runs([1.0, 1.03, 0.97], 0.9), 0.02, True)["large"]


def _two_heads():
    inputs = keras.Input((6,), name="features")
    hidden = keras.layers.Dense(12, activation="relu", name="hidden")(inputs)
    kind = keras.layers.Dense(2, activation="softmax", name="kind")(hidden)
    amount = keras.layers.Dense(1, name="amount")(hidden)
    model = keras.Model(inputs, {"kind": kind, "amount": amount})
    model.compile(keras.optimizers.Adam(0.01),
                  loss={"kind": "sparse_categorical_crossentropy",
                        "amount": "mean_squared_error"})
    return model


@pytest.mark.slow
def test_several_outputs_are_judged_on_the_summed_loss_and_each_output(split):
    """A two-head model whose value head is trained on a raw scale (~1e3)."""
    (x, y), (xv, yv) = split
    amount, amount_v = 1000.0 * x[:, 2:3] + 3000.0, 1000.0 * xv[:, 2:3] + 3000.0
    keras.utils.set_random_seed(1)
    model = _two_heads()
    state = ModelState.capture(model)
    report = Report([Finding("data.target_scale", severity="warning",
                             evidence={"output": "amount", "rms": 3000.0})])
    checked = kerasdoc.verify(report, model, x, {"kind": y, "amount": amount},
                              validation_data=(xv, {"kind": yv, "amount": amount_v}),
                              seeds=2, epochs=1, batch_size=16, min_steps=1)
    v = checked[0].verified
    assert v["changes"][0].startswith("targets of output 'amount': standardised"), v
    assert v["verdict"] in ("confirmed", "no effect", "harmful"), v
    assert checked.verification["criterion"] == (
        "summed loss (amount: MSE, kind: cross-entropy)") or \
        checked.verification["criterion"] == "summed loss (kind: cross-entropy, amount: MSE)"
    per_output = v["outputs"]
    assert set(per_output) == {"kind", "amount"}
    assert per_output["kind"]["metric"] == "accuracy"
    assert 0 <= per_output["kind"]["metric_after"] <= 1
    # the summed loss is the sum of the outputs' losses, in the original units
    summed = per_output["kind"]["loss_before"] + per_output["amount"]["loss_before"]
    assert v["val_loss_before"] == pytest.approx(summed, rel=1e-6)
    assert ModelState.capture(model).diff(state) == []


def test_remedies_that_cannot_serve_several_outputs_say_so():
    from kerasdoc.remedies import NotApplicable, TrainingSetup
    from kerasdoc.remedies import _transforms as t

    x, y = _data(40)
    setup = TrainingSetup.from_user(_two_heads(), x, {"kind": y, "amount": x[:, :1]},
                                    validation_data=(x, {"kind": y, "amount": x[:, :1]}))
    with pytest.raises(NotApplicable, match="class_weight applies to one output"):
        t.class_weights(setup, Finding("data.class_imbalance"))
    with pytest.raises(NotApplicable, match="not one input and one target array"):
        t.drop_leaked(setup, Finding("data.split_leakage"))
    with pytest.raises(NotApplicable, match="no output has numeric targets"):
        t.standardise_targets(setup, Finding("data.target_scale",
                                             evidence={"output": "kind"}))
    lines = t.smaller_batch(dataclasses_replace(setup, batch_size=40),
                            Finding("optim.batch_size", evidence={"max_batch_fraction": 0.25}))
    assert "batch_size 40 -> 10" in lines[0]


def dataclasses_replace(setup, **changes):
    import dataclasses

    return dataclasses.replace(setup, **changes)


def test_the_summed_criterion_adds_each_outputs_own_criterion():
    from kerasdoc._verify import make_criterion
    from kerasdoc.remedies import TrainingSetup
    from kerasdoc.remedies import _transforms as t

    model = _two_heads()
    y = np.array([0, 1, 1, 0])
    amount = np.array([[10.0], [20.0], [30.0], [40.0]], "float32")
    criterion = make_criterion({"kind": y, "amount": amount}, model.loss, model)
    setup = TrainingSetup.from_user(model, np.zeros((4, 6), "float32"),
                                    {"kind": y, "amount": amount})
    pred = {"kind": np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]),
            "amount": amount + 1.0}
    total, metric = criterion(pred, setup)
    ce = -np.mean(np.log([0.9, 0.8, 0.4, 0.7]))
    assert total == pytest.approx(ce + 1.0) and np.isnan(metric)
    assert criterion.last_outputs["kind"]["metric"] == pytest.approx(0.75)
    assert criterion.last_outputs["amount"]["metric"] == pytest.approx(1.0)  # MAE
    # a standardised head is judged in its original units
    t.standardise_targets(setup, Finding("data.target_scale", evidence={"output": "amount"}))
    mean, std = setup.target_transform["amount"]
    scaled = {"kind": pred["kind"], "amount": (amount + 1.0 - mean) / std}
    assert criterion(scaled, setup)[0] == pytest.approx(ce + 1.0, rel=1e-5)
    # loss weights weigh the sum as Keras does
    setup.loss_weights = {"kind": 2.0, "amount": 0.5}
    assert criterion(scaled, setup)[0] == pytest.approx(2 * ce + 0.5, rel=1e-5)


def test_apply_fixes_lists_a_change_to_one_of_several_outputs():
    x, y = _data(40)
    model = _two_heads()
    report = Report([Finding("data.target_scale", severity="warning",
                             evidence={"output": "amount"})])
    fixed, changes = kerasdoc.apply_fixes(report, model, x,
                                          {"kind": y, "amount": 500.0 * x[:, :1]})
    assert fixed is not model and fixed.compiled
    assert len(changes) == 1 and not changes[0].in_model
    assert changes[0].startswith("targets of output 'amount': standardised")


def test_a_combination_with_class_weights_is_judged_on_the_class_balanced_loss(monkeypatch):
    import kerasdoc._verify as v
    from kerasdoc.remedies import Remedy

    class FakeArm:
        def __init__(self, setup, criterion, epochs, redraws=()):
            self.setup, self.epochs = setup, epochs

        def run(self, seed):
            # class weights raise the plain loss and lower the class-balanced one
            plain, balanced = {"orig": (0.30, 0.90), "both": (0.50, 0.40)}.get(
                self.setup, (0.3, 0.9))
            return {"loss": plain + 0.01 * seed, "metric": 0.5, "curve": [plain],
                    "balanced": balanced + 0.01 * seed, "steps": 10}

    weights = Remedy("class_weights", "w", lambda s, f, seed=0: [], criterion="balanced")
    bias = Remedy("log_prior_bias", "b", lambda s, f, seed=0: [])
    arms = {0: ("orig", Finding("data.class_imbalance"), weights),
            1: ("orig", Finding("model.output_bias_init"), bias)}
    monkeypatch.setattr(v, "_Arm", FakeArm)
    monkeypatch.setattr(v, "_combine", lambda base, chosen, seed, skip=None: (
        "both", ["w", "b"], [(weights, arms[0][1]), (bias, arms[1][1])]))
    results = {i: {"remedy": arms[i][2].name, "changes": [arms[i][2].name]} for i in arms}
    together = v._schedule(results, arms, [0, 1], None,
                           lambda n: FakeArm("orig", None, n), lambda r: 2,
                           lambda r, n: None, 2, None, 3, 0, 0.02, True, lambda: 1.0, {},
                           True, True, lambda m: None)
    assert together["criterion"] == "class-balanced loss", together
    assert together["verdict"] == "confirmed"


def test_a_slow_remedy_harmful_in_short_runs_is_judged_over_the_longer_ones(monkeypatch):
    """Rescaled inputs start a regression's output far from large targets: short-run harm."""
    import kerasdoc._verify as v
    from kerasdoc.remedies import Remedy

    class FakeArm:
        def __init__(self, setup, criterion, epochs, redraws=()):
            self.setup, self.epochs = setup, epochs

        def run(self, seed):
            short = self.epochs < 10
            loss = {("orig", True): 46.0, ("fix", True): 389.0,
                    ("orig", False): 30.0, ("fix", False): 12.0}[(self.setup, short)]
            loss += 0.1 * seed
            return {"loss": loss, "metric": 5.0, "curve": [loss], "balanced": loss,
                    "steps": 8 * self.epochs}

    monkeypatch.setattr(v, "_Arm", FakeArm)
    slow = Remedy("rescale_inputs", "r", lambda s, f, seed=0: [], slow=True)
    arms = {0: ("fix", Finding("data.not_normalized"), slow)}
    results = {0: {"remedy": "rescale_inputs", "changes": ["inputs: Normalization"]}}
    v._schedule(results, arms, [0], None, lambda n: FakeArm("orig", None, n),
                lambda r: 8, lambda r, n: 100 if r.slow else None, 8, None, 3, 0, 0.02,
                False, lambda: 1.0, {}, True, False, lambda m: None)
    entry = results[0]
    assert entry["verdict"] == "confirmed" and entry["epochs"] == 100, entry
    assert entry["extended"]["verdict"] == "harmful" and entry["extended"]["from_epochs"] == 8


def test_the_loss_with_nothing_learned_is_the_lower_of_the_untrained_and_a_constant():
    from kerasdoc._verify import Criterion, _lower

    ten = np.repeat(np.arange(10), 5)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(10, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert Criterion(ten, model.loss, model).no_skill() == pytest.approx(np.log(10))
    # raw pixels make the untrained loss 14.6: the gain is judged against ln 10
    assert _lower(14.6, np.log(10)) == pytest.approx(np.log(10))
    assert _lower(1.2, np.log(10)) == 1.2 and _lower(float("inf"), 2.0) == 2.0
    values = np.array([[1.0], [3.0], [5.0]])
    reg = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    reg.compile("adam", "mse")
    assert Criterion(values, reg.loss, reg).no_skill() == pytest.approx(np.var([1, 3, 5]))
    reg.compile("adam", "mae")
    assert Criterion(values, reg.loss, reg).no_skill() == pytest.approx(4 / 3)
    binary = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    binary.compile("adam", "binary_crossentropy")
    p = 0.25
    assert Criterion(np.array([0, 0, 0, 1]), binary.loss, binary).no_skill() == \
        pytest.approx(-(p * np.log(p) + (1 - p) * np.log(1 - p)))
