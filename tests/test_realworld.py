"""The real-world corpus (benchmarks/realworld): its format, a fast slice that learns, the scorer.

Every program module must declare its provenance and substitutions; a handful
of the quickest healthy programs must build and really learn under a plain
`fit`; the scorer's summary (false alarms, recall, precision, slowest call) is
computed from results. The false-alarm count itself is not asserted here:
other work changes it; the full score is `python -m benchmarks.realworld.score`.
"""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `benchmarks` is not an installed package
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.realworld import programs, score  # noqa: E402
from benchmarks.realworld._program import RealProgram  # noqa: E402

ALL = programs.names()
# Quick programs (a plain fit of seconds each) of different kinds: multi-label,
# a time-series CNN regression, a custom train_step. mlm_blobs_full_batch (full-batch
# multiclass) learns in the end-to-end scorer test below; the rest of the corpus
# is the scorer's (`python -m benchmarks.realworld.score`), outside the suite's budget.
LEARN_SLICE = ["mlm_multilabel", "mlm_cnn_univariate", "custom_fit_train_step"]


def test_corpus_has_45_healthy_programs():
    healthy = [n for n in ALL if programs.load(n).HEALTHY]
    assert len(healthy) >= 45, len(healthy)


@pytest.mark.parametrize("name", ALL)
def test_module_format(name):
    module = programs.load(name)
    assert isinstance(module.SOURCE, str) and len(module.SOURCE) > 10, name
    assert isinstance(module.KIND, str) and module.KIND, name
    assert isinstance(module.HEALTHY, bool), name
    assert isinstance(module.NOTES, str) and module.NOTES.strip(), name
    assert callable(module.build), name
    if not module.HEALTHY:
        assert isinstance(module.FAULT, str) and module.FAULT, name
        assert isinstance(module.EXPECTED, tuple) and module.EXPECTED, name
        from kerasdoc import is_known_code

        assert all(is_known_code(code) for code in module.EXPECTED), name


def test_healthy_corpus_spans_the_kinds():
    kinds = {programs.load(n).KIND for n in ALL if programs.load(n).HEALTHY}
    for kind in ("regression", "binary", "multilabel", "multiclass", "tabular", "text",
                 "timeseries", "cnn", "transfer", "autoencoder", "multi_io", "subclassed",
                 "custom_layer", "custom_train_step", "full_batch", "sgd_momentum",
                 "lr_schedule"):
        assert kind in kinds, kind


@pytest.mark.slow
@pytest.mark.parametrize("name", LEARN_SLICE)
def test_fast_slice_builds_and_learns(name):
    module = programs.load(name)
    program = module.build()
    assert isinstance(program, RealProgram)
    learning = score.check_learning(program)
    assert learning.error is None, learning.error
    assert learning.loss_fell, learning.summary()
    assert learning.above_chance, learning.summary()


def test_task_score_rules():
    import numpy as np

    y = np.array([0, 1, 2, 1, 0, 2])
    perfect = np.eye(3)[y]
    metric, value, need = score.task_score(perfect, y)
    assert metric == "accuracy" and value == 1.0 and need == pytest.approx(1 / 3 + 0.25 * 2 / 3)
    metric, value, _ = score.task_score(np.full((6, 3), 1 / 3), np.eye(3)[y])
    assert metric == "accuracy"
    labels = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype="float32")
    metric, value, need = score.task_score(labels * 0.8 + 0.1, labels)
    assert metric == "auc" and value == 1.0 and need == score.MIN_AUC
    target = np.linspace(0, 1, 20)
    metric, value, _ = score.task_score(target, target)
    assert metric == "r2" and value == pytest.approx(1.0)
    metric, value, _ = score.task_score(np.full(20, target.mean()), target)
    assert metric == "r2" and value == pytest.approx(0.0)


def _result(name, healthy, findings=(), expected=(), crash=None, seconds=1.0, failed=()):
    return score.Result(name=name, source="s", kind="k", healthy=healthy,
                        expected=tuple(expected), findings=tuple(findings), crash=crash,
                        seconds=seconds, failed_parts=tuple(failed))


def test_summary_is_computed():
    results = [
        _result("quiet", True, [("optim.vanilla_sgd", "info")]),
        _result("alarmed", True, [("data.label_range", "error")], seconds=30.0),
        _result("crashed", True, crash="ValueError: boom"),
        _result("found", False, [("model.zero_init", "error"), ("train.dead_relu", "warning")],
                expected=("model.zero_init",)),
        _result("missed", False, [("data.label_range", "info")], expected=("model.zero_init",)),
    ]
    lines, figures = score.summarize(results, budget_s=60.0)
    assert figures["healthy"] == 3 and figures["healthy_alarmed"] == 1
    assert figures["healthy_crashed"] == 1
    assert figures["recall"] == 0.5
    assert figures["reported_codes"] == 2 and figures["relevant_codes"] == 1
    assert figures["precision"] == 0.5
    assert figures["slowest"] == "alarmed" and figures["slowest_s"] == 30.0
    assert results[1].false_alarms == ["data.label_range"]
    assert results[2].false_alarms == ["crash"]
    assert any(line.startswith("buggy: finding-level precision 1/2") for line in lines)
    assert any(line.startswith("slowest diagnose call: alarmed") for line in lines)


@pytest.mark.slow
def test_scorer_runs_one_program_end_to_end():
    """One quick program through diagnose as a user calls it, and the learning check."""
    # diagnose's path as the scorer calls it, with a budget small enough for the suite
    result = score.run_one("mlm_blobs_full_batch", programs.load("mlm_blobs_full_batch"),
                           budget_s=10)
    assert result.crash is None, result.crash
    assert result.seconds > 0
    assert result.learning is not None and result.learning.learned, result.learning.summary()
    assert all(isinstance(code, str) and severity in ("info", "warning", "error")
               for code, severity in result.findings)
    assert score.format_row(result).startswith("[H] mlm_blobs_full_batch")


def test_scorer_builds_the_model_at_the_programs_seed():
    """diagnose and the learning check both build the model after setting the
    program's seed (the initial weights a healthy program's run starts from)."""
    import numpy as np

    drawn = []

    def model_fn():
        drawn.append(np.random.rand())
        raise RuntimeError("stop after the seed is observed")

    for seed in (0, 1):
        drawn.clear()
        program = RealProgram(model_fn=model_fn, x=np.zeros((4, 2)), y=np.zeros(4),
                              seed=seed)
        with pytest.raises(RuntimeError):
            score.run_diagnose(program)
        assert score.check_learning(program).error is not None
        expected = np.random.RandomState(seed).rand()
        assert drawn == [expected, expected]
