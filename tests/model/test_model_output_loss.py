"""model.output_activation, model.loss_mismatch, model.output_units."""

import numpy as np
import pytest

from kerasdoc import audit_model


def _head(keras, kit, units, activation, loss, *, hidden_activation="relu"):
    return kit.compiled(kit.mlp(
        keras.layers.Dense(16, activation=hidden_activation,
                           kernel_initializer="he_normal"),
        keras.layers.Dense(units, activation=activation)), loss=loss)


def _codes(report, code):
    return [(f.code, str(f.severity)) for f in report.by_code(code)]


# --- softmax over one unit ---------------------------------------------------
def test_softmax_single_unit_is_an_error(keras, kit, tabular):
    x, _ = tabular
    model = _head(keras, kit, 1, "softmax", "binary_crossentropy")
    report = audit_model(model, x=x, y=(np.arange(len(x)) % 2))
    (finding,) = report.by_code("model.output_activation")
    assert str(finding.severity) == "error" and finding.evidence["units"] == 1
    # Measured: every prediction is 1.0 whatever the input (exactly 1.0 on
    # some CPUs, 1 - 2**-24 on others: the float32 rounding of exp(0) / sum).
    with pytest.warns(UserWarning, match="softmax"):
        predictions = model.predict(x[:16], verbose=0)
    assert np.all(np.abs(predictions - 1.0) <= 2 ** -23)


def test_sigmoid_single_unit_binary_twin_is_silent(keras, kit, tabular):
    x, _ = tabular
    model = _head(keras, kit, 1, "sigmoid", "binary_crossentropy")
    report = audit_model(model, x=x, y=(np.arange(len(x)) % 2))
    assert not report.at_least("warning")


# --- logits vs from_logits -----------------------------------------------------
def test_linear_output_with_from_logits_false_is_an_error(keras, kit, tabular):
    x, y = tabular
    report = audit_model(_head(keras, kit, 4, None, "sparse_categorical_crossentropy"),
                         x=x, y=y)
    assert _codes(report, "model.output_activation") == [
        ("model.output_activation", "error")]
    assert "from_logits=True" in report.by_code("model.output_activation")[0].fix


def test_linear_output_with_from_logits_true_is_silent(keras, kit, tabular):
    x, y = tabular
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    report = audit_model(_head(keras, kit, 4, None, loss), x=x, y=y)
    assert len(report) == 0


def test_softmax_with_from_logits_true_is_info_on_tensorflow(keras, kit, tabular):
    x, y = tabular
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    report = audit_model(_head(keras, kit, 4, "softmax", loss), x=x, y=y)
    assert keras.backend.backend() == "tensorflow"
    assert _codes(report, "model.output_activation") == [
        ("model.output_activation", "info")]
    assert "JAX" in report[0].message


def test_softmax_with_from_logits_false_is_silent(keras, kit, tabular):
    x, y = tabular
    report = audit_model(_head(keras, kit, 4, "softmax",
                               "sparse_categorical_crossentropy"), x=x, y=y)
    assert len(report) == 0


def test_severity_measured_softmax_from_logits_trains_like_logits(keras, kit, tabular):
    """The reason for 'info': on TF the loss reads the logits under the softmax."""
    x, y = tabular
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    wrong = _head(keras, kit, 4, "softmax", loss)
    right = _head(keras, kit, 4, None, loss)
    right.set_weights(wrong.get_weights())
    with pytest.warns(UserWarning, match="from_logits=True"):
        wrong_loss = wrong.evaluate(x, y, verbose=0)
    right_loss = right.evaluate(x, y, verbose=0)
    assert wrong_loss == pytest.approx(right_loss, rel=1e-5)


# --- activation before softmax ---------------------------------------------------
def _separate_softmax(keras, kit, activation):
    return kit.compiled(kit.mlp(
        keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(4, activation=activation),
        keras.layers.Dropout(0.1),
        keras.layers.Activation("softmax")))


def test_relu_before_softmax_fires(keras, kit):
    report = audit_model(_separate_softmax(keras, kit, "relu"))
    (finding,) = report.by_code("model.output_activation")
    assert finding.evidence["activation"] == "relu" and str(finding.severity) == "error"
    assert finding.layer == finding.evidence["layer_before_softmax"]


def test_linear_before_separate_softmax_is_silent(keras, kit):
    assert not audit_model(_separate_softmax(keras, kit, None)).has(
        "model.output_activation")


# --- sigmoid for single-label multi-class ----------------------------------------
def test_sigmoid_for_single_label_multiclass_fires(keras, kit, tabular):
    x, y = tabular
    report = audit_model(_head(keras, kit, 4, "sigmoid",
                               "sparse_categorical_crossentropy"), x=x, y=y)
    assert _codes(report, "model.output_activation") == [
        ("model.output_activation", "warning")]


def test_severity_measured_sigmoid_with_categorical_ce_trains_like_softmax(keras, kit,
                                                                           tabular):
    """The reason for 'warning': on TF the loss reads the logits under the sigmoid."""
    x, y = tabular
    sigmoid = _head(keras, kit, 4, "sigmoid", "sparse_categorical_crossentropy")
    logits = _head(keras, kit, 4, None,
                   keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    logits.set_weights(sigmoid.get_weights())
    assert sigmoid.evaluate(x, y, verbose=0) == pytest.approx(
        logits.evaluate(x, y, verbose=0), rel=1e-5)
    assert not np.allclose(sigmoid.predict(x[:8], verbose=0).sum(axis=1), 1.0)


def test_sigmoid_multilabel_with_binary_ce_is_silent(keras, kit, tabular):
    x, _ = tabular
    y = (np.random.default_rng(0).random((len(x), 4)) > 0.5).astype("float32")
    report = audit_model(_head(keras, kit, 4, "sigmoid", "binary_crossentropy"),
                         x=x, y=y)
    assert len(report) == 0


# --- loss vs task -------------------------------------------------------------------
def test_mse_for_classification_fires(keras, kit, tabular):
    x, y = tabular
    report = audit_model(_head(keras, kit, 4, "softmax", "mse"), x=x, y=y)
    assert _codes(report, "model.loss_mismatch") == [("model.loss_mismatch", "error")]
    onehot = np.eye(4, dtype="float32")[y]
    report = audit_model(_head(keras, kit, 4, "softmax", "mse"), x=x, y=onehot)
    assert _codes(report, "model.loss_mismatch") == [("model.loss_mismatch", "warning")]


def test_mse_for_regression_is_silent(keras, kit, tabular):
    x, _ = tabular
    y = x.sum(axis=1, keepdims=True)
    report = audit_model(_head(keras, kit, 1, None, "mse"), x=x, y=y)
    assert len(report) == 0


def test_binary_ce_with_more_than_two_classes_fires(keras, kit, tabular):
    x, y = tabular
    report = audit_model(_head(keras, kit, 4, "softmax", "binary_crossentropy"),
                         x=x, y=y)
    assert report.has("model.loss_mismatch", "error")
    onehot = np.eye(4, dtype="float32")[y]
    report = audit_model(_head(keras, kit, 4, "softmax", "binary_crossentropy"),
                         x=x, y=onehot)
    assert report.has("model.loss_mismatch", "warning")


def test_sparse_ce_with_onehot_labels_fires_and_twin_is_silent(keras, kit, tabular):
    x, y = tabular
    model = _head(keras, kit, 4, "softmax", "sparse_categorical_crossentropy")
    report = audit_model(model, x=x, y=np.eye(4, dtype="float32")[y])
    (finding,) = report.by_code("model.loss_mismatch")
    assert finding.evidence["labels"] == "onehot" and "argmax" in finding.fix
    assert not audit_model(model, x=x, y=y).has("model.loss_mismatch")


def test_categorical_ce_with_integer_labels_fires_and_twin_is_silent(keras, kit, tabular):
    x, y = tabular
    model = _head(keras, kit, 4, "softmax", "categorical_crossentropy")
    (finding,) = audit_model(model, x=x, y=y).by_code("model.loss_mismatch")
    assert finding.evidence["labels"] == "sparse" and "to_categorical" in finding.fix
    assert len(audit_model(model, x=x, y=np.eye(4, dtype="float32")[y])) == 0


def test_kl_divergence_on_non_probabilities_fires(keras, kit, tabular):
    x, _ = tabular
    target = np.random.default_rng(0).dirichlet(np.ones(4), size=len(x))
    linear = _head(keras, kit, 4, None, "kl_divergence")
    assert audit_model(linear, x=x, y=target).has("model.loss_mismatch", "error")
    softmax = _head(keras, kit, 4, "softmax", "kl_divergence")
    raw_targets = np.random.default_rng(0).normal(size=(len(x), 4))
    assert audit_model(softmax, x=x, y=raw_targets).has("model.loss_mismatch", "error")


def test_kl_divergence_on_distributions_is_silent(keras, kit, tabular):
    x, _ = tabular
    target = np.random.default_rng(0).dirichlet(np.ones(4), size=len(x))
    report = audit_model(_head(keras, kit, 4, "softmax", "kl_divergence"), x=x, y=target)
    assert len(report) == 0


def test_categorical_loss_on_one_unit_or_binary_ce_on_two_units_fires(keras, kit, tabular):
    x, _ = tabular
    y = np.arange(len(x)) % 2
    one_unit = _head(keras, kit, 1, "sigmoid", "sparse_categorical_crossentropy")
    (finding,) = audit_model(one_unit, x=x, y=y).by_code("model.loss_mismatch")
    assert str(finding.severity) == "error" and finding.evidence["units"] == 1
    two_units = _head(keras, kit, 2, "softmax", "binary_crossentropy")
    assert audit_model(two_units, x=x, y=y).has("model.loss_mismatch", "error")
    # Twins: one sigmoid unit with binary CE, two softmax units with sparse CE.
    assert len(audit_model(_head(keras, kit, 1, "sigmoid", "binary_crossentropy"),
                           x=x, y=y)) == 0
    assert len(audit_model(_head(keras, kit, 2, "softmax",
                                 "sparse_categorical_crossentropy"), x=x, y=y)) == 0


# --- output units ---------------------------------------------------------------------
def test_output_units_fewer_than_classes_fires(keras, kit, tabular):
    x, _ = tabular
    y = np.arange(len(x)) % 6
    report = audit_model(_head(keras, kit, 4, "softmax",
                               "sparse_categorical_crossentropy"), x=x, y=y)
    (finding,) = report.by_code("model.output_units")
    assert str(finding.severity) == "error"
    assert finding.evidence["units"] == 4 and finding.evidence["n_classes_in_labels"] == 6


def test_output_units_onehot_width_and_unused_units(keras, kit, tabular):
    x, y = tabular
    model = _head(keras, kit, 6, "softmax", "categorical_crossentropy")
    assert audit_model(model, x=x, y=np.eye(4, dtype="float32")[y]).has(
        "model.output_units", "error")
    sparse = _head(keras, kit, 6, "softmax", "sparse_categorical_crossentropy")
    assert audit_model(sparse, x=x, y=y).has("model.output_units", "warning")
    # Too few samples to say the classes are missing: silent.
    assert not audit_model(sparse, x=x[:40], y=y[:40]).has("model.output_units")


def test_output_units_matching_is_silent(keras, kit, tabular):
    x, y = tabular
    report = audit_model(_head(keras, kit, 4, "softmax",
                               "sparse_categorical_crossentropy"), x=x, y=y)
    assert not report.has("model.output_units")


def test_subclassed_output_is_measured_by_a_forward_pass(keras, tabular):
    x, y = tabular

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(16, activation="relu",
                                             kernel_initializer="he_normal")
            self.out = keras.layers.Dense(4)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = Net()
    model(x[:2])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    report = audit_model(model, x=x, y=y)
    (finding,) = report.by_code("model.output_activation")
    assert finding.evidence["read_from"] == "forward pass"
    without_x = audit_model(model)
    assert "model.output_activation" in without_x.skipped
