import numpy as np
import pytest

from kerasdoc import InvalidInputError
from kerasdoc.plot import TopLossesDisplay


@pytest.fixture
def predictions(rng):
    x = rng.random((12, 6, 6))
    y = np.arange(12) % 3
    proba = rng.dirichlet(np.ones(3), size=12)
    return x, y, proba


def test_picks_highest_losses_in_order(pyplot, predictions):
    x, y, proba = predictions
    losses = -np.log(proba[np.arange(12), y])
    disp = TopLossesDisplay.from_predictions(x, y, proba, n=4, class_names=list("abc"))
    expected = np.argsort(-losses)[:4]
    np.testing.assert_array_equal(disp.indices, expected)
    np.testing.assert_allclose(disp.losses, losses[expected])
    np.testing.assert_array_equal(disp.y_pred, proba[expected].argmax(1))
    np.testing.assert_allclose(disp.samples, x[expected])
    visible = [a for a in disp.ax_ if a.get_visible()]
    assert len(visible) == 4
    first = expected[0]
    assert visible[0].get_title() == (
        f"#{first} pred {'abc'[proba[first].argmax()]}\ntrue {'abc'[y[first]]}\n"
        f"loss {losses[first]:.2f}, p {proba[first].max():.2f}")
    assert disp.figure_._suptitle.get_text().startswith("Top losses")


def test_only_misclassified(pyplot, predictions):
    x, y, proba = predictions
    disp = TopLossesDisplay.from_predictions(x, y, proba, n=12, only_misclassified=True,
                                             plot=False)
    wrong = np.flatnonzero(proba.argmax(1) != y)
    assert sorted(disp.indices.tolist()) == sorted(wrong.tolist())
    assert np.all(disp.y_pred != disp.y_true)


def test_from_model_matches_predictions(pyplot, tiny_model, tiny_data):
    model, _ = tiny_model
    _, (x, y), names = tiny_data
    disp = TopLossesDisplay.from_model(model, x, y, n=3, class_names=names)
    ref = TopLossesDisplay.from_predictions(x, y, model.predict(x, verbose=0), n=3,
                                            plot=False)
    np.testing.assert_array_equal(disp.indices, ref.indices)
    assert len(disp.ax_) >= 3


def test_bad_inputs(predictions):
    x, y, proba = predictions
    with pytest.raises(InvalidInputError, match="Received: n=0"):
        TopLossesDisplay.from_predictions(x, y, proba, n=0)
    with pytest.raises(InvalidInputError, match="same number of samples"):
        TopLossesDisplay.from_predictions(x[:3], y, proba)
    with pytest.raises(InvalidInputError, match="only 2 columns"):
        TopLossesDisplay.from_predictions(x, y, proba[:, :2] / proba[:, :2].sum(1, keepdims=True))
