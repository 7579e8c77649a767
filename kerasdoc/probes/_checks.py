"""The `probe.*` checks in the registry: each probe with its settings.

Each probe measures on a copy of the model (`measure_*`, a frozen evidence
object of plain numbers) and a pure `judge_*(evidence, settings, task)`
decides, tested on arrays as the live detectors are; each check here runs
one probe with the settings it exposes (defaults read from the probe's own
signature, so they are written once) and turns a probe that does not apply
into a skip with its reason.
"""

import dataclasses

from kerasdoc._registry import (CLASSIFICATION, Settings, Skip, default_of, register,
                                setting)
from kerasdoc.probes import _common
from kerasdoc.probes._batch_mixing import batch_mixing
from kerasdoc.probes._gradient_check import gradient_check
from kerasdoc.probes._initial_loss import initial_loss
from kerasdoc.probes._input_independence import input_independence
from kerasdoc.probes._lr_range import lr_range_test
from kerasdoc.probes._overfit import overfit_batch

_P = "tests/probes/"
# The finding code of each looping probe (for `truncated`).
CODES = {"overfit_batch": "probe.cannot_overfit_batch",
         "input_independence": "probe.input_independent",
         "lr_range_test": "probe.learning_rate"}
_NEEDS = ("compiled_model", "labels", "x")


def _outcome(probe, *args, **kwargs):
    """`(findings, reason)` of running `probe`: a reason when it was skipped.

    A probe that cannot run on this model (e.g. two copies of a model that
    cannot be copied) is skipped with the reason, not failed.
    """
    try:
        result = probe(*args, **kwargs)
    except _common.CANNOT_RUN as reason:
        raise Skip(str(reason)) from None
    if result.skipped:
        return [], result.skipped
    if getattr(result, "stopped", None) == "time_budget":
        return truncated(result, CODES.get(probe.__name__)), None
    return list(result.findings), None


def _steps(result):
    """Training steps a looping probe's result records."""
    for name in ("losses", "real_losses"):
        values = getattr(result, name, None)
        if values is not None:
            return len(values)
    return 0


def truncated(result, code):
    """The findings of a probe run that its time budget stopped: inconclusive, info.

    A loop stopped by the budget (its own `time_budget`, or the share of
    `diagnose`'s `budget_s` it was given) has not run long enough to judge
    the model: every finding it built is kept at `info`, its message
    prefixed "Inconclusive: budget spent after N steps", and
    `evidence["conclusive"] = False`. A run that found nothing gets one
    `info` finding of the probe's code saying so, so the user knows the
    probe did not finish.

    Args:
        result: the probe's result (`stopped == "time_budget"`).
        code: the probe's finding code.

    Returns:
        list of `Finding`, all at `info`.
    """
    from kerasdoc.findings import Finding

    steps = _steps(result)
    head = f"Inconclusive: budget spent after {steps} steps"
    extra = {"conclusive": False, "stopped": "time_budget", "steps": steps}
    findings = []
    for f in result.findings:
        findings.append(f.replace(
            severity="info", message=f"{head}, so this is not a verdict. {f.message}",
            evidence={**dict(f.evidence), **extra}))
    if not findings and code is not None:
        findings.append(Finding(
            code, severity="info",
            message=(f"{head}, before the probe could decide; nothing is concluded "
                     "about the model."),
            evidence=extra,
            fix=("Give diagnose a larger budget_s (or run the probe on its own) "
                 "to settle it.")))
    return findings


@dataclasses.dataclass(frozen=True)
class InitialLoss(Settings):
    tolerance: float = setting(default_of(initial_loss, "tolerance"),
                               "relative gap between the measured initial loss and "
                               "the expected one above which it fires", minimum=0.0,
                               exclusive_minimum=True)
    n_samples: int = setting(default_of(initial_loss, "n_samples"),
                             "samples the initial loss is measured on", minimum=1,
                             integer=True)


@register("probe.initial_loss", part="probes", tasks=CLASSIFICATION + ("sequence",),
          needs=_NEEDS, settings=InitialLoss, aliases=("initial_loss",),
          fires=(_P + "test_initial_loss.py::test_fires_on_output_scaled_by_100",),
          silent=(_P + "test_initial_loss.py::test_silent_on_baseline",))
def initial_loss_check(model, x, y, batch_size, seed, *, settings, task=None):
    """Loss at initialisation far from -ln(1/C) or the label prior's entropy."""
    return _outcome(initial_loss, model, x, y, seed=seed, task=task,
                    tolerance=settings.tolerance, n_samples=settings.n_samples)


@dataclasses.dataclass(frozen=True)
class BatchMixing(Settings):
    tolerance: float = setting(default_of(batch_mixing, "tolerance"),
                               "gradient reaching another sample's input above this "
                               "is mixing", minimum=0.0)
    n_checks: int = setting(default_of(batch_mixing, "n_checks"),
                            "samples whose loss gradient is checked", minimum=1,
                            integer=True)


@register("probe.batch_mixing", part="probes", needs=("compiled_model", "x"),
          settings=BatchMixing, aliases=("batch_mixing",),
          fires=(_P + "test_batch_mixing.py::test_fires_on_a_layer_that_rolls_the_batch",),
          silent=(_P + "test_batch_mixing.py::test_silent_on_baseline",))
def batch_mixing_check(model, x, y, batch_size, seed, *, settings, task=None):
    """Sample i's loss gradient reaches other samples' inputs."""
    return _outcome(batch_mixing, model, x, batch_size=max(2, min(batch_size, 8)),
                                 seed=seed, tolerance=settings.tolerance,
                                 n_checks=settings.n_checks)


@dataclasses.dataclass(frozen=True)
class GradientCheck(Settings):
    tolerance: float = setting(default_of(gradient_check, "tolerance"),
                               "relative gap between autodiff and finite differences "
                               "above which it fires", minimum=0.0, exclusive_minimum=True)
    epsilon: float = setting(default_of(gradient_check, "epsilon"),
                             "finite-difference step", minimum=0.0, exclusive_minimum=True)
    n_samples: int = setting(default_of(gradient_check, "n_samples"),
                             "samples the gradients are compared on", minimum=1,
                             integer=True)


@register("probe.gradient_check", part="probes", needs=_NEEDS, settings=GradientCheck,
          aliases=("gradient_check",),
          fires=(_P + "test_gradient_check.py::"
                 "test_fires_on_a_custom_gradient_twice_too_large",),
          silent=(_P + "test_gradient_check.py::test_silent_on_the_correct_custom_gradient",))
def gradient_check_check(model, x, y, batch_size, seed, *, settings, task=None):
    """Autodiff and finite-difference gradients of custom layers/losses disagree."""
    return _outcome(gradient_check, model, x, y, seed=seed, tolerance=settings.tolerance,
                                   epsilon=settings.epsilon, n_samples=settings.n_samples)


@dataclasses.dataclass(frozen=True)
class CannotOverfitBatch(Settings):
    max_steps: int = setting(default_of(overfit_batch, "max_steps"),
                             "training steps on the one batch", minimum=1, integer=True)
    target_ratio: float = setting(default_of(overfit_batch, "target_ratio"),
                                  "the batch counts as memorised when the loss falls "
                                  "below this share of its initial value",
                                  minimum=0.0, maximum=1.0, exclusive_minimum=True)
    patience: int = setting(default_of(overfit_batch, "patience"),
                            "steps without progress before giving up", minimum=1,
                            integer=True)


@register("probe.cannot_overfit_batch", part="probes", needs=_NEEDS,
          settings=CannotOverfitBatch, aliases=("overfit_batch",),
          fires=(_P + "test_overfit.py::test_fires_on_sgd_with_learning_rate_10",),
          silent=(_P + "test_overfit.py::test_silent_on_baseline",),
          remedy="cure_cause")
def overfit_check(model, x, y, batch_size, seed, *, settings, task=None):
    """The model cannot drive the loss on one small batch near zero."""
    return _outcome(overfit_batch, model, x, y, batch_size=min(batch_size, 16), seed=seed,
                    task=task, max_steps=settings.max_steps,
                    target_ratio=settings.target_ratio, patience=settings.patience)


@dataclasses.dataclass(frozen=True)
class InputIndependent(Settings):
    margin: float = setting(default_of(input_independence, "margin"),
                            "relative loss margin real inputs must win by",
                            minimum=0.0)
    z: float = setting(default_of(input_independence, "z"),
                       "paired per-sample z-score real inputs must win by", minimum=0.0)
    max_steps: int = setting(default_of(input_independence, "max_steps"),
                             "training steps of each copy", minimum=1, integer=True)


@register("probe.input_independent", part="probes", needs=_NEEDS,
          settings=InputIndependent, aliases=("input_independence",),
          fires=(_P + "test_input_independence.py::"
                 "test_fires_on_a_model_that_ignores_its_input",),
          silent=(_P + "test_input_independence.py::test_silent_on_baseline",),
          remedy="cure_cause")
def input_independence_check(model, x, y, batch_size, seed, *, settings, task=None):
    """The model does as well on zeroed inputs as on real ones."""
    return _outcome(input_independence, model, x, y, batch_size=batch_size, seed=seed,
                                       margin=settings.margin, z=settings.z,
                                       max_steps=settings.max_steps)


@dataclasses.dataclass(frozen=True)
class LearningRateProbe(Settings):
    diverge_factor: float = setting(default_of(lr_range_test, "diverge_factor"),
                                    "smoothed loss above this times its minimum is "
                                    "divergence", minimum=1.0, exclusive_minimum=True)
    below_factor: float = setting(default_of(lr_range_test, "below_factor"),
                                  "the configured rate this many times below the useful "
                                  "range is far below", minimum=1.0)
    min_drop: float = setting(default_of(lr_range_test, "min_drop"),
                              "relative loss drop that makes a rate useful",
                              minimum=0.0, maximum=1.0)
    max_steps: int = setting(default_of(lr_range_test, "max_steps"),
                             "steps of the range test", minimum=2, integer=True)


@register("probe.learning_rate", part="probes", needs=_NEEDS, settings=LearningRateProbe,
          aliases=("lr_range_test",),
          fires=(_P + "test_lr_range.py::test_fires_on_sgd_with_learning_rate_10",),
          silent=(_P + "test_lr_range.py::test_silent_on_baseline",),
          remedy="set_learning_rate")
def lr_range_check(model, x, y, batch_size, seed, *, settings, task=None):
    """The configured learning rate is beyond divergence or far below the useful range."""
    return _outcome(lr_range_test, model, x, y, batch_size=batch_size, seed=seed,
                                  diverge_factor=settings.diverge_factor,
                                  below_factor=settings.below_factor,
                                  min_drop=settings.min_drop,
                                  max_steps=settings.max_steps)
