"""model.zero_init and model.init_activation_mismatch: firing and silent twins."""

import numpy as np
import pytest

from kerasdoc import audit_model


def _zero_relu(keras, kit, initializer):
    return kit.compiled(kit.mlp(
        keras.layers.Dense(64, activation="relu", kernel_initializer=initializer),
        keras.layers.Dense(4, activation="softmax")))


def test_zero_init_fires_on_the_walkthrough_zeros_relu_layer(keras, kit):
    report = audit_model(_zero_relu(keras, kit, "zeros"))
    (finding,) = report.by_code("model.zero_init")
    assert str(finding.severity) == "error"
    assert finding.evidence["configured_initializer"] == "Zeros"
    assert finding.evidence["value"] == 0.0 and tuple(finding.evidence["shape"]) == (8, 64)
    assert "he_normal" in finding.fix


def test_zero_init_silent_on_he_normal_twin(keras, kit):
    assert not audit_model(_zero_relu(keras, kit, "he_normal")).has("model.zero_init")


def test_zero_init_fires_on_a_constant_kernel(keras, kit):
    report = audit_model(_zero_relu(keras, kit, keras.initializers.Constant(0.05)))
    (finding,) = report.by_code("model.zero_init")
    assert finding.evidence["value"] == pytest.approx(0.05)
    assert "constant" in finding.message


def test_zero_init_reads_the_weights_not_the_config(keras, kit):
    # Configured 'zeros' but since set to random values (e.g. loaded): silent.
    model = _zero_relu(keras, kit, "zeros")
    kernel = model.layers[0].kernel
    kernel.assign(np.random.default_rng(0).normal(0, 0.1, kernel.shape))
    assert not audit_model(model).has("model.zero_init")
    # Configured he_normal but all-equal weights in the built model: fires.
    model = _zero_relu(keras, kit, "he_normal")
    model.layers[0].kernel.assign(np.full(model.layers[0].kernel.shape, 0.3))
    report = audit_model(model)
    assert report.by_code("model.zero_init")[0].evidence["configured_initializer"] == \
        "HeNormal"


def test_zero_init_ignores_biases_and_batchnorm(keras, kit):
    from kerasdoc.examples import small_cnn

    assert not audit_model(small_cnn()).has("model.zero_init")


def _stack(keras, kit, activation, initializer, *, separate=False, depth=5,
           batchnorm=False):
    layers = []
    for _ in range(depth):
        if separate:
            layers.append(keras.layers.Dense(32, kernel_initializer=initializer))
            if batchnorm:
                layers.append(keras.layers.BatchNormalization())
            layers.append(keras.layers.ReLU() if activation == "relu"
                          else keras.layers.Activation(activation))
        else:
            layers.append(keras.layers.Dense(32, activation=activation,
                                             kernel_initializer=initializer))
    layers.append(keras.layers.Dense(4, activation="softmax"))
    return kit.compiled(kit.mlp(*layers))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_he_with_saturating_activation_fires_in_a_deep_stack(keras, kit, activation):
    report = audit_model(_stack(keras, kit, activation, "he_normal"))
    (finding,) = report.by_code("model.init_activation_mismatch")
    assert str(finding.severity) == "warning"
    assert finding.evidence["longest_chain"] == 5
    assert set(finding.evidence["activations"]) == {activation}
    assert "glorot" in finding.fix


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_glorot_with_saturating_activation_is_silent(keras, kit, activation):
    report = audit_model(_stack(keras, kit, activation, "glorot_uniform"))
    assert not report.has("model.init_activation_mismatch")


def test_glorot_with_relu_layers_fires_through_separate_relu_layers(keras, kit):
    report = audit_model(_stack(keras, kit, "relu", "glorot_uniform", separate=True,
                                depth=6))
    (finding,) = report.by_code("model.init_activation_mismatch")
    assert finding.evidence["initializers"][0] == "GlorotUniform"
    assert "he_normal" in finding.fix


def test_he_with_relu_is_silent(keras, kit):
    assert not audit_model(_stack(keras, kit, "relu", "he_normal", separate=True,
                                  depth=6)).has("model.init_activation_mismatch")


def test_glorot_relu_shallow_or_normalized_is_silent(keras, kit):
    shallow = _stack(keras, kit, "relu", "glorot_uniform", depth=4)
    assert not audit_model(shallow).has("model.init_activation_mismatch")
    normalized = _stack(keras, kit, "relu", "glorot_uniform", separate=True,
                        batchnorm=True, depth=6)
    assert not audit_model(normalized).has("model.init_activation_mismatch")
    assert audit_model(shallow, glorot_relu_min_layers=4).has(
        "model.init_activation_mismatch")


def test_he_tanh_two_layers_is_silent(keras, kit):
    report = audit_model(_stack(keras, kit, "tanh", "he_normal", depth=2))
    assert not report.has("model.init_activation_mismatch")


def test_init_mismatch_ignores_trained_weights(keras, kit):
    # Pretrained/trained kernels no longer have the initialiser's spread.
    model = _stack(keras, kit, "tanh", "he_normal")
    for layer in model.layers[:-1]:
        layer.kernel.assign(layer.kernel.numpy() * 0.3)
    assert not audit_model(model).has("model.init_activation_mismatch")


def _fixed_scale_stack(keras, kit, initializer, depth, width=5):
    layers = [keras.layers.Dense(width, activation="relu", kernel_initializer=initializer)
              for _ in range(depth)]
    return kit.compiled(kit.mlp(*layers, keras.layers.Dense(2, activation="softmax"),
                                input_shape=(2,)))


def test_fixed_scale_relu_stack_that_shrinks_the_signal_fires(keras, kit):
    """Keras' RandomUniform(-0.05, 0.05) in eight Dense(5) ReLU layers: each keeps
    fan_in * 0.05**2 / 3 / 2 (0.002 for fan_in 5) of the signal's second moment."""
    model = _fixed_scale_stack(keras, kit, keras.initializers.RandomUniform(seed=0), 8)
    (finding,) = audit_model(model).by_code("model.init_activation_mismatch")
    assert str(finding.severity) == "warning"
    assert finding.evidence["longest_chain"] == 8
    assert finding.evidence["signal_factor"] < 1e-15
    for layer in model.layers[:8]:  # fan_in 2 for the first layer, 5 after it
        fan_in = layer.kernel.shape[0]
        assert finding.evidence["gains"][layer.name] == pytest.approx(
            fan_in * 0.05 ** 2 / 3 / 2, rel=0.6)
    assert "he_normal" in finding.fix and "vanish" in finding.message


def test_fixed_scale_matched_to_the_fan_in_or_shallow_is_silent(keras, kit):
    # RandomNormal with He's own std for fan_in 5: a gain of about 1 per layer.
    matched = keras.initializers.RandomNormal(stddev=(2 / 5) ** 0.5, seed=0)
    assert not audit_model(_fixed_scale_stack(keras, kit, matched, 8)).has(
        "model.init_activation_mismatch")
    shallow = _fixed_scale_stack(keras, kit, keras.initializers.RandomUniform(seed=0), 2)
    assert not audit_model(shallow).has("model.init_activation_mismatch")


def test_he_with_sigmoid_in_stacked_lstms_fires_and_defaults_are_silent(keras, kit):
    def lstms(**kwargs):
        return kit.compiled(kit.mlp(
            *[keras.layers.LSTM(4, return_sequences=True, **kwargs) for _ in range(2)],
            keras.layers.LSTM(4, **kwargs), keras.layers.Dense(2, activation="softmax"),
            input_shape=(5, 3)))

    bad = lstms(activation="sigmoid", kernel_initializer="he_uniform")
    (finding,) = audit_model(bad).by_code("model.init_activation_mismatch")
    assert finding.evidence["longest_chain"] == 3
    assert set(finding.evidence["activations"]) == {"sigmoid"}
    assert not audit_model(lstms()).has("model.init_activation_mismatch")


def test_zero_init_in_a_conv_layer(keras, kit):
    model = kit.compiled(kit.mlp(
        keras.layers.Conv2D(4, 3, kernel_initializer="zeros", activation="relu"),
        keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax"),
        input_shape=(8, 8, 1)))
    (finding,) = audit_model(model).by_code("model.zero_init")
    assert tuple(finding.evidence["shape"]) == (3, 3, 1, 4)


def test_zero_output_layer_over_random_hidden_features_is_info_and_learns(keras, kit):
    """A zero last layer (a tutorial's deliberate choice) is logistic regression
    from zero over non-zero features: every output unit gets its own gradient."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = (digits.data / 16.0).astype("float32"), digits.target
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    (finding,) = audit_model(model).by_code("model.zero_init")
    assert str(finding.severity) == "info"
    assert finding.evidence["breaks_training"] is False
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


def test_zero_kernel_breaks_training_where_units_stay_dead_or_symmetric(keras, kit):
    # zero ReLU layer (bias 0): every unit is dead from the first step
    relu = audit_model(_zero_relu(keras, kit, "zeros")).by_code("model.zero_init")[0]
    assert str(relu.severity) == "error" and "dead" in relu.message
    # zero tanh layer feeding a zero output layer: identical gradients forever
    model = kit.compiled(kit.mlp(
        keras.layers.Dense(16, activation="tanh", kernel_initializer="zeros", name="hidden"),
        keras.layers.Dense(4, activation="softmax", kernel_initializer="zeros", name="out")))
    findings = {f.layer: f for f in audit_model(model).by_code("model.zero_init")}
    assert str(findings["hidden"].severity) == "error"
    assert "symmetry never breaks" in findings["hidden"].message
    assert str(findings["out"].severity) == "info"


def _toy_resnet(keras, residual):
    """keras-io's functional toy ResNet (Glorot ReLU convolutions), small."""
    layers = keras.layers
    inputs = keras.Input((16, 16, 3))
    h = layers.Conv2D(4, 3, activation="relu")(inputs)
    h = layers.Conv2D(8, 3, activation="relu")(h)
    skip = layers.MaxPooling2D(2)(h)
    for _ in range(2):
        h = layers.Conv2D(8, 3, activation="relu", padding="same")(skip)
        h = layers.Conv2D(8, 3, activation="relu", padding="same")(h)
        skip = layers.add([h, skip]) if residual else h
    h = layers.Conv2D(8, 3, activation="relu")(skip)
    h = layers.GlobalAveragePooling2D()(h)
    h = layers.Dense(16, activation="relu")(h)
    model = keras.Model(inputs, layers.Dense(10)(h))
    model.compile(optimizer="rmsprop", loss=keras.losses.CategoricalCrossentropy(
        from_logits=True))
    return model


def test_glorot_relu_with_residual_skips_is_silent(keras):
    # 8 Glorot ReLU layers on the longest path, but each residual sum carries
    # the skip's signal undiminished: at most 4 shrink it in a row
    assert not audit_model(_toy_resnet(keras, True)).has("model.init_activation_mismatch")
    # the same stack without the skips fires
    assert audit_model(_toy_resnet(keras, False)).has("model.init_activation_mismatch")
