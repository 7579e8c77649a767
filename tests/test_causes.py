"""Root causes report once, with their downstream symptoms' evidence."""

import pytest

import kerasdoc
from kerasdoc import Finding, Severity
from kerasdoc._causes import SYMPTOMS, fold_symptoms, symptom_codes
from kerasdoc.findings import CATALOGUE


def test_table_uses_catalogue_codes_only():
    for cause, symptoms in SYMPTOMS.items():
        assert cause in CATALOGUE
        assert set(symptoms) <= set(CATALOGUE), cause
        assert cause not in symptoms


def test_symptoms_fold_into_their_cause_with_worst_severity_and_evidence():
    cause = Finding("data.not_normalized", message="x reaches 255.", evidence={"max": 255})
    loss = Finding("probe.initial_loss", message="loss 220.", evidence={"measured": 220.0})
    grads = Finding("train.exploding_gradients", message="norm 1e3.", layer="dense",
                    step=16, evidence={"global_norm": 1241.0})
    other = Finding("optim.vanilla_sgd", message="SGD without momentum.")
    out = fold_symptoms([cause, loss, grads, other])
    assert [f.code for f in out] == ["data.not_normalized", "optim.vanilla_sgd"]
    merged = out[0]
    assert merged.severity is Severity.ERROR  # exploding gradients' severity
    assert symptom_codes(merged) == ("probe.initial_loss", "train.exploding_gradients")
    assert merged.evidence["max"] == 255
    assert merged.evidence["symptoms"][1]["evidence"]["global_norm"] == 1241.0
    assert merged.evidence["symptoms"][1]["layer"] == "dense"
    assert "Seen downstream as: probe.initial_loss, train.exploding_gradients." in merged.message
    assert merged.fix == cause.fix


def test_symptom_without_its_cause_stays_a_finding():
    grads = Finding("train.exploding_gradients", message="norm 1e3.")
    unrelated_cause = Finding("data.split_leakage", message="leak.")
    out = fold_symptoms([unrelated_cause, grads])
    assert [f.code for f in out] == ["data.split_leakage", "train.exploding_gradients"]
    assert out[0] is unrelated_cause and symptom_codes(out[0]) == ()


def test_first_cause_wins_and_nothing_is_lost():
    data = Finding("data.not_normalized", message="raw.")
    lr = Finding("optim.learning_rate", message="lr 10.")
    diverging = Finding("train.loss_diverging", message="up.")
    out = fold_symptoms([data, lr, diverging])
    assert [f.code for f in out] == ["data.not_normalized", "optim.learning_rate"]
    assert symptom_codes(out[0]) == ("train.loss_diverging",)


def test_batch_mixing_explains_the_stalled_fit():
    mixing = Finding("probe.batch_mixing", message="mixes.", evidence={"leak_ratio": 0.4})
    overfit = Finding("probe.cannot_overfit_batch", message="stuck.")
    plateau = Finding("train.loss_plateau", severity="warning", message="stalled.")
    out = fold_symptoms([mixing, overfit, plateau])
    assert [f.code for f in out] == ["probe.batch_mixing"]
    assert symptom_codes(out[0]) == ("probe.cannot_overfit_batch", "train.loss_plateau")
    assert out[0].evidence["leak_ratio"] == 0.4


def test_input_independence_folds_into_a_conclusive_overfit_failure():
    overfit = Finding("probe.cannot_overfit_batch", message="stuck at 2.3.")
    independent = Finding("probe.input_independent", message="zeros do as well.")
    plateau = Finding("train.loss_plateau", severity="warning", message="stalled.")
    out = fold_symptoms([overfit, independent, plateau])
    assert [f.code for f in out] == ["probe.cannot_overfit_batch", "train.loss_plateau"]
    assert symptom_codes(out[0]) == ("probe.input_independent",)
    # An inconclusive overfit run (info) explains nothing: both stay.
    unsure = Finding("probe.cannot_overfit_batch", severity="info", message="budget.")
    out = fold_symptoms([unsure, independent])
    assert [f.code for f in out] == ["probe.cannot_overfit_batch", "probe.input_independent"]
    assert symptom_codes(out[0]) == ()


def test_dead_relus_explain_the_zero_gradients_and_still_weights_below_them():
    dead = Finding("train.dead_relu", severity="warning", message="95% dead.", layer="d2")
    zero = Finding("train.vanishing_gradients", severity="warning", message="0 times.",
                   layer="d1", evidence={"ratio": 0.0})
    still = Finding("train.weights_unchanged", message="no movement.")
    out = fold_symptoms([still, dead, zero])
    assert [f.code for f in out] == ["train.dead_relu"]
    assert symptom_codes(out[0]) == ("train.weights_unchanged", "train.vanishing_gradients")
    assert out[0].severity is Severity.ERROR and out[0].layer == "d2"
    # Without dead units, vanishing gradients stay a finding of their own.
    assert [f.code for f in fold_symptoms([zero])] == ["train.vanishing_gradients"]


def test_a_cause_folds_with_its_symptoms_into_its_own_cause():
    zero = Finding("model.zero_init", message="zeros.")
    overfit = Finding("probe.cannot_overfit_batch", message="stuck.")
    independent = Finding("probe.input_independent", message="zeros do as well.")
    out = fold_symptoms([zero, overfit, independent])
    assert [f.code for f in out] == ["model.zero_init"]
    assert symptom_codes(out[0]) == ("probe.cannot_overfit_batch",
                                     "probe.input_independent")
    assert out[0].severity is Severity.ERROR


def test_group_symptoms_must_be_a_bool(bundled_subset):
    from kerasdoc.examples import baseline_mlp

    s = bundled_subset
    with pytest.raises(kerasdoc.InvalidTypeError, match="Received: group_symptoms='yes'"):
        kerasdoc.diagnose(baseline_mlp(), s.x_train[:50], s.y_train[:50],
                          group_symptoms="yes")


@pytest.mark.slow
def test_raw_pixels_reported_once_with_every_symptom(bundled_subset):
    """The walkthrough's classic: raw 0-255 pixels into the baseline."""
    import keras

    from kerasdoc.examples import baseline_mlp

    s = bundled_subset
    x, y = s.x_train[:400].astype("float32"), s.y_train[:400]
    keras.utils.set_random_seed(0)
    report = kerasdoc.diagnose(baseline_mlp(), x, y, epochs=2, progress=None,
                               parts=["data", "model", "probes", "training"])
    (cause,) = report.by_code("data.not_normalized")
    symptoms = set(symptom_codes(cause))
    assert "probe.initial_loss" in symptoms, report.to_text()
    # Every symptom is gone from the top level, and its severity reached the cause.
    assert not symptoms & report.codes
    worst_symptom = max(Severity.parse(s["severity"]) for s in cause.evidence["symptoms"])
    assert cause.severity == max(worst_symptom, Severity.WARNING)
    # The healthy twin (same data scaled to [0, 1]) has nothing to fold.
    keras.utils.set_random_seed(0)
    healthy = kerasdoc.diagnose(baseline_mlp(), x / 255.0, y, epochs=2, progress=None,
                                parts=["data", "model", "probes", "training"])
    assert not healthy.at_least("warning"), healthy.to_text()
