"""audit_model as a whole: the healthy panel, bookkeeping, validation, safety."""

import numpy as np
import pytest

import kerasdoc
from kerasdoc import InvalidInputError, InvalidTypeError, audit_model, check_preprocessing
from kerasdoc._modelcopy import ModelState
from kerasdoc.examples import baseline_mlp, small_cnn


def _no_warnings(report):
    bad = report.at_least("warning")
    assert not bad, report.to_text(color=False)


# --- the healthy panel -----------------------------------------------------------------
@pytest.fixture(scope="module")
def walkthrough_data():
    rng = np.random.default_rng(0)
    x = rng.random((1000, 28, 28)).astype("float32")
    y = rng.permutation(np.repeat(np.arange(10), 100))
    return x, y


def test_panel_walkthrough_baseline(walkthrough_data):
    x, y = walkthrough_data
    report = audit_model(baseline_mlp(), x=x, y=y, batch_size=32)
    assert len(report) == 0
    # nothing skipped for want of an input; checks of other tasks do not apply
    assert not {k: v for k, v in report.skipped.items() if "does not apply" not in v}
    # exactly the model checks whose tasks exclude a multiclass classifier, by the registry
    expected = {check.name: check.applies_to_task(report.task)
                for check in kerasdoc.checks("model")
                if check.applies_to_task(report.task) is not None}
    assert expected and report.skipped == expected
    assert {"model.zero_init", "model.loss_mismatch", "model.output_units",
            "optim.batch_size"} <= set(report.ran)


def test_panel_small_cnn_with_batchnorm(walkthrough_data):
    x, y = walkthrough_data
    _no_warnings(audit_model(small_cnn(), x=x[..., None], y=y, batch_size=32))


def test_panel_lstm_text_classifier(keras, kit):
    rng = np.random.default_rng(0)
    x = rng.integers(1, 1000, size=(400, 20))
    y = rng.integers(0, 4, size=400)
    model = kit.compiled(kit.mlp(
        keras.layers.Embedding(1000, 32), keras.layers.LSTM(32),
        keras.layers.Dropout(0.3), keras.layers.Dense(4, activation="softmax"),
        input_shape=(20,)))
    _no_warnings(audit_model(model, x=x, y=y, batch_size=32))


def test_panel_regression_mlp(keras, kit, tabular):
    x, _ = tabular
    y = x @ np.linspace(-1, 1, x.shape[1]) + 0.1
    model = kit.compiled(kit.mlp(
        keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(1)), loss="mse")
    assert len(audit_model(model, x=x, y=y, batch_size=16)) == 0


def test_panel_binary_classifier(keras, kit, tabular):
    x, _ = tabular
    y = (x[:, 0] > 0).astype("int64")
    model = kit.compiled(kit.mlp(
        keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(1, activation="sigmoid")), loss="binary_crossentropy",
        metrics=["accuracy"])
    assert len(audit_model(model, x=x, y=y, batch_size=16)) == 0


def test_panel_logits_with_from_logits_true(keras, kit, walkthrough_data):
    x, y = walkthrough_data
    model = kit.compiled(kit.mlp(
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(10), input_shape=(28, 28)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(audit_model(model, x=x, y=y, batch_size=32)) == 0


def _classifier_on(keras, backbone, n_classes):
    inputs = keras.Input(backbone.input_shape[1:])
    h = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss="sparse_categorical_crossentropy")
    return model


def test_panel_mobilenet_v2_with_its_preprocessing(keras, kit, mobilenet_v2):
    model = _classifier_on(keras, mobilenet_v2, 5)
    x = keras.applications.mobilenet_v2.preprocess_input(kit.natural_images(160))
    y = np.arange(160) % 5
    _no_warnings(audit_model(model, x=x, y=y, batch_size=32))
    assert len(check_preprocessing(model, x[:8])) == 0


def test_panel_frozen_backbone_feature_extraction_with_small_batches(keras, kit):
    base = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3),
                                          include_top=False, alpha=0.35)
    base.trainable = False
    model = _classifier_on(keras, base, 5)
    x = keras.applications.mobilenet_v2.preprocess_input(kit.natural_images(160))
    report = audit_model(model, x=x, y=np.arange(160) % 5, batch_size=8)
    _no_warnings(report)
    assert not report.has("model.batchnorm_small_batch")


@pytest.fixture(scope="module")
def resnet50(keras):
    """Full-size ResNet50 (weights=None, with its 1000-way softmax top), built once."""
    model = keras.applications.ResNet50(weights=None)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
    return model


def test_panel_resnet50_with_its_preprocessing(keras, kit, resnet50):
    y = np.arange(3000) % 1000
    report = audit_model(resnet50, y=y)
    _no_warnings(report)
    x = keras.applications.resnet50.preprocess_input(kit.natural_images(4, 224))
    assert len(check_preprocessing(resnet50, x)) == 0
    assert check_preprocessing(resnet50, x / 255.0).has("preprocess.pretrained_mismatch")


def test_sequential_wrapping_a_backbone(keras, kit, mobilenet_v2):
    model = keras.Sequential([mobilenet_v2, keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(3, activation="softmax")])
    images = kit.natural_images(8)
    assert check_preprocessing(model, images).has("preprocess.pretrained_mismatch")
    good = keras.applications.mobilenet_v2.preprocess_input(images.copy())
    assert len(check_preprocessing(model, good)) == 0


# --- the model is never changed ------------------------------------------------------------
@pytest.mark.slow
def test_audit_leaves_weights_optimizer_and_compile_state_untouched(keras, walkthrough_data):
    x, y = walkthrough_data
    model = baseline_mlp()
    model.fit(x[:64], y[:64], epochs=1, batch_size=32, verbose=0)  # builds the optimizer
    before = ModelState.capture(model)
    iterations = int(model.optimizer.iterations.numpy())
    audit_model(model, x=x, y=y, batch_size=8)
    assert before.diff(ModelState.capture(model)) == []
    assert int(model.optimizer.iterations.numpy()) == iterations == 2


def test_forward_pass_path_leaves_a_subclassed_model_untouched(keras, tabular):
    x, y = tabular

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.body = keras.layers.Dense(8, activation="relu")
            self.norm = keras.layers.BatchNormalization()
            self.head = keras.layers.Dense(4, activation="softmax")

        def call(self, inputs, training=False):
            return self.head(self.norm(self.body(inputs), training=training))

    model = Net()
    model(x[:2])
    model.compile("adam", "sparse_categorical_crossentropy")
    before = ModelState.capture(model)
    report = audit_model(model, x=x, y=y, batch_size=32)
    assert before.diff(ModelState.capture(model)) == []
    assert "model.output_activation" in report.ran


# --- bookkeeping and validation ---------------------------------------------------------------
def test_uncompiled_model_is_audited_and_skips_are_explained():
    report = audit_model(baseline_mlp(compile=False))
    assert report.skipped["model.loss_mismatch"] == "the model is not compiled"
    assert "optim.learning_rate" in report.skipped and "model.zero_init" in report.ran
    assert report.skipped["model.output_units"] == "needs `y`"


def test_multi_output_model_audits_each_output(keras):
    inputs = keras.Input((4,))
    h = keras.layers.Dense(8, activation="relu", kernel_initializer="he_normal")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2, name="a")(h),
                                 keras.layers.Dense(1, name="b")(h)])
    model.compile("adam", ["mse", "mse"])
    report = audit_model(model)
    assert {"model.output_activation (output 'a')",
            "model.output_activation (output 'b')",
            "model.loss_mismatch (output 'a')",
            "model.loss_mismatch (output 'b')"} <= set(report.ran)
    # two mse outputs: regression, whose output width the label checks do not judge
    assert "regression" in report.skipped["model.output_units (output 'b')"]
    assert not report.codes


def test_report_renders(walkthrough_data):
    x, y = walkthrough_data
    report = audit_model(baseline_mlp(kernel_initializer="zeros"), x=x[:100], y=y[:100],
                         batch_size=64)
    assert report.codes == {"model.zero_init", "optim.batch_size"}
    text = report.to_text(color=False)
    assert "model.zero_init" in text and "fix:" in text
    assert '"model.zero_init"' in report.to_json()


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "Received: batch_size=0"),
    ({"batch_size": 2.5}, "Received: batch_size=2.5"),
    ({"constant_atol": -1.0}, "Received: constant_atol=-1.0"),
    ({"max_batch_fraction": 0.0}, "Received: max_batch_fraction=0.0"),
    ({"x": np.zeros((10, 28, 28)), "y": np.zeros(9)}, "len\\(y\\)=9"),
    ({"x": "pixels"}, "Received: x='pixels'"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises((InvalidInputError, InvalidTypeError), match=match):
        audit_model(baseline_mlp(compile=False), **kwargs)


def test_not_a_model_or_unbuilt(keras):
    with pytest.raises(InvalidTypeError, match="Received: model="):
        audit_model("model.h5")
    with pytest.raises(InvalidInputError, match="must be built"):
        audit_model(keras.Sequential([keras.layers.Dense(2)]))
