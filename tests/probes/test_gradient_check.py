"""probe.gradient_check: autodiff against central finite differences."""

import pytest

from kerasdoc.probes import gradient_check


def test_fires_on_a_custom_gradient_twice_too_large(twins, small):
    result = gradient_check(twins.wrong_gradient(), *small)
    [finding] = result.findings
    assert finding.code == "probe.gradient_check"
    assert finding.layer == result.worst_layer
    assert finding.layer.startswith("custom_tanh")
    assert finding.evidence["dtype"] == "float64"
    assert finding.evidence["rel_error"] == pytest.approx(0.5, abs=0.01)
    assert finding.evidence["analytic"] == pytest.approx(
        2 * finding.evidence["numeric"], rel=1e-3)


def test_silent_on_the_correct_custom_gradient(twins, small):
    result = gradient_check(twins.wrong_gradient(wrong=False), *small)
    assert result.findings == ()
    assert result.checks and all(c["dtype"] == "float64" for c in result.checks)
    assert result.worst_error < 1e-5


def test_fires_on_a_custom_loss_with_a_flipped_gradient(twins, small):
    result = gradient_check(twins.wrong_loss(), *small)
    [finding] = result.findings
    assert finding.evidence["layer"] == "<loss>"
    assert finding.layer is None
    assert finding.evidence["rel_error"] > 1  # opposite signs


def test_silent_on_the_correct_custom_loss(twins, small):
    result = gradient_check(twins.wrong_loss(wrong=False), *small)
    assert result.findings == ()
    assert [c["layer"] for c in result.checks] == ["<loss>"]


def test_every_keras_layer_passes(baseline, small):
    from kerasdoc.examples import small_cnn

    for model in (baseline, small_cnn((28, 28))):
        result = gradient_check(model, *small, layers="all")
        assert result.findings == ()
        assert len(result.checks) > 5
        assert result.worst_error < 1e-5  # float64, jittered off the kinks


def test_skipped_without_custom_parts(baseline, small):
    result = gradient_check(baseline, *small)
    assert "no custom layers" in result.skipped
    assert result.findings == ()


@pytest.mark.parametrize("wrong", [True, False])
def test_subclassed_models_are_checked_as_a_whole(twins, small, wrong):
    result = gradient_check(twins.subclassed(wrong=wrong), *small)
    assert result.checks
    if wrong:
        assert [f.code for f in result.findings] == ["probe.gradient_check"]
        # the weights feeding the custom layer, not the correct ones after it
        model_layers = {c["layer"] for c in result.checks}
        assert len(model_layers) == 2
        assert result.findings[0].layer == result.worst_layer
        assert result.worst_layer.startswith("dense")
    else:
        assert result.findings == ()


def test_bad_arguments(baseline, small):
    with pytest.raises(ValueError, match="Received: layers='some'"):
        gradient_check(baseline, *small, layers="some")
    with pytest.raises(ValueError, match="does not have"):
        gradient_check(baseline, *small, layers=["nope"])
