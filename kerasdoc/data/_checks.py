"""The `data.*` checks in the registry.

Each check's decision function is a pure judge of `kerasdoc.data` (array
statistics, label ids or out-of-sample probabilities in; findings out).
The data runner (`kerasdoc.data._runner`) measures the evidence once and
hands it to each check through the registry's `Runner`. Each setting's
default is read from `check_data`'s signature (written once there);
`check_data`'s threshold keywords are aliases of these settings.
"""

import dataclasses

from kerasdoc._registry import SINGLE_LABEL, Settings, default_of, register, setting
from kerasdoc.data import _balance, _categorical, _labels, _leakage, _noise, _ranges, _shift
from kerasdoc.data._audit import check_data

_S = "tests/data/test_check_synthetic.py::"
_F = "tests/data/test_check_fashion_mnist.py::"
_T = "tests/data/test_corpus_twins.py::"
_HEALTHY = (_S + "test_healthy_images_are_silent", _S + "test_healthy_tabular_is_silent")


def _d(name):
    return default_of(check_data, name)


@register("data.nonfinite", part="data",
          fires=(_S + "test_nonfinite_inputs_and_labels",), silent=_HEALTHY)
def nonfinite(stats_by_split, labels_by_split, *, settings):
    """NaN/Inf in any input or label array."""
    return _ranges.check_nonfinite(stats_by_split, labels_by_split)


@dataclasses.dataclass(frozen=True)
class NotNormalized(Settings):
    max_magnitude: float = setting(_d("max_magnitude"),
                                   "fires when the inputs' root mean square over all "
                                   "features exceeds this: the factor by which "
                                   "first-layer pre-activations exceed the "
                                   "initialiser's unit design scale (raw 0-255 pixels "
                                   "reach ~100)", minimum=0.0)
    scale_ratio: float = setting(_d("scale_ratio"),
                                 "fires when the widest tabular feature range is this "
                                 "many times the narrowest (and wider than [-1, 1])",
                                 minimum=1.0)


@register("data.not_normalized", part="data", inputs=("image", "tabular", "sequence"),
          settings=NotNormalized,
          fires=(_S + "test_raw_pixels_fire", _S + "test_tabular_scale_ratio_fires",
                 _T + "test_digit_counts_as_raw_0_255_pixels_are_unnormalised"),
          silent=(_S + "test_standardised_images_are_silent",
                  _S + "test_flattened_unit_pixels_are_silent",
                  _T + "test_digit_counts_0_to_16_are_not_reported_as_unnormalised",
                  _T + "test_raw_pixels_scaled_inside_a_nested_encoder_are_not_unnormalised")
          + _HEALTHY,
          remedy="rescale_inputs")
def not_normalized(stats, target_rms=None, *, settings):
    """Raw-scale inputs, or tabular features of very different ranges."""
    return _ranges.check_not_normalized(stats, max_magnitude=settings.max_magnitude,
                                        scale_ratio=settings.scale_ratio,
                                        target_rms=target_rms)


@register("data.label_range", part="data", tasks=SINGLE_LABEL, needs=("labels",),
          fires=(_S + "test_labels_out_of_range", _S + "test_one_hot_problems",
                 _T + "test_fractional_binary_targets_outside_0_1_are_out_of_range"),
          silent=(_T + "test_soft_binary_targets_in_0_1_are_valid_labels",) + _HEALTHY)
def label_range(labels_by_split, n_classes, *, settings):
    """Class ids outside [0, n_classes), one-hot rows not summing to 1, count mismatch."""
    return _ranges.check_label_range(labels_by_split, n_classes=n_classes)


@dataclasses.dataclass(frozen=True)
class ClassImbalance(Settings):
    imbalance_ratio: float = setting(_d("imbalance_ratio"),
                                     "fires above this largest/smallest class count "
                                     "ratio", minimum=1.0)


@register("data.class_imbalance", part="data", tasks=SINGLE_LABEL, needs=("labels",),
          settings=ClassImbalance,
          fires=(_S + "test_imbalance_fires_and_names_the_majority_rate",),
          silent=_HEALTHY,
          remedy="class_weights")
def class_imbalance(y, n_classes, weights=None, class_weight=None, *, settings):
    """Majority/minority class count ratio above the threshold (weighted as fit weighs)."""
    return _balance.check_class_imbalance(y, n_classes,
                                          imbalance_ratio=settings.imbalance_ratio,
                                          weights=weights, class_weight=class_weight)


@dataclasses.dataclass(frozen=True)
class Unshuffled(Settings):
    run_ratio: float = setting(_d("run_ratio"),
                               "fires when the mean run of equal consecutive labels is "
                               "this many times longer than in a random order",
                               minimum=1.0)
    batch_size: int = setting(_d("batch_size"),
                              "batch size used to count single-class batches in the "
                              "evidence", minimum=1, integer=True)


@register("data.unshuffled", part="data", tasks=SINGLE_LABEL, needs=("labels",),
          settings=Unshuffled,
          fires=(_S + "test_sorted_labels_fire", _F + "test_sorted_by_label_is_found",
                 _T + "test_sorted_dataset_without_shuffle_is_a_warning"),
          silent=(_T + "test_sorted_arrays_that_fit_shuffles_are_info",) + _HEALTHY,
          remedy="shuffle")
def unshuffled(y, min_samples, shuffled=False, *, settings):
    """Data ordered by label, so batches hold one class (info when `fit` shuffles)."""
    return _labels.check_unshuffled(y, run_ratio=settings.run_ratio,
                                    batch_size=settings.batch_size, min_samples=min_samples,
                                    shuffled=shuffled)


@dataclasses.dataclass(frozen=True)
class Duplicates(Settings):
    duplicate_fraction: float = setting(_d("duplicate_fraction"),
                                        "fires when exact extra copies exceed this "
                                        "fraction of a split", minimum=0.0, maximum=1.0)


@register("data.duplicates", part="data", settings=Duplicates,
          fires=(_S + "test_exact_duplicates_fire",), silent=_HEALTHY)
def duplicates(splits, *, settings):
    """Many exact duplicates inside one split; `splits` is [(x, stats, ids, name)]."""
    found = []
    for x, stats, ids, name in splits:
        found += _leakage.check_duplicates(x, stats, ids, name,
                                           duplicate_fraction=settings.duplicate_fraction)
    return found


@dataclasses.dataclass(frozen=True)
class SplitLeakage(Settings):
    leakage_fraction: float = setting(_d("leakage_fraction"),
                                      "an error when more than this fraction of the test "
                                      "set has a (near-)copy in train, a warning below",
                                      minimum=0.0, maximum=1.0)
    near_duplicate_similarity: float = setting(
        _d("near_duplicate_similarity"),
        "two images are near-duplicates when their centred cosine similarity reaches "
        "this", minimum=0.0, maximum=1.0)


@register("data.split_leakage", part="data", needs=("validation_data",),
          settings=SplitLeakage,
          fires=(_S + "test_test_copies_in_train_are_an_error",
                 _S + "test_near_duplicates_are_found"),
          silent=(_F + "test_bundled_subset_has_no_error",
                  _T + "test_one_near_duplicate_in_the_test_set_is_info"),
          remedy="drop_leaked")
def split_leakage(exact, near, n_test, y_train, y_test, *, settings):
    """Identical or near-identical samples shared by train and test."""
    return _leakage.check_split_leakage(
        exact, near, n_test, y_train=y_train, y_test=y_test,
        leakage_fraction=settings.leakage_fraction,
        similarity=settings.near_duplicate_similarity)


@dataclasses.dataclass(frozen=True)
class DistributionShift(Settings):
    class_shift: float = setting(_d("class_shift"),
                                 "fires when train and test class frequencies differ by "
                                 "more than this total variation", minimum=0.0, maximum=1.0)
    shift_auc: float = setting(_d("shift_auc"),
                               "fires when a domain classifier separates train from test "
                               "inputs with a cross-validated ROC AUC above this",
                               minimum=0.5, maximum=1.0)
    shift_samples: int = setting(_d("shift_samples"),
                                 "samples per split given to the domain classifier",
                                 minimum=20, integer=True)


@register("data.distribution_shift", part="data", needs=("validation_data",),
          settings=DistributionShift,
          fires=(_S + "test_class_mix_shift",
                 _S + "test_low_resolution_train_vs_high_resolution_test",
                 _T + "test_shuffled_windows_with_a_rescaled_test_set_are_a_shift"),
          silent=(_F + "test_bundled_subset_has_no_error",
                  _T + "test_series_split_by_time_is_not_a_distribution_shift",
                  _T + "test_augmented_training_set_broader_than_validation_is_info"))
def distribution_shift(class_mix, features_train, features_test, names, seed,
                       train_ends=None, *, settings):
    """Train and test differ in class mix or input statistics.

    `class_mix` is `(y_train, y_test, n_classes)` or None (no classes);
    `train_ends` the features of the training rows before their last block
    and of that block (a drift along the order makes a time split info).
    """
    findings = []
    if class_mix is not None:
        findings += _shift.check_class_mix(*class_mix, class_shift=settings.class_shift)
    more, reason = _shift.check_input_shift(features_train, features_test,
                                            shift_auc=settings.shift_auc, seed=seed,
                                            names=names, train_ends=train_ends)
    return findings + more, reason


@register("data.categorical_scaled", part="data", inputs=("tabular",),
          fires=(_S + "test_standard_scaled_binary_columns_fire",),
          silent=(_S + "test_healthy_tabular_is_silent",))
def categorical_scaled(x, stats, columns, chunk_size, *, settings):
    """Binary/one-hot or declared categorical columns standardised as continuous."""
    return _categorical.check_categorical_scaled(x, stats, categorical_columns=columns,
                                                 chunk_size=chunk_size)


@dataclasses.dataclass(frozen=True)
class LabelNoise(Settings):
    confidence: float = setting(_d("label_noise_confidence"),
                                "a sample is a suspect when the out-of-sample probability "
                                "of its given label is below this", minimum=0.0,
                                maximum=1.0)
    fraction: float = setting(_d("label_noise_fraction"),
                              "fires when suspects exceed this fraction of the checked "
                              "samples", minimum=0.0, maximum=1.0)


@register("data.label_noise", part="data", tasks=SINGLE_LABEL, needs=("labels",),
          settings=LabelNoise,
          fires=(_S + "test_label_noise_fires_with_ranked_suspects",
                 _F + "test_five_percent_label_noise_is_found"),
          silent=(_F + "test_clean_sample_has_no_findings",))
def label_noise(proba, y, indices, min_samples, *, settings):
    """Samples whose label disagrees confidently with out-of-sample predictions."""
    return _noise.check_label_noise(proba, y, indices, confidence=settings.confidence,
                                    max_fraction=settings.fraction,
                                    min_samples=min_samples)


@dataclasses.dataclass(frozen=True)
class LabelMisalignment(Settings):
    min_information: float = setting(
        _d("min_information"),
        "fires when both a linear model's and k nearest neighbours' chance-corrected "
        "out-of-sample information about the labels are below this", minimum=0.0,
        maximum=1.0)
    model_samples: int = setting(_d("model_samples"),
                                 "seeded sample size for the label model", minimum=20,
                                 integer=True)


@register("data.label_misalignment", part="data", tasks=SINGLE_LABEL, needs=("labels",),
          settings=LabelMisalignment,
          fires=(_S + "test_labels_shuffled_apart_fire",
                 _F + "test_labels_shuffled_apart_is_an_error",
                 _T + "test_circles_shuffled_apart_are_misaligned",
                 _T + "test_series_labels_shuffled_apart_are_misaligned",
                 _T + "test_siamese_pair_labels_shuffled_apart_are_misaligned"),
          silent=(_S + "test_aligned_imbalanced_labels_are_silent",
                  _F + "test_aligned_one_to_fifty_subset_is_not_misaligned",
                  _T + "test_circles_are_not_misaligned",
                  _T + "test_frequency_classes_of_series_are_not_misaligned",
                  _T + "test_siamese_same_class_pairs_are_not_misaligned",
                  _T + "test_token_labels_set_by_vocabulary_half_are_not_misaligned"))
def label_misalignment(proba, y, min_samples, *, settings):
    """Labels carry (almost) no information about the inputs."""
    return _labels.check_misalignment(proba, y, min_information=settings.min_information,
                                      min_samples=min_samples)
