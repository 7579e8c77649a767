"""kerasdoc: finds why a Keras 3 / TensorFlow network trains badly.

Public names are re-exported here from the subpackages (`kerasdoc.data`,
`kerasdoc.model`, `kerasdoc.probes`, `kerasdoc.training`, `kerasdoc.plot`,
`kerasdoc.findings`). They are imported lazily, so `import kerasdoc` (and the
command line's `--help`) does not pay for importing TensorFlow.
"""

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = (
    "kerasdoc._errors",
    "kerasdoc.findings",
    "kerasdoc.data",
    "kerasdoc.model",
    "kerasdoc.probes",
    "kerasdoc.training",
    "kerasdoc.plot",
    "kerasdoc._diagnose",
    "kerasdoc._task",
    "kerasdoc._registry",
    "kerasdoc._verify",
)

# name -> module that defines it. A test checks this equals the union of the
# subpackages' __all__.
_EXPORTS = {
    "KerasDocError": "kerasdoc._errors",
    "InvalidInputError": "kerasdoc._errors",
    "InvalidTypeError": "kerasdoc._errors",
    "DataIntegrityError": "kerasdoc._errors",
    "FindingsError": "kerasdoc._errors",
    "CATALOGUE": "kerasdoc.findings",
    "Finding": "kerasdoc.findings",
    "Report": "kerasdoc.findings",
    "Severity": "kerasdoc.findings",
    "describe": "kerasdoc.findings",
    "is_known_code": "kerasdoc.findings",
    # -- kerasdoc.data: subset builder and persistence (issue 2) --
    "LoadedSubset": "kerasdoc.data",
    "Subset": "kerasdoc.data",
    "load_subset": "kerasdoc.data",
    "save_subset": "kerasdoc.data",
    "stratified_subset": "kerasdoc.data",
    # -- kerasdoc.data: data audit (issue 4) --
    "check_data": "kerasdoc.data",
    # -- kerasdoc.model (issue 3) --
    "audit_model": "kerasdoc.model",
    "check_preprocessing": "kerasdoc.model",
    "DEFAULT_LR_RANGES": "kerasdoc.model",
    "FAMILIES": "kerasdoc.model",
    # -- kerasdoc.probes (issue 5) --
    "BatchMixingResult": "kerasdoc.probes",
    "GradientCheckResult": "kerasdoc.probes",
    "InitialLossResult": "kerasdoc.probes",
    "InputIndependenceResult": "kerasdoc.probes",
    "LRRangeResult": "kerasdoc.probes",
    "OverfitResult": "kerasdoc.probes",
    "ProbeResult": "kerasdoc.probes",
    "batch_mixing": "kerasdoc.probes",
    "gradient_check": "kerasdoc.probes",
    "initial_loss": "kerasdoc.probes",
    "input_independence": "kerasdoc.probes",
    "lr_range_test": "kerasdoc.probes",
    "overfit_batch": "kerasdoc.probes",
    "sanity_check": "kerasdoc.probes",
    # -- kerasdoc.training (issue 6) --
    "Doctor": "kerasdoc.training",
    "clip_gradients": "kerasdoc.training",
    # -- kerasdoc.plot and diagnose (issue 7) --
    "ActivationStatsDisplay": "kerasdoc.plot",
    "ConfusionMatrixDisplay": "kerasdoc.plot",
    "GradientFlowDisplay": "kerasdoc.plot",
    "SharpnessDisplay": "kerasdoc.plot",
    "SinglePredictionDisplay": "kerasdoc.plot",
    "SubsetDisplay": "kerasdoc.plot",
    "TopLossesDisplay": "kerasdoc.plot",
    "TrainingCurvesDisplay": "kerasdoc.plot",
    "figures_html": "kerasdoc.plot",
    "write_html_report": "kerasdoc.plot",
    "diagnose": "kerasdoc._diagnose",
    # -- the task profile (issue 12) --
    "TASK_KINDS": "kerasdoc._task",
    "Task": "kerasdoc._task",
    "infer_task": "kerasdoc._task",
    # -- the registry of checks (issue 12) --
    "checks": "kerasdoc._registry",
    # -- verified fixes (issue 14) --
    "verify": "kerasdoc._verify",
    "apply_fixes": "kerasdoc._verify",
}

__all__ = sorted(_EXPORTS) + ["datasets", "examples"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in ("datasets", "examples", "cli"):
        return importlib.import_module(f"kerasdoc.{name}")
    raise AttributeError(f"module 'kerasdoc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
