"""The fault gallery benchmark (benchmarks/faults): its cases, its scoring, and the fast subset.

The fast subset runs in-process through `kerasdoc.diagnose`, focused on the
part that owns each case's code (`check_preprocessing` for preprocess.*):
every broken program must be reported with its code at the expected
severity, and every healthy twin must get no warning or error from that
part. The full, unfocused run is `python -m benchmarks.faults.score`.
"""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `benchmarks` is not an installed package
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.faults import score  # noqa: E402
from benchmarks.faults.cases import CASES, ENTRIES, Program, fast_cases  # noqa: E402


def test_at_least_35_catalogue_codes_covered():
    from kerasdoc import is_known_code

    codes = {c.code for c in CASES.values()}
    assert len(codes) >= 35
    assert all(is_known_code(code) for code in codes)


def test_every_case_has_expected_severity_and_twins():
    for name, fault_case in CASES.items():
        assert fault_case.severities, name
        assert set(fault_case.severities) <= {"error", "warning", "info"}, name
        assert fault_case.description, f"{name}: the case function needs a docstring"
        assert callable(fault_case.broken) and callable(fault_case.healthy)


def test_twins_build_programs_with_the_same_entry():
    """Building the programs is cheap (data only; models are built when run)."""
    for name, fault_case in CASES.items():
        broken, healthy = fault_case.broken(), fault_case.healthy()
        assert isinstance(broken, Program) and isinstance(healthy, Program), name
        assert broken.entry == healthy.entry and broken.entry in ENTRIES, name
        assert len(broken.x) > 0 and len(healthy.x) > 0, name
        assert fault_case.code not in healthy.tolerated, name


def test_task_specific_checks_have_cases_and_the_twins_span_the_tasks():
    """Every registered check has a case (the registry is the list); healthy twins cover
    every kind of task.

    The task of each healthy twin is inferred from its compiled model and
    data, as `diagnose` infers it (the models are built, not trained).
    """
    from kerasdoc import infer_task

    import kerasdoc

    codes = {c.code for c in CASES.values()}
    without = [check.name for check in kerasdoc.checks() if not set(check.codes) & codes]
    assert not without, f"registered checks without a fault-gallery case: {without}"
    kinds = {}
    for name in ("data.target_scale", "data.multilabel_empty",
                 "data.not_normalized[autoencoder]", "data.target_scale[multi_output]"):
        program = CASES[name].healthy()
        task = infer_task(program.model_fn(), program.x, program.y)
        kinds[name] = task.kind
        if task.outputs:
            kinds[name] += ":" + ",".join(sorted(t.kind for _, t in task.outputs))
    assert kinds == {"data.target_scale": "regression",
                     "data.multilabel_empty": "multilabel",
                     "data.not_normalized[autoencoder]": "reconstruction",
                     "data.target_scale[multi_output]": "multi_output:multiclass,regression"}


def test_fit_entry_runs_the_doctor_with_its_options(monkeypatch):
    """The `fit` entry (for Doctor options diagnose lacks) fits with a Doctor built from `extra`."""
    import keras

    import kerasdoc

    made = []

    class FakeDoctor(keras.callbacks.Callback):  # the wiring, without the Doctor's trace
        def __init__(self, **options):
            super().__init__()
            self.options, self.batches = options, 0
            self.report = kerasdoc.Report([], title="fake Doctor report")
            made.append(self)

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1

    program = CASES["train.sharpness_unstable"].healthy()
    assert program.entry == "fit" and program.extra["sharpness_every"] > 0
    monkeypatch.setattr(kerasdoc, "Doctor", FakeDoctor)
    short = Program(model_fn=program.model_fn, x=program.x[:64], y=program.y[:64],
                    batch_size=32, epochs=1, entry="fit", extra=dict(program.extra))
    report = score.run_entry(short)
    (doctor,) = made
    assert report is doctor.report and doctor.options == program.extra
    assert doctor.batches == 2


def test_fast_subset_spans_every_area():
    areas = {c.code.split(".")[0] for c in fast_cases().values()}
    assert areas == {"data", "preprocess", "model", "optim", "probe", "train"}


def _result(findings_broken, findings_healthy, *, expected=("error",), crash=None,
            tolerated=()):
    return score.CaseResult(
        name="model.zero_init", code="model.zero_init", expected=expected,
        entry="diagnose", broken=score.Outcome(findings=tuple(findings_broken), seconds=1.0),
        healthy=score.Outcome(findings=tuple(findings_healthy), crash=crash, seconds=2.0),
        tolerated=tuple(tolerated))


def test_scoring_rules():
    exact = _result([("model.zero_init", "error")], [("optim.vanilla_sgd", "info")])
    assert exact.detected and exact.detected_expected and exact.false_alarms == []

    wrong_severity = _result([("model.zero_init", "warning")], [])
    assert wrong_severity.detected and not wrong_severity.detected_expected

    missed = _result([("train.dead_relu", "warning")], [])
    assert not missed.detected and not missed.detected_expected

    alarm = _result([("model.zero_init", "error")],
                    [("data.class_imbalance", "warning"), ("train.dead_relu", "warning")],
                    tolerated=["data.class_imbalance"])
    assert alarm.false_alarms == ["train.dead_relu"]

    crashed = _result([("model.zero_init", "error")], [], crash="ValueError: boom")
    assert crashed.false_alarms == ["crash"]

    results = [exact, wrong_severity, missed, alarm, crashed]
    assert score.summary_line(results) == (
        "recall=4/5 (0.80), at_expected_severity=3/5, false_alarms=2/5")
    report = score.format_report(results)
    assert report.splitlines()[-1].startswith("recall=4/5")
    assert "crash: model.zero_init (healthy): ValueError: boom" in report


def test_command_line_rejects_unknown_case():
    with pytest.raises(SystemExit, match="unknown case"):
        score.main(["--case", "model.no_such_code"])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(fast_cases()))
def test_fast_case_detected_and_twin_silent(name):
    result = score.run_case(CASES[name], focused=True)
    assert result.broken.crash is None, result.broken.crash
    assert result.detected_expected, (
        f"{name}: expected {result.code} at {result.expected}, got {result.broken.findings}")
    assert result.false_alarms == [], (
        f"{name}: healthy twin raised {result.false_alarms}: {result.healthy.crash or ''}")


def test_list_checks_table_has_a_row_per_registered_check():
    import kerasdoc
    from benchmarks import list_checks

    rows = list_checks.checks_table().splitlines()[2:]
    assert len(rows) == len(kerasdoc.checks())
    by_name = {row.split(" | ")[0].strip("| "): row for row in rows}
    assert by_name["data.nonfinite"].endswith("| all | all | - |")
    assert "| regression, reconstruction | all | labels |" in by_name["model.output_range"]
    assert "preprocess.pretrained_mismatch, preprocess.dataset_mean" in by_name[
        "preprocess.backbone_inputs"]
