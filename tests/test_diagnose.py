"""kerasdoc.diagnose: parts, de-duplication, budget, healthy baseline, broken twins."""

import time

import numpy as np
import pytest

import kerasdoc
import kerasdoc.data
from kerasdoc import Finding, InvalidInputError, InvalidTypeError, Severity
from kerasdoc._causes import symptom_codes
from kerasdoc._diagnose import PARTS, deduplicate
from kerasdoc._modelcopy import ModelState


def _needs(*names):
    missing = [n for n in names if not hasattr(kerasdoc, n)]
    assert not missing, f"kerasdoc.{', '.join(missing)} is not exported"


@pytest.fixture(scope="session")
def walkthrough(bundled_subset):
    """The bundled subset scaled to [0, 1], as the walkthrough trains on it."""
    s = bundled_subset
    return (s.x_train.astype("float32") / 255.0, s.y_train,
            s.x_test.astype("float32") / 255.0, s.y_test, list(s.class_names))


@pytest.fixture(scope="session")
def small(walkthrough):
    """300 training and 100 test images of the bundled subset (still balanced)."""
    x, y, xt, yt, names = walkthrough
    return x[:300], y[:300], xt[:100], yt[:100], names


def _baseline(**kwargs):
    import keras

    keras.utils.set_random_seed(0)
    return kerasdoc.examples.baseline_mlp(**kwargs)


# De-duplication: a pure function -----------------------------------------
def test_deduplicate_merges_same_cause_with_every_parts_evidence():
    a = Finding("train.dead_relu", severity="warning", message="60% dead.",
                evidence={"dead_fraction": 0.6}, fix="Use he_normal.", layer="dense",
                step=32)
    b = Finding("train.dead_relu", severity="warning", message="55% dead.",
                evidence={"dead_fraction": 0.55}, layer="dense", step=16)
    other_layer = Finding("train.dead_relu", message="x", layer="dense_1")
    info = Finding("optim.vanilla_sgd", message="SGD.")
    merged = deduplicate([("training", [a, other_layer, info]), ("fit", [b])])
    assert [(f.code, f.layer) for f in merged] == [
        ("train.dead_relu", "dense"), ("train.dead_relu", "dense_1"),
        ("optim.vanilla_sgd", None)]
    first = merged[0]
    assert first.message == "60% dead." and first.fix == "Use he_normal."
    assert first.step == 16
    assert first.evidence["dead_fraction"] == 0.6
    assert dict(first.evidence["fit"]) == {"dead_fraction": 0.55}
    assert list(first.evidence["seen_by"]) == ["training", "fit"]


def test_deduplicate_keeps_worst_severity_and_leaves_single_part_findings_alone():
    warn = Finding("train.loss_diverging", severity="warning", message="w")
    err = Finding("train.loss_diverging", severity="error", message="e",
                  evidence={"ratio": 1e4})
    assert deduplicate([("a", [warn]), ("b", [err])])[0].severity == Severity.ERROR
    assert deduplicate([("a", [warn]), ("b", [err])])[0].message == "e"
    # Two findings of one part are two observations, not one cause seen twice.
    same = deduplicate([("a", [warn, warn])])
    assert len(same) == 2 and "seen_by" not in same[0].evidence


# Validation and bookkeeping ------------------------------------------------
def test_bad_inputs(small):
    x, y, xt, yt, _ = small
    model = _baseline()
    with pytest.raises(InvalidTypeError, match="keras.Model"):
        kerasdoc.diagnose("model.keras", x, y)
    with pytest.raises(InvalidInputError, match="same number of samples"):
        kerasdoc.diagnose(model, x, y[:10])
    with pytest.raises(InvalidInputError, match="pair"):
        kerasdoc.diagnose(model, x, y, validation_data=xt)
    with pytest.raises(InvalidInputError, match="Received: parts="):
        kerasdoc.diagnose(model, x, y, parts=["data", "vibes"])
    with pytest.raises(InvalidInputError, match="Received: budget_s=0"):
        kerasdoc.diagnose(model, x, y, budget_s=0)
    with pytest.raises(InvalidInputError, match="Received: epochs=0"):
        kerasdoc.diagnose(model, x, y, epochs=0)


def test_failing_part_is_reported_as_failed_not_skipped(small, monkeypatch):
    x, y, xt, yt, _ = small

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(kerasdoc.data, "check_data", broken)
    messages = []
    report = kerasdoc.diagnose(_baseline(), x, y, parts=["data"],
                               progress=messages.append)
    assert report.ran == ()
    assert "data" not in report.skipped and not report.complete
    assert report.failed["data"]["type"] == "RuntimeError"
    assert report.failed["data"]["message"] == "boom"
    assert "broken" in report.failed["data"]["traceback"]
    for part in PARTS[1:]:
        assert report.skipped[part] == "not requested (parts=...)"
    assert "data" in report.timings and "total" in report.timings
    assert messages[0].startswith("task: multiclass (10 classes)")
    assert messages[1] == "data: running"
    assert messages[-1] == "data: FAILED (RuntimeError: boom)"
    assert "no problems found\n" not in report.to_text(color=False) + "\n"


def test_failing_part_never_hides_the_other_parts_findings(small, monkeypatch):
    x, y, xt, yt, _ = small

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(kerasdoc.data, "check_data", broken)
    model = kerasdoc.examples.baseline_mlp(kernel_initializer="zeros")
    report = kerasdoc.diagnose(model, x, y, parts=["data", "model"])
    assert report.ran == ("model",) and set(report.failed) == {"data"}
    assert report.has("model.zero_init")


@pytest.mark.slow
def test_budget_stops_the_training_run(small, monkeypatch):
    _needs("Doctor")
    x, y, xt, yt, _ = small
    # The run's start is planned (tests/test_budget.py); here it always
    # starts, and the budget must stop it.
    monkeypatch.setattr(kerasdoc._diagnose, "DOCTOR_TRACE_FACTOR", 0.0)
    start = time.perf_counter()
    report = kerasdoc.diagnose(_baseline(), x, y, parts=["training"], epochs=200,
                               budget_s=3.0)
    assert time.perf_counter() - start < 100  # 200 full epochs would take minutes
    assert report.ran == ("training",)
    assert report.skipped["training (rest)"].startswith(
        "training stopped by the time budget after")


# The walkthrough baseline: healthy ------------------------------------------
@pytest.fixture(scope="session")
def healthy_run(walkthrough):
    x, y, xt, yt, names = walkthrough
    model = _baseline()
    before = ModelState.capture(model)
    start = time.perf_counter()
    report = kerasdoc.diagnose(model, x, y, validation_data=(xt, yt), class_names=names)
    seconds = time.perf_counter() - start
    return report, before.diff(ModelState.capture(model)), seconds


@pytest.mark.slow
def test_healthy_baseline_has_no_errors_or_warnings(healthy_run):
    report, model_changes, seconds = healthy_run
    print(f"\ndiagnose on the walkthrough baseline: {seconds:.1f} s\n{report.to_text()}")
    assert model_changes == []
    assert report.title == "kerasdoc diagnose of baseline_mlp"
    assert report.errors == [] and report.warnings == [], report.to_text()
    assert "training" in report.ran
    assert set(report.ran) | {k for k in report.skipped if k in PARTS} == set(PARTS)
    assert report.timings["total"] >= max(report.timings[p] for p in report.ran)
    # Nothing is skipped for lack of a check: every part exists by now.
    for part in PARTS:
        assert "not available" not in report.skipped.get(part, "")


# Broken twins: the right code at the right severity -------------------------
@pytest.mark.slow
def test_raw_pixels_warn_not_normalized(bundled_subset):
    _needs("check_data")
    s = bundled_subset
    report = kerasdoc.diagnose(_baseline(), s.x_train[:300], s.y_train[:300],
                               validation_data=(s.x_test[:100], s.y_test[:100]),
                               parts=["data"])
    assert report.has("data.not_normalized", "warning")
    assert not report.errors


def test_labels_shuffled_apart_is_an_error(small, rng):
    _needs("check_data")
    x, y, xt, yt, _ = small
    report = kerasdoc.diagnose(_baseline(), x, rng.permutation(y),
                               validation_data=(xt, yt), parts=["data"])
    assert report.has("data.label_misalignment", "error")
    healthy = kerasdoc.diagnose(_baseline(), x, y, validation_data=(xt, yt),
                                parts=["data"])
    assert not healthy.has("data.label_misalignment")


def test_test_set_copied_from_train_is_leakage(small):
    _needs("check_data")
    x, y, _, _, _ = small
    report = kerasdoc.diagnose(_baseline(), x, y, validation_data=(x[:50], y[:50]),
                               parts=["data"])
    assert report.has("data.split_leakage", "error")


def test_zero_initialised_model_is_an_error(small):
    _needs("audit_model")
    x, y, _, _, _ = small
    report = kerasdoc.diagnose(_baseline(kernel_initializer="zeros"), x, y,
                               parts=["model"])
    assert report.has("model.zero_init", "error")


def test_too_few_output_units_is_an_error(small):
    _needs("audit_model")
    x, y, _, _, _ = small
    report = kerasdoc.diagnose(_baseline(n_classes=5), x, y, parts=["model"])
    assert report.has("model.output_units", "error")


@pytest.mark.slow
def test_huge_learning_rate_is_flagged_by_audit_and_training(small):
    _needs("audit_model", "Doctor")
    x, y, xt, yt, _ = small
    model = _baseline(learning_rate=10.0)
    before = ModelState.capture(model)
    report = kerasdoc.diagnose(model, x, y, validation_data=(xt, yt),
                               parts=["model", "training"], epochs=3)
    # The audit finds the cause; the training run's symptoms are folded into it.
    (cause,) = report.by_code("optim.learning_rate")
    seen = set(symptom_codes(cause)) | report.codes
    assert seen & {"train.loss_diverging", "train.nonfinite",
                   "train.exploding_gradients", "train.logits_blowup",
                   "train.update_ratio"}, report.to_text()
    assert before.diff(ModelState.capture(model)) == []


@pytest.mark.slow
def test_model_ignoring_its_input_fails_the_probes(small):
    _needs("sanity_check")
    x, y, _, _, _ = small
    model = _baseline()
    # Zero every kernel of the hidden layer and freeze it: the output no longer
    # depends on the input, only on the output bias.
    hidden = model.layers[1]
    hidden.kernel.assign(np.zeros(hidden.kernel.shape, "float32"))
    hidden.trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    report = kerasdoc.diagnose(model, x, y, parts=["probes"])
    assert report.has("probe.input_independent", "error") or report.has(
        "probe.cannot_overfit_batch", "error"), report.to_text()


@pytest.mark.slow
def test_pretrained_backbone_fed_raw_pixels(bundled_subset):
    _needs("check_preprocessing")
    import keras

    keras.utils.set_random_seed(0)
    backbone = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35,
                                              include_top=False, weights=None)
    inputs = keras.Input((32, 32, 3))
    features = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(features))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    raw = np.pad(bundled_subset.x_train[:64].astype("float32"), [(0, 0), (2, 2), (2, 2)])
    raw = np.repeat(raw[..., None], 3, axis=-1)
    y = bundled_subset.y_train[:64]
    report = kerasdoc.diagnose(model, raw, y, parts=["preprocessing"])
    assert report.ran == ("preprocessing",)
    assert report.has("preprocess.pretrained_mismatch", "error")
    fixed = keras.applications.mobilenet_v2.preprocess_input(raw.copy())
    twin = kerasdoc.diagnose(model, fixed, y, parts=["preprocessing"])
    assert twin.ran == ("preprocessing",) and len(twin) == 0
    plain = kerasdoc.diagnose(_baseline(), raw[..., 0], y, parts=["preprocessing"])
    # no backbone: that is the reason, not the (non-image) inputs
    assert "no keras.applications backbone" in plain.skipped["preprocessing"]
    keras.utils.set_random_seed(0)
    cnn = kerasdoc.examples.small_cnn((32, 32, 3))
    no_backbone = kerasdoc.diagnose(cnn, raw / 255.0, y, parts=["preprocessing"])
    assert no_backbone.ran == ()
    assert "no keras.applications backbone" in no_backbone.skipped["preprocessing"]


def test_global_random_state_is_left_alone(small):
    _needs("Doctor")
    import random

    x, y, _, _, _ = small
    model = _baseline()
    np.random.seed(123)
    random.seed(123)
    np_state, py_state = np.random.get_state(), random.getstate()
    report = kerasdoc.diagnose(model, x[:64], y[:64], parts=["training"], epochs=1)
    assert report.ran == ("training",)
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert random.getstate() == py_state


def test_model_that_rescales_its_own_inputs_is_fed_raw_pixels_rightly(bundled_subset):
    """Raw 0-255 pixels into a model whose first layer is Rescaling(1/255): no alarm."""
    import keras

    s = bundled_subset
    x, y = s.x_train[:300].astype("float32"), s.y_train[:300]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28)), keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    report = kerasdoc.diagnose(model, x, y, parts=["data"])
    assert not report.has("data.not_normalized"), report.to_text()
    # Keras numbers layer names per process: read the real name.
    assert f"Rescaling '{model.layers[0].name}'" in report.skipped["data (rest)"]
    # Shape-only layers before the scaling are looked through.
    keras.utils.set_random_seed(0)
    flat_first = keras.Sequential([
        keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Rescaling(1 / 255),
        keras.layers.Dense(10, activation="softmax")])
    flat_first.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    flat_report = kerasdoc.diagnose(flat_first, x, y, parts=["data"])
    assert not flat_report.has("data.not_normalized"), flat_report.to_text()
    # The twin without the Rescaling layer is warned (raw pixels reach the Dense).
    raw = kerasdoc.diagnose(_baseline(), x, y, parts=["data"])
    assert raw.has("data.not_normalized", "warning")


@pytest.mark.slow
def test_unbuilt_subclassed_model_as_fit_receives_it(small):
    """Built from the data as fit builds it; it cannot be copied, so the probes
    and the training run borrow it and put its state back."""
    import keras

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.flat = keras.layers.Flatten()
            self.hidden = keras.layers.Dense(32, activation="relu")
            self.out = keras.layers.Dense(10, activation="softmax")

        def call(self, t):
            return self.out(self.hidden(self.flat(t)))

    x, y, _, _, _ = small
    keras.utils.set_random_seed(0)
    model = Net()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    assert not model.built
    report = kerasdoc.diagnose(model, x, y, epochs=1, budget_s=120,
                               parts=("model", "probes", "training"))
    assert report.failed == {}
    assert set(report.ran) == {"model", "probes", "training"}
    assert model.built and int(model.optimizer.iterations.numpy()) == 0
    # (that the build draws the weights fit would draw: tests/probes/test_copies.py)


def test_the_inferred_task_opens_the_report_and_selects_the_checks():
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)).astype("float32")
    y = np.round(x @ rng.normal(size=8) * 40)  # whole-number regression targets
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    report = kerasdoc.diagnose(model, x, y, parts=["data", "model"])
    assert report.task.kind == "regression"
    assert report.to_text(color=False).startswith("task: regression")
    assert report.to_dict()["task"]["kind"] == "regression"
    for name in ("data.label_range", "data.class_imbalance", "data.label_misalignment",
                 "model.output_units"):
        assert report.skipped[name].startswith("does not apply to this task"), name
    assert not {"data.label_range", "data.class_imbalance"} & report.codes
    # The same targets called a classification task get the class checks.
    forced = kerasdoc.diagnose(model, x, y, parts=["data"], task="multiclass")
    assert forced.task.kind == "multiclass"
    assert "data.label_range" not in forced.skipped and "data.label_range" in forced.timings
