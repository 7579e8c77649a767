import json
import re
from pathlib import Path

import numpy as np
import pytest

import kerasdoc
from kerasdoc import Finding, FindingsError, Report, Severity
from kerasdoc.findings import CATALOGUE

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "checks.md"


def test_severity_orders_and_parses():
    assert Severity.INFO < Severity.WARNING < Severity.ERROR
    assert Severity.parse("Warning") is Severity.WARNING
    assert Severity.parse(Severity.ERROR) is Severity.ERROR
    assert str(Severity.ERROR) == "error"
    with pytest.raises(ValueError, match="Received: severity='fatal'"):
        Severity.parse("fatal")


def test_catalogue_has_every_family_and_known_defaults():
    families = {code.split(".")[0] for code in CATALOGUE}
    assert families == {"data", "preprocess", "model", "optim", "probe", "train"}
    assert CATALOGUE["model.zero_init"][0] is Severity.ERROR
    assert CATALOGUE["optim.vanilla_sgd"][0] is Severity.INFO
    assert len(CATALOGUE) >= 47
    # task-specific target checks (issue 12)
    for code in ("data.target_scale", "data.constant_target", "data.multilabel_empty",
                 "data.label_imbalance"):
        assert code in CATALOGUE
    assert "train.sharpness_unstable" in CATALOGUE  # issue 16


@pytest.mark.skipif(not SPEC.exists(), reason="shared/spec not beside the repo")
def test_catalogue_matches_the_spec_file():
    spec_codes = set(re.findall(r"^\|\s*([a-z]+\.[a-z_]+)\s*\|", SPEC.read_text(), re.M))
    # Every spec code is in the package; codes are never renamed or removed.
    assert spec_codes <= set(CATALOGUE)


def test_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown finding code 'model.nonsense'"):
        Finding("model.nonsense", message="x")


def test_finding_defaults_severity_and_freezes_evidence():
    f = Finding("model.zero_init", message="m", evidence={"std": 0.0, "layers": ["a"]})
    assert f.severity is Severity.ERROR
    with pytest.raises(TypeError):
        f.evidence["std"] = 1.0
    assert f.evidence["layers"] == ("a",)
    with pytest.raises(AttributeError):
        f.code = "model.frozen"
    assert Finding("model.zero_init", "warning").severity is Severity.WARNING


def _report():
    return Report([
        Finding("optim.vanilla_sgd", message="SGD without momentum."),
        Finding("model.zero_init", message="Zero kernel.", layer="dense",
                evidence={"std": np.float32(0.0), "bad": float("nan")}, fix="he_normal"),
        Finding("train.dead_relu", message="Dead.", step=12,
                evidence={"fraction": np.float64(0.9), "units": np.arange(3)}),
    ], ran=["audit"], skipped={"probes": "no labels"}, timings={"audit": 0.5})


def test_report_orders_worst_first_and_counts():
    r = _report()
    assert [f.code for f in r] == ["model.zero_init", "train.dead_relu", "optim.vanilla_sgd"]
    assert r.worst is Severity.ERROR
    assert len(r.errors) == 1 and len(r.warnings) == 1 and len(r.infos) == 1
    assert r.codes == {"model.zero_init", "train.dead_relu", "optim.vanilla_sgd"}
    assert r.has("train.dead_relu", "warning") and not r.has("train.dead_relu", "error")
    assert Report().worst is None


def test_report_json_roundtrip_with_numpy_and_nan():
    r = _report()
    data = json.loads(r.to_json())
    assert data["summary"] == {"errors": 1, "warnings": 1, "info": 1, "failed": 0,
                               "complete": True, "worst": "error"}
    assert data["failed"] == {} and "task" not in data
    first = data["findings"][0]
    assert first["evidence"] == {"std": 0.0, "bad": "nan"}
    assert data["findings"][1]["evidence"]["units"] == [0, 1, 2]
    assert data["skipped"] == {"probes": "no labels"}


def test_report_text_and_html_renderings():
    r = _report()
    text = r.to_text(color=False)
    assert text.splitlines()[0] == "kerasdoc report: 1 errors, 1 warnings, 1 info"
    assert "ERROR model.zero_init (layer dense): Zero kernel." in text
    assert "fix: he_normal" in text and "\033[" not in text
    assert "\033[31mERROR" in r.to_text(color=True)
    page = r.to_html(full_page=True)
    assert page.startswith("<!DOCTYPE html>") and "<code>model.zero_init</code>" in page
    assert r._repr_html_().startswith('<div class="kerasdoc-report">')
    # Messages are escaped.
    evil = Report([Finding("model.frozen", message="<script>x</script>")])
    assert "<script>" not in evil.to_html()


def test_raise_for_threshold():
    r = _report()
    with pytest.raises(FindingsError, match="model.zero_init") as info:
        r.raise_for("error")
    assert info.value.report is r
    infos_only = Report([Finding("optim.vanilla_sgd")])
    assert infos_only.raise_for("warning") is infos_only
    with pytest.raises(FindingsError):
        infos_only.raise_for("info")


def test_merge_keeps_bookkeeping():
    a = Report([Finding("optim.vanilla_sgd")], ran=["a"], timings={"a": 1})
    b = Report([Finding("model.frozen")], ran=["b"], skipped={"c": "why"})
    m = a + b
    assert m.ran == ("a", "b") and m.skipped == {"c": "why"} and m.worst is Severity.ERROR


def test_report_rejects_non_findings():
    with pytest.raises(TypeError, match="Received: str"):
        Report(["model.frozen"])


def test_public_api_exports_resolve():
    for name in kerasdoc.__all__:
        assert getattr(kerasdoc, name) is not None
    exported = set()
    import importlib
    for module in kerasdoc._SUBPACKAGES:
        exported |= set(importlib.import_module(module).__all__)
    assert exported == set(kerasdoc._EXPORTS)


class _Task:
    """A stand-in task profile: anything with `describe()` (and maybe `to_dict()`)."""

    def describe(self):
        return "regression of 1 target (loss mse on a linear output)"

    def to_dict(self):
        return {"kind": "regression", "n_targets": 1}


def _boom():
    try:
        raise RuntimeError("probe exploded")
    except RuntimeError as exc:
        return exc


def test_failed_is_separate_from_skipped_in_every_rendering():
    from kerasdoc.findings._report import failure

    r = Report([Finding("optim.vanilla_sgd")], ran=["a"], skipped={"b": "no labels"},
               failed={"probes": failure(_boom())})
    assert not r.complete and "probes" not in r.skipped
    assert r.failed["probes"]["type"] == "RuntimeError"
    assert r.failed["probes"]["message"] == "probe exploded"
    assert "Traceback" in r.failed["probes"]["traceback"]
    assert "_boom" in r.failed["probes"]["traceback"]
    text = r.to_text(color=False)
    assert text.splitlines()[0].endswith("1 info, 1 FAILED")
    assert "FAILED probes: RuntimeError: probe exploded" in text
    assert "skipped b: no labels" in text
    data = json.loads(r.to_json())
    assert data["summary"]["failed"] == 1 and data["summary"]["complete"] is False
    assert data["failed"]["probes"]["type"] == "RuntimeError"
    assert data["skipped"] == {"b": "no labels"}
    page = r.to_html()
    assert "FAILED</b> <code>probes</code>: RuntimeError: probe exploded" in page
    assert "<details><summary>traceback</summary>" in page
    assert "failed with" not in r.skipped.get("probes", "")


def test_failed_without_findings_is_not_no_problems_found():
    r = Report([], failed={"data": {"type": "ValueError", "message": "bad", "traceback": ""}})
    text = r.to_text(color=False)
    assert "  no problems found\n" not in text + "\n"
    assert "1 failed, so the report is incomplete" in text
    assert "No problems found.</p>" not in r.to_html()
    assert "report is incomplete" in r.to_html()
    # An exception object is accepted and turned into the entry.
    assert Report(failed={"x": _boom()}).failed["x"]["message"] == "probe exploded"


def test_failed_and_task_are_validated():
    with pytest.raises(TypeError, match="Received: failed"):
        Report(failed=["data"])
    with pytest.raises(TypeError, match=r"Received: failed\['data'\]"):
        Report(failed={"data": "boom"})
    with pytest.raises(TypeError, match="Received: task="):
        Report(task="regression")


def test_task_line_opens_every_rendering():
    r = Report([Finding("optim.vanilla_sgd")], task=_Task())
    assert r.to_text(color=False).splitlines()[0] == (
        "task: regression of 1 target (loss mse on a linear output)")
    data = json.loads(r.to_json())
    assert list(data)[0] == "task"
    assert data["task"] == {"kind": "regression", "n_targets": 1,
                            "description": _Task().describe()}
    page = r.to_html()
    assert page.index("task: regression") < page.index("<h3>")
    assert Report().to_text(color=False).startswith("kerasdoc report")


def test_merge_keeps_failed_and_task():
    from kerasdoc.findings._report import failure

    a = Report([Finding("optim.vanilla_sgd")], failed={"a": failure(_boom())})
    b = Report([Finding("model.frozen")], failed={"b": failure(_boom())}, task=_Task())
    m = a.merge(b)
    assert set(m.failed) == {"a", "b"} and m.task is b.task and not m.complete
    assert (a + Report()).failed == a.failed
    with pytest.raises(TypeError, match="Received: str"):
        a.merge("b")
