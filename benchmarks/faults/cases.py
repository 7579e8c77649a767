"""All fault cases, one (or more) per injectable catalogue code.

Importing this module registers every case in `CASES` (name -> `FaultCase`).
`case.broken()` and `case.healthy()` each return a fresh `Program`: a model
builder, the data and the fit settings. The cases live in three modules by
area: `cases_data` (data.*, preprocess.*), `cases_model` (model.*, optim.*)
and `cases_training` (probe.*, train.*); `cases_tasks` holds the programs on
other tasks than single-label classification (regression, reconstruction,
multi-label, multi-output) and the cases of their task-specific checks.
"""

from benchmarks.faults import (  # noqa: F401
    cases_data, cases_model, cases_tasks, cases_training)
from benchmarks.faults._program import CASES, ENTRIES, FaultCase, Program, case

__all__ = ["CASES", "ENTRIES", "FaultCase", "Program", "case", "fast_cases"]


def fast_cases():
    """The quick subset run by the test suite."""
    return {name: c for name, c in CASES.items() if c.fast}
