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
    assert len(CATALOGUE) == 47


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
    assert data["summary"] == {"errors": 1, "warnings": 1, "info": 1, "worst": "error"}
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
