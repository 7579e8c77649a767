import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from kerasdoc import InvalidInputError, InvalidTypeError
from kerasdoc._modelcopy import ModelState
from kerasdoc.plot import ConfusionMatrixDisplay


@pytest.fixture
def labels(rng):
    y_true = rng.integers(0, 3, 50)
    y_pred = np.where(rng.random(50) < 0.6, y_true, rng.integers(0, 3, 50))
    return y_true, y_pred


def _cell_texts(ax, k):
    return np.array([float(t.get_text()) for t in ax.texts[: k * k]]).reshape(k, k)


@pytest.mark.parametrize("constructor", ["from_predictions", "from_model"])
def test_matrix_equals_sklearn_and_plot(constructor, pyplot, tiny_model, tiny_data):
    model, _ = tiny_model
    _, (x, y), names = tiny_data
    if constructor == "from_model":
        disp = ConfusionMatrixDisplay.from_model(model, x, y, class_names=names)
        y_pred = np.argmax(model.predict(x, verbose=0), axis=1)
    else:
        y_pred = np.roll(y, 1)
        disp = ConfusionMatrixDisplay.from_predictions(y, y_pred, class_names=names)
    expected = confusion_matrix(y, y_pred, labels=[0, 1, 2])
    np.testing.assert_array_equal(disp.confusion_matrix, expected)
    # What scikit-plot drew is the same matrix.
    np.testing.assert_array_equal(_cell_texts(disp.ax_, 3), expected)
    assert disp.ax_.get_title() == "Confusion Matrix"
    assert disp.ax_.get_xlabel() == "Predicted label"
    assert disp.ax_.get_ylabel() == "True label"
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == names
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == names
    assert len(disp.figure_.axes) == 2  # matrix and colorbar


def test_normalize_rows_and_title(pyplot, labels):
    y_true, y_pred = labels
    disp = ConfusionMatrixDisplay.from_predictions(y_true, y_pred, normalize=True)
    assert disp.ax_.get_title() == "Normalized Confusion Matrix"
    shares = _cell_texts(disp.ax_, 3)
    expected = confusion_matrix(y_true, y_pred, normalize="true")
    np.testing.assert_allclose(shares, np.round(expected, 2))


def test_most_confused_pairs_and_text(pyplot):
    # 10 shirts: 7 right, 3 called pullover; 10 pullovers: 9 right, 1 called shirt.
    y_true = [0] * 10 + [1] * 10 + [2] * 5
    y_pred = [0] * 7 + [1] * 3 + [1] * 9 + [0] + [2] * 5
    disp = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, class_names=["Shirt", "Pullover", "Bag"])
    assert disp.most_confused() == [("Shirt", "Pullover", 3, 10),
                                    ("Pullover", "Shirt", 1, 10)]
    assert disp.most_confused(1) == [("Shirt", "Pullover", 3, 10)]
    assert disp.most_confused(min_count=2) == [("Shirt", "Pullover", 3, 10)]
    assert disp.pairs_text(1) == "Shirt is predicted as Pullover 3 times out of 10"
    assert "Shirt is predicted as Pullover 3 times out of 10" in disp.pairs_text_.get_text()
    assert "Pullover is predicted as Shirt 1 time out of 10" in disp.pairs_text_.get_text()
    assert disp.accuracy == pytest.approx(21 / 25)


def test_no_pairs_when_perfect(pyplot):
    disp = ConfusionMatrixDisplay.from_predictions([0, 1, 2], [0, 1, 2])
    assert disp.most_confused() == []
    assert disp.pairs_text_ is None


def test_one_hot_truth_probability_predictions_and_given_ax(pyplot):
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0, 0, 1.0]])
    fig, ax = pyplot.subplots()
    disp = ConfusionMatrixDisplay.from_predictions(np.eye(3)[y], proba, ax=ax,
                                                   colorbar=False)
    assert disp.ax_ is ax and disp.figure_ is fig
    np.testing.assert_array_equal(disp.confusion_matrix,
                                  confusion_matrix(y, proba.argmax(1)))
    assert len(fig.axes) == 1


def test_plot_false_draws_nothing(pyplot):
    disp = ConfusionMatrixDisplay.from_predictions([0, 1], [1, 1], plot=False)
    assert not hasattr(disp, "ax_")
    assert pyplot.get_fignums() == []


def test_from_model_leaves_model_untouched(pyplot, tiny_model, tiny_data):
    model, _ = tiny_model
    _, (x, y), _ = tiny_data
    before = ModelState.capture(model)
    ConfusionMatrixDisplay.from_model(model, x, y, plot=False)
    assert before.diff(ModelState.capture(model)) == []


def test_bad_inputs():
    with pytest.raises(InvalidInputError, match="same number of samples"):
        ConfusionMatrixDisplay.from_predictions([0, 1, 2], [0, 1], plot=False)
    with pytest.raises(InvalidInputError, match="name all 3 classes"):
        ConfusionMatrixDisplay.from_predictions([0, 1, 2], [0, 1, 2],
                                                class_names=["a", "b"], plot=False)
    with pytest.raises(InvalidInputError, match="Labels must be below n_classes=2"):
        ConfusionMatrixDisplay.from_predictions([0, 1, 2], [0, 1, 2], n_classes=2,
                                                plot=False)
    with pytest.raises(InvalidInputError, match="square matrix"):
        ConfusionMatrixDisplay(np.ones((2, 3)))
    with pytest.raises(InvalidInputError, match="integer class labels"):
        ConfusionMatrixDisplay.from_predictions([0.5, 1], [0, 1], plot=False)
    with pytest.raises(InvalidTypeError, match="Received: ax="):
        ConfusionMatrixDisplay.from_predictions([0, 1], [0, 1], ax="left")
    with pytest.raises(InvalidTypeError, match="keras.Model"):
        ConfusionMatrixDisplay.from_model("model.keras", np.zeros((2, 2)), [0, 1])
