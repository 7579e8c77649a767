"""The guides gallery (benchmarks/guides, issue 15): programs as the Keras guides write them.

The scorer (`python -m benchmarks.guides.score`) runs `diagnose` on every
program and compares the weights of a plain `fit` with a `fit` with the
Doctor attached. Here: every module's format and provenance, that the
gallery covers the issue's list, and the Doctor's bitwise weight equality
on the fast programs (the rest, and one full scorer run, are slow).
Diagnose on streams, dicts and token ids is also tested in
tests/test_diagnose_inputs.py.
"""

import pytest

from benchmarks.guides import programs, score

ISSUE_LIST = (
    "a tf.data text classifier with TextVectorization",
    "a multi-input, multi-output functional model with dict inputs and two losses",
    "a subclassed model",
    "a custom train_step with its own loss",
    "a model with a Lambda layer",
    "a model with a custom layer",
    "a PyDataset feeding images",
    "a generator",
    "jit_compile with steps_per_execution",
    "mixed precision",
    "sample weights",
    "class_weight",
    "token ids through an Embedding",
    "an autoencoder",
    "an unbuilt Sequential model, as fit receives it",
    "an unbuilt subclassed model, as fit receives it",
    "string inputs through TextVectorization inside the model",
)

NAMES = programs.names()
FAST = [n for n in NAMES if programs.load(n).FAST]


def test_gallery_covers_the_issue_list_with_provenance():
    assert len(NAMES) >= 16
    patterns = {programs.load(n).PATTERN for n in NAMES}
    assert set(ISSUE_LIST) <= patterns, set(ISSUE_LIST) - patterns
    for name in NAMES:
        module = programs.load(name)
        assert "https://keras.io/" in module.SOURCE, name
        assert module.NOTES and isinstance(module.FAST, bool), name
        assert callable(module.build), name


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in FAST
                                               else pytest.mark.slow) for n in NAMES])
def test_doctor_leaves_the_weights_bitwise_equal(name):
    module = programs.load(name)
    plain, _ = score.fitted_state(module, doctor=False)
    watched, doctor = score.fitted_state(module, doctor=True)
    assert score.bitwise_equal(plain, watched)
    assert not doctor.report.failed
    if name == "custom_train_step":  # the model's own step ran, watched from outside
        assert "gradient statistics" in doctor.report.skipped
    if name == "multi_io_tickets":  # each output's curves are read as well
        assert [n for n, _ in doctor.history["outputs"]] == ["priority", "department"]
        assert "epoch/department_loss" in doctor.history


@pytest.mark.slow
def test_scorer_end_to_end_on_a_program():
    result = score.run_one("string_inputs_in_model")
    assert result.ok, (result.alarms, result.failed, result.not_run, result.crash)
    table = score.format_table([result])
    assert "string_inputs_in_model" in table and "equal (bitwise)" in table
