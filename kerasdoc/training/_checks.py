"""The `train.*` checks in the registry: the live detectors with their settings.

Each check wraps a pure detector of `kerasdoc.training._detectors` or
`_curves` (history arrays in, findings out); its settings dataclass holds each
threshold's default, bounds and doc once. The `Doctor`'s keyword arguments
(`dead_relu_fraction=...`) are aliases of these settings.
"""

import dataclasses

from kerasdoc._registry import CLASSIFICATION, Settings, default_of, register, setting
from kerasdoc.training import _curves, _detectors

_T = "tests/training/test_detectors.py::"
_LIVE = "tests/training/test_live.py::"
_R = "tests/test_registry.py::"
_SILENT = (_T + "test_healthy_history_is_silent",
           _LIVE + "test_healthy_walkthrough_runs_are_silent")


def _call(detector, history, settings):
    return detector(history, **dataclasses.asdict(settings))


@register("train.nonfinite", part="training", needs=("training_run",),
          fires=(_T + "test_nonfinite_names_first_layer_and_step",
                 _LIVE + "test_nan_injected_at_a_layer_is_located_and_stops_training"),
          silent=_SILENT,
          remedy="cure_cause")
def nonfinite(history, *, settings):
    """A NaN/Inf anywhere; names where it appeared first."""
    return _detectors.detect_nonfinite(history)


@dataclasses.dataclass(frozen=True)
class ExplodingGradients(Settings):
    threshold: float = setting(
        default_of(_detectors.detect_exploding_gradients, "threshold"),
        "global gradient norm counted as exploding",
        minimum=0.0, exclusive_minimum=True)
    growth: float = setting(
        default_of(_detectors.detect_exploding_gradients, "growth"),
        "growth of the global gradient norm over the first "
        "check counted as exploding",
        minimum=0.0, exclusive_minimum=True)


@register("train.exploding_gradients", part="training", needs=("training_run",),
          settings=ExplodingGradients,
          fires=(_T + "test_exploding_by_threshold_and_growth",
                 _LIVE + "test_exploding_gradients_and_stop_on"),
          silent=_SILENT,
          remedy="cure_cause")
def exploding_gradients(history, *, settings):
    """Global gradient norm above a threshold or grown by a factor."""
    return _call(_detectors.detect_exploding_gradients, history, settings)


@dataclasses.dataclass(frozen=True)
class VanishingGradients(Settings):
    ratio: float = setting(
        default_of(_detectors.detect_vanishing_gradients, "ratio"),
        "an earlier layer's median gradient norm below this "
        "times the last layer's is vanishing",
        minimum=0.0, exclusive_minimum=True)


@register("train.vanishing_gradients", part="training", needs=("training_run",),
          settings=VanishingGradients,
          fires=(_T + "test_vanishing", _LIVE + "test_zero_init_freezes_hidden_layer"),
          silent=_SILENT,
          remedy="cure_cause")
def vanishing_gradients(history, *, settings):
    """Early layers' gradient norms orders of magnitude below the last layer's."""
    return _call(_detectors.detect_vanishing_gradients, history, settings)


@dataclasses.dataclass(frozen=True)
class DeadRelu(Settings):
    fraction: float = setting(
        default_of(_detectors.detect_dead_relu, "fraction"),
        "share of a ReLU layer's units that never fired in "
        "an epoch above which it is reported",
        minimum=0.0, maximum=1.0)


@register("train.dead_relu", part="training", needs=("training_run",), settings=DeadRelu,
          fires=(_T + "test_dead_relu_only_on_relu_layers_at_epoch_end",
                 _LIVE + "test_huge_negative_bias_kills_relu"),
          silent=_SILENT,
          remedy="cure_cause")
def dead_relu(history, *, settings):
    """A large share of a ReLU layer's units never fired during an epoch."""
    return _call(_detectors.detect_dead_relu, history, settings)


@dataclasses.dataclass(frozen=True)
class SaturatedActivations(Settings):
    fraction: float = setting(
        default_of(_detectors.detect_saturated_activations, "fraction"),
        "median share of saturated outputs above which a "
        "tanh/sigmoid layer is reported",
        minimum=0.0, maximum=1.0)


@register("train.saturated_activations", part="training", needs=("training_run",),
          settings=SaturatedActivations,
          fires=(_T + "test_saturated", _LIVE + "test_sigmoid_saturation_from_large_init"),
          silent=_SILENT,
          remedy="cure_cause")
def saturated_activations(history, *, settings):
    """Tanh/sigmoid outputs stuck at their asymptotes."""
    return _call(_detectors.detect_saturated_activations, history, settings)


@dataclasses.dataclass(frozen=True)
class LogitsBlowup(Settings):
    threshold: float = setting(
        default_of(_detectors.detect_logits_blowup, "threshold"),
        "|logit| before a softmax/sigmoid above which "
        "logits blew up",
        minimum=0.0, exclusive_minimum=True)


@register("train.logits_blowup", part="training", needs=("training_run",),
          settings=LogitsBlowup,
          fires=(_T + "test_logits_blowup",
                 _R + "test_logits_blowup_fires_through_the_runner_and_obeys_its_setting"),
          silent=_SILENT,
          remedy="cure_cause")
def logits_blowup(history, *, settings):
    """Logits before a softmax/sigmoid so large that it saturates."""
    return _call(_detectors.detect_logits_blowup, history, settings)


@dataclasses.dataclass(frozen=True)
class LossDiverging(Settings):
    factor: float = setting(
        default_of(_curves.detect_loss_diverging, "factor"),
        "loss (over two checks) above this times its running "
        "minimum, or its square times the first step's, is "
        "diverging", minimum=1.0)
    window: int = setting(
        default_of(_curves.detect_loss_diverging, "window"),
        "that many consecutive rising checks is diverging too",
        minimum=2, integer=True)


@register("train.loss_diverging", part="training", needs=("training_run",),
          settings=LossDiverging,
          fires=(_T + "test_loss_diverging_jump_and_steady_rise",
                 _LIVE + "test_learning_rate_10_diverges"),
          silent=(_T + "test_loss_diverging_silent_on_a_one_batch_initial_loss",) + _SILENT,
          remedy="cure_cause")
def loss_diverging(history, *, settings):
    """The loss jumps by orders of magnitude or rises steadily."""
    return _call(_curves.detect_loss_diverging, history, settings)


@dataclasses.dataclass(frozen=True)
class LossOscillating(Settings):
    window: int = setting(
        default_of(_curves.detect_loss_oscillating, "window"),
        "checks looked at for oscillation", minimum=3, integer=True)
    amplitude: float = setting(
        default_of(_curves.detect_loss_oscillating, "amplitude"),
        "mean swing between checks, relative to the mean "
        "loss, above which trendless swings are oscillation",
        minimum=0.0, exclusive_minimum=True)


@register("train.loss_oscillating", part="training", needs=("training_run",),
          settings=LossOscillating, fires=(_T + "test_loss_oscillating",), silent=_SILENT,
          remedy="cure_cause")
def loss_oscillating(history, *, settings):
    """The loss swings without a trend."""
    return _call(_curves.detect_loss_oscillating, history, settings)


@dataclasses.dataclass(frozen=True)
class LossPlateau(Settings):
    window: int = setting(
        default_of(_curves.detect_loss_plateau, "window"),
        "checks looked at for a plateau", minimum=2, integer=True)
    tolerance: float = setting(
        default_of(_curves.detect_loss_plateau, "tolerance"),
        "relative improvement over the window below which "
        "the loss is stalled", minimum=0.0)
    fraction: float = setting(
        default_of(_curves.detect_loss_plateau, "fraction"),
        "a stalled loss above this share of the first "
        "check's loss is a plateau", minimum=0.0)


@register("train.loss_plateau", part="training", needs=("training_run",),
          settings=LossPlateau,
          fires=(_T + "test_loss_plateau", _LIVE + "test_zero_init_plateau"),
          silent=_SILENT,
          remedy="cure_cause")
def loss_plateau(history, *, settings):
    """The loss stalls far above where it started."""
    return _call(_curves.detect_loss_plateau, history, settings)


@dataclasses.dataclass(frozen=True)
class WeightsUnchanged(Settings):
    checks: int = setting(
        default_of(_detectors.detect_weights_unchanged, "checks"),
        "consecutive checks with a layer's update exactly zero "
        "before its weights count as unchanged",
        minimum=1, integer=True)


@register("train.weights_unchanged", part="training", needs=("training_run",),
          settings=WeightsUnchanged,
          fires=(_T + "test_weights_unchanged_layer_and_frozen_model",
                 _LIVE + "test_frozen_model"),
          silent=_SILENT)
def weights_unchanged(history, *, settings):
    """No trainable weights, or a layer's update stays exactly zero."""
    return _call(_detectors.detect_weights_unchanged, history, settings)


@dataclasses.dataclass(frozen=True)
class UpdateRatio(Settings):
    low: float = setting(
        default_of(_detectors.detect_update_ratio, "low"),
        "median update/weight norm ratio below this is reported",
        minimum=0.0)
    high: float = setting(
        default_of(_detectors.detect_update_ratio, "high"),
        "median update/weight norm ratio above this is reported",
        minimum=0.0, exclusive_minimum=True)

    def __post_init__(self):
        super().__post_init__()
        if self.low >= self.high:
            from kerasdoc._errors import InvalidInputError

            raise InvalidInputError(
                "`settings['train.update_ratio']['low']` must be below `high`. "
                f"Received: low={self.low}, high={self.high}")


@register("train.update_ratio", part="training", needs=("training_run",),
          settings=UpdateRatio,
          fires=(_T + "test_update_ratio",
                 _R + "test_update_ratio_fires_through_the_runner_and_obeys_its_setting"),
          silent=_SILENT)
def update_ratio(history, *, settings):
    """A layer's median update/weight norm ratio far from ~1e-3."""
    return _call(_detectors.detect_update_ratio, history, settings)


@dataclasses.dataclass(frozen=True)
class Overfitting(Settings):
    patience: int = setting(
        default_of(_curves.detect_overfitting, "patience"),
        "epochs of rising validation loss", minimum=1, integer=True)
    tolerance: float = setting(
        default_of(_curves.detect_overfitting, "tolerance"),
        "validation loss must end this much (relative) above "
        "its minimum", minimum=0.0)


@register("train.overfitting", part="training",
          needs=("training_run", "validation_data"), settings=Overfitting,
          fires=(_T + "test_overfitting_and_loss_accuracy_divergence",), silent=_SILENT)
def overfitting(history, *, settings):
    """Validation loss rises while training loss falls."""
    return _curves.by_output(_curves.detect_overfitting, history,
                             **dataclasses.asdict(settings))


@dataclasses.dataclass(frozen=True)
class LossAccuracyDivergence(Settings):
    patience: int = setting(
        default_of(_curves.detect_loss_accuracy_divergence, "patience"),
        "epochs of rising validation loss and accuracy",
        minimum=1, integer=True)


@register("train.loss_accuracy_divergence", part="training",
          tasks=CLASSIFICATION + ("sequence",),
          needs=("training_run", "validation_data"), settings=LossAccuracyDivergence,
          fires=(_T + "test_overfitting_and_loss_accuracy_divergence",), silent=_SILENT)
def loss_accuracy_divergence(history, *, settings):
    """Validation loss and validation accuracy both rise (over-confidence)."""
    return _curves.by_output(_curves.detect_loss_accuracy_divergence, history,
                             classification_only=True, **dataclasses.asdict(settings))


@dataclasses.dataclass(frozen=True)
class ValidationGap(Settings):
    gap: float = setting(
        default_of(_curves.detect_validation_gap, "gap"),
        "validation accuracy above training accuracy by more than "
        "this is a gap", minimum=0.0)
    skip_epochs: int = setting(
        default_of(_curves.detect_validation_gap, "skip_epochs"),
        "first epochs ignored (their training metric is an "
        "average over a moving model)", minimum=0, integer=True)
    epochs: int = setting(
        default_of(_curves.detect_validation_gap, "epochs"),
        "epochs running the gap must last", minimum=1, integer=True)


@register("train.validation_gap", part="training", tasks=CLASSIFICATION + ("sequence",),
          needs=("training_run", "validation_data"), settings=ValidationGap,
          fires=(_T + "test_validation_gap",
                 _LIVE + "test_validation_gap_from_noisy_training_labels"),
          silent=_SILENT)
def validation_gap(history, *, settings):
    """Validation accuracy far above training accuracy."""
    return _curves.by_output(_curves.detect_validation_gap, history,
                             classification_only=True, **dataclasses.asdict(settings))


@dataclasses.dataclass(frozen=True)
class SharpnessUnstable(Settings):
    factor: float = setting(
        default_of(_detectors.detect_sharpness_unstable, "factor"),
        "median sharpness above this times the optimizer's stability bound "
        "is past the edge of stability", minimum=1.0)
    estimates: int = setting(
        default_of(_detectors.detect_sharpness_unstable, "estimates"),
        "fewest estimates whose median is judged", minimum=1, integer=True)
    span: int = setting(
        default_of(_detectors.detect_sharpness_unstable, "span"),
        "fewest steps those estimates must span (a catapult of a few steps "
        "recovers by itself)", minimum=1, integer=True)
    tolerance: float = setting(
        default_of(_detectors.detect_sharpness_unstable, "tolerance"),
        "the mean loss over those steps must be lower than over as many "
        "steps before by more than this (relative) to stay silent",
        minimum=0.0)
    # How the Doctor measures (not judged by the detector): the same values
    # as the Doctor's `sharpness_*` keywords, so that `diagnose(settings=...)`
    # can turn the estimates on.
    every: int = setting(
        0, "steady interval in steps between sharpness estimates (dense "
        "early, see the Doctor's `sharpness_every`); 0 turns them off",
        minimum=0, integer=True)
    iterations: int = setting(
        2, "power iterations per sharpness estimate (warm-started)",
        minimum=1, integer=True)
    sample: int = setting(
        32, "at most this many examples of the batch per estimate",
        minimum=1, integer=True)
    trace_samples: int = setting(
        0, "Rademacher vectors per Hutchinson estimate of the Hessian's "
        "trace; 0 for none", minimum=0, integer=True)


# The settings above that the detector judges with (the rest are the
# Doctor's measuring schedule).
_SHARPNESS_JUDGED = ("factor", "estimates", "span", "tolerance")


_C = "tests/training/test_curvature.py::"


@register("train.sharpness_unstable", part="training", needs=("training_run",),
          settings=SharpnessUnstable,
          fires=(_C + "test_sharpness_finding_fires_past_the_bound_with_a_stalled_loss",),
          silent=(_C + "test_sharpness_finding_silent_at_the_edge_and_while_learning",
                  _LIVE + "test_healthy_walkthrough_runs_are_silent"),
          remedy="cure_cause")
def sharpness_unstable(history, *, settings):
    """Sharpness far above the optimizer's stability bound while the loss stalls."""
    return _detectors.detect_sharpness_unstable(
        history, **{k: getattr(settings, k) for k in _SHARPNESS_JUDGED})
