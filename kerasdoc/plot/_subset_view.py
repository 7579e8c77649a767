"""A grid of samples per class: the walkthrough's "load and verify" step."""

import os

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import check_array, check_choice, check_int, check_same_length
from kerasdoc._validation import received
from kerasdoc.plot._common import class_names_for, image_for_display, labels_1d

__all__ = ["SubsetDisplay"]


class SubsetDisplay:
    """The first `per_class` samples of every class, one row per class.

    Looking at a few images per label is the quickest check that images and
    labels still belong together after a subset was built, saved and loaded.

    Args:
        x: inputs.
        y: labels (indices or one-hot).
        class_names: names of the classes. Defaults to `None` (indices).
        per_class: samples shown per class. Defaults to `6`.
        title: figure title. Defaults to `None` (no title).

    Attributes:
        counts: number of samples of each class in `y`.
        indices: `(n_classes, per_class)` indices shown (-1 where a class
            has fewer samples).
        ax_: the 2-D array of Axes after `plot`.
        figure_: the Figure after `plot`.

    Example:

    >>> disp = SubsetDisplay.from_arrays(np.zeros((4, 2, 2)), [0, 1, 1, 0],
    ...                                  per_class=2, plot=False)
    >>> disp.indices.tolist()
    [[0, 3], [1, 2]]
    """

    def __init__(self, x, y, *, class_names=None, per_class=6, title=None):
        x = check_array(x, "x")
        y = labels_1d(y, "y")
        check_same_length(x, "x", y, "y")
        self.per_class = check_int(per_class, "per_class", minimum=1, maximum=len(x))
        n_classes = int(y.max()) + 1
        if class_names is not None:
            n_classes = max(n_classes, len(class_names))
        self.class_names = class_names_for(class_names, n_classes)
        self.x = x
        self.y = y
        self.title = title
        self.counts = np.bincount(y, minlength=n_classes)
        self.indices = np.full((n_classes, self.per_class), -1, dtype=np.int64)
        for c in range(n_classes):
            found = np.flatnonzero(y == c)[: self.per_class]
            self.indices[c, : len(found)] = found

    @classmethod
    def from_arrays(cls, x, y, *, class_names=None, per_class=6, title=None,
                    plot=True, **plot_kwargs):
        """Show `per_class` samples of every class of `(x, y)`."""
        disp = cls(x, y, class_names=class_names, per_class=per_class, title=title)
        if plot:
            disp.plot(**plot_kwargs)
        return disp

    @classmethod
    def from_subset(cls, subset, *, split="train", per_class=6, plot=True,
                    **plot_kwargs):
        """Show a loaded subset (`kerasdoc.load_subset`'s result).

        Args:
            subset: object with `x_train`, `y_train`, `x_test`, `y_test` and
                `class_names`.
            split: `"train"` or `"test"`. Defaults to `"train"`.
            per_class: samples shown per class. Defaults to `6`.
            plot: draw it. Defaults to `True`.
            **plot_kwargs: passed to `plot`.
        """
        check_choice(split, "split", ("train", "test"))
        try:
            x, y = getattr(subset, f"x_{split}"), getattr(subset, f"y_{split}")
        except AttributeError:
            raise InvalidTypeError(
                "`subset` must have x_train/y_train/x_test/y_test attributes "
                f"(as returned by kerasdoc.load_subset). {received('subset', subset)}"
            ) from None
        return cls.from_arrays(
            x, y, class_names=getattr(subset, "class_names", None),
            per_class=per_class, title=f"{split}: {len(y)} samples", plot=plot,
            **plot_kwargs)

    @classmethod
    def from_directory(cls, directory, *, split="train", per_class=6, plot=True,
                       **plot_kwargs):
        """Load a saved subset with `kerasdoc.load_subset` (which verifies it) and show it.

        Args:
            directory: folder written by the subset builder.
            split: `"train"` or `"test"`. Defaults to `"train"`.
            per_class: samples shown per class. Defaults to `6`.
            plot: draw it. Defaults to `True`.
            **plot_kwargs: passed to `plot`.

        Example:

        >>> SubsetDisplay.from_directory("data")  # doctest: +SKIP
        """
        if not isinstance(directory, (str, os.PathLike)):
            raise InvalidTypeError(
                f"`directory` must be a path. {received('directory', directory)}")
        if not os.path.isdir(os.fspath(directory)):
            raise InvalidInputError(
                f"`directory` must be an existing folder. {received('directory', directory)}"
            )
        from kerasdoc.data import load_subset

        check_choice(split, "split", ("train", "test"))
        subset = load_subset(directory)  # raises DataIntegrityError if modified
        x, y = getattr(subset, f"x_{split}"), getattr(subset, f"y_{split}")
        if x is None:
            raise InvalidInputError(
                f"The subset in {directory} has no {split} split. "
                f"{received('split', split)}"
            )
        return cls.from_arrays(
            x, y, class_names=subset.class_names, per_class=per_class,
            title=f"{split}: {len(y)} samples, verified against manifest.json",
            plot=plot, **plot_kwargs)

    def plot(self, *, cmap=None, panel_size=1.1):
        """Draw the grid: rows are classes (named with their counts).

        Args:
            cmap: colormap for grey images. Defaults to `None` (`"binary"`).
            panel_size: inches per panel. Defaults to `1.1`.

        Returns:
            `self`.
        """
        from kerasdoc.plot._common import pyplot

        n_classes = len(self.indices)
        fig, axes = pyplot().subplots(
            n_classes, self.per_class, squeeze=False,
            figsize=(panel_size * self.per_class + 1.6, panel_size * n_classes))
        for c in range(n_classes):
            for j in range(self.per_class):
                a = axes[c, j]
                a.set_xticks([])
                a.set_yticks([])
                for spine in a.spines.values():
                    spine.set_visible(False)
                i = self.indices[c, j]
                if i >= 0:
                    image, default_cmap = image_for_display(self.x[i])
                    if image is not None:
                        a.imshow(image, cmap=cmap or default_cmap)
            axes[c, 0].set_ylabel(f"{self.class_names[c]}\n({self.counts[c]})",
                                  rotation=0, ha="right", va="center")
        if self.title:
            fig.suptitle(self.title)
        fig.tight_layout()
        self.ax_ = axes
        self.figure_ = fig
        return self
