"""probe.input_independent: real inputs must beat zeroed inputs."""

import numpy as np
import pytest

from kerasdoc.probes import input_independence


def test_silent_on_baseline(baseline, small):
    result = input_independence(baseline, *small)
    assert result.findings == ()
    assert result.conclusive
    assert result.real_loss < 0.5 * result.zero_loss
    assert result.stopped == "clear"  # stopped early: the answer was clear
    assert len(result.real_losses) < 100
    assert result.output_spread > 1e-3


def test_fires_on_a_model_that_ignores_its_input(twins, small):
    result = input_independence(twins.input_ignorer(), *small, max_steps=40)
    [finding] = result.findings
    assert finding.code == "probe.input_independent"
    assert str(finding.severity) == "error"
    assert finding.evidence["output_constant"] is True
    assert finding.evidence["real_loss"] == pytest.approx(
        finding.evidence["zero_loss"], rel=0.05)
    assert len(result.real_losses) == len(result.zero_losses) == 40


def test_silent_when_training_diverges(twins, small):
    # SGD at 10 kills every ReLU: both copies end up constant, which says
    # nothing about whether the architecture uses its input.
    result = input_independence(twins.sgd_lr10(), *small, max_steps=30)
    assert result.findings == ()
    assert not result.conclusive


def test_silent_when_nothing_learns(twins, small):
    import keras

    model = twins.with_optimizer(keras.optimizers.SGD(1e-9))
    result = input_independence(model, *small, max_steps=20)
    assert result.findings == ()
    assert not result.conclusive


def test_plot(baseline, small, pyplot):
    result = input_independence(baseline, *small, max_steps=20)
    assert result.plot() is result
    assert len(result.ax_.lines) == 2


def test_bad_arguments(baseline, small):
    with pytest.raises(ValueError, match="Received: margin=2"):
        input_independence(baseline, *small, margin=2)
    with pytest.raises(ValueError, match="time_budget"):
        input_independence(baseline, *small, time_budget=0)


def test_silent_on_a_healthy_tabular_model_early_in_training(tabular_mlp, tabular):
    # After 100 Adam steps the real copy beats zeros by less than `margin`
    # (a margin-only rule cried wolf here), but per sample the advantage is
    # many standard errors above zero: the model uses its input.
    result = input_independence(tabular_mlp, *tabular)
    assert result.findings == ()
    assert result.conclusive
    assert result.gap > 0 and result.gap_z >= 3.0
    assert result.real_loss < result.zero_loss


def test_inconclusive_when_only_the_zero_copy_learns(twins, small):
    import keras

    # The real copy barely moves in 20 steps: the zero copy learning the
    # label prior says nothing about whether the input is used.
    model = twins.with_optimizer(keras.optimizers.SGD(1e-6))
    result = input_independence(model, *small, max_steps=20)
    assert not result.conclusive
    assert result.findings == ()


def test_still_learning_real_copy_is_inconclusive_not_an_error():
    """Iris MLP at batch 5: the zero copy starts at the balanced label prior
    (ln 3) while the real copy starts at ~1.7 and is still falling after 100
    steps. Significantly worse than zeros per sample means the output depends
    on the input: info, inconclusive, never an error."""
    import keras
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    data = load_iris()
    x = StandardScaler().fit_transform(data.data).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    result = input_independence(model, x, data.target, batch_size=5)
    assert result.real_losses[-10:].mean() < result.real_losses[:10].mean() - 0.2
    assert result.gap < 0 and result.gap_z <= -3.0
    assert not result.conclusive
    [finding] = result.findings
    assert str(finding.severity) == "info"
    assert finding.message.startswith("Inconclusive")


def test_raw_scale_features_saturating_a_fresh_sigmoid_are_not_input_blind():
    """Twin of MachineLearningMastery's first network (Pima's raw columns): the
    fresh sigmoid is saturated at exactly 1.0 on every sample, yet its logits
    vary with the input; the copy on real inputs is still coming down from
    its huge initial loss. Not an error."""
    import keras

    rng = np.random.default_rng(0)
    x = np.stack([rng.poisson(3.8, 300), rng.normal(121, 32, 300),
                  rng.exponential(80, 300), rng.normal(32, 8, 300)], 1).astype("float32")
    y = (x[:, 1] + rng.normal(0, 20, 300) > 130).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(12, activation="relu"),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    result = input_independence(model, x, y, batch_size=10, n_samples=128, max_steps=30)
    assert result.output_spread > 1e-3
    assert all(str(f.severity) == "info" for f in result.findings), result.findings


@pytest.mark.slow
def test_real_copy_level_with_zeros_but_still_falling_is_inconclusive():
    """Twin of keras-io's custom train_step guide: Dense(1) on 32 uniform
    features, a linear target, Adam at 1e-3, MSE. The real copy starts far
    above the label prior (random weights times inputs of mean 0.5) and after
    100 steps has only come level with the zero copy, still falling: info,
    never an error."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.random((1000, 32)).astype("float32")
    y = ((x - 0.5) @ rng.normal(0, 0.3, (32, 1))
         + rng.normal(0, 0.05, (1000, 1))).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    result = input_independence(model, x, y)
    assert not result.conclusive
    [finding] = result.findings
    assert str(finding.severity) == "info"
    assert finding.evidence["still_falling"] is True
    assert finding.message.startswith("Inconclusive")


@pytest.mark.slow
def test_batch_size_one_measures_the_output_spread_across_samples():
    """Twin of MachineLearningMastery's airline LSTM (look-back 1, batch_size=1):
    the spread of one sample's output is zero by construction, which made a
    model that uses its input look constant (an error)."""
    import keras

    t = np.arange(96)
    series = ((100 + 2.6 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)))
    series = ((series - series.min()) / np.ptp(series)).astype("float32")
    x, y = series[:-1].reshape(-1, 1, 1), series[1:]
    keras.utils.set_random_seed(0)
    # the LSTM(4) of the original, as a Dense(4) on the one step (the cause
    # is the batch size, not the layer)
    model = keras.Sequential([keras.Input((1, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(loss="mean_squared_error", optimizer="adam")
    result = input_independence(model, x, y, batch_size=1, max_steps=30)
    assert result.output_spread > 1e-3
    assert all(str(f.severity) == "info" for f in result.findings), result.findings


def test_a_loss_that_reduces_over_the_batch_itself_runs_without_a_paired_test():
    """A contrastive-style user loss returns one number for the batch
    (keras-io's siamese example): it has no per-sample form, so the paired
    per-sample test is left out instead of failing the probe."""
    import keras

    def batch_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(keras.ops.cast(y_true, "float32") - y_pred))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=batch_loss)
    result = input_independence(model, x, y, max_steps=20)
    assert result.gap is None and result.gap_z is None
    assert len(result.real_losses) > 0 and len(result.zero_losses) > 0
