"""The registry of checks: coverage of the catalogue, declared tests, settings, runner."""

import ast
import dataclasses
import functools
import os

import numpy as np
import pytest

import kerasdoc
from kerasdoc import CATALOGUE, Finding, InvalidInputError, InvalidTypeError
from kerasdoc._registry import (PARTS, TASK_KINDS, Runner, Settings, checks, get,
                                load_settings, normalise_settings, register,
                                resolve_settings, setting)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# The catalogue and the declared tests -------------------------------------------

def test_every_catalogue_code_has_a_registered_producer():
    produced = {code for check in checks() for code in check.codes}
    missing = sorted(set(CATALOGUE) - produced)
    assert not missing, f"codes.json codes without a registered check: {missing}"
    assert produced <= set(CATALOGUE)


def test_checks_are_listed_with_codes_tasks_and_settings():
    listing = kerasdoc.checks()
    assert listing == checks()
    names = [c.name for c in listing]
    assert len(names) == len(set(names))
    assert [c.part for c in listing] == sorted((c.part for c in listing), key=PARTS.index)
    for check in listing:
        # The name is the code whenever the check emits exactly one code.
        if len(check.codes) == 1 and check.name != check.codes[0]:
            assert any(other.name == check.codes[0] for other in listing), check.name
        assert set(check.tasks) <= set(TASK_KINDS) and check.tasks
        described = check.to_dict()
        assert described["codes"] == list(check.codes)
        defaults = check.defaults()  # every default is within its own bounds
        for field in dataclasses.fields(defaults):
            assert field.name in described["settings"]
            assert described["settings"][field.name]["doc"], (check.name, field.name)
    assert [c.name for c in kerasdoc.checks("training")][:2] == [
        "train.nonfinite", "train.exploding_gradients"]
    with pytest.raises(InvalidInputError, match="did you mean 'training'"):
        kerasdoc.checks("trainig")


@functools.lru_cache(maxsize=None)
def _parsed(path):
    """`({test name: source}, {constant: string})` of a test file's module level."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        source = fh.read()
    tree = ast.parse(source)
    tests = {node.name: ast.get_source_segment(source, node) for node in tree.body
             if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    constants = {node.targets[0].id: node.value.value for node in tree.body
                 if isinstance(node, ast.Assign) and len(node.targets) == 1
                 and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.Constant)
                 and isinstance(node.value.value, str)}
    return tests, constants


def _test_functions(path):
    return _parsed(path)[0]


def _names_code(test_id, code):
    """Whether the test's source names `code`, literally or by a module constant."""
    path, _, name = test_id.partition("::")
    tests, constants = _parsed(path)
    source = tests[name]
    return code in source or any(value == code and const in source
                                 for const, value in constants.items())


def _find(test_id):
    path, _, name = test_id.partition("::")
    if not os.path.isfile(os.path.join(ROOT, path)):
        return None
    return _test_functions(path).get(name)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_every_check_declares_a_firing_and_a_silent_test_that_exist(check):
    assert check.fires, f"{check.name} declares no test where it fires"
    assert check.silent, f"{check.name} declares no test where it stays silent"
    for test_id in check.fires + check.silent:
        assert _find(test_id) is not None, f"{check.name}: no test {test_id}"
    # A firing test names a code the check emits (it asserts that finding),
    # so an unrelated test cannot stand in for it: at least one of them must.
    assert any(_names_code(test_id, code)
               for test_id in check.fires for code in check.codes), (
        f"{check.name}: none of its firing tests {check.fires} names its codes")


def test_the_declared_test_lookup_is_not_vacuous():
    assert _find("tests/test_registry.py::test_the_declared_test_lookup_is_not_vacuous")
    assert _find("tests/test_registry.py::test_no_such_test") is None
    assert _find("tests/no_such_file.py::test_x") is None


# Registration ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Knob(Settings):
    level: float = setting(0.5, "a level", minimum=0.0, maximum=1.0)
    count: int = setting(3, "a count", minimum=1, integer=True)


def test_register_validates_its_declaration():
    with pytest.raises(InvalidInputError, match="Received: part='trainer'"):
        register("x.y", part="trainer")
    with pytest.raises(InvalidInputError, match="codes missing from codes.json"):
        register("train.nope", part="training")
    with pytest.raises(InvalidInputError, match="Received: tasks=\\('classification',\\)"):
        register("train.dead_relu", part="training", tasks="classification")(
            lambda h, *, settings: [])

    @dataclasses.dataclass
    class Loose:
        level: float = setting(0.5, "a level")

    with pytest.raises(InvalidTypeError, match="frozen Settings dataclass"):
        register("train.dead_relu", part="training", settings=Loose)
    with pytest.raises(InvalidTypeError, match="frozen Settings dataclass"):
        register("train.dead_relu", part="training", settings=dict)
    with pytest.raises(InvalidInputError, match="already registered"):
        register("train.dead_relu", part="training")(lambda h, *, settings: [])


def test_settings_validate_type_and_bounds_naming_the_check():
    _Knob._check = "test.knob"
    assert _Knob().level == 0.5
    with pytest.raises(InvalidInputError,
                       match=r"settings\['test.knob'\]\['level'\]` must be <= 1.0"):
        _Knob(level=2.0)
    with pytest.raises(InvalidTypeError, match="must be an integer. Received: count=2.5"):
        _Knob(count=2.5)
    with pytest.raises(InvalidTypeError, match="must be a number"):
        _Knob(level="high")
    with pytest.raises(InvalidInputError, match="must be finite"):
        _Knob(level=float("nan"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        _Knob().level = 0.1


# Settings from one place ---------------------------------------------------------

def test_unknown_check_or_setting_names_the_closest_valid_one():
    with pytest.raises(InvalidInputError, match="did you mean 'train.dead_relu'"):
        normalise_settings({"train.dead_relus": {"fraction": 0.8}})
    with pytest.raises(InvalidInputError,
                       match="has no setting 'fractoin' \\(did you mean 'fraction'\\?\\)"):
        normalise_settings({"train.dead_relu": {"fractoin": 0.8}})
    with pytest.raises(InvalidInputError, match="it has no settings"):
        normalise_settings({"train.nonfinite": {"x": 1}})
    with pytest.raises(InvalidInputError, match=r"\['fraction'\]` must be <= 1.0"):
        normalise_settings({"train.dead_relu": {"fraction": 8}})
    with pytest.raises(InvalidTypeError, match="Received: settings=\\[1\\]"):
        normalise_settings([1])
    with pytest.raises(InvalidTypeError, match="must be a dict of setting"):
        normalise_settings({"train.dead_relu": 0.8})
    with pytest.raises(InvalidInputError, match="must be below `high`"):
        normalise_settings({"train.update_ratio": {"low": 0.5}})
    # An alias of a check (a probe's former name) is accepted.
    assert normalise_settings({"overfit_batch": {"max_steps": 50}}) == {
        "probe.cannot_overfit_batch": {"max_steps": 50}}


def test_keyword_aliases_win_only_when_set_away_from_their_default():
    given = {"train.dead_relu": {"fraction": 0.8}}
    resolved = resolve_settings(given, part="training")
    assert resolved["train.dead_relu"].fraction == 0.8
    assert resolved["train.loss_plateau"] == get("train.loss_plateau").defaults()
    # A keyword left at its default does not undo `settings`...
    kept = resolve_settings(given, overrides={"train.dead_relu": {"fraction": 0.7}})
    assert kept["train.dead_relu"].fraction == 0.8
    # ...a keyword set to another value wins.
    won = resolve_settings(given, overrides={"train.dead_relu": {"fraction": 0.9}})
    assert won["train.dead_relu"].fraction == 0.9


def test_settings_reach_the_doctor_and_its_keywords_are_aliases():
    doctor = kerasdoc.Doctor(settings={"train.dead_relu": {"fraction": 0.8}})
    assert doctor.settings["train.dead_relu"].fraction == 0.8
    assert kerasdoc.Doctor(dead_relu_fraction=0.6).settings["train.dead_relu"].fraction \
        == 0.6
    with pytest.raises(InvalidInputError, match="did you mean 'train.dead_relu'"):
        kerasdoc.Doctor(settings={"train.dead_reLU": {"fraction": 0.8}})


def _imbalanced(n=400):
    rng = np.random.default_rng(0)
    y = np.where(np.arange(n) % 40 == 0, 1, 0)
    x = rng.normal(size=(n, 6)).astype("float32") + y[:, None]
    return x, y


def test_settings_reach_the_data_checks():
    x, y = _imbalanced()
    assert check(kerasdoc.check_data(x, y), "data.class_imbalance")
    loose = kerasdoc.check_data(x, y, settings={
        "data.class_imbalance": {"imbalance_ratio": 100.0}})
    assert not check(loose, "data.class_imbalance")
    assert "data.class_imbalance" in loose.ran
    # The old keyword still works, as an alias.
    assert not check(kerasdoc.check_data(x, y, imbalance_ratio=100.0),
                     "data.class_imbalance")
    with pytest.raises(InvalidInputError, match="did you mean 'imbalance_ratio'"):
        kerasdoc.check_data(x, y, settings={"data.class_imbalance": {"ratio": 100.0}})


def check(report, code):
    return report.has(code)


def test_settings_reach_the_model_checks():
    model = kerasdoc.examples.baseline_mlp()
    x = np.zeros((100, 28, 28), "float32")
    assert audit(model, x, batch_size=64).has("optim.batch_size")
    relaxed = kerasdoc.audit_model(model, x=x, batch_size=64, settings={
        "optim.batch_size": {"max_batch_fraction": 0.9}})
    assert not relaxed.has("optim.batch_size") and "optim.batch_size" in relaxed.ran


def audit(model, x, **kwargs):
    return kerasdoc.audit_model(model, x=x, **kwargs)


def test_settings_from_a_toml_file_and_from_pyproject(tmp_path):
    config = tmp_path / "kerasdoc.toml"
    config.write_text('task = "regression"\nbudget_s = 30\n'
                      '[settings."train.dead_relu"]\nfraction = 0.8\n', encoding="utf-8")
    settings, options, source = load_settings(str(config))
    assert settings == {"train.dead_relu": {"fraction": 0.8}}
    assert options == {"task": "regression", "budget_s": 30} and source == str(config)
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.kerasdoc.settings."data.class_imbalance"]\n'
        'imbalance_ratio = 50\n', encoding="utf-8")
    settings, options, source = load_settings(start=str(project / "src"))
    assert settings == {"data.class_imbalance": {"imbalance_ratio": 50}}
    assert source == str(project / "pyproject.toml")
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_settings(start=str(project)) == ({}, {}, None)
    bad = tmp_path / "bad.toml"
    bad.write_text('[settings."train.dead_relu"]\nfractoin = 0.8\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="did you mean 'fraction'"):
        load_settings(str(bad))
    bad.write_text('budget = 3\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="did you mean 'budget_s'"):
        load_settings(str(bad))
    bad.write_text('this is not toml', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        load_settings(str(bad))
    with pytest.raises(InvalidInputError, match="Settings file not found"):
        load_settings(str(tmp_path / "missing.toml"))


# The runner ---------------------------------------------------------------------

def _history():
    """The healthy history of the detector tests (loaded from its file)."""
    import importlib.util

    path = os.path.join(ROOT, "tests", "training", "test_detectors.py")
    spec = importlib.util.spec_from_file_location("_detector_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.healthy()


def test_runner_records_a_failing_check_and_still_runs_the_others(monkeypatch):
    from kerasdoc.training import _detectors
    from kerasdoc.training._detectors import run_detectors

    def broken(history, **kwargs):
        raise ZeroDivisionError("dead units divided by zero")

    monkeypatch.setattr(_detectors, "detect_dead_relu", broken)
    history = _history()
    history["grad_norm"] = history["grad_norm"] * 1e6  # exploding
    runner = Runner("training", accumulate=True)
    findings = run_detectors(history, runner=runner)
    assert {f.code for f in findings} == {"train.exploding_gradients"}
    failure = runner.failed["train.dead_relu"]
    assert failure["type"] == "ZeroDivisionError"
    assert failure["message"] == "dead units divided by zero"
    assert "broken" in failure["traceback"]
    assert "train.dead_relu" not in runner.ran and "train.dead_relu" not in runner.skipped
    assert "train.exploding_gradients" in runner.ran
    assert set(runner.timings) == {c.name for c in checks("training")}
    report = runner.report("t")
    assert not report.complete and "FAILED train.dead_relu" in report.to_text(color=False)
    # Without a runner to record it, the failure is raised, never swallowed.
    with pytest.raises(RuntimeError, match="train.dead_relu failed: ZeroDivisionError"):
        run_detectors(_history())


def test_runner_skips_with_reasons():
    history = _history()
    runner = Runner("training", task="regression", select=[
        "train.validation_gap", "train.dead_relu", "train.loss_plateau"])
    runner.run("train.validation_gap", history)
    runner.run("train.dead_relu", history)
    runner.run("train.nonfinite", history)
    assert runner.skipped["train.validation_gap"].startswith(
        "does not apply to this task (regression; it applies to multiclass")
    assert runner.skipped["train.nonfinite"] == "not requested"
    assert runner.ran == ["train.dead_relu"]
    spent = Runner("training", budget=lambda: 0.0)
    assert spent.run("train.dead_relu", history) == []
    assert spent.skipped["train.dead_relu"] == "time budget spent before this check"
    assert Runner("data", input_kind="tokens").reason_to_skip("data.not_normalized") == (
        "does not apply to tokens inputs (it applies to image, tabular, sequence)")
    with pytest.raises(InvalidInputError, match="did you mean 'regression'"):
        Runner("training", task="regresion")


class _Task:
    """A task profile as `kerasdoc.Task` describes it: kind(s) and `describe()`."""

    def __init__(self, *kinds):
        self.kind = kinds[0] if len(kinds) == 1 else "multi_output"
        self.kinds = frozenset(kinds)

    def describe(self):
        return f"task: {'+'.join(sorted(self.kinds))}"


def test_task_objects_select_checks_per_output_kind():
    label_range = get("data.label_range")
    assert label_range.applies_to_task(None) is None
    assert label_range.applies_to_task(_Task("multiclass")) is None
    assert "does not apply" in label_range.applies_to_task(_Task("regression"))
    # A multi-output model gets a check when one of its outputs needs it.
    assert label_range.applies_to_task(_Task("regression", "binary")) is None


def test_regression_targets_skip_the_class_checks_with_the_reason():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = np.round(x @ rng.normal(size=5) * 50)  # whole-number regression targets
    report = kerasdoc.check_data(x, y, task="regression")
    for name in ("data.label_range", "data.class_imbalance", "data.unshuffled",
                 "data.label_misalignment"):
        assert report.skipped[name].startswith("does not apply to this task"), name
        assert name not in report.ran
    assert not {"data.label_range", "data.class_imbalance"} & report.codes
    # No task given: inferred from the targets (300 distinct whole numbers on
    # 300 samples are values to regress, not class ids), so the same skips.
    inferred = kerasdoc.check_data(x, y)
    assert inferred.task.kind == "regression" and "data.label_range" in inferred.skipped


def test_sanity_check_records_a_failing_probe_and_runs_the_others(monkeypatch):
    from kerasdoc.probes import _checks

    def broken(*args, **kwargs):
        raise ValueError("initial loss exploded")

    monkeypatch.setattr(_checks, "initial_loss", broken)
    model = kerasdoc.examples.baseline_mlp()
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28)).astype("float32"), rng.integers(0, 10, 64)
    report = kerasdoc.sanity_check(model, x, y, checks=[
        "initial_loss", "batch_mixing", "probe.gradient_check"])
    assert report.failed["probe.initial_loss"]["message"] == "initial loss exploded"
    assert report.ran == ("probe.batch_mixing",)
    assert "no custom layers" in report.skipped["probe.gradient_check"]
    assert not report.complete


def test_checks_is_exported():
    from kerasdoc import _EXPORTS

    assert _EXPORTS["checks"] == "kerasdoc._registry"
    assert kerasdoc.checks is checks


def test_logits_blowup_fires_through_the_runner_and_obeys_its_setting():
    from kerasdoc.training._detectors import run_detectors

    history = _history()
    history["max_logit"][4, 3] = 400.0
    found = run_detectors(history, runner=Runner("training"))
    assert [f.code for f in found] == ["train.logits_blowup"]
    relaxed = Runner("training", settings=resolve_settings(
        {"train.logits_blowup": {"threshold": 500.0}}, part="training"))
    assert run_detectors(history, runner=relaxed) == []
    assert "train.logits_blowup" in relaxed.ran


def test_update_ratio_fires_through_the_runner_and_obeys_its_setting():
    from kerasdoc.training._detectors import run_detectors

    history = _history()
    history["update_ratio"] = np.ones((12, 2)) * [0.5, 2e-3]
    found = run_detectors(history, runner=Runner("training"))
    assert [(f.code, f.layer) for f in found] == [("train.update_ratio", "dense")]
    relaxed = Runner("training", settings=resolve_settings(
        {"train.update_ratio": {"high": 1.0}}, part="training"))
    assert run_detectors(history, runner=relaxed) == []


def test_check_modules_are_discovered_once_in_a_fixed_order():
    """The registry finds the modules that register checks itself (no hand list)."""
    from kerasdoc import _registry

    modules = _registry.check_modules()
    assert modules is _registry.check_modules()  # found once
    packages = [m.rsplit(".", 1)[0] for m in modules]
    assert packages == sorted(packages, key=_registry._CHECK_PACKAGES.index)
    for package in set(packages):
        names = [m for m in modules if m.rsplit(".", 1)[0] == package]
        assert names == sorted(names)
    # every registered check comes from a discovered module, and each module registers one
    owners = {check.decide.__module__ for check in kerasdoc.checks()}
    assert owners == set(modules)


def test_model_checks_on_the_standard_evidence_run_without_wiring():
    """A model check registered with evidence="model" is run (or skipped) by the audit itself."""
    import keras

    readers = [c.name for c in kerasdoc.checks("model") if c.evidence == "model"]
    assert {"model.output_range", "model.output_units", "model.loss_mismatch"} <= set(readers)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="relu")])
    model.compile("adam", loss="mse")
    x = np.zeros((8, 3), "float32")
    ran = kerasdoc.audit_model(model, x=x, y=-np.ones((8, 1), "float32"), batch_size=4)
    assert set(readers) <= set(ran.ran) | set(ran.skipped)
    assert "model.output_range" in {f.code for f in ran}
    unlabeled = kerasdoc.audit_model(model, x=x, batch_size=4)
    needing = [n for n in readers if "labels" in get(n).needs
               and get(n).applies_to_task(unlabeled.task) is None]
    assert needing and all(unlabeled.skipped[n] == "needs `y`" for n in needing)
