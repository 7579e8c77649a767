"""The `model.*`, `optim.*` and `preprocess.*` checks in the registry.

Each check wraps a pure function of `kerasdoc.model` (a model, its output
description, its loss and labels in; findings out); its settings dataclass
reads each default from that function's signature, so a default is written
once. `audit_model`'s and `check_preprocessing`'s keyword arguments are
aliases of these settings.
"""

import dataclasses
from typing import Optional

from kerasdoc._registry import (CLASSIFICATION, Settings, default_of, register,
                                setting)
from kerasdoc.model import (_init_checks, _layers, _optim, _output_bias, _output_loss,
                            _preprocess)

_M = "tests/model/"
_INIT = _M + "test_model_init.py::"
_LAYERS = _M + "test_model_layers_optim.py::"
_OUT = _M + "test_model_output_loss.py::"
_PRE = _M + "test_model_preprocess.py::"
_BASELINE = _M + "test_model_audit.py::test_panel_walkthrough_baseline"


@dataclasses.dataclass(frozen=True)
class ZeroInit(Settings):
    constant_atol: float = setting(
        default_of(_init_checks.check_zero_init, "constant_atol"),
        "relative spread below which a kernel counts as constant", minimum=0.0)


@register("model.zero_init", part="model", settings=ZeroInit,
          fires=(_INIT + "test_zero_init_fires_on_the_walkthrough_zeros_relu_layer",),
          silent=(_INIT + "test_zero_init_silent_on_he_normal_twin",),
          remedy="reinit_kernels")
def zero_init(model, *, settings):
    """Kernels initialised to zeros or one constant."""
    return _init_checks.check_zero_init(model, constant_atol=settings.constant_atol)


@dataclasses.dataclass(frozen=True)
class InitActivation(Settings):
    he_saturating_min_layers: int = setting(
        default_of(_init_checks.check_init_activation, "he_saturating_min_layers"),
        "He-initialised tanh/sigmoid layers on one path that make a deep stack",
        minimum=1, integer=True)
    glorot_relu_min_layers: int = setting(
        default_of(_init_checks.check_init_activation, "glorot_relu_min_layers"),
        "Glorot-initialised ReLU layers on one path that make a deep stack",
        minimum=1, integer=True)
    fixed_scale_min_layers: int = setting(
        default_of(_init_checks.check_init_activation, "fixed_scale_min_layers"),
        "ReLU layers with a fixed-scale initialiser on one path that make a deep stack",
        minimum=1, integer=True)
    max_signal_factor: float = setting(
        default_of(_init_checks.check_init_activation, "max_signal_factor"),
        "factor by which fixed-scale ReLU layers may shrink or grow the signal's "
        "second moment along one path", minimum=1.0)


@register("model.init_activation_mismatch", part="model", settings=InitActivation,
          fires=(_INIT + "test_he_with_saturating_activation_fires_in_a_deep_stack",),
          silent=(_INIT + "test_he_with_relu_is_silent",),
          remedy="reinit_kernels")
def init_activation(model, *, settings):
    """He init with tanh/sigmoid, Glorot or a fixed-scale init with ReLU, in a deep stack."""
    return _init_checks.check_init_activation(
        model, he_saturating_min_layers=settings.he_saturating_min_layers,
        glorot_relu_min_layers=settings.glorot_relu_min_layers,
        fixed_scale_min_layers=settings.fixed_scale_min_layers,
        max_signal_factor=settings.max_signal_factor)


@register("model.missing_bias", part="model",
          fires=(_LAYERS + "test_missing_bias_fires_without_normalization",),
          silent=(_LAYERS + "test_missing_bias_silent_when_batchnorm_follows",))
def missing_bias(model, *, settings):
    """Dense/Conv without bias and no normalization after it."""
    return _layers.check_missing_bias(model)


@register("model.bias_regularized", part="model",
          fires=(_LAYERS + "test_bias_regularizer_fires_and_kernel_regularizer_is_silent",),
          silent=(_BASELINE,))
def bias_regularized(model, *, settings):
    """A bias regularizer is set."""
    return _layers.check_bias_regularizer(model)


@dataclasses.dataclass(frozen=True)
class DropoutRate(Settings):
    max_rate: float = setting(default_of(_layers.check_dropout, "max_rate"),
                              "highest dropout rate not reported", minimum=0.0,
                              maximum=1.0)


@register("model.dropout_rate", part="model", settings=DropoutRate,
          fires=(_LAYERS + "test_dropout_above_half_fires_and_half_is_silent",
                 _LAYERS + "test_dropout_on_conv_feature_maps_fires"),
          silent=(_LAYERS + "test_spatial_dropout_or_dropout_after_dense_or_embedding"
                            "_is_silent",))
def dropout_rate(model, *, settings):
    """Dropout above the rate, or plain dropout on conv feature maps."""
    return _layers.check_dropout(model, max_rate=settings.max_rate)


@dataclasses.dataclass(frozen=True)
class BatchnormSmallBatch(Settings):
    min_batch_size: int = setting(
        default_of(_layers.check_batchnorm_batch, "min_batch_size"),
        "smallest batch size for BatchNormalization", minimum=1, integer=True)


@register("model.batchnorm_small_batch", part="model", needs=("batch_size",),
          settings=BatchnormSmallBatch,
          fires=(_LAYERS + "test_batchnorm_small_batch_fires_below_16",),
          silent=(_LAYERS + "test_batchnorm_small_batch_silent_at_32_or_when_frozen",))
def batchnorm_small_batch(model, batch_size, *, settings):
    """BatchNormalization trained with small batches."""
    return _layers.check_batchnorm_batch(model, batch_size,
                                         min_batch_size=settings.min_batch_size)


@register("model.frozen", part="model",
          fires=(_LAYERS + "test_frozen_model_fires",),
          silent=(_LAYERS + "test_frozen_head_warns_and_frozen_backbone_is_silent",),
          remedy="unfreeze")
def frozen(model, output_layer, *, settings):
    """No trainable weights, or the layers a backbone would fine-tune are frozen."""
    return _layers.check_frozen(model, output_layer)


@register("model.output_activation", part="model",
          fires=(_OUT + "test_softmax_single_unit_is_an_error",),
          silent=(_OUT + "test_sigmoid_single_unit_binary_twin_is_silent",),
          remedy="pair_output_loss", evidence="model")
def output_activation(evidence, *, settings):
    """Output activation inconsistent with the loss or the labels."""
    return _output_loss.check_output_activation(evidence.output, evidence.loss,
                                                evidence.labels)


@register("model.activation_before_softmax", part="model",
          codes=("model.output_activation",),
          fires=(_OUT + "test_relu_before_softmax_fires",),
          silent=(_OUT + "test_linear_before_separate_softmax_is_silent",),
          remedy="pair_output_loss", evidence="model")
def activation_before_softmax(evidence, *, settings):
    """A relu/tanh/... layer squashes the logits before a separate softmax."""
    return _output_loss.check_activation_before_softmax(evidence.model, evidence.output)


@register("model.loss_mismatch", part="model", needs=("compiled_model",),
          fires=(_OUT + "test_mse_for_classification_fires",),
          silent=(_OUT + "test_mse_for_regression_is_silent",),
          remedy="pair_output_loss", evidence="model")
def loss_mismatch(evidence, *, settings):
    """The loss does not fit the output or the labels."""
    return _output_loss.check_loss(evidence.output, evidence.loss, evidence.labels)


@dataclasses.dataclass(frozen=True)
class OutputUnits(Settings):
    unused_min_samples_per_unit: int = setting(
        default_of(_output_loss.check_output_units, "unused_min_samples_per_unit"),
        "samples per output unit needed before never-used units are reported",
        minimum=1, integer=True)


@register("model.output_units", part="model", tasks=CLASSIFICATION + ("sequence",),
          needs=("labels",), settings=OutputUnits,
          fires=(_OUT + "test_output_units_fewer_than_classes_fires",),
          silent=(_OUT + "test_output_units_matching_is_silent",), evidence="model")
def output_units(evidence, *, settings):
    """Output units differ from the number of classes."""
    return _output_loss.check_output_units(
        evidence.output, evidence.loss, evidence.labels,
        unused_min_samples_per_unit=settings.unused_min_samples_per_unit)


@dataclasses.dataclass(frozen=True)
class OutputBiasInit(Settings):
    imbalance_ratio: float = setting(
        default_of(_output_bias.check_output_bias, "imbalance_ratio"),
        "class count ratio from which the output bias should be the log-prior",
        minimum=1.0)
    tolerance: float = setting(default_of(_output_bias.check_output_bias, "tolerance"),
                               "allowed gap (nats) between output bias and log-prior",
                               minimum=0.0)


@register("model.output_bias_init", part="model", tasks=CLASSIFICATION,
          needs=("labels",), settings=OutputBiasInit,
          fires=(_LAYERS + "test_output_bias_not_log_prior_on_imbalanced_labels_fires",),
          silent=(_LAYERS + "test_output_bias_at_log_prior_or_balanced_is_silent",),
          remedy="log_prior_bias", evidence="model")
def output_bias_init(evidence, *, settings):
    """Imbalanced labels and the output bias is not the class log-prior."""
    return _output_bias.check_output_bias(evidence.bias_layer, evidence.output.activation,
                                          evidence.labels,
                                          imbalance_ratio=settings.imbalance_ratio,
                                          tolerance=settings.tolerance)


@dataclasses.dataclass(frozen=True)
class LearningRate(Settings):
    lr_ranges: Optional[dict] = setting(
        default_of(_optim.check_learning_rate, "lr_ranges"),
        "per-optimizer (low, high) sane learning-rate ranges overriding "
        "kerasdoc.model.DEFAULT_LR_RANGES")


@register("optim.learning_rate", part="model", needs=("compiled_model",),
          settings=LearningRate,
          fires=(_LAYERS + "test_learning_rate_outside_range_fires",),
          silent=(_LAYERS + "test_learning_rate_in_range_and_schedules_are_silent",),
          remedy="set_learning_rate")
def learning_rate(optimizer, batch_size=None, *, settings):
    """Learning rate outside the sane range of the optimizer (SGD: at its batch's noise)."""
    return _optim.check_learning_rate(optimizer, lr_ranges=settings.lr_ranges,
                                      batch_size=batch_size)


@register("optim.vanilla_sgd", part="model", needs=("compiled_model",),
          fires=(_LAYERS + "test_vanilla_sgd_fires_and_momentum_is_silent",),
          silent=(_BASELINE,),
          remedy="sgd_momentum")
def vanilla_sgd(optimizer, *, settings):
    """SGD without momentum."""
    return _optim.check_vanilla_sgd(optimizer)


@dataclasses.dataclass(frozen=True)
class BatchSize(Settings):
    max_batch_fraction: float = setting(
        default_of(_optim.check_batch_size, "max_batch_fraction"),
        "largest batch_size / len(x) not reported", minimum=0.0, maximum=1.0,
        exclusive_minimum=True)
    min_updates: int = setting(
        default_of(_optim.check_batch_size, "min_updates"),
        "updates (steps per epoch x epochs) a run needs before a large batch is "
        "only a choice (info)", minimum=1, integer=True)


@register("optim.batch_size", part="model", needs=("x",), settings=BatchSize,
          fires=(_LAYERS + "test_batch_size_large_for_the_dataset_fires",),
          silent=(_LAYERS + "test_batch_size_small_relative_to_the_dataset_is_silent",),
          remedy="smaller_batch")
def batch_size(n_samples, effective_batch, assumed, epochs=None, *, settings):
    """Batch size large relative to the dataset, in a run with few updates."""
    return _optim.check_batch_size(n_samples, effective_batch, epochs=epochs,
                                   max_batch_fraction=settings.max_batch_fraction,
                                   min_updates=settings.min_updates,
                                   assumed=assumed)


@dataclasses.dataclass(frozen=True)
class PretrainedInputs(Settings):
    range_tolerance: float = setting(
        default_of(_preprocess.check_preprocessing, "range_tolerance"),
        "share of the pixel range an undone convention may fall outside [0, 255]",
        minimum=0.0)
    min_contrast: float = setting(
        default_of(_preprocess.check_preprocessing, "min_contrast"),
        "smallest spread of the undone pixels for a batch to be judged", minimum=0.0)
    channel_order_margin: float = setting(
        default_of(_preprocess.check_preprocessing, "channel_order_margin"),
        "gap between channel means that reveals RGB/BGR order", minimum=0.0)
    mean_tolerance: float = setting(
        default_of(_preprocess.check_preprocessing, "mean_tolerance"),
        "allowed gap between a subtracted mean and ImageNet's", minimum=0.0)


@register("preprocess.backbone_inputs", part="preprocessing", inputs=("image",),
          codes=("preprocess.pretrained_mismatch", "preprocess.dataset_mean"),
          needs=("backbone", "x"), settings=PretrainedInputs,
          fires=(_PRE + "test_mobilenet_v2_fed_raw_or_unit_pixels_fires",
                 _PRE + "test_datagen_with_the_datasets_own_mean_fires"),
          silent=(_PRE + "test_mobilenet_v2_correct_preprocessing_is_silent",
                  _PRE + "test_datagen_with_the_imagenet_mean_is_silent"))
def backbone_inputs(model, x_batch, datagen=None, *, settings):
    """A keras.applications backbone gets inputs in another convention."""
    report = _preprocess.check_preprocessing(model, x_batch, datagen=datagen,
                                             **dataclasses.asdict(settings))
    if not report.ran and not len(report):
        return [], "; ".join(report.skipped.values()) or "did not run"
    return list(report), None
