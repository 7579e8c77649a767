"""One prediction: the input, true and predicted class, every class's probability.

The walkthrough's `show_single_preds(index)` called `model.predict_classes`
and `np.asscalar`, both removed (Keras 3 models have no `predict_classes`;
NumPy dropped `asscalar`). Here the class is the arg-max of `model.predict`
and the probabilities are drawn as bars beside the image.
"""

import numpy as np

from kerasdoc._errors import InvalidInputError
from kerasdoc._validation import check_array, check_int, received
from kerasdoc.plot._common import (
    as_probabilities,
    class_names_for,
    count,
    display_inputs,
    fit_data,
    image_for_display,
    labels_1d,
    new_axes_grid,
    predict_proba,
)

__all__ = ["SinglePredictionDisplay"]


class SinglePredictionDisplay:
    """One sample, the class the model predicts for it, and the probabilities.

    Args:
        sample: the input (an image `(H, W)`, `(H, W, 1)`, `(H, W, 3)`, or a
            flat square vector; other inputs are shown as probabilities only).
        probabilities: class probabilities for the sample, shape `(k,)`.
        true_label: the true class index. Defaults to `None` (unknown).
        class_names: names of the classes. Defaults to `None` (indices).
        index: the sample's index in its dataset, for the title.
            Defaults to `None`.

    Attributes:
        predicted_label: arg-max class index.
        predicted_name: its name.
        true_name: name of the true class (`None` if unknown).
        correct: whether prediction and truth agree (`None` if unknown).
        ax_: the pair `(image_axes, bar_axes)` after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = SinglePredictionDisplay(np.zeros((4, 4)), [0.1, 0.9],
    ...                                true_label=1, class_names=["a", "b"])
    >>> disp.text()
    "Model's prediction: b (0.90)   Reality: b"
    """

    def __init__(self, sample, probabilities, *, true_label=None, class_names=None,
                 index=None):
        probs = check_array(probabilities, "probabilities", min_ndim=1, max_ndim=1)
        self.sample = np.asarray(sample)
        self.probabilities = as_probabilities(probs[None, :], "probabilities")[0]
        k = len(self.probabilities)
        self.class_names = class_names_for(class_names, k)
        self.true_label = check_int(true_label, "true_label", minimum=0, maximum=k - 1,
                                    allow_none=True)
        self.index = index
        self.predicted_label = int(np.argmax(self.probabilities))
        self.predicted_name = self.class_names[self.predicted_label]
        self.true_name = (None if self.true_label is None
                          else self.class_names[self.true_label])
        self.correct = (None if self.true_label is None
                        else self.true_label == self.predicted_label)

    @classmethod
    def from_predictions(cls, x, y_true, y_proba, index, *, class_names=None,
                         plot=True, ax=None, **plot_kwargs):
        """Show sample `index` of precomputed predictions.

        Args:
            x: the inputs.
            y_true: true labels (indices or one-hot), or `None`.
            y_proba: predicted probabilities (or logits), shape `(n, k)`.
            index: which sample.
            class_names: names of the classes. Defaults to `None`.
            plot: draw it. Defaults to `True`.
            ax: a pair of Axes `(image, bars)`. Defaults to `None`.
            **plot_kwargs: passed to `plot`.
        """
        x = check_array(x, "x")
        index = _check_index(index, len(x))
        proba = check_array(y_proba, "y_proba", min_ndim=2, max_ndim=2)
        if not np.all(np.isfinite(proba[index])):
            raise InvalidInputError(
                f"`y_proba` holds NaN or Inf values at index {index}. "
                f"{received('y_proba', proba)}")
        if len(proba) != len(x):
            raise InvalidInputError(
                "`x` and `y_proba` must have the same number of samples. "
                f"Received: len(x)={len(x)}, len(y_proba)={len(proba)}"
            )
        true = None if y_true is None else int(labels_1d(y_true, "y_true")[index])
        if true is not None and true >= proba.shape[1]:
            raise InvalidInputError(
                f"`y_true` holds class {true} at index {index} but `y_proba` has only "
                f"{proba.shape[1]} columns. {received('y_true', y_true)}")
        disp = cls(x[index], proba[index], true_label=true, class_names=class_names,
                   index=index)
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    @classmethod
    def from_model(cls, model, x, y, index, *, class_names=None, plot=True, ax=None,
                   **plot_kwargs):
        """Predict sample `index` of `x` with `model` and show it.

        Args:
            model: a classifier (`keras.Model`).
            x: the inputs as `fit` takes them (an array, a dict or list of
                arrays, whose first image input is shown, or a stream yielding
                `x` or `(x, y)`, of which the first 10,000 samples are read).
            y: true labels (indices or one-hot), or `None`.
            index: which sample.
            class_names: names of the classes. Defaults to `None`.
            plot: draw it. Defaults to `True`.
            ax: a pair of Axes `(image, bars)`. Defaults to `None`.
            **plot_kwargs: passed to `plot`.

        Example:

        >>> SinglePredictionDisplay.from_model(model, x_test, y_test, 12,
        ...                                    class_names=names)  # doctest: +SKIP
        """
        x, y = fit_data(x, y, need_y=False)
        if not isinstance(x, (dict, list)):
            x = check_array(x, "x", min_ndim=1)
        index = _check_index(index, count(x))
        import keras

        proba = predict_proba(model, keras.tree.map_structure(
            lambda a: a[index:index + 1], x))[0]
        true = None if y is None else int(labels_1d(y, "y")[index])
        disp = cls(display_inputs(model, x)[index], proba, true_label=true, class_names=class_names,
                   index=index)
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    def text(self):
        """The walkthrough's printout: prediction (with its probability) and reality."""
        out = (f"Model's prediction: {self.predicted_name} "
               f"({self.probabilities[self.predicted_label]:.2f})")
        if self.true_name is not None:
            out += f"   Reality: {self.true_name}"
        return out

    def plot(self, *, ax=None, cmap=None, figsize=(8, 3.2)):
        """Draw the image (left) and the probability bars (right).

        The predicted class's bar is green when right and red when wrong; the
        true class's bar is outlined in black.

        Args:
            ax: a pair of Axes `(image, bars)`. Defaults to `None` (new figure).
            cmap: colormap for grey images. Defaults to `None` (`"binary"`,
                as in the walkthrough).
            figsize: size of a new figure. Defaults to `(8, 3.2)`.

        Returns:
            `self`.
        """
        if ax is None:
            from kerasdoc.plot._common import pyplot

            fig, axes = pyplot().subplots(
                1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1, 1.4]})
        else:
            fig, axes = new_axes_grid(ax, 2, ncols=2)
        ax_img, ax_bar = axes[0], axes[1]
        image, default_cmap = image_for_display(self.sample)
        if image is not None:
            ax_img.imshow(image, cmap=cmap or default_cmap)
        else:
            ax_img.text(0.5, 0.5, f"input shape {self.sample.shape}",
                        ha="center", va="center", transform=ax_img.transAxes)
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        where = "" if self.index is None else f"#{self.index}: "
        title = f"{where}predicted {self.predicted_name}"
        if self.true_name is not None:
            title += f"\ntrue {self.true_name}"
        ax_img.set_title(title, color=_verdict_colour(self.correct))

        k = len(self.probabilities)
        colours = ["#9e9e9e"] * k
        colours[self.predicted_label] = _verdict_colour(self.correct, "#1565c0")
        ypos = np.arange(k)
        bars = ax_bar.barh(ypos, self.probabilities, color=colours)
        if self.true_label is not None:
            bars[self.true_label].set_edgecolor("black")
            bars[self.true_label].set_linewidth(1.5)
        ax_bar.set_yticks(ypos)
        ax_bar.set_yticklabels(self.class_names)
        ax_bar.invert_yaxis()
        ax_bar.set_xlim(0, 1)
        ax_bar.set_xlabel("probability")
        ax_bar.set_title("Class probabilities")
        self.bars_ = bars
        self.ax_ = (ax_img, ax_bar)
        self.figure_ = fig
        if ax is None:
            fig.tight_layout()
        return self


def _verdict_colour(correct, unknown="black"):
    if correct is None:
        return unknown
    return "#2e7d32" if correct else "#c62828"


def _check_index(index, n):
    index = check_int(index, "index")
    if not -n <= index < n:
        raise InvalidInputError(
            f"`index` must be a valid sample index below {n}. {received('index', index)}"
        )
    return index % n
