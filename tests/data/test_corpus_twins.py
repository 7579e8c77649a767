"""Minimal twins of real-world corpus programs that drew false data alarms.

Each silent test rebuilds, small, the data of a healthy program of
`benchmarks/realworld/programs/` that a data check misread; the firing
test next to it keeps the fault the check exists for.
"""

import numpy as np
import pytest

from kerasdoc import Severity, check_data


# data.label_misalignment ---------------------------------------------------------
# mlm_batchnorm_circles, mlm_deep_relu_circles, the AUTOTRAINER circle programs:
# the label is a non-linear function of the inputs, a linear model is at chance.
def _circles(n=500, seed=1):
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n, noise=0.1, random_state=seed)
    return x.astype("float32"), y.astype("int64")


def test_circles_are_not_misaligned():
    x, y = _circles()
    report = check_data(x, y)
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment"), report.to_text(color=False)


def test_circles_shuffled_apart_are_misaligned():
    x, y = _circles()
    report = check_data(x, np.random.default_rng(3).permutation(y))
    (finding,) = report.by_code("data.label_misalignment")
    assert finding.severity == Severity.ERROR
    assert set(finding.evidence["information_by_model"]) == {"linear", "knn"}
    assert max(finding.evidence["information_by_model"].values()) < 0.1


# timeseries_fcn, timeseries_transformer: FordA-like series whose class sets the
# frequencies at random phases; no per-step value tells the class.
def _series(n=400, length=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.linspace(0, 1, length)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    freq = (12 + 12 * y + rng.uniform(-1, 1, n))[:, None]
    x = np.sin(2 * np.pi * freq * t + phase) + 0.5 * rng.standard_normal((n, length))
    x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    return x[..., None].astype("float32"), y


def test_frequency_classes_of_series_are_not_misaligned():
    x, y = _series()
    report = check_data(x, y, input_kinds="sequence")
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment"), report.to_text(color=False)


def test_series_labels_shuffled_apart_are_misaligned():
    x, y = _series()
    report = check_data(x, np.random.default_rng(1).permutation(y), input_kinds="sequence")
    assert report.has("data.label_misalignment", "error")


# siamese_contrastive: two images in, the label says whether they show the
# same class; neither image alone carries it.
def _pairs(n=600, seed=0, side=8, classes=4):
    rng = np.random.default_rng(seed)
    protos = np.random.default_rng(9).random((classes, side, side))
    a_cls = rng.integers(0, classes, n)
    same = rng.integers(0, 2, n)
    b_cls = np.where(same == 1, a_cls, (a_cls + rng.integers(1, classes, n)) % classes)

    def draw(cls):
        return np.clip(protos[cls] + 0.2 * rng.standard_normal((n, side, side)), 0, 1)

    return draw(a_cls).astype("float32"), draw(b_cls).astype("float32"), same


def test_siamese_same_class_pairs_are_not_misaligned():
    a, b, same = _pairs()
    report = check_data([a, b], same, task="binary")
    assert any(r.startswith("data.label_misalignment") for r in report.ran)
    assert not report.has("data.label_misalignment"), report.to_text(color=False)


def test_siamese_pair_labels_shuffled_apart_are_misaligned():
    a, b, same = _pairs()
    report = check_data([a, b], np.random.default_rng(2).permutation(same), task="binary")
    assert report.has("data.label_misalignment")


# data.distribution_shift ---------------------------------------------------------
# mlm_airline_lstm, weather_lstm, timeseries_anomaly_ae: windows of one series,
# split by time; the later validation windows continue the trend.
def _windows(n=400, look_back=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n + look_back, dtype="float64")
    series = 100 + 2.6 * t + 20 * np.sin(2 * np.pi * t / 12) + 5 * rng.standard_normal(len(t))
    series = (series - series.min()) / (series.max() - series.min())
    x = np.stack([series[i:i + look_back] for i in range(n)]).astype("float32")
    return x, series[look_back:look_back + n].astype("float32")


def test_series_split_by_time_is_not_a_distribution_shift():
    x, y = _windows()
    cut = int(len(x) * 0.67)
    report = check_data(x[:cut], y[:cut], x_test=x[cut:], y_test=y[cut:], task="regression")
    assert "data.distribution_shift" in report.ran
    assert not report.has("data.distribution_shift", "warning"), report.to_text(color=False)
    (finding,) = report.by_code("data.distribution_shift")  # said, at info
    assert finding.evidence["kind"] == "ordered_drift"
    assert finding.evidence["train_drift_auc"] > 0.75


def test_shuffled_windows_with_a_rescaled_test_set_are_a_shift():
    x, y = _windows()
    order = np.random.default_rng(1).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(len(x) * 0.67)
    report = check_data(x[:cut], y[:cut], x_test=2.0 * x[cut:] + 0.5, y_test=y[cut:],
                        task="regression")
    (finding,) = report.by_code("data.distribution_shift")
    assert finding.severity == Severity.WARNING
    assert finding.evidence["train_drift_auc"] < 0.75


# data.not_normalized -------------------------------------------------------------
# sklearn digits (8x8 counts 0..16), count features of make_multilabel_classification:
# an input RMS of ~8 puts a Glorot/He layer's pre-activations a few times above its
# design scale, not the two orders of magnitude of raw 0-255 pixels.
def test_digit_counts_0_to_16_are_not_reported_as_unnormalised():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    report = check_data(x.astype("float32"), y)
    assert "data.not_normalized" in report.ran
    assert not report.has("data.not_normalized"), report.to_text(color=False)


def test_digit_counts_as_raw_0_255_pixels_are_unnormalised():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    (finding,) = [f for f in check_data((x * 255 / 16).astype("float32"), y)
                  .by_code("data.not_normalized") if "input_rms" in f.evidence]
    assert finding.evidence["input_rms"] > 10


# supcon_frozen_encoder, transfer_learning_guide: raw 0-255 images into a model
# whose Normalization/Rescaling comes after augmentation layers or inside a
# nested encoder: the network sees scaled inputs.
def _nested_scaling_model(images, scale=True):
    import keras

    first = [keras.layers.Normalization()] if scale else []
    augment = keras.Sequential(first + [keras.layers.RandomFlip("horizontal")])
    if scale:
        augment.layers[0].adapt(images)
    inner = keras.Input(images.shape[1:])
    encoder = keras.Model(inner, keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(4, 3)(augment(inner))))
    outer = keras.Input(images.shape[1:])
    model = keras.Model(outer, keras.layers.Dense(2, activation="softmax")(encoder(outer)))
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_raw_pixels_scaled_inside_a_nested_encoder_are_not_unnormalised():
    import kerasdoc

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (120, 12, 12, 1)).astype("float32")
    y = (images.mean(axis=(1, 2, 3)) > 127.5).astype("int64")
    report = kerasdoc.diagnose(_nested_scaling_model(images), images, y, parts=("data",))
    assert not report.failed
    assert not report.has("data.not_normalized"), report.to_text(color=False)
    # the same raw pixels into the same model without its Normalization
    bare = kerasdoc.diagnose(_nested_scaling_model(images, scale=False), images, y,
                             parts=("data",))
    assert bare.has("data.not_normalized", "warning")


# data.unshuffled -----------------------------------------------------------------
# Sorted arrays handed to fit, which shuffles them every epoch (shuffle=True is
# its default): only validation_split and shuffle=False see their order.
def _sorted_blobs(n=400):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), n // 4)
    x = (rng.standard_normal((n, 5)) + y[:, None]).astype("float32")
    return x, y


def test_sorted_arrays_that_fit_shuffles_are_info():
    x, y = _sorted_blobs()
    report = check_data(x, y)
    assert not report.has("data.unshuffled", "warning"), report.to_text(color=False)
    (finding,) = report.by_code("data.unshuffled")
    assert finding.severity == Severity.INFO


def test_sorted_dataset_without_shuffle_is_a_warning():
    import tensorflow as tf

    x, y = _sorted_blobs()
    stream = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    assert check_data(stream).has("data.unshuffled", "warning")
    shuffled = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(400, seed=0).batch(32)
    assert not check_data(shuffled).has("data.unshuffled")


# data.split_leakage --------------------------------------------------------------
# mnist_convnet, mixup_fashion: one near-duplicate pair across the official
# train/test split, 0.05-0.25% of the test set, far below the sampling noise of
# the test accuracy itself.
def test_one_near_duplicate_in_the_test_set_is_info():
    rng = np.random.default_rng(0)
    x = rng.random((600, 12, 12)).astype("float32")
    y = rng.integers(0, 3, 600)
    xt = rng.random((400, 12, 12)).astype("float32")
    yt = rng.integers(0, 3, 400)
    xt[7] = np.clip(x[3] * 0.99 + 0.005, 0, 1)
    report = check_data(x, y, x_test=xt, y_test=yt)
    (finding,) = report.by_code("data.split_leakage")
    assert finding.severity == Severity.INFO, finding.message
    assert finding.evidence["fraction"] < finding.evidence["accuracy_standard_error"]
    xt[:40] = x[:40]  # 10% copied: an error
    assert check_data(x, y, x_test=xt, y_test=yt).has("data.split_leakage", "error")


# data.label_range ----------------------------------------------------------------
# functional_ticket_multi_io ("priority"), collaborative_filtering: targets in [0, 1]
# (scores, normalised ratings) for one sigmoid unit under binary cross-entropy.
def test_soft_binary_targets_in_0_1_are_valid_labels():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)).astype("float32")
    soft = (1 / (1 + np.exp(-x[:, 0] - 0.5 * x[:, 1]))).astype("float32")
    report = check_data(x, soft, task="binary")
    assert "data.label_range" in report.ran
    assert not report.has("data.label_range"), report.to_text(color=False)
    assert not report.has("data.label_misalignment")


def test_fractional_binary_targets_outside_0_1_are_out_of_range():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)).astype("float32")
    shifted = (1.5 / (1 + np.exp(-x[:, 0]))).astype("float32")  # up to 1.5
    assert check_data(x, shifted, task="binary").has("data.label_range", "error")


# image_classification_from_scratch: random augmentation mapped over the training
# pipeline only; the validation images lie inside the broader training set.
def _noisy_prototypes(n, noise, seed):
    rng = np.random.default_rng(seed)
    protos = np.random.default_rng(5).random((4, 10, 10))
    y = rng.integers(0, 4, n)
    return (protos[y] + noise * rng.standard_normal((n, 10, 10))).astype("float32"), y


def test_augmented_training_set_broader_than_validation_is_info():
    x, y = _noisy_prototypes(600, 0.3, 0)  # noise augmentation on the training side
    xv, yv = _noisy_prototypes(300, 0.1, 1)
    report = check_data(x, y, x_test=xv, y_test=yv)
    assert not report.has("data.distribution_shift", "warning"), report.to_text(color=False)
    (finding,) = report.by_code("data.distribution_shift")
    assert finding.evidence["kind"] == "covered"
    assert finding.evidence["coverage_ratio"] < 1.0
    # the other way round the test inputs are outside the training set: a warning
    assert check_data(xv, yv, x_test=x, y_test=y).has("data.distribution_shift", "warning")


# bug_at_lstm_sigmoid_vanish (its data are healthy): reviews of token ids whose label
# says from which half of a 2,000-word vocabulary most words come. A modulo hash into
# 1,024 buckets put ids i and i + 1024, one from each half, in the same bucket.
def _half_vocabulary_reviews(n=1000, length=60, vocab=2000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    own = rng.random((n, length)) < 0.65
    half = np.where(own, y[:, None], 1 - y[:, None])
    ids = 1 + half * (vocab // 2) + rng.integers(0, vocab // 2 - 1, (n, length))
    return ids.astype("int32"), y


def test_token_labels_set_by_vocabulary_half_are_not_misaligned():
    ids, y = _half_vocabulary_reviews()
    report = check_data(ids, y, input_kinds="tokens")
    assert "data.label_misalignment" in report.ran
    assert not report.has("data.label_misalignment"), report.to_text(color=False)
    shuffled = check_data(ids, np.random.default_rng(4).permutation(y), input_kinds="tokens")
    assert shuffled.has("data.label_misalignment", "error")


def test_raw_series_forecast_on_its_own_scale_is_info():
    """Twin of MachineLearningMastery's univariate Conv1D/LSTM forecasts:
    [10, 20, ..., 90] in windows of 3, predicting the next raw value. Every
    feature is the same quantity and the targets share its scale."""
    seq = np.arange(10, 100, 10, dtype="float32")
    x = np.stack([seq[i:i + 3] for i in range(6)])[..., None]
    y = seq[3:]
    (finding,) = check_data(x, y, task="regression").by_code("data.not_normalized")
    assert str(finding.severity) == "info"
    assert finding.evidence["same_scale_forecast"] is True
    # the same windows asked for standardised targets: the scales differ
    (finding,) = check_data(x, (y - y.mean()) / y.std(),
                            task="regression").by_code("data.not_normalized")
    assert str(finding.severity) == "warning"


def test_raw_tabular_columns_of_mixed_scales_stay_a_warning():
    """Boston-like raw columns (0.4..0.9 next to 187..711) with raw targets:
    one RMS over features of different units is not a forecast's scale."""
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(0.4, 0.9, 300), rng.uniform(3, 9, 300),
                  rng.uniform(187, 711, 300)], 1).astype("float32")
    y = (x[:, 1] * 4 + rng.normal(0, 2, 300)).astype("float32")
    findings = check_data(x, y, task="regression").by_code("data.not_normalized")
    rms = [f for f in findings if "input_rms" in f.evidence]
    assert rms and str(rms[0].severity) == "warning"
