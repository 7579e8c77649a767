"""The samples with the highest loss: a gallery of the model's worst mistakes."""

import numpy as np

from kerasdoc._errors import InvalidInputError
from kerasdoc._validation import check_array, check_int, check_same_length, received
from kerasdoc.plot._common import (
    as_probabilities,
    class_names_for,
    display_inputs,
    fit_data,
    image_for_display,
    labels_1d,
    new_axes_grid,
    per_sample_loss,
    predict_proba,
)

__all__ = ["TopLossesDisplay"]


class TopLossesDisplay:
    """The `n` samples with the highest cross-entropy loss, with their labels.

    Args:
        samples: the selected inputs, worst first.
        indices: their indices in the dataset.
        y_true: their true class indices.
        y_pred: their predicted class indices.
        losses: their losses `-log p(true class)`.
        probabilities: the probability of the predicted class.
        class_names: names of the classes. Defaults to `None` (indices).

    Attributes:
        ax_: the list of Axes after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = TopLossesDisplay.from_predictions(
    ...     np.zeros((3, 4, 4)), [0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]],
    ...     n=2, plot=False)
    >>> disp.indices.tolist()
    [1, 2]
    """

    def __init__(self, samples, indices, y_true, y_pred, losses, probabilities, *,
                 class_names=None):
        self.samples = np.asarray(samples)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.y_true = np.asarray(y_true, dtype=np.int64)
        self.y_pred = np.asarray(y_pred, dtype=np.int64)
        self.losses = np.asarray(losses, dtype=np.float64)
        self.probabilities = np.asarray(probabilities, dtype=np.float64)
        n_classes = int(max(self.y_true.max(initial=0), self.y_pred.max(initial=0))) + 1
        self.class_names = class_names_for(class_names, n_classes)

    @classmethod
    def from_predictions(cls, x, y_true, y_proba, *, n=9, class_names=None,
                         only_misclassified=False, plot=True, ax=None, **plot_kwargs):
        """Pick the `n` highest-loss samples from precomputed predictions.

        Args:
            x: the inputs.
            y_true: true labels (indices or one-hot).
            y_proba: predicted probabilities or logits, shape `(n_samples, k)`.
            n: how many samples. Defaults to `9`.
            class_names: names of the classes. Defaults to `None`.
            only_misclassified: keep only wrong predictions. Defaults to `False`.
            plot: draw the gallery. Defaults to `True`.
            ax: at least `n` Axes. Defaults to `None` (new figure).
            **plot_kwargs: passed to `plot`.
        """
        n = check_int(n, "n", minimum=1)
        y = labels_1d(y_true, "y_true")
        proba = as_probabilities(y_proba, "y_proba")
        check_same_length(y, "y_true", proba, "y_proba")
        x = check_array(x, "x")
        check_same_length(x, "x", y, "y_true")
        if y.max() >= proba.shape[1]:
            raise InvalidInputError(
                f"`y_true` holds class {y.max()} but `y_proba` has only "
                f"{proba.shape[1]} columns."
            )
        losses = per_sample_loss(y, proba)
        pred = np.argmax(proba, axis=1)
        order = np.argsort(-losses, kind="stable")
        if only_misclassified:
            order = order[pred[order] != y[order]]
        order = order[:n]
        disp = cls(np.asarray(x)[order], order, y[order], pred[order], losses[order],
                   proba[order, pred[order]],
                   class_names=class_names_for(class_names, proba.shape[1]))
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    @classmethod
    def from_model(cls, model, x, y=None, *, n=9, class_names=None, batch_size=None,
                   only_misclassified=False, plot=True, ax=None, **plot_kwargs):
        """Predict `x` with `model` and show the `n` highest-loss samples.

        Args:
            model: a classifier (`keras.Model`).
            x: the inputs as `fit` takes them (an array, a dict or list of
                arrays, whose first image input is shown, or a stream yielding
                `(x, y)`, of which the first 10,000 samples are read).
            y: true labels (indices or one-hot); `None` when `x` is a stream.
                Defaults to `None`.
            n: how many samples. Defaults to `9`.
            class_names: names of the classes. Defaults to `None`.
            batch_size: prediction batch size. Defaults to `None` (256).
            only_misclassified: keep only wrong predictions. Defaults to `False`.
            plot: draw the gallery. Defaults to `True`.
            ax: at least `n` Axes. Defaults to `None` (new figure).
            **plot_kwargs: passed to `plot`.
        """
        x, y = fit_data(x, y)
        proba = predict_proba(model, x, batch_size=batch_size)
        shown = display_inputs(model, x)
        if not hasattr(shown, "dtype") or shown.dtype.kind not in "biuf":
            raise InvalidInputError(
                "Top losses show each sample as a picture: `x` (or one of its "
                f"inputs) must hold numbers. {received('x', x)}")
        return cls.from_predictions(shown, y, proba, n=n, class_names=class_names,
                                    only_misclassified=only_misclassified,
                                    plot=plot, ax=ax, **plot_kwargs)

    def plot(self, *, ax=None, ncols=5, cmap=None):
        """Draw one panel per sample, titled with predicted and true class, loss, probability.

        Args:
            ax: at least as many Axes as samples. Defaults to `None` (new figure).
            ncols: columns of a new grid. Defaults to `5`.
            cmap: colormap for grey images. Defaults to `None` (`"binary"`).

        Returns:
            `self`.
        """
        ncols = check_int(ncols, "ncols", minimum=1)
        count = max(1, len(self.indices))
        fig, axes = new_axes_grid(ax, count, ncols=ncols, panel_size=(2.0, 2.6))
        for i, a in enumerate(axes):
            a.set_xticks([])
            a.set_yticks([])
            if i >= len(self.indices):
                a.set_visible(len(self.indices) == 0 and i == 0)
                if len(self.indices) == 0 and i == 0:
                    a.text(0.5, 0.5, "no samples", ha="center", va="center")
                continue
            image, default_cmap = image_for_display(self.samples[i])
            if image is not None:
                a.imshow(image, cmap=cmap or default_cmap)
            wrong = self.y_pred[i] != self.y_true[i]
            a.set_title(
                f"#{self.indices[i]} pred {self.class_names[self.y_pred[i]]}\n"
                f"true {self.class_names[self.y_true[i]]}\n"
                f"loss {self.losses[i]:.2f}, p {self.probabilities[i]:.2f}",
                fontsize="small", color="#c62828" if wrong else "#2e7d32")
        fig.suptitle("Top losses: predicted and true class, loss, "
                     "probability of the prediction")
        self.ax_ = axes
        self.figure_ = fig
        return self
