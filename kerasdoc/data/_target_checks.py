"""The task-specific `data.*` checks of the targets, in the registry.

Their decision functions are the pure judges of `kerasdoc.data._targets`;
the data runner hands them the training targets and the task. Each default
is read from the judge's signature (written once there).
"""

import dataclasses

from kerasdoc._registry import Settings, default_of, register, setting
from kerasdoc.data import _targets

_T = "tests/data/test_targets.py::"


def _d(function, name):
    return default_of(function, name)


@dataclasses.dataclass(frozen=True)
class TargetScale(Settings):
    max_scale: float = setting(
        _d(_targets.check_target_scale, "max_scale"),
        "fires when a target's root mean square exceeds this", minimum=0.0,
        exclusive_minimum=True)
    min_spread: float = setting(
        _d(_targets.check_target_scale, "min_spread"),
        "fires when a varying target's standard deviation and root mean square are "
        "both below this", minimum=0.0)
    max_ratio: float = setting(
        _d(_targets.check_target_scale, "max_ratio"),
        "fires when the spreads of several targets differ by more than this ratio",
        minimum=1.0)


@register("data.target_scale", part="data", tasks=("regression",), needs=("labels",),
          settings=TargetScale,
          fires=(_T + "test_target_scale_fires_on_targets_in_small_units",
                 _T + "test_target_scale_fires_on_tiny_and_on_mixed_spreads",
                 _T + "test_check_data_regression_fires_target_checks",
                 _T + "test_check_data_multi_output_heads_get_their_task_checks"),
          silent=(_T + "test_target_scale_silent_on_raw_diabetes_and_linnerud",
                  _T + "test_check_data_regression_twin_is_silent",
                  _T + "test_check_data_multi_output_heads_get_their_task_checks"),
          remedy="standardise_targets")
def target_scale(y, loss, *, settings):
    """Regression targets far from unit scale (or of very different scales)."""
    return _targets.check_target_scale(y, loss=loss, max_scale=settings.max_scale,
                                       min_spread=settings.min_spread,
                                       max_ratio=settings.max_ratio)


@register("data.constant_target", part="data", tasks=("multiclass", "binary", "regression"),
          needs=("labels",),
          fires=(_T + "test_constant_target_fires_on_a_constant_column",
                 _T + "test_constant_target_on_classes",
                 _T + "test_check_data_regression_fires_target_checks"),
          silent=(_T + "test_constant_target_silent_on_real_targets",
                  _T + "test_check_data_regression_twin_is_silent"))
def constant_target(y, classes, *, settings):
    """Every target (or every sample's class) takes one value: nothing to learn."""
    return _targets.check_constant_target(y, classes=classes)


@dataclasses.dataclass(frozen=True)
class MultilabelEmpty(Settings):
    max_fraction: float = setting(
        _d(_targets.check_multilabel_empty, "max_fraction"),
        "fires when more than this fraction of the multi-hot rows have no label on",
        minimum=0.0, maximum=1.0)


@register("data.multilabel_empty", part="data", tasks=("multilabel",), needs=("labels",),
          settings=MultilabelEmpty,
          fires=(_T + "test_multilabel_empty_fires_when_most_rows_are_empty",
                 _T + "test_check_data_multilabel_fires_per_label_checks"),
          silent=(_T + "test_multilabel_empty_silent_on_digit_properties",
                  _T + "test_check_data_multilabel_twin_is_silent"))
def multilabel_empty(y, *, settings):
    """Most multi-hot target rows have no label on."""
    return _targets.check_multilabel_empty(y, max_fraction=settings.max_fraction)


@dataclasses.dataclass(frozen=True)
class LabelImbalance(Settings):
    imbalance_ratio: float = setting(
        _d(_targets.check_label_imbalance, "imbalance_ratio"),
        "fires when a label's negatives outnumber its positives (or the reverse) by "
        "more than this, or when a label is never or always on", minimum=1.0)
    min_samples: int = setting(
        _d(_targets.check_label_imbalance, "min_samples"),
        "rows needed to judge the per-label ratios", minimum=1, integer=True)


@register("data.label_imbalance", part="data", tasks=("multilabel",), needs=("labels",),
          settings=LabelImbalance,
          fires=(_T + "test_label_imbalance_fires_on_a_rare_and_a_missing_label",
                 _T + "test_check_data_multilabel_fires_per_label_checks"),
          silent=(_T + "test_label_imbalance_silent_on_digit_properties",
                  _T + "test_check_data_multilabel_twin_is_silent"))
def label_imbalance(y, *, settings):
    """Multi-label targets with a label never on, always on, or very rarely on."""
    return _targets.check_label_imbalance(y, imbalance_ratio=settings.imbalance_ratio,
                                          min_samples=settings.min_samples)
