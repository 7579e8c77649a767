"""Layer and compile-setting checks: missing bias ... output bias, learning rate."""

import numpy as np
import pytest

import kerasdoc

from kerasdoc import audit_model
from kerasdoc.examples import small_cnn


def _dense(keras, **kwargs):
    kwargs.setdefault("kernel_initializer", "he_normal")
    return keras.layers.Dense(16, activation="relu", **kwargs)


def _softmax(keras):
    return keras.layers.Dense(4, activation="softmax")


# --- model.missing_bias ---------------------------------------------------------
def test_missing_bias_fires_without_normalization(keras, kit):
    model = kit.compiled(kit.mlp(_dense(keras, use_bias=False), _softmax(keras)))
    (finding,) = audit_model(model).by_code("model.missing_bias")
    assert finding.layer == model.layers[0].name
    assert finding.evidence["next_layers"] == (model.layers[1].name,)


def test_missing_bias_on_the_output_layer_fires(keras, kit):
    model = kit.compiled(kit.mlp(
        _dense(keras), keras.layers.Dense(4, activation="softmax", use_bias=False)))
    assert audit_model(model).by_code("model.missing_bias")[0].layer == \
        model.layers[-1].name


def test_missing_bias_silent_when_batchnorm_follows(keras, kit):
    # small_cnn: Conv2D(use_bias=False) -> BatchNormalization -> ReLU.
    assert not audit_model(small_cnn()).has("model.missing_bias")
    model = kit.compiled(kit.mlp(
        keras.layers.Dense(16, use_bias=False), keras.layers.Dropout(0.1),
        keras.layers.LayerNormalization(), keras.layers.ReLU(), _softmax(keras)))
    assert not audit_model(model).has("model.missing_bias")


# --- model.bias_regularized -------------------------------------------------------
def test_bias_regularizer_fires_and_kernel_regularizer_is_silent(keras, kit):
    bad = kit.compiled(kit.mlp(_dense(keras, bias_regularizer="l2"), _softmax(keras)))
    (finding,) = audit_model(bad).by_code("model.bias_regularized")
    assert str(finding.severity) == "info" and "L2" in finding.evidence["bias_regularizer"]
    good = kit.compiled(kit.mlp(_dense(keras, kernel_regularizer="l2"), _softmax(keras)))
    assert not audit_model(good).has("model.bias_regularized")


# --- model.batchnorm_small_batch -----------------------------------------------------
def test_batchnorm_small_batch_fires_below_16(keras):
    report = audit_model(small_cnn(), batch_size=8)
    (finding,) = report.by_code("model.batchnorm_small_batch")
    assert finding.evidence["batch_size"] == 8


def test_batchnorm_small_batch_silent_at_32_or_when_frozen(keras):
    assert not audit_model(small_cnn(), batch_size=32).has("model.batchnorm_small_batch")
    model = small_cnn()
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    assert not audit_model(model, batch_size=8).has("model.batchnorm_small_batch")
    assert "model.batchnorm_small_batch" in audit_model(small_cnn()).skipped


# --- model.dropout_rate ---------------------------------------------------------------
def test_dropout_above_half_fires_and_half_is_silent(keras, kit):
    high = kit.compiled(kit.mlp(_dense(keras), keras.layers.Dropout(0.7), _softmax(keras)))
    (finding,) = audit_model(high).by_code("model.dropout_rate")
    assert finding.evidence["rate"] == pytest.approx(0.7)
    half = kit.compiled(kit.mlp(_dense(keras), keras.layers.Dropout(0.5), _softmax(keras)))
    assert not audit_model(half).has("model.dropout_rate")


def _conv(keras, kit, dropout):
    return kit.compiled(kit.mlp(
        keras.layers.Conv2D(8, 3, activation="relu", kernel_initializer="he_normal"),
        keras.layers.MaxPooling2D(), dropout, keras.layers.Flatten(), _softmax(keras),
        input_shape=(12, 12, 1)))


def test_dropout_on_conv_feature_maps_fires(keras, kit):
    (finding,) = audit_model(_conv(keras, kit, keras.layers.Dropout(0.2))).by_code(
        "model.dropout_rate")
    assert "SpatialDropout2D" in finding.fix


def test_spatial_dropout_or_dropout_after_dense_or_embedding_is_silent(keras, kit):
    assert not audit_model(_conv(keras, kit, keras.layers.SpatialDropout2D(0.2))).has(
        "model.dropout_rate")
    text = kit.compiled(kit.mlp(
        keras.layers.Embedding(50, 8), keras.layers.Dropout(0.2),
        keras.layers.LSTM(8), _softmax(keras), input_shape=(10,)))
    assert not audit_model(text).has("model.dropout_rate")


# --- model.frozen ------------------------------------------------------------------------
def test_frozen_model_fires(keras, kit):
    model = kit.mlp(_dense(keras), _softmax(keras))
    model.trainable = False
    (finding,) = audit_model(kit.compiled(model)).by_code("model.frozen")
    assert str(finding.severity) == "error"
    assert finding.evidence["trainable_weights"] == 0


def test_frozen_head_warns_and_frozen_backbone_is_silent(keras, kit):
    model = kit.mlp(_dense(keras), _softmax(keras))
    model.layers[-1].trainable = False
    assert audit_model(kit.compiled(model)).has("model.frozen", "warning")
    model = kit.mlp(_dense(keras), _softmax(keras))
    model.layers[0].trainable = False  # feature extraction: train the head only
    assert not audit_model(kit.compiled(model)).has("model.frozen")


# --- optim.* --------------------------------------------------------------------------------
def _with_optimizer(keras, kit, optimizer):
    return kit.compiled(kit.mlp(_dense(keras), _softmax(keras)), optimizer=optimizer)


@pytest.mark.parametrize("make, lr", [
    (lambda k: k.optimizers.Adam(0.1), 0.1),
    (lambda k: k.optimizers.RMSprop(0.05), 0.05),
    (lambda k: k.optimizers.SGD(1e-7, momentum=0.9), 1e-7),
])
def test_learning_rate_outside_range_fires(keras, kit, make, lr):
    report = audit_model(_with_optimizer(keras, kit, make(keras)))
    (finding,) = report.by_code("optim.learning_rate")
    assert finding.evidence["learning_rate"] == pytest.approx(lr)


def test_learning_rate_in_range_and_schedules_are_silent(keras, kit):
    assert not audit_model(_with_optimizer(keras, kit, keras.optimizers.Adam(1e-3))).has(
        "optim.learning_rate")
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)
    assert not audit_model(_with_optimizer(keras, kit, keras.optimizers.Adam(schedule))).has(
        "optim.learning_rate")
    bad_schedule = keras.optimizers.schedules.ExponentialDecay(0.5, 100, 0.9)
    assert audit_model(_with_optimizer(keras, kit, keras.optimizers.Adam(bad_schedule))).has(
        "optim.learning_rate")
    # Thresholds are keyword arguments.
    assert not audit_model(_with_optimizer(keras, kit, keras.optimizers.Adam(0.1)),
                           lr_ranges={"adam": (1e-6, 1.0)}).has("optim.learning_rate")


def test_sgd_rate_is_judged_at_its_batch_noise(keras, kit, tabular):
    """SGD(0.01, momentum=0.9) steps like 0.01 / 0.1 * 32 / batch at batch 32: 3.2
    at batch 1 (above 1.0, fires), 0.1 at batch 32 (silent); Adam's normalised
    steps are judged on the rate alone."""
    x, _ = tabular
    sgd = _with_optimizer(keras, kit, keras.optimizers.SGD(0.01, momentum=0.9))
    (finding,) = audit_model(sgd, x=x, batch_size=1).by_code("optim.learning_rate")
    assert str(finding.severity) == "warning"
    assert finding.evidence["equivalent_learning_rate"] == pytest.approx(3.2, rel=1e-3)
    assert finding.evidence["suggestion"] == pytest.approx(0.01 / 32)
    for batch in (8, 32):
        assert not audit_model(sgd, x=x, batch_size=batch).has("optim.learning_rate")
    plain = _with_optimizer(keras, kit, keras.optimizers.SGD(0.01))
    assert not audit_model(plain, x=x, batch_size=1).has("optim.learning_rate")
    adam = _with_optimizer(keras, kit, keras.optimizers.Adam(1e-3))
    assert not audit_model(adam, x=x, batch_size=1).has("optim.learning_rate")


def test_vanilla_sgd_fires_and_momentum_is_silent(keras, kit):
    (finding,) = audit_model(_with_optimizer(keras, kit, keras.optimizers.SGD(0.01))
                             ).by_code("optim.vanilla_sgd")
    assert finding.evidence["momentum"] == 0.0
    assert not audit_model(_with_optimizer(
        keras, kit, keras.optimizers.SGD(0.01, momentum=0.9))).has("optim.vanilla_sgd")


def test_batch_size_large_for_the_dataset_fires(keras, kit, tabular):
    x, y = tabular
    model = _with_optimizer(keras, kit, keras.optimizers.Adam(1e-3))
    # The walkthrough's example: 64 for 100 samples.
    (finding,) = audit_model(model, x=x[:100], batch_size=64).by_code("optim.batch_size")
    assert finding.evidence["n_samples"] == 100 and finding.evidence["steps_per_epoch"] == 2


def test_batch_size_small_relative_to_the_dataset_is_silent(keras, kit, tabular):
    x, y = tabular
    model = _with_optimizer(keras, kit, keras.optimizers.Adam(1e-3))
    assert not audit_model(model, x=x, batch_size=32).has("optim.batch_size")
    assert "optim.batch_size" in audit_model(model).skipped


def test_large_batch_is_judged_on_the_updates_of_the_whole_run(keras, kit, tabular):
    """256 of 700 samples gives 3 updates per epoch: 5 epochs (15 updates) are
    too few to converge (warning); 60 epochs (180 updates) make the large batch
    a choice (info)."""
    x, _ = tabular
    x = np.resize(x, (700, x.shape[1]))
    model = _with_optimizer(keras, kit, keras.optimizers.Adam(1e-3))
    (short,) = audit_model(model, x=x, batch_size=256, epochs=5).by_code("optim.batch_size")
    assert str(short.severity) == "warning"
    assert short.evidence["updates"] == 15 and short.evidence["steps_per_epoch"] == 3
    assert "15 in all over 5 epochs" in short.message
    (long,) = audit_model(model, x=x, batch_size=256, epochs=60).by_code("optim.batch_size")
    assert str(long.severity) == "info" and long.evidence["updates"] == 180
    assert not audit_model(model, x=x, batch_size=256, epochs=60).at_least("warning")
    with pytest.raises(kerasdoc.InvalidInputError, match="Received: epochs=0"):
        audit_model(model, x=x, batch_size=256, epochs=0)


# --- model.output_bias_init ------------------------------------------------------------------
def _imbalanced_binary(n=200, positives=10):
    y = np.zeros(n, dtype="int64")
    y[:positives] = 1
    return y


def test_output_bias_not_log_prior_on_imbalanced_labels_fires(keras, kit, tabular):
    x, _ = tabular
    model = kit.compiled(kit.mlp(_dense(keras), keras.layers.Dense(1, activation="sigmoid")),
                         loss="binary_crossentropy")
    (finding,) = audit_model(model, x=x, y=_imbalanced_binary()).by_code(
        "model.output_bias_init")
    assert finding.evidence["log_prior_bias"][0] == pytest.approx(np.log(10 / 190), abs=1e-3)


def test_output_bias_at_log_prior_or_balanced_is_silent(keras, kit, tabular):
    x, _ = tabular
    model = kit.compiled(kit.mlp(_dense(keras), keras.layers.Dense(1, activation="sigmoid")),
                         loss="binary_crossentropy")
    balanced = np.arange(len(x)) % 2
    assert not audit_model(model, x=x, y=balanced).has("model.output_bias_init")
    model.layers[-1].bias.assign([np.log(10 / 190)])
    assert not audit_model(model, x=x, y=_imbalanced_binary()).has("model.output_bias_init")


def test_output_bias_softmax_imbalanced(keras, kit, tabular):
    x, _ = tabular
    y = np.array([0] * 170 + [1] * 10 + [2] * 10 + [3] * 10)
    model = kit.compiled(kit.mlp(_dense(keras), _softmax(keras)))
    assert audit_model(model, x=x, y=y).has("model.output_bias_init")
    counts = np.bincount(y)
    model.layers[-1].bias.assign(np.log(counts / counts.sum()))
    assert not audit_model(model, x=x, y=y).has("model.output_bias_init")


def test_output_bias_found_behind_a_separate_softmax_layer(keras, kit, tabular):
    x, _ = tabular
    y = np.array([0] * 170 + [1] * 10 + [2] * 10 + [3] * 10)
    model = kit.compiled(kit.mlp(_dense(keras), keras.layers.Dense(4),
                                 keras.layers.Activation("softmax")))
    (finding,) = audit_model(model, x=x, y=y).by_code("model.output_bias_init")
    assert finding.layer == model.layers[1].name


def test_full_batch_gradient_descent_on_tiny_data_is_info(keras, kit):
    """Iris-sized data trained full-batch (150 of 150) is plain gradient
    descent, a legitimate choice; 64 of 100 (two unequal steps) still warns."""
    from sklearn.datasets import load_iris

    x = load_iris().data.astype("float32")
    model = kit.compiled(kit.mlp(keras.layers.Dense(16, activation="relu"),
                                 keras.layers.Dense(3, activation="softmax"),
                                 input_shape=(4,)))
    (finding,) = audit_model(model, x=x, batch_size=150).by_code("optim.batch_size")
    assert str(finding.severity) == "info" and finding.evidence["full_batch"] is True
    (finding,) = audit_model(model, x=x[:100], batch_size=64).by_code("optim.batch_size")
    assert str(finding.severity) == "warning" and finding.evidence["full_batch"] is False
