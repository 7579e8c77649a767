import numpy as np
import pytest

from kerasdoc import InvalidInputError, InvalidTypeError
from kerasdoc.plot import TrainingCurvesDisplay


def test_from_keras_history(pyplot, tiny_model):
    _, history = tiny_model
    disp = TrainingCurvesDisplay.from_history(history)
    assert disp.metrics == ["loss", "accuracy"]
    loss_ax, acc_ax = disp.ax_[:2]
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    assert loss_ax.get_xlabel() == "epoch"
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["train", "validation"]
    train, val = loss_ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), history.history["loss"])
    np.testing.assert_allclose(val.get_ydata(), history.history["val_loss"])
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    assert len(disp.ax_) == 2


def test_from_dict_and_object_with_history(pyplot):
    class Holder:
        history = {"loss": [2.0, 1.0], "learning_rate": [0.1, 0.1], "val_auc": [0.5, 0.6]}

    disp = TrainingCurvesDisplay.from_history(Holder(), log_loss=True)
    assert disp.metrics == ["loss", "auc"]
    assert disp.ax_[0].get_yscale() == "log"
    assert len(disp.ax_[1].get_lines()) == 1  # validation only


def test_bad_history():
    with pytest.raises(InvalidTypeError, match="keras History"):
        TrainingCurvesDisplay([1.0, 0.5])
    with pytest.raises(InvalidInputError, match="no per-epoch values"):
        TrainingCurvesDisplay({"loss": []})
