"""kerasdoc.probes: short, non-destructive experiments on a copy of a model.

`sanity_check` runs them all and returns a `Report`; each probe is also a
function of its own returning a result object with its numbers, `findings`
and `report` (and `plot(ax=None)` for curves).
"""

from kerasdoc.probes._batch_mixing import BatchMixingResult, batch_mixing
from kerasdoc.probes._gradient_check import GradientCheckResult, gradient_check
from kerasdoc.probes._initial_loss import InitialLossResult, initial_loss
from kerasdoc.probes._input_independence import (InputIndependenceResult,
                                                 input_independence)
from kerasdoc.probes._lr_range import LRRangeResult, lr_range_test
from kerasdoc.probes._overfit import OverfitResult, overfit_batch
from kerasdoc.probes._result import ProbeResult
from kerasdoc.probes._sanity import PROBES, sanity_check

__all__ = [
    "BatchMixingResult",
    "GradientCheckResult",
    "InitialLossResult",
    "InputIndependenceResult",
    "LRRangeResult",
    "OverfitResult",
    "ProbeResult",
    "batch_mixing",
    "gradient_check",
    "initial_loss",
    "input_independence",
    "lr_range_test",
    "overfit_batch",
    "sanity_check",
]
