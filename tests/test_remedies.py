"""Remedies: each transforms a copy of (model, compile settings, data, fit settings)
and leaves the user's model and arrays untouched (issue 14)."""

import numpy as np
import pytest

import keras

from kerasdoc import Finding
from kerasdoc._modelcopy import ModelState
from kerasdoc.remedies import (REMEDIES, NotApplicable, TrainingSetup, apply_remedy,
                               remedy_for)


def _data(n=120, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (np.argmax(x[:, :classes], axis=1)).astype("int64")
    return x, y


def _mlp(init="he_normal", act="relu", out="softmax", units=3,
         loss="sparse_categorical_crossentropy", optimizer="adam", features=6):
    model = keras.Sequential([
        keras.Input((features,)),
        keras.layers.Dense(8, activation=act, kernel_initializer=init, name="hidden"),
        keras.layers.Dense(units, activation=out, name="out")])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def _remedied(model, x, y, finding, **setup_kwargs):
    """Apply the finding's remedy; check the user's model and data are untouched."""
    before = ModelState.capture(model)
    x0, y0 = x.copy(), y.copy()
    setup = TrainingSetup.from_user(model, x, y, **setup_kwargs)
    remedy = remedy_for(finding)
    assert remedy is not None, finding.code
    new, changes = apply_remedy(remedy, setup, finding, seed=1)
    assert new is not setup and new.model is not model and new.model is not setup.model
    assert ModelState.capture(model).diff(before) == []
    assert np.array_equal(x, x0) and np.array_equal(y, y0)
    assert changes and all(isinstance(c, str) and c for c in changes)
    return setup, new, changes


def test_every_remedy_is_declared_by_a_check():
    from kerasdoc._registry import checks

    used = {c.remedy for c in checks() if c.remedy}
    # clipping is cure_cause's last resort, no check's own remedy
    assert used == set(REMEDIES) - {"clip_gradients"}
    from kerasdoc._registry import get

    assert get("model.zero_init").to_dict()["remedy"] == "reinit_kernels"
    assert get("train.dead_relu").to_dict()["remedy"] == "cure_cause"
    assert get("data.duplicates").to_dict()["remedy"] is None
    assert remedy_for("model.zero_init").name == "reinit_kernels"
    assert remedy_for("train.dead_relu").name == "cure_cause"
    assert remedy_for("probe.batch_mixing") is None


def test_unknown_remedy_name_is_refused():
    from kerasdoc import InvalidInputError
    from kerasdoc._registry import register

    with pytest.raises(InvalidInputError, match="remedy"):
        register("model.zero_init", part="model", remedy="reinit_kernel")


def test_reinit_kernels_he_for_relu_on_a_copy():
    from kerasdoc.model import audit_model

    x, y = _data()
    model = _mlp(init="zeros")
    finding = audit_model(model, x=x, y=y).by_code("model.zero_init")[0]
    _, new, changes = _remedied(model, x, y, finding)
    assert changes == ["Dense 'hidden': kernel_initializer 'zeros' -> 'he_normal' "
                       "(redrawn, seed 1)"]
    kernel = new.model.get_layer("hidden").kernel.numpy()
    assert kernel.std() > 0.1
    assert np.all(model.get_layer("hidden").kernel.numpy() == 0)


def test_reinit_kernels_glorot_for_tanh():
    x, y = _data()
    model = _mlp(init="zeros", act="tanh")
    finding = Finding("model.zero_init", evidence={"layer": "hidden", "weight": "kernel"},
                      layer="hidden")
    _, _, changes = _remedied(model, x, y, finding)
    assert "'zeros' -> 'glorot_uniform'" in changes[0]


def test_reinit_kernels_of_a_recurrent_layer_set_its_cells_initializers():
    # Keras 3's LSTM exposes kernel_initializer as a read-only property of its cell
    # (bug_at_lstm_sigmoid_vanish failed with "property ... has no setter")
    model = keras.Sequential([keras.Input((5, 3)),
                              keras.layers.LSTM(4, kernel_initializer="zeros",
                                                recurrent_initializer="zeros", name="lstm"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    setup = TrainingSetup.from_user(model, np.zeros((8, 5, 3), "float32"),
                                    np.zeros(8, "int64"))
    finding = Finding("model.zero_init", evidence={"layer": "lstm"}, layer="lstm")
    new, changes = apply_remedy(REMEDIES["reinit_kernels"], setup, finding, seed=1)
    assert any("kernel_initializer 'zeros' -> 'glorot_uniform'" in c for c in changes), changes
    lstm = new.model.get_layer("lstm")
    assert type(lstm.cell.kernel_initializer).__name__ == "GlorotUniform"
    assert lstm.cell.kernel.numpy().std() > 0.1
    assert np.all(model.get_layer("lstm").cell.kernel.numpy() == 0)  # the user's model


def test_pair_output_softmax_single_unit_becomes_sigmoid():
    from kerasdoc.model import audit_model

    x, _ = _data()
    y = (x[:, 0] > 0).astype("int64")
    model = _mlp(units=1, loss="binary_crossentropy")
    finding = audit_model(model, x=x, y=y).by_code("model.output_activation")[0]
    _, new, changes = _remedied(model, x, y, finding)
    assert changes == ["Dense 'out': activation 'softmax' -> 'sigmoid'"]
    assert new.model.get_layer("out").activation.__name__ == "sigmoid"
    assert model.get_layer("out").activation.__name__ == "softmax"


def test_pair_output_linear_output_gets_from_logits():
    x, y = _data()
    model = _mlp(out=None)
    finding = Finding("model.output_activation", evidence={"output_activation": "linear"})
    _, new, changes = _remedied(model, x, y, finding)
    assert "from_logits=True" in changes[0]
    assert new.loss.get_config()["from_logits"] is True
    assert model.loss == "sparse_categorical_crossentropy"


def test_pair_output_mse_on_class_ids_becomes_cross_entropy():
    x, y = _data()
    model = _mlp(loss="mse")
    finding = Finding("model.loss_mismatch", evidence={"loss": "mean_squared_error"})
    _, new, changes = _remedied(model, x, y, finding)
    assert changes == ["loss 'mean_squared_error' -> 'sparse_categorical_crossentropy'"]
    assert model.loss == "mse"


def test_pair_output_relu_before_softmax_made_linear():
    x, y = _data()
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, "relu", name="logits"),
                              keras.layers.Activation("softmax", name="sm")])
    model.compile("adam", "sparse_categorical_crossentropy")
    finding = Finding("model.output_activation", evidence={
        "layer_before_softmax": "logits", "activation": "relu", "softmax_layer": "sm"})
    _, new, changes = _remedied(model, x, y, finding)
    assert changes[0].startswith("Dense 'logits': activation 'relu' -> 'linear'")
    assert new.model.get_layer("logits").activation.__name__ == "linear"


def test_rescale_inputs_pixels_get_rescaling():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(40, 4, 4, 1)).astype("float32")
    y = rng.integers(0, 2, size=40)
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    finding = Finding("data.not_normalized", evidence={"min": 0.0, "max": 255.0})
    _, new, changes = _remedied(model, x, y, finding)
    assert changes[0].startswith("inputs: Rescaling(1/255) before model")
    out = new.model(x[:3])
    assert out.shape == (3, 2)
    assert len(model.layers) == 2


def test_rescale_inputs_tabular_gets_adapted_normalization():
    x, y = _data()
    x = x * 100 + 500
    model = _mlp()
    finding = Finding("data.not_normalized", evidence={"max": 800.0})
    _, new, changes = _remedied(model, x, y, finding)
    assert changes[0].startswith("inputs: Normalization adapted on x_train")
    norm = new.model.get_layer("kerasdoc_normalization")
    scaled = np.asarray(norm(x))
    assert abs(scaled.mean()) < 1e-3 and abs(scaled.std() - 1) < 1e-2


def test_standardise_targets_records_the_inverse():
    x, _ = _data()
    y = (x[:, 0] * 1000 + 5000).astype("float32")
    model = _mlp(out=None, units=1, loss="mse")
    finding = Finding("data.target_scale", evidence={"mean": 5000.0})
    setup, new, changes = _remedied(model, x, y, finding,
                                    validation_data=(x[:20], y[:20]))
    assert changes[0].startswith("targets: standardised (y - ")
    mean, std = new.target_transform
    assert np.allclose(new.y * std + mean, y, rtol=1e-5)
    assert abs(new.y.mean()) < 1e-4
    assert setup.y is y and setup.target_transform is None


def test_shuffle_permutes_a_copy_of_the_data():
    x, y = _data()
    order = np.argsort(y, kind="stable")
    xs, ys = x[order], y[order]
    finding = Finding("data.unshuffled", evidence={"mean_run_length": 40.0})
    _, new, changes = _remedied(_mlp(), xs, ys, finding, shuffle=False)
    assert changes == ["x, y: shuffled once (seed 1)", "fit: shuffle False -> True"]
    assert not np.array_equal(new.y, ys) and sorted(new.y) == sorted(ys)


def test_learning_rate_to_the_range_test_suggestion_and_to_the_default():
    x, y = _data()
    model = _mlp(optimizer=keras.optimizers.SGD(learning_rate=10.0))
    probe = Finding("probe.learning_rate", evidence={"configured_lr": 10.0,
                                                     "suggestion": 0.03})
    _, new, changes = _remedied(model, x, y, probe)
    assert changes == ["SGD: learning_rate 10 -> 0.03 (the LR range test's suggestion)"]
    assert np.isclose(new.optimizer.get_config()["learning_rate"], 0.03)
    assert np.isclose(float(model.optimizer.learning_rate.numpy()), 10.0)
    static = Finding("optim.learning_rate", evidence={"learning_rate": 10.0})
    _, _, changes = _remedied(model, x, y, static)
    assert changes == ["SGD: learning_rate 10 -> 0.01 (SGD's default)"]


def test_sgd_momentum_and_clipping():
    x, y = _data()
    model = _mlp(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    _, new, changes = _remedied(model, x, y, Finding("optim.vanilla_sgd"))
    assert changes == ["SGD: momentum 0.0 -> 0.9, nesterov False -> True"]
    assert new.optimizer.get_config()["momentum"] == 0.9
    # exploding gradients in a sound structure: a lower rate first
    _, new, changes = _remedied(model, x, y, Finding("train.exploding_gradients"))
    assert changes == ["SGD: learning_rate 0.05 -> 0.01 (SGD's default; the model's "
                       "structure shows no cause of the unstable steps)"]
    new, changes = apply_remedy(REMEDIES["clip_gradients"],
                                TrainingSetup.from_user(model, x, y),
                                Finding("train.exploding_gradients"))
    assert changes == ["SGD: clipnorm None -> 1.0"]
    assert model.optimizer.get_config()["clipnorm"] is None
    momentum = _mlp(optimizer=keras.optimizers.SGD(momentum=0.9))
    with pytest.raises(NotApplicable):
        apply_remedy(REMEDIES["sgd_momentum"], TrainingSetup.from_user(momentum, x, y),
                     Finding("optim.vanilla_sgd"))


def test_class_weights_balance_the_classes():
    x, _ = _data()
    y = np.r_[np.zeros(100), np.ones(20)].astype("int64")
    _, new, changes = _remedied(_mlp(units=2), x, y, Finding("data.class_imbalance"))
    assert new.class_weight == {0: 0.6, 1: 3.0}
    assert changes[0].startswith("fit: class_weight None -> {0: 0.6, 1: 3}")


def test_drop_leaked_removes_training_copies_of_validation_samples():
    x, y = _data()
    finding = Finding("data.split_leakage", evidence={"pairs": [{"test": 0, "train": 5}]})
    _, new, changes = _remedied(_mlp(), x, y, finding, validation_data=(x[10:15], y[10:15]))
    assert changes == ["x, y: dropped 6 training samples equal to validation samples "
                       "(114 left)"]
    assert len(new.x) == 114 and len(x) == 120
    assert not REMEDIES["drop_leaked"].judged_by_validation


def test_rescale_inputs_of_an_autoencoder_scales_its_targets_too():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(30, 4, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4, 4)), keras.layers.Flatten(),
                              keras.layers.Dense(16), keras.layers.Reshape((4, 4))])
    model.compile("adam", "mse")
    finding = Finding("data.not_normalized", evidence={"max": 255.0})
    _, new, changes = _remedied(model, x, x.copy(), finding,
                                validation_data=(x[:5], x[:5]))
    assert changes[1].startswith("targets (= inputs, a reconstruction): scaled")
    assert new.y.max() <= 1.0 and new.validation_data[1].max() <= 1.0
    mean, std = new.target_transform
    assert np.allclose(new.y * std + mean, x, atol=1e-3)


def test_smaller_batch_and_log_prior_bias():
    from kerasdoc.model import audit_model

    x, _ = _data()
    y = np.r_[np.zeros(112), np.ones(8)].astype("int64")
    model = _mlp(units=2)
    report = audit_model(model, x=x, y=y, batch_size=120)
    batch = report.by_code("optim.batch_size")[0]
    _, new, changes = _remedied(model, x, y, batch, batch_size=120)
    fraction = batch.evidence["max_batch_fraction"]
    assert new.batch_size == min(32, int(120 * fraction))
    assert changes[0].startswith(f"fit: batch_size 120 -> {new.batch_size} ")
    bias = report.by_code("model.output_bias_init")[0]
    _, new, changes = _remedied(model, x, y, bias)
    assert changes[0].startswith("Dense 'out': bias -> log class prior")
    assert np.allclose(new.model.get_layer("out").bias.numpy(),
                       bias.evidence["log_prior_bias"], atol=1e-4)
    assert np.all(model.get_layer("out").bias.numpy() == 0)


def _stack(act, init="he_uniform", depth=4, bias="zeros", separate=False):
    layers = [keras.Input((6,))]
    for k in range(depth):
        if separate:
            layers += [keras.layers.Dense(5, kernel_initializer=init,
                                          bias_initializer=bias, name=f"d{k}"),
                       keras.layers.Activation(act, name=f"a{k}")]
        else:
            layers.append(keras.layers.Dense(5, activation=act, kernel_initializer=init,
                                             bias_initializer=bias, name=f"d{k}"))
    layers.append(keras.layers.Dense(3, activation="softmax", name="out"))
    model = keras.Sequential(layers)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_cure_cause_gives_exponential_and_stacked_sigmoid_layers_relu():
    x, y = _data()
    _, new, changes = _remedied(_stack("exponential", separate=True), x, y,
                                Finding("train.exploding_gradients"))
    assert len(changes) == 4 and all("'exponential' -> 'relu'" in c for c in changes)
    assert all(new.model.get_layer(f"a{k}").activation.__name__ == "relu" for k in range(4))
    assert new.model.get_layer("out").activation.__name__ == "softmax"  # output kept
    _, new, changes = _remedied(_stack("sigmoid"), x, y,
                                Finding("train.vanishing_gradients"))
    assert changes[0] == ("Dense 'd0': activation 'sigmoid' -> 'relu' (one of 4 stacked "
                          "sigmoids: the gradient shrinks 4x or more through each)")
    # the He init fits ReLU: kernels kept
    assert not any("redrawn" in c for c in changes)
    # two sigmoid layers are not a stack that vanishes: nothing mechanical to do
    with pytest.raises(NotApplicable, match="no mechanical cause"):
        apply_remedy(REMEDIES["cure_cause"], TrainingSetup.from_user(
            _stack("sigmoid", depth=2), x, y), Finding("train.vanishing_gradients"))


def test_cure_cause_redraws_a_relu_stack_off_he_scale_and_zeroes_dead_biases():
    x, y = _data()
    _, new, changes = _remedied(_stack("relu", init="random_uniform", depth=6), x, y,
                                Finding("train.dead_relu"))
    assert sum("kernel_initializer 'RandomUniform' -> 'he_normal'" in c
               for c in changes) == 6
    assert new.model.get_layer("d3").kernel.numpy().std() > 0.2
    _, new, changes = _remedied(_stack("relu", bias=keras.initializers.Constant(-3.0)),
                                x, y, Finding("train.dead_relu"))
    assert changes and all("-> zeros" in c for c in changes)
    assert np.all(new.model.get_layer("d0").bias.numpy() == 0)
    # a sound He ReLU stack: the plateau has no mechanical cause
    with pytest.raises(NotApplicable):
        apply_remedy(REMEDIES["cure_cause"], TrainingSetup.from_user(_stack("relu"), x, y),
                     Finding("train.loss_plateau"))


def test_init_mismatch_in_a_sigmoid_stack_changes_the_activation_not_the_init():
    from kerasdoc.model import audit_model

    x, y = _data()
    model = _stack("sigmoid", init="he_normal", depth=4)
    finding = audit_model(model, x=x, y=y).by_code("model.init_activation_mismatch")[0]
    _, new, changes = _remedied(model, x, y, finding)
    assert all("'sigmoid' -> 'relu'" in c for c in changes), changes
    # a tanh stack keeps tanh and gets Glorot
    model = _stack("tanh", init="he_normal", depth=4)
    finding = audit_model(model, x=x, y=y).by_code("model.init_activation_mismatch")[0]
    _, new, changes = _remedied(model, x, y, finding)
    assert all("'he_normal' -> 'glorot_uniform'" in c for c in changes), changes


def test_cure_cause_reads_penalties_saturated_kernels_and_the_learning_rate():
    x, y = _data()
    reg = keras.regularizers.L2(1.0)
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=reg, name="hidden"),
        keras.layers.Dense(3, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    _, new, changes = _remedied(model, x, y, Finding("probe.cannot_overfit_batch"))
    assert changes[0] == ("Dense 'hidden': kernel_regularizer l2 1 -> 0.0001 (the penalty "
                          "outweighs the loss)")
    assert new.model.get_layer("hidden").kernel.regularizer.get_config()["l2"] == \
        pytest.approx(1e-4)
    assert model.get_layer("hidden").kernel.regularizer.get_config()["l2"] == 1.0
    tanh = _mlp(act="tanh", init=keras.initializers.RandomNormal(stddev=3.0))
    _, _, changes = _remedied(tanh, x, y, Finding("train.saturated_activations"))
    assert "x Glorot's under tanh (the units saturate)" in changes[0]
    rising = keras.optimizers.schedules.ExponentialDecay(1e-3, 16, 2.0)
    _, new, changes = _remedied(_mlp(optimizer=keras.optimizers.Adam(rising)), x, y,
                                Finding("train.loss_diverging"))
    assert changes[0].startswith("Adam: learning_rate ExponentialDecay rising from 0.001")
    assert new.optimizer.get_config()["learning_rate"] == pytest.approx(1e-3)
    _, new, changes = _remedied(_mlp(optimizer=keras.optimizers.Adam(1e-6)), x, y,
                                Finding("train.loss_plateau"))
    assert changes == ["Adam: learning_rate 1e-06 -> 0.001 (Adam's default; the rate is "
                       "over 100x below it)"]
    # a decaying schedule is no cause: clipping is the last resort
    decaying = keras.optimizers.schedules.ExponentialDecay(1e-3, 16, 0.9)
    _, _, changes = _remedied(_mlp(optimizer=keras.optimizers.Adam(decaying)), x, y,
                              Finding("train.exploding_gradients"))
    assert changes == ["Adam: clipnorm None -> 1.0"]


def test_cure_cause_standardises_raw_regression_targets_behind_non_finite_steps():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 6)).astype("float32")
    y = (x[:, 0] * 190 + 30).astype("float32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(), "mse")
    _, new, changes = _remedied(model, x, y, Finding("train.nonfinite"))
    assert changes[0].startswith("targets: standardised") and "root mean square" in changes[0]
    assert abs(new.y.std() - 1) < 1e-3 and new.target_transform is not None
    # targets near unit scale are no cause: the non-finite values have none here
    with pytest.raises(NotApplicable):
        apply_remedy(REMEDIES["cure_cause"], TrainingSetup.from_user(model, x, y / 190),
                     Finding("train.nonfinite"))
