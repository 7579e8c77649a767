"""Live detection on real fits: each broken run fires its code, the healthy
twins (walkthrough baseline and small CNN on the bundled subset) stay silent."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from kerasdoc import Doctor  # noqa: E402
from kerasdoc.examples import baseline_mlp, small_cnn  # noqa: E402

pytestmark = pytest.mark.slow


def _mlp(*hidden, lr=1e-3, loss="sparse_categorical_crossentropy", out=None):
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten()] + list(hidden)
        + [out or keras.layers.Dense(10, activation="softmax", name="out")])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss,
                  metrics=["accuracy"])
    return model


def _watch(model, x, y, epochs=1, **kw):
    kw.setdefault("stop_on", None)
    doctor = Doctor(every=kw.pop("every", 4), **kw)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, callbacks=[doctor])
    return doctor


@pytest.mark.parametrize("build, epochs", [(baseline_mlp, 5), (small_cnn, 2)],
                         ids=["baseline_mlp", "small_cnn"])
def test_healthy_walkthrough_runs_are_silent(build, epochs, subset01):
    x, y, xv, yv = subset01
    model = build(input_shape=(28, 28))
    doctor = Doctor()
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0,
              validation_data=(xv, yv), callbacks=[doctor])
    assert len(doctor.report) == 0, doctor.report.to_text(color=False)
    h = doctor.history
    assert h["epoch/val_loss"].shape == (epochs,)
    relu = [i for i, k in enumerate(h["activation_kinds"]) if k == "relu"]
    dead = h["dead_fraction"][h["epoch_end"]][:, relu]
    assert np.all(np.isfinite(dead)) and np.all(dead < 0.7)


def test_zero_init_freezes_hidden_layer(small01):
    x, y = small01
    model = _mlp(keras.layers.Dense(64, activation="relu",
                                    kernel_initializer="zeros", name="hidden"),
                 out=keras.layers.Dense(10, activation="softmax",
                                        kernel_initializer="zeros", name="out"))
    report = _watch(model, x, y, epochs=2).report
    assert report.has("train.weights_unchanged", "error")
    assert report.by_code("train.weights_unchanged")[0].layer == "hidden"
    assert report.by_code("train.vanishing_gradients")[0].layer == "hidden"
    assert "train.nonfinite" not in report.codes


def test_zero_init_plateau(small01):
    x, y = small01
    model = _mlp(keras.layers.Dense(64, activation="relu",
                                    kernel_initializer="zeros", name="hidden"))
    report = _watch(model, x, y, epochs=4, every=2, plateau_window=6).report
    # still on the plateau when the run ends: kept at its severity
    assert report.has("train.loss_plateau", "warning")


def test_early_plateau_the_run_leaves_is_info():
    """Twin of MachineLearningMastery's multi-output regression: raw targets
    (std ~100), Dense(20, relu) -> Dense(3), MAE under Adam. The loss falls
    by a fraction of a percent a step for the first epochs (the detector
    fires live on that window), then fast: the plateau was a slow phase."""
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=32, n_features=10, n_informative=5, n_targets=3,
                           random_state=2)
    # one batch repeated, in order: a loss without sampling noise
    x, y = np.tile(x, (10, 1)).astype("float32"), np.tile(y, (10, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((10,)),
        keras.layers.Dense(20, kernel_initializer="he_uniform", activation="relu"),
        keras.layers.Dense(3)])
    model.compile(loss="mae", optimizer=keras.optimizers.Adam(0.01))
    doctor = Doctor(every=1, stop_on=None)
    model.fit(x, y, batch_size=32, epochs=15, shuffle=False, verbose=0,
              callbacks=[doctor])
    [finding] = doctor.report.by_code("train.loss_plateau")
    assert str(finding.severity) == "info"
    assert finding.evidence["left_later"] is True
    assert finding.evidence["final_loss"] < 0.5 * finding.evidence["first_loss"]
    assert doctor.report.at_least("warning") == []


def test_huge_negative_bias_kills_relu(small01):
    x, y = small01
    model = _mlp(keras.layers.Dense(64, activation="relu", name="hidden",
                                    bias_initializer=keras.initializers.Constant(-100.0)))
    # Two epochs of 10 steps: 5 instrumented batches (every=4), the 4 the check needs.
    (finding,) = _watch(model, x, y, epochs=2).report.by_code("train.dead_relu")
    assert finding.layer == "hidden" and finding.evidence["dead_fraction"] == 1.0
    assert finding.evidence["batches_seen"] >= 4


def test_sigmoid_saturation_from_large_init(small01):
    x, y = small01
    big = keras.initializers.RandomNormal(stddev=5.0, seed=0)
    saturated = _mlp(keras.layers.Dense(64, activation="sigmoid", name="hidden",
                                        kernel_initializer=big))
    (finding,) = _watch(saturated, x, y).report.by_code("train.saturated_activations")
    assert finding.layer == "hidden" and finding.evidence["saturated_fraction"] > 0.5
    healthy = _mlp(keras.layers.Dense(64, activation="sigmoid", name="hidden"))
    assert "train.saturated_activations" not in _watch(healthy, x, y).report.codes


class Poison(keras.layers.Layer):
    """Turns its input into NaN (log of a negative number)."""

    def call(self, x):
        return x + tf.math.log(tf.reduce_min(x) * 0.0 - 1.0)


def test_nan_injected_at_a_layer_is_located_and_stops_training(small01):
    x, y = small01
    model = _mlp(keras.layers.Dense(32, activation="relu", name="hidden"),
                 Poison(name="poison"))
    doctor = _watch(model, x, y, epochs=3, every=100, stop_on="error")
    (finding,) = doctor.report.by_code("train.nonfinite")
    assert finding.layer == "poison" and finding.step == 1
    assert finding.evidence["where"] == "activation"
    assert doctor.history["step"][-1] == 1  # stopped after the first step


def test_nonfinite_run_raises_no_numpy_warnings(small01):
    # NaN statistics are the finding, not something to warn about.
    import warnings

    x, y = small01
    model = _mlp(keras.layers.Dense(32, activation="relu", name="hidden"),
                 Poison(name="poison"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doctor = _watch(model, x[:128], y[:128], epochs=2, every=2)
    assert doctor.report.has("train.nonfinite")
    ours = [str(w.message) for w in caught if "kerasdoc" in w.filename
            and issubclass(w.category, RuntimeWarning)]
    assert ours == []


def test_frozen_model(small01):
    x, y = small01
    model = baseline_mlp(compile=False)
    for layer in model.layers:
        layer.trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="trainable weights"):
        report = _watch(model, x, y).report
    (finding,) = report.by_code("train.weights_unchanged")
    assert finding.evidence["trainable_weights"] == 0


def test_learning_rate_10_diverges(small01):
    x, y = small01
    model = baseline_mlp(learning_rate=10.0)
    report = _watch(model, x, y).report
    assert report.has("train.loss_diverging", "error")
    assert report.has("train.logits_blowup")
    assert report.has("train.update_ratio", "info")


def test_exploding_gradients_and_stop_on(rng):
    # Linear regression on large inputs with SGD: each step overshoots more.
    x = rng.normal(0, 30.0, (256, 8)).astype("float32")
    y = x @ rng.normal(size=(8, 1)).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, name="lin")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    doctor = Doctor(every=1, stop_on="error")
    model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[doctor])
    report = doctor.report
    assert report.has("train.exploding_gradients", "error")
    assert report.by_code("train.exploding_gradients")[0].layer == "lin"
    assert doctor.history["step"][-1] < 5 * 16  # stop_on="error" stopped it
    # normalised inputs (the fix): silent
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, name="lin")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    doctor = Doctor(every=1)
    model.fit(x / 30.0, y / 30.0, batch_size=16, epochs=2, verbose=0,
              callbacks=[doctor])
    assert "train.exploding_gradients" not in doctor.report.codes


def test_validation_gap_from_noisy_training_labels(subset01):
    x, y, _, _ = subset01
    x, y = x[:500], y[:500]
    noisy = y.copy()
    flip = np.random.default_rng(0).random(len(y)) < 0.6
    noisy[flip] = np.random.default_rng(1).integers(0, 10, flip.sum())
    model = baseline_mlp()
    doctor = Doctor(stop_on=None)
    model.fit(x, noisy, batch_size=32, epochs=4, verbose=0,
              validation_data=(x, y), callbacks=[doctor])
    assert doctor.report.has("train.validation_gap")
    # clean labels on both sides: no gap
    model = baseline_mlp()
    doctor = Doctor(stop_on=None)
    model.fit(x, y, batch_size=32, epochs=4, verbose=0,
              validation_data=(x, y), callbacks=[doctor])
    assert "train.validation_gap" not in doctor.report.codes


def test_imbalanced_binary_with_log_prior_bias_is_silent(subset01):
    # Bags (class 8) vs the rest at 1:45, sigmoid output whose bias is the log
    # prior odds (the right practice), Adam 1e-3. Unshuffled, the 20 bags sit
    # in the first half of the epoch: windows without a bag have a loss ~100x
    # below windows with several, which used to be read as a divergence.
    x, y, _, _ = subset01
    negative = np.flatnonzero(y != 8)
    keep = np.concatenate([negative[:32], np.sort(np.concatenate(
        [np.flatnonzero(y == 8)[:20], negative[32:]]))])
    x, y = x[keep], (y[keep] == 8).astype("float32")
    assert not y[:32].any()
    prior = float(y.mean())
    keras.utils.set_random_seed(0)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")
    model = _mlp(keras.layers.Dense(128, activation="relu",
                                    kernel_initializer="he_normal"),
                 loss="binary_crossentropy", out=out)
    out.bias.assign([np.log(prior / (1.0 - prior))])
    doctor = Doctor(every=16)
    model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0,
              callbacks=[doctor])
    h = doctor.history
    assert h["loss"].max() > 10 * h["loss"].min()  # the trap is there
    assert h["step"][-1] == 2 * len(range(0, len(x), 32))  # not stopped
    assert "train.loss_diverging" not in doctor.report.codes
    assert not doctor.report.errors


def test_small_batch_noise_on_small_data_is_not_oscillation():
    """Breast-cancer MLP at batch 4: checks average 16 x 4 of 569 samples, so a
    low loss swings by half of itself between checks while the epoch loss
    falls at every epoch. That is minibatch noise, not an oscillation."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    x = StandardScaler().fit_transform(data.data).astype("float32")
    y = data.target.astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30,)),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    doctor = Doctor()
    model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[doctor])
    h = doctor.history
    assert np.all(np.diff(h["epoch/loss"]) < 0)
    loss = h["loss"][-8:]
    assert np.mean(np.abs(np.diff(loss))) > 0.3 * np.mean(loss)  # the swings are there
    steps = np.diff(h["step"], prepend=0)
    assert np.all(np.isfinite(h["loss_sem"][steps >= 2]))
    assert np.all(np.isnan(h["loss_sem"][steps == 1]))
    assert not doctor.report.has("train.loss_oscillating"), doctor.report.to_text(color=False)


def test_regression_on_raw_but_sane_targets_has_no_exploding_gradients():
    """Diabetes progression (targets 25..346) with MSE and RMSprop: gradient
    norms start near 1e3 and grow with the outputs' scale while the loss falls."""
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    data = load_diabetes()
    x = StandardScaler().fit_transform(data.data).astype("float32")
    y = data.target.astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="mse")
    doctor = Doctor()
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[doctor])
    h = doctor.history
    norms = np.sqrt(np.nansum(np.square(h["grad_norm"]), axis=1))
    assert np.nanmax(norms) > 1e3  # above the probability-output threshold
    assert h["epoch/loss"][-1] < h["epoch/loss"][0]
    assert not doctor.report.has("train.exploding_gradients"), doctor.report.to_text(color=False)


def test_confident_logits_on_separable_data_are_info():
    """Twin of MachineLearningMastery's standardised binary baseline
    (Dense(d, relu) -> sigmoid on breast cancer): the training set is
    separable, so the logits grow past 50 as the loss falls to ~0.04."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(30, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.01))
    doctor = Doctor(stop_on=None)
    model.fit(x, y.astype("float32"), batch_size=16, epochs=6, verbose=0,
              callbacks=[doctor])
    [finding] = doctor.report.by_code("train.logits_blowup")
    assert str(finding.severity) == "info" and finding.evidence["fitted"] is True
    assert doctor.report.at_least("warning") == []


def test_layernorm_over_one_feature_blocks_the_gradient():
    """Twin of keras-io's timeseries Transformer (one-feature series): a block
    whose feed-forward output has one feature goes through LayerNormalization,
    which turns one value into its beta, so the Conv1D layers before it get
    exactly zero gradient; the warning is true there (the corpus program
    stays at chance), so it must fire."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 16, 1)).astype("float32")
    y = (x[:, :8, 0].mean(1) > 0).astype("int64")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 1))
    h = keras.layers.Conv1D(4, 1, activation="relu", name="ff_in")(inputs)
    h = keras.layers.Conv1D(1, 1, name="ff_out")(h)
    h = keras.layers.LayerNormalization(epsilon=1e-6)(h)
    h = keras.layers.Flatten()(keras.layers.Add()([h, inputs]))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    doctor = _watch(model, x, y, epochs=2, every=2)
    [finding] = doctor.report.by_code("train.vanishing_gradients")
    assert finding.layer == "ff_in" and finding.evidence["layer_median_norm"] == 0.0
    assert str(finding.severity) == "warning"
