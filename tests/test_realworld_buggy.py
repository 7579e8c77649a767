"""The buggy programs of the real-world corpus (`programs/bug_*`) are well formed.

Each declares its fault and the catalogue codes that name it, and builds a
compiled model for both the broken program and its fix, on the same data
shapes. Whether the fix trains better is measured in each module's NOTES
(minutes of training, so not here); whether kerasdoc finds the fault is the
scorer's job (`python -m benchmarks.realworld.score --buggy`).
"""

import numpy as np
import pytest

from benchmarks.realworld import programs
from benchmarks.realworld._program import RealProgram

BUGGY = [name for name in programs.names() if name.startswith("bug_")]


def test_at_least_fifteen_buggy_programs():
    assert len(BUGGY) >= 15, BUGGY


@pytest.mark.parametrize("name", BUGGY)
def test_buggy_program_declares_its_fault(name):
    import kerasdoc

    module = programs.load(name)
    assert module.HEALTHY is False
    assert module.FAULT and "\n" not in module.FAULT
    assert module.EXPECTED, "EXPECTED must name at least one code"
    unknown = [c for c in module.EXPECTED if c not in kerasdoc.CATALOGUE]
    assert not unknown, f"EXPECTED holds codes outside the catalogue: {unknown}"
    assert ":" in module.SOURCE  # repository:path provenance
    assert "Measured" in module.NOTES  # the buggy/fixed numbers seen in a plain fit


@pytest.mark.parametrize("name", BUGGY)
def test_buggy_and_fixed_build_compiled_models_on_the_same_data_shapes(name):
    module = programs.load(name)
    broken, fixed = module.build(fixed=False), module.build(fixed=True)
    for program in (broken, fixed):
        assert isinstance(program, RealProgram)
        model = program.model_fn()
        assert model.compiled
        assert model.optimizer is not None
        assert len(program.x) == len(program.y)
        out = model(np.asarray(program.x[:4]))  # eager call: no predict-function tracing
        assert np.shape(out)[0] == 4
    assert np.shape(broken.x)[1:] == np.shape(fixed.x)[1:]
    assert np.shape(broken.y)[1:] == np.shape(fixed.y)[1:]
