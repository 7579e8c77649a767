"""The detectors on hand-made statistics: each fires on a broken history and
stays silent on its healthy twin. No training here."""

import numpy as np
import pytest

from kerasdoc.training import _detectors as D


def healthy(n=12, epochs=5):
    """A history like a healthy run: falling loss, steady norms, live units."""
    steps = np.arange(1, n + 1) * 16
    loss = 2.0 * np.exp(-np.arange(n) / 4.0) + 0.3
    ones = np.ones((n, 2))
    h = {
        "step": steps, "epoch": np.repeat(np.arange(epochs), -(-n // epochs))[:n],
        "epoch_end": np.zeros(n, bool), "loss": loss,
        "loss_nonfinite": np.zeros(n), "samples": np.ones(n),
        "initial_loss": 2.3,
        "weight_layers": ["dense", "dense_1"],
        "grad_norm": ones * [1.0, 0.5], "update_norm": ones * 0.02,
        "update_ratio": ones * 2e-3,
        "activation_layers": ["flatten", "dense", "tanh", "dense_1"],
        "activation_kinds": ["other", "relu", "tanh", "softmax"],
        "dead_fraction": np.tile([np.nan, 0.1, np.nan, np.nan], (n, 1)),
        "saturated_fraction": np.tile([np.nan, np.nan, 0.05, np.nan], (n, 1)),
        "max_logit": np.tile([np.nan, np.nan, np.nan, 8.0], (n, 1)),
        "first_nonfinite": (None, None), "n_trainable": 4,
        "epoch/loss": np.array([1.2, 0.8, 0.6, 0.5, 0.45]),
        "epoch/val_loss": np.array([0.9, 0.75, 0.7, 0.68, 0.67]),
        "epoch/accuracy": np.array([0.6, 0.75, 0.8, 0.83, 0.85]),
        "epoch/val_accuracy": np.array([0.7, 0.76, 0.78, 0.79, 0.8]),
    }
    h["epoch_end"][np.flatnonzero(np.diff(h["epoch"]))] = True
    h["epoch_end"][-1] = True
    return h


def codes(findings):
    return {f.code for f in findings}


def test_healthy_history_is_silent():
    assert D.run_detectors(healthy(), {}) == []


def test_nonfinite_names_first_layer_and_step():
    h = healthy()
    h["first_nonfinite"] = ("activation:dense", 37)
    (f,) = D.detect_nonfinite(h)
    assert (f.code, f.layer, f.step) == ("train.nonfinite", "dense", 37)
    assert f.evidence["where"] == "activation"
    assert str(f.severity) == "error"


def test_nonfinite_loss_only():
    h = healthy()
    h["loss_nonfinite"][5] = 3
    (f,) = D.detect_nonfinite(h)
    assert f.layer is None and f.step == int(h["step"][5])
    assert f.evidence["where"] == "loss"


def test_exploding_by_threshold_and_growth():
    h = healthy()
    h["grad_norm"] = h["grad_norm"].copy()
    h["grad_norm"][7] = [5e3, 1.0]
    (f,) = D.detect_exploding_gradients(h)
    assert f.layer == "dense" and f.step == int(h["step"][7])
    h = healthy()
    h["grad_norm"] = np.outer(10.0 ** np.arange(12) / 1e6, [1e-3, 1e-3])
    assert D.detect_exploding_gradients(h, threshold=1e9, growth=1e3)
    assert not D.detect_exploding_gradients(h, threshold=1e9, growth=1e12)


def test_vanishing():
    h = healthy()
    h["grad_norm"] = np.ones((12, 2)) * [1e-7, 1.0]
    (f,) = D.detect_vanishing_gradients(h)
    assert f.layer == "dense" and f.evidence["ratio"] == pytest.approx(1e-7)
    assert not D.detect_vanishing_gradients(h, ratio=1e-8)


def test_dead_relu_only_on_relu_layers_at_epoch_end():
    h = healthy()
    h["dead_fraction"][:, 1] = 0.9
    (f,) = D.detect_dead_relu(h)
    assert f.layer == "dense" and f.evidence["dead_fraction"] == 0.9
    assert not D.detect_dead_relu(h, fraction=0.95)
    h["epoch_end"][:] = False  # no complete epoch yet: nothing to judge
    assert not D.detect_dead_relu(h)


def test_saturated():
    h = healthy()
    h["saturated_fraction"][:, 2] = 0.8
    (f,) = D.detect_saturated_activations(h)
    assert f.layer == "tanh"
    assert not D.detect_saturated_activations(h, fraction=0.9)


def test_logits_blowup():
    h = healthy()
    h["max_logit"][4, 3] = 400.0
    (f,) = D.detect_logits_blowup(h)
    assert f.layer == "dense_1" and f.step == int(h["step"][4])
    assert not D.detect_logits_blowup(h, threshold=500.0)
    assert str(f.severity) == "warning" and f.evidence["fitted"] is False


def test_logits_blowup_on_a_fitted_training_set_is_info():
    # A sigmoid over separable data (breast cancer, standardised): the logits
    # pass 50 once the loss is 0.02, against 0.95 at the first step.
    h = healthy()
    h["initial_loss"] = 0.95
    h["loss"] = np.linspace(0.6, 0.02, len(h["loss"]))
    h["max_logit"][10:, 3] = 60.0  # where the loss is 0.07 and 0.02
    (f,) = D.detect_logits_blowup(h)
    assert str(f.severity) == "info" and f.evidence["fitted"] is True
    # the same logits with the loss still high: a warning
    h["loss"] = np.full(len(h["loss"]), 0.5)
    (f,) = D.detect_logits_blowup(h)
    assert str(f.severity) == "warning"


def test_loss_diverging_jump_and_steady_rise():
    h = healthy()
    h["loss"] = h["loss"].copy()
    h["loss"][8:] = 50.0
    assert codes(D.detect_loss_diverging(h)) == {"train.loss_diverging"}
    h = healthy()
    h["loss"] = np.concatenate([[1.0, 0.8, 0.7], 0.7 + 0.2 * np.arange(1, 10)])
    (f,) = D.detect_loss_diverging(h)
    assert f.evidence["steadily_rising"]
    # a blow-up inside the first window: compared with the first step's loss
    h = healthy()
    h["loss"] = np.array([1e5, 300.0, 8.0, 3.5] + [3.0] * 8)
    assert D.detect_loss_diverging(h)
    (f,) = D.detect_loss_diverging(h)
    assert f.evidence["versus_first_step"]


def test_loss_diverging_silent_on_a_one_batch_initial_loss():
    # Imbalanced binary task, log-prior bias: the first batch had no positive
    # (loss 0.007) while the window means are ~0.1, noisy but falling.
    h = healthy()
    h["initial_loss"] = 0.0069
    h["loss"] = np.array([0.1415, 0.0919, 0.105, 0.074, 0.0615, 0.071, 0.058,
                          0.066, 0.052, 0.049, 0.055, 0.047])
    assert not D.detect_loss_diverging(h)
    # ... but a real blow-up from the same start still fires
    h["loss"] = np.array([0.1415, 0.0919, 3.0, 40.0] + [50.0] * 8)
    (f,) = D.detect_loss_diverging(h)
    assert f.step == h["step"][2] and not f.evidence["versus_first_step"]
    # one window without the rare class (0.004) next to one rich in it (0.63)
    h = healthy()
    h["initial_loss"] = 0.0248
    h["loss"] = np.array([0.2, 0.004, 0.63, 0.16, 0.022])
    h["samples"] = np.array([16, 13, 16, 13, 16])
    h["step"] = np.array([16, 29, 45, 58, 74])
    assert not D.detect_loss_diverging(h)


def test_loss_oscillating():
    h = healthy()
    h["loss"] = np.array([2.0, 1.5] + [1.0, 1.8] * 5)
    (f,) = D.detect_loss_oscillating(h)
    assert f.code == "train.loss_oscillating"
    assert not D.detect_loss_oscillating(h, amplitude=2.0)


def test_loss_oscillating_weighs_swings_against_minibatch_noise():
    """The same swings are oscillation when each check's loss is precise, and
    sampling noise when the spread of its batch losses explains them."""
    h = healthy()
    h["loss"] = np.array([2.0, 1.5] + [1.0, 1.8] * 5)
    h["loss_sem"] = np.full(12, 0.05)  # swings of 0.8 are ~11x the noise
    (f,) = D.detect_loss_oscillating(h)
    assert f.evidence["noise_ratio"] > 10
    h["loss_sem"] = np.full(12, 0.4)  # small batches: 0.8 is ~1.4x the noise
    assert not D.detect_loss_oscillating(h)
    # a one-step window at an epoch's end has no spread of its own: it takes
    # the others' batch-to-batch spread, scaled to its single step
    h["loss_sem"] = np.full(12, 0.22)  # 16-step windows: swings ~2.6x the noise
    assert D.detect_loss_oscillating(h)
    h["step"] = h["step"].copy()
    h["step"][-1] = h["step"][-2] + 1
    h["loss_sem"][-1] = np.nan
    assert not D.detect_loss_oscillating(h)  # its one batch is 4x noisier


def test_loss_plateau():
    h = healthy()
    h["loss"] = np.full(12, 2.30) + np.linspace(0, 1e-4, 12)
    assert codes(D.detect_loss_plateau(h)) == {"train.loss_plateau"}
    # a converged loss far below the start is not a plateau
    h["loss"] = np.concatenate([[2.3, 1.0], np.full(10, 0.2)])
    assert not D.detect_loss_plateau(h)


def test_weights_unchanged_layer_and_frozen_model():
    h = healthy()
    h["update_norm"] = np.ones((12, 2)) * [0.0, 0.01]
    (f,) = D.detect_weights_unchanged(h)
    assert f.layer == "dense" and str(f.severity) == "error"
    h = healthy()
    h["n_trainable"] = 0
    (f,) = D.detect_weights_unchanged(h)
    assert f.evidence["trainable_weights"] == 0


def test_update_ratio():
    h = healthy()
    h["update_ratio"] = np.ones((12, 2)) * [1e-8, 2e-3]
    (f,) = D.detect_update_ratio(h)
    assert f.layer == "dense" and str(f.severity) == "info"
    h["update_ratio"] = np.ones((12, 2)) * [0.5, 2e-3]
    assert D.detect_update_ratio(h)
    assert not D.detect_update_ratio(h, high=1.0)


def test_overfitting_and_loss_accuracy_divergence():
    h = healthy()
    h["epoch/loss"] = np.array([1.0, 0.6, 0.4, 0.3, 0.2])
    h["epoch/val_loss"] = np.array([0.8, 0.6, 0.7, 0.8, 0.9])
    h["epoch/val_accuracy"] = np.array([0.7, 0.75, 0.76, 0.77, 0.78])
    found = D.run_detectors(h, {})
    assert codes(found) == {"train.overfitting", "train.loss_accuracy_divergence"}
    # accuracy still rising: the loss rise cost nothing stopping would win back
    (over,) = [f for f in found if f.code == "train.overfitting"]
    assert str(over.severity) == "info" and over.evidence["accuracy_held"]
    assert not D.detect_overfitting(h, patience=4)
    h["epoch/val_accuracy"] = np.array([0.7, 0.75, 0.74, 0.72, 0.70])
    (over,) = D.run_detectors(h, {})
    assert over.code == "train.overfitting" and str(over.severity) == "warning"
    # no accuracy logged (a regression): the loss alone decides, a warning
    del h["epoch/val_accuracy"], h["epoch/accuracy"]
    (over,) = D.run_detectors(h, {})
    assert over.code == "train.overfitting" and str(over.severity) == "warning"


def test_overfitting_that_cost_no_accuracy_is_info():
    """The epoch curves of keras-io's multi-label tf-idf MLP (multi_label_text, 4000
    documents, 20 labels) and of its FordA FCN with BatchNorm (timeseries_fcn) cut
    after 5 epochs. The first's validation loss rose 12 % while binary accuracy kept
    rising (stopping at the best loss measured 0.9525/0.9527/0.9521 binary accuracy
    against 0.9567/0.9548/0.9566 as written, seeds 0-2); the second's validation
    loss rose while its accuracy sat at one class's share from the first epoch
    (BatchNormalization's moving averages lagging the weights; by epoch 15 it
    reached 1.0 with the lowest loss)."""
    h = healthy()
    h["epoch/loss"] = np.array([0.3698, 0.11, 0.0257, 0.0095, 0.0053])
    h["epoch/val_loss"] = np.array([0.2371, 0.1407, 0.1502, 0.1535, 0.1579])
    h["epoch/binary_accuracy"] = np.array([0.88, 0.96, 0.99, 0.998, 0.999])
    h["epoch/val_binary_accuracy"] = np.array([0.9053, 0.9525, 0.9537, 0.9556, 0.9568])
    (over,) = D.detect_overfitting(h)
    assert str(over.severity) == "info" and over.evidence["best_epoch"] == 1
    assert "did not fall" in over.message
    h = healthy()
    h["epoch/loss"] = np.array([0.2138, 0.0426, 0.0229, 0.0154, 0.0113])
    h["epoch/val_loss"] = np.array([0.6399, 1.1116, 1.6776, 2.0595, 2.2533])
    h["epoch/accuracy"] = np.array([0.965, 1.0, 1.0, 1.0, 1.0])
    h["epoch/val_accuracy"] = np.full(5, 0.4933)
    (over,) = D.detect_overfitting(h)
    assert str(over.severity) == "info"
    # one point of accuracy lost since the best epoch: a warning
    h["epoch/val_accuracy"] = np.array([0.4933, 0.4933, 0.49, 0.4867, 0.4833])
    (over,) = D.detect_overfitting(h)
    assert str(over.severity) == "warning" and not over.evidence["accuracy_held"]


def test_each_output_of_a_multi_output_model_is_judged_on_its_own_curves():
    """One head overfits while the summed loss still falls: found, named by output."""
    h = healthy()
    h["outputs"] = (("priority", "binary"), ("price", "regression"))
    h["epoch/loss"] = np.array([2.0, 1.4, 1.1, 0.9, 0.8])
    h["epoch/val_loss"] = np.array([2.0, 1.5, 1.3, 1.2, 1.15])  # the sum: still falling
    h["epoch/priority_loss"] = np.array([0.7, 0.5, 0.4, 0.3, 0.2])
    h["epoch/val_priority_loss"] = np.array([0.7, 0.5, 0.6, 0.7, 0.8])
    h["epoch/priority_accuracy"] = np.array([0.6, 0.7, 0.8, 0.85, 0.9])
    h["epoch/val_priority_accuracy"] = np.array([0.6, 0.7, 0.72, 0.74, 0.76])
    h["epoch/price_loss"] = np.array([1.3, 0.9, 0.7, 0.6, 0.6])
    h["epoch/val_price_loss"] = np.array([1.3, 1.0, 0.7, 0.5, 0.35])
    found = D.run_detectors(h, {})
    assert codes(found) == {"train.overfitting", "train.loss_accuracy_divergence"}
    assert all(f.evidence["output"] == "priority" and f.layer == "priority"
               and f.message.startswith("Output 'priority': ") for f in found)
    # the regression head's val loss far below its train loss is not a "gap":
    # that check reads classification outputs only
    assert not [f for f in found if f.code == "train.validation_gap"]
    # without the per-output names the summed curves alone show nothing
    del h["outputs"]
    assert not D.run_detectors(h, {})


def test_validation_gap():
    h = healthy()
    h["epoch/accuracy"] = np.array([0.3, 0.4, 0.45, 0.5, 0.5])
    h["epoch/val_accuracy"] = np.array([0.6, 0.8, 0.85, 0.86, 0.86])
    (f,) = D.detect_validation_gap(h)
    assert f.code == "train.validation_gap"
    assert not D.detect_validation_gap(h, gap=0.5)
    # the first epoch alone (train metric averaged over a learning model) is not a gap
    h = healthy()
    h["epoch/accuracy"][0], h["epoch/val_accuracy"][0] = 0.4, 0.8
    assert not D.detect_validation_gap(h)


def test_every_train_code_has_a_detector():
    from kerasdoc.findings import CATALOGUE

    train_codes = {c for c in CATALOGUE if c.startswith("train.")}
    assert set(D.DETECTORS) == train_codes


def test_exploding_level_is_in_units_of_a_regression_loss():
    """Raw-but-sane regression targets (~150): MSE gradients in the thousands
    that grow ~9x with the outputs' scale while the loss falls are not an
    explosion; the same norms under a softmax output are."""
    h = healthy(n=6)
    h["grad_norm"] = np.column_stack([np.array([900.0, 1500, 2700, 3300, 4400, 8600]),
                                      np.full(6, 10.0)])
    h["loss"] = np.array([28000.0, 24000, 27800, 24000, 23800, 21200])
    h["initial_loss"] = 40600.0
    h["activation_kinds"] = ["other", "relu", "relu", "other"]
    assert not D.detect_exploding_gradients(h)
    h["activation_kinds"] = ["other", "relu", "relu", "softmax"]
    (f,) = D.detect_exploding_gradients(h)
    assert f.evidence["level"] == 1e3
    # growth by 1000x since the first check is exploding whatever the scale
    h["activation_kinds"] = ["other", "relu", "relu", "other"]
    h["grad_norm"][-1, 0] = 2e6
    assert D.detect_exploding_gradients(h)


def test_validation_gap_on_a_run_stopped_before_its_last_validation_pass():
    # diagnose's deadline (or Ctrl-C) can stop fit after an epoch's training
    # values are logged but before its validation pass: one value fewer.
    h = healthy()
    h["epoch/accuracy"] = np.array([0.3, 0.4, 0.45, 0.5, 0.5])
    h["epoch/val_accuracy"] = np.array([0.3, 0.41, 0.46, 0.5])
    assert not D.detect_validation_gap(h)
    h["epoch/val_accuracy"] = np.array([0.6, 0.8, 0.85, 0.86])
    (f,) = D.detect_validation_gap(h)
    assert len(f.evidence["train_accuracy"]) == len(f.evidence["val_accuracy"]) == 3
    del h["epoch/accuracy"], h["epoch/val_accuracy"]
    h["epoch/loss"] = np.array([1.0, 0.8, 0.7, 0.6, 0.55])
    h["epoch/val_loss"] = np.array([1.0, 0.8, 0.7, 0.6])
    assert not D.detect_validation_gap(h)


def test_dead_relu_with_a_fitted_loss_is_info():
    # Twin of MachineLearningMastery's univariate Conv1D forecast: six raw,
    # nearly collinear windows, so a ReLU unit fires on all of them or none;
    # 72 % never fire, yet the loss falls from 3340 to 24.
    h = healthy()
    h["dead_fraction"][:, 1] = 0.72
    h["initial_loss"] = 3340.0
    h["loss"] = np.geomspace(3000.0, 24.0, len(h["loss"]))
    (f,) = D.detect_dead_relu(h)
    assert str(f.severity) == "info" and f.evidence["fitted"] is True
    # the same dead units while the loss stays high: a warning
    h["loss"] = np.full(len(h["loss"]), 3000.0)
    (f,) = D.detect_dead_relu(h)
    assert str(f.severity) == "warning"


def test_dead_relu_needs_silence_over_several_batches():
    """Twin of MachineLearningMastery's deep ReLU MLP on two circles: 500 samples at
    batch 32 make 16-step epochs with one instrumented batch each, and a 5-unit
    layer looks 80 % dead on one batch at scattered epoch ends while, on the whole
    training set, 3 of its 5 units fire (seed 0: 60 % dead at the end)."""
    n = 40
    h = healthy(n=n, epochs=n)
    h["epoch"] = np.arange(n)
    h["epoch_end"] = np.ones(n, bool)
    h["dead_fraction"][:, 1] = 0.6
    h["dead_fraction"][[5, 6, 9, 20, 21, 22, 30], 1] = 0.8  # never 4 in a row
    h["loss"] = np.full(n, 0.55)
    h["initial_loss"] = 0.69
    assert not D.detect_dead_relu(h)
    # four epoch ends in a row at 80 % (four batches): the units stay dead
    h["dead_fraction"][[23], 1] = 0.8
    (f,) = D.detect_dead_relu(h)
    assert f.evidence["batches_seen"] == 4 and f.evidence["epoch"] == 23
    assert str(f.severity) == "warning" and "epoch 20-23" in f.message
    # one epoch of four instrumented batches decides alone
    h = healthy(n=4, epochs=1)
    h["dead_fraction"][:, 1] = 0.9
    (f,) = D.detect_dead_relu(h)
    assert f.evidence["batches_seen"] == 4
    h["samples"] = np.array([1.0, 1.0, 1.0, 0.0])  # only three instrumented
    assert not D.detect_dead_relu(h)
    # epochs shorter than the read-back interval have no instrumented batch
    # (NaN): they neither count nor break the stretch (AUTOTRAINER's circle at
    # batch 128: 6 steps an epoch, one read-back every 16 steps)
    n = 12
    h = healthy(n=n, epochs=n)
    h["epoch"] = np.arange(n)
    h["epoch_end"] = np.ones(n, bool)
    h["dead_fraction"][:, 1] = np.where(np.arange(n) % 3 == 1, 1.0, np.nan)
    h["samples"] = np.where(np.arange(n) % 3 == 1, 1.0, 0.0)
    (f,) = D.detect_dead_relu(h)
    assert f.evidence["batches_seen"] == 4 and f.evidence["epoch"] == 10
