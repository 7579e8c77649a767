"""probe.learning_rate: the learning-rate range test."""

import numpy as np
import pytest

from kerasdoc.probes import lr_range_test
from kerasdoc.probes._lr_range import LRRangeResult


def test_silent_on_baseline(baseline, subset):
    result = lr_range_test(baseline, *subset)
    assert result.findings == ()
    assert result.configured_lr == pytest.approx(1e-3)
    assert result.diverged_at is not None and result.diverged_at > 1e-2
    assert result.stopped == "diverged"  # stopped early, before max_lr
    assert len(result.losses) < 100
    suggestion = result.suggestion()
    assert 1e-4 < suggestion < result.diverged_at
    assert 1e-5 < result.suggestion("minimum") < result.diverged_at
    rates = result.learning_rates
    assert rates[0] == pytest.approx(1e-7)
    assert np.allclose(np.diff(np.log(rates)), np.log(rates[1] / rates[0]))


def test_fires_on_sgd_with_learning_rate_10(twins, subset):
    result = lr_range_test(twins.sgd_lr10(), *subset)
    [finding] = result.findings
    assert finding.code == "probe.learning_rate"
    assert str(finding.severity) == "warning"
    assert finding.evidence["configured_lr"] == pytest.approx(10.0)
    assert finding.evidence["diverged_at"] <= 10.0
    assert "past" in finding.message


def test_fires_when_far_below_the_useful_range(twins, subset):
    import keras

    result = lr_range_test(twins.with_optimizer(keras.optimizers.Adam(1e-7)), *subset)
    [finding] = result.findings
    assert "below" in finding.message
    assert finding.evidence["suggestion"] > 100 * 1e-7


def test_flat_curve_suggests_nothing(twins, small):
    result = lr_range_test(twins.input_ignorer(), *small, max_steps=40)
    assert result.suggestion() is None
    assert result.findings == ()


def test_suggestion_on_a_synthetic_curve():
    rates = np.geomspace(1e-6, 1.0, 61)
    loss = 2.3 - 2.0 / (1 + np.exp(-(np.log10(rates) + 3) * 3))  # steepest at 1e-3
    result = LRRangeResult(learning_rates=rates, losses=loss, smoothed=loss)
    assert result.suggestion() == pytest.approx(1e-3, rel=0.3)
    assert result.suggestion("minimum") == pytest.approx(0.1)
    with pytest.raises(ValueError, match="Received: method='valley'"):
        result.suggestion("valley")
    assert not result.turned  # still falling at the last rate: no "far below" claim
    valley = np.r_[loss[:50], loss[50] + np.linspace(0, 1, 11)]
    assert LRRangeResult(learning_rates=rates, losses=valley, smoothed=valley).turned


def test_plot(baseline, small, pyplot):
    result = lr_range_test(baseline, *small, max_steps=30)
    fig, ax = pyplot.subplots()
    assert result.plot(ax=ax) is result
    assert ax.get_xscale() == "log"
    assert result.figure_ is fig


def test_bad_arguments(baseline, small):
    with pytest.raises(ValueError, match="Received: max_lr=1e-08"):
        lr_range_test(baseline, *small, max_lr=1e-8)
    with pytest.raises(ValueError, match="smoothing"):
        lr_range_test(baseline, *small, smoothing=1.0)


def test_silent_on_adam_default_rate_for_a_healthy_tabular_model(tabular_mlp, tabular):
    # The sweep's steepest fall lies far above 1e-3 (a rough guide: a step or
    # two per rate), but 1e-3 is inside Adam's sane range: no warning.
    result = lr_range_test(tabular_mlp, *tabular)
    assert result.findings == ()
    assert result.configured_lr == pytest.approx(1e-3)
    assert result.suggestion() > 1e-3


def test_silent_on_a_rare_class_model_with_its_bias_at_the_prior(subset):
    import keras

    # Bags vs the rest at 1:45, output bias at the log prior odds: most
    # batches hold no bag, so the first smoothed losses jump with the batch,
    # not the rate (that read as "diverged at 1.2e-07" before the warm-up).
    x, y = subset
    keep = np.sort(np.r_[np.flatnonzero(y == 8)[:20], np.flatnonzero(y != 8)])
    x, y = x[keep], (y[keep] == 8).astype("float32")
    keras.utils.set_random_seed(0)
    prior = float(y.mean())
    model = keras.Sequential([
        keras.Input(shape=(28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(1, activation="sigmoid",
                           bias_initializer=keras.initializers.Constant(
                               np.log(prior / (1 - prior))))])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    result = lr_range_test(model, x, y)
    assert result.findings == ()
    assert result.diverged_at is None or result.diverged_at > 1e-3


def test_fires_when_sgd_rate_is_far_below_its_sane_range(twins, subset):
    import keras

    result = lr_range_test(twins.with_optimizer(keras.optimizers.SGD(1e-7)), *subset)
    [finding] = result.findings
    assert "below" in finding.message
    assert finding.evidence["sane_low"] == pytest.approx(1e-5)


def test_lr_ranges_and_warmup_are_validated(baseline, small):
    with pytest.raises(ValueError, match="Received: lr_ranges="):
        lr_range_test(baseline, *small, lr_ranges={"adam": (1e-2, 1e-6)})
    with pytest.raises(ValueError, match="Received: lr_ranges="):
        lr_range_test(baseline, *small, lr_ranges=[("adam", 1e-6, 1e-2)])
    with pytest.raises(ValueError, match="warmup"):
        lr_range_test(baseline, *small, warmup=-1)


def test_a_custom_sane_range_lets_the_below_warning_through(twins, subset):
    import keras

    model = twins.with_optimizer(keras.optimizers.Adam(1e-5))
    assert lr_range_test(model, *subset).findings == ()  # inside Adam's default range
    result = lr_range_test(model, *subset, lr_ranges={"adam": (1e-4, 1e-2)})
    [finding] = result.findings
    assert finding.evidence["sane_low"] == pytest.approx(1e-4)


def test_inconclusive_when_the_loss_is_non_finite_at_the_start():
    import keras

    init = keras.initializers.RandomNormal(stddev=10.0, seed=0)
    model = keras.Sequential([
        keras.Input((8,)),
        keras.layers.Dense(16, activation="exponential", kernel_initializer=init),
        keras.layers.Dense(16, activation="exponential", kernel_initializer=init),
        keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 3, size=64)
    result = lr_range_test(model, x, y)
    assert result.findings == ()  # no "diverged at 1e-07" warning
    assert result.skipped.startswith("non-finite gradients/loss: inconclusive")
    assert result.diverged_at is None
    assert len(result.losses) == 1 and not np.isfinite(result.losses[0])
    assert result.report.skipped == {"lr_range_test": result.skipped}
