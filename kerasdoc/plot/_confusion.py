"""Confusion matrix drawn by scikit-plot, with the most-confused pairs listed."""

import warnings
from typing import Optional

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import check_array, check_int, check_same_length, received
from kerasdoc.plot._common import (
    class_names_for,
    fit_data,
    labels_1d,
    new_axes,
    predict_proba,
)

__all__ = ["ConfusionMatrixDisplay"]


class ConfusionMatrixDisplay:
    """Confusion matrix visualization (drawn with `scikitplot`).

    The matrix is computed once (`from_predictions` / `from_model`) and kept
    in `confusion_matrix`; `plot` draws it with
    `scikitplot.metrics.plot_confusion_matrix`, the call the walkthrough uses,
    labels the axes with the class names and lists the most-confused pairs
    under the plot ("Shirt is predicted as Pullover 9 times out of 30").

    Args:
        confusion_matrix: square array of counts, rows are true classes and
            columns predicted classes.
        display_labels: class names for the rows/columns. Defaults to `None`
            (the class indices).

    Attributes:
        ax_: the matplotlib Axes, after `plot`.
        figure_: the matplotlib Figure, after `plot`.
        pairs_text_: the matplotlib Text listing the most-confused pairs.

    Example:

    >>> disp = ConfusionMatrixDisplay.from_predictions(
    ...     [0, 1, 1, 2], [0, 2, 1, 2], class_names=["a", "b", "c"], plot=False)
    >>> disp.most_confused()
    [('b', 'c', 1, 2)]
    """

    def __init__(self, confusion_matrix, *, display_labels=None):
        cm = check_array(confusion_matrix, "confusion_matrix", min_ndim=2, max_ndim=2)
        if cm.dtype.kind == "c":
            raise InvalidTypeError("`confusion_matrix` must hold real counts. "
                                   f"{received('confusion_matrix', cm)}")
        if cm.shape[0] != cm.shape[1] or not np.all(np.isfinite(cm)) or np.any(cm < 0):
            raise InvalidInputError(
                "`confusion_matrix` must be a square matrix of non-negative "
                f"counts. {received('confusion_matrix', cm)}"
            )
        self.confusion_matrix = cm
        self.display_labels = class_names_for(display_labels, cm.shape[0],
                                              "display_labels")[: cm.shape[0]]

    # Constructors -------------------------------------------------------
    @classmethod
    def from_predictions(cls, y_true, y_pred, *, class_names=None,
                         n_classes: Optional[int] = None, plot=True, ax=None,
                         **plot_kwargs):
        """Compute the confusion matrix from labels and predictions, then plot it.

        Args:
            y_true: true class indices (or one-hot rows).
            y_pred: predicted class indices, or probability / logit rows
                (the arg-max is taken).
            class_names: names of the classes. Defaults to `None`.
            n_classes: number of classes. Defaults to `None`: the length of
                `class_names`, else the largest label + 1.
            plot: draw the matrix. Defaults to `True`.
            ax: matplotlib Axes to draw on. Defaults to `None` (new figure).
            **plot_kwargs: passed to `plot`.

        Returns:
            `ConfusionMatrixDisplay`.
        """
        if class_names is not None:
            class_names = class_names_for(class_names, 0, name="class_names")
        y_true = labels_1d(y_true, "y_true")
        y_pred = labels_1d(y_pred, "y_pred")
        check_same_length(y_true, "y_true", y_pred, "y_pred")
        n = check_int(n_classes, "n_classes", minimum=1, allow_none=True)
        if n is None:
            n = len(class_names) if class_names is not None else 0
            n = max(n, int(max(y_true.max(), y_pred.max())) + 1)
        if max(y_true.max(), y_pred.max()) >= n:
            raise InvalidInputError(
                f"Labels must be below n_classes={n}. Received: "
                f"max(y_true)={y_true.max()}, max(y_pred)={y_pred.max()}"
            )
        if class_names is not None:
            class_names_for(class_names, n, name="class_names")
        cm = np.zeros((n, n), dtype=np.int64)
        np.add.at(cm, (y_true, y_pred), 1)
        disp = cls(cm, display_labels=class_names)
        if plot:
            disp.plot(ax=ax, **plot_kwargs)
        return disp

    @classmethod
    def from_model(cls, model, x, y=None, *, class_names=None, batch_size=None,
                   plot=True, ax=None, **plot_kwargs):
        """Predict `x` with `model` and show its confusion matrix against `y`.

        Keras 3 has no `predict_classes`: the class is the arg-max of
        `model.predict(x)`.

        Args:
            model: a classifier (`keras.Model`).
            x: inputs as `fit` takes them: an array, a dict or list of arrays,
                or a stream (`tf.data.Dataset`, `PyDataset`, generator) yielding
                `(x, y)`, of which the first 10,000 samples are read.
            y: true labels (indices or one-hot); `None` when `x` is a stream.
                Defaults to `None`.
            class_names: names of the classes. Defaults to `None`.
            batch_size: prediction batch size. Defaults to `None` (256).
            plot: draw the matrix. Defaults to `True`.
            ax: matplotlib Axes. Defaults to `None`.
            **plot_kwargs: passed to `plot`.

        Returns:
            `ConfusionMatrixDisplay`.
        """
        x, y = fit_data(x, y)
        proba = predict_proba(model, x, batch_size=batch_size)
        y = labels_1d(y, "y")
        check_same_length(proba, "x", y, "y")
        return cls.from_predictions(y, proba, class_names=class_names,
                                    n_classes=proba.shape[1], plot=plot, ax=ax,
                                    **plot_kwargs)

    # Queries ------------------------------------------------------------
    @property
    def accuracy(self):
        """Share of samples on the diagonal."""
        total = self.confusion_matrix.sum()
        return float(np.trace(self.confusion_matrix) / total) if total else float("nan")

    def most_confused(self, n=3, *, min_count=1):
        """The off-diagonal cells with the largest counts.

        Args:
            n: how many pairs. Defaults to `3`.
            min_count: smallest count worth listing. Defaults to `1`.

        Returns:
            list of `(true_name, predicted_name, count, support)`, largest
            count first; `support` is the number of samples of the true class.
        """
        n = check_int(n, "n", minimum=0)
        min_count = check_int(min_count, "min_count", minimum=1)
        cm = self.confusion_matrix
        off = cm.astype(np.float64).copy()
        np.fill_diagonal(off, -1)
        order = np.argsort(-off, axis=None, kind="stable")
        out = []
        for flat in order[:n]:
            i, j = np.unravel_index(flat, cm.shape)
            if off[i, j] < min_count:
                break
            out.append((self.display_labels[i], self.display_labels[j],
                        int(cm[i, j]), int(cm[i].sum())))
        return out

    def pairs_text(self, n=3):
        """The most-confused pairs as sentences, one per line."""
        return "\n".join(
            f"{t} is predicted as {p} {c} time{'s' if c != 1 else ''} out of {s}"
            for t, p, c, s in self.most_confused(n)
        )

    # Drawing ------------------------------------------------------------
    def plot(self, *, ax=None, normalize=False, cmap="Blues", x_tick_rotation=45,
             n_pairs=3, colorbar=True, title=None, figsize=(7, 7)):
        """Draw the matrix with `scikitplot.metrics.plot_confusion_matrix`.

        Args:
            ax: matplotlib Axes. Defaults to `None` (new figure).
            normalize: show each row as shares of the true class.
                Defaults to `False`.
            cmap: colormap. Defaults to `"Blues"`.
            x_tick_rotation: rotation of the predicted-class names.
                Defaults to `45`.
            n_pairs: number of most-confused pairs listed under the plot
                (0 for none). Defaults to `3`.
            colorbar: draw a colorbar. Defaults to `True`.
            title: title. Defaults to `None` (scikit-plot's title).
            figsize: size of a new figure. Defaults to `(7, 7)` (the
                walkthrough's).

        Returns:
            `self`.
        """
        fig, ax = new_axes(ax, figsize=figsize)
        cm = self.confusion_matrix
        k = cm.shape[0]
        # scikit-plot recomputes the matrix from label arrays: expand the counts.
        cells = np.repeat(np.arange(k * k), cm.reshape(-1).astype(np.int64))
        y_true, y_pred = np.divmod(cells, k)
        with warnings.catch_warnings():  # scikit-plot's own deprecation notice
            warnings.simplefilter("ignore", DeprecationWarning)
            import scikitplot

            plot_confusion_matrix = scikitplot.metrics.plot_confusion_matrix
        ax = plot_confusion_matrix(
            y_true, y_pred, labels=np.arange(k), normalize=bool(normalize),
            title=title, cmap=cmap, x_tick_rotation=x_tick_rotation,
            show_colorbar=False, ax=ax, fig=fig, show_fig=False, save_fig=False)
        self.im_ = ax.images[-1]
        if colorbar:
            fig.colorbar(self.im_, ax=ax, fraction=0.046, pad=0.04)
        ax.set_xticks(np.arange(k))
        ax.set_xticklabels(self.display_labels, rotation=x_tick_rotation,
                           ha="right" if x_tick_rotation else "center")
        ax.set_yticks(np.arange(k))
        ax.set_yticklabels(self.display_labels)
        self.pairs_text_ = None
        text = self.pairs_text(n_pairs) if n_pairs else ""
        if text:
            # Just under the x-axis label, whatever the tick labels' height.
            self.pairs_text_ = ax.annotate(
                "Most confused:\n" + text, xy=(0.0, 0.0),
                xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -8),
                textcoords="offset points", va="top", ha="left")
        self.ax_ = ax
        self.figure_ = fig
        return self

