import numpy as np
import pytest

from kerasdoc import InvalidInputError
from kerasdoc._modelcopy import ModelState
from kerasdoc.plot import SinglePredictionDisplay


@pytest.mark.parametrize("constructor", ["from_model", "from_predictions"])
def test_image_labels_and_probability_bars(constructor, pyplot, tiny_model, tiny_data):
    model, _ = tiny_model
    _, (x, y), names = tiny_data
    proba = model.predict(x, verbose=0)
    if constructor == "from_model":
        disp = SinglePredictionDisplay.from_model(model, x, y, 4, class_names=names)
    else:
        disp = SinglePredictionDisplay.from_predictions(x, y, proba, 4, class_names=names)
    expected = int(np.argmax(proba[4]))
    assert disp.predicted_label == expected
    assert disp.predicted_name == names[expected]
    assert disp.true_name == names[y[4]]
    assert disp.correct == (expected == y[4])
    ax_img, ax_bar = disp.ax_
    np.testing.assert_allclose(ax_img.images[0].get_array(), x[4], rtol=1e-6)
    assert ax_img.get_title() == f"#4: predicted {names[expected]}\ntrue {names[y[4]]}"
    assert [t.get_text() for t in ax_bar.get_yticklabels()] == names
    assert ax_bar.get_title() == "Class probabilities"
    np.testing.assert_allclose([b.get_width() for b in disp.bars_], proba[4], rtol=1e-5)
    assert disp.bars_[y[4]].get_linewidth() == 1.5


def test_wrong_prediction_is_red_and_text_matches_walkthrough(pyplot):
    disp = SinglePredictionDisplay(np.zeros(16), [0.2, 0.7, 0.1], true_label=0,
                                   class_names=["Shirt", "Pullover", "Bag"], index=101)
    disp.plot()
    assert disp.correct is False
    assert disp.text() == "Model's prediction: Pullover (0.70)   Reality: Shirt"
    assert disp.ax_[0].title.get_color() == "#c62828"
    assert disp.ax_[0].images[0].get_array().shape == (4, 4)  # flat square vector


def test_logits_become_probabilities_and_unknown_truth(pyplot):
    disp = SinglePredictionDisplay(np.zeros((5, 5, 3)), [2.0, -1.0, 0.5])
    np.testing.assert_allclose(disp.probabilities.sum(), 1.0)
    assert disp.predicted_label == 0
    assert disp.true_name is None and disp.correct is None
    assert disp.text() == "Model's prediction: 0 (0.79)"
    disp.plot()
    assert disp.ax_[0].images[0].get_array().shape == (5, 5, 3)


def test_non_image_input_and_given_axes(pyplot):
    fig, axes = pyplot.subplots(1, 2)
    disp = SinglePredictionDisplay(np.zeros(7), [0.4, 0.6], true_label=1)
    disp.plot(ax=axes)
    assert disp.figure_ is fig and not disp.ax_[0].images
    assert "input shape (7,)" in disp.ax_[0].texts[0].get_text()


def test_from_model_leaves_model_untouched(pyplot, tiny_model, tiny_data):
    model, _ = tiny_model
    _, (x, y), _ = tiny_data
    before = ModelState.capture(model)
    SinglePredictionDisplay.from_model(model, x, y, -1, plot=False)
    assert before.diff(ModelState.capture(model)) == []


def test_bad_inputs(tiny_data):
    _, (x, y), _ = tiny_data
    proba = np.full((len(x), 3), 1 / 3)
    with pytest.raises(InvalidInputError, match="Received: index=30"):
        SinglePredictionDisplay.from_predictions(x, y, proba, 30, plot=False)
    with pytest.raises(InvalidInputError, match="same number of samples"):
        SinglePredictionDisplay.from_predictions(x, y, proba[:5], 0, plot=False)
    with pytest.raises(InvalidInputError, match="Received: true_label=3"):
        SinglePredictionDisplay(x[0], [0.5, 0.5, 0.0], true_label=3)
    with pytest.raises(InvalidInputError, match="NaN or Inf"):
        SinglePredictionDisplay(x[0], [np.nan, 0.5])
