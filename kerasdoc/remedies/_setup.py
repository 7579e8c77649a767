"""`TrainingSetup`: a private copy of (model, compile settings, data, fit settings).

A remedy transforms a `TrainingSetup` and nothing else. `TrainingSetup.
from_user` copies the user's model (weights included, through
`kerasdoc._modelcopy.copy_model`, which keeps Lambda functions and rebuilds
config-less custom layers) and a fresh optimizer from the original's config;
the data arrays are referenced, never written: a remedy that changes data
builds new arrays.
"""

import dataclasses
from typing import Any, Optional

import numpy as np

from kerasdoc import _keras
from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import received


class NotApplicable(Exception):
    """A remedy does not apply to this setup (the reason is the message)."""


@dataclasses.dataclass
class TrainingSetup:
    """Everything a training run is made of, owned by kerasdoc.

    Attributes:
        model: an uncompiled copy of the user's model (never the user's).
        optimizer: a fresh, unbuilt optimizer.
        loss: the loss as compiled.
        metrics: the metrics as compiled (or None).
        loss_weights: as compiled (or None).
        x: training inputs (an array).
        y: training targets (an array).
        validation_data: `(x_val, y_val)` or None.
        batch_size: fit's batch size.
        shuffle: whether fit shuffles each epoch.
        class_weight: fit's class weights (or None).
        sample_weight: fit's sample weights (or None).
        target_transform: `(mean, std)` the targets were standardised with (a dict
            of them by output when there are several outputs), or
            None; predictions are mapped back with `pred * std + mean`.
        changes: one code-level line per change made by remedies.
        redraws: layer name -> initializer of the kernels a remedy redrew;
            `verify` redraws them with each seed's own draws.
        rectified: the structural causes of training symptoms were repaired
            (`kerasdoc.remedies._structure.rectify`).
    """

    model: Any
    optimizer: Any
    loss: Any
    metrics: Any = None
    loss_weights: Any = None
    x: Any = None
    y: Any = None
    validation_data: Optional[tuple] = None
    batch_size: int = 32
    shuffle: bool = True
    class_weight: Optional[dict] = None
    sample_weight: Any = None
    target_transform: Optional[tuple] = None
    changes: list = dataclasses.field(default_factory=list)
    redraws: dict = dataclasses.field(default_factory=dict)
    rectified: bool = False

    @classmethod
    def from_user(cls, model, x=None, y=None, *, validation_data=None, batch_size=32,
                  shuffle=True, class_weight=None, sample_weight=None, sample_x=None):
        """A setup holding a copy of `model` and its compile settings.

        Args:
            model: a compiled Keras model (left untouched).
            x: training inputs. Defaults to `None`.
            y: training targets. Defaults to `None`.
            validation_data: `(x_val, y_val)`. Defaults to `None`.
            batch_size: fit's batch size. Defaults to `32`.
            shuffle: fit's shuffle. Defaults to `True`.
            class_weight: fit's class weights. Defaults to `None`.
            sample_weight: fit's sample weights. Defaults to `None`.
            sample_x: a batch to build a subclassed copy with. Defaults to
                `None` (the first sample of `x`).
        """
        from kerasdoc._modelcopy import copy_model, copy_optimizer

        if not getattr(model, "compiled", False):
            raise InvalidInputError(
                "`model` must be compiled (its loss and optimizer are part of what a "
                f"remedy changes). {received('model', model)}")
        if sample_x is None and x is not None:
            sample_x = _first(x)
        clone = copy_model(model, compile=False, sample_x=sample_x)
        given = _keras.compile_arguments(model)
        return cls(
            model=clone, optimizer=copy_optimizer(model.optimizer), loss=model.loss,
            metrics=given["metrics"], loss_weights=given["loss_weights"],
            x=x, y=y, validation_data=validation_data, batch_size=int(batch_size),
            shuffle=bool(shuffle), class_weight=class_weight, sample_weight=sample_weight)

    def copy(self):
        """An independent copy: a new model copy and optimizer; data shared read-only."""
        from kerasdoc._modelcopy import copy_model, copy_optimizer

        clone = copy_model(self.model, compile=False,
                           sample_x=None if self.x is None else _first(self.x))
        return dataclasses.replace(
            self, model=clone, optimizer=copy_optimizer(self.optimizer),
            class_weight=None if self.class_weight is None else dict(self.class_weight),
            changes=list(self.changes), redraws=dict(self.redraws))

    def compiled(self, *, optimizer=None):
        """`self.model` compiled with this setup's optimizer (or `optimizer`), loss, metrics."""
        from kerasdoc._modelcopy import copy_optimizer

        self.model.compile(optimizer=optimizer or copy_optimizer(self.optimizer),
                           loss=self.loss, metrics=self.metrics,
                           loss_weights=self.loss_weights)
        return self.model

    def fit_kwargs(self):
        """The fit arguments of this setup besides the data."""
        return {"batch_size": self.batch_size, "shuffle": self.shuffle,
                "class_weight": self.class_weight, "sample_weight": self.sample_weight}


def _first(x):
    import keras

    return keras.tree.map_structure(lambda a: a[:1], x)


def check_arrays(x, y, name_x="x", name_y="y"):
    """`x`, `y` as numpy arrays (one input, one output), or a clear error."""
    if isinstance(x, (dict, list, tuple)) or not hasattr(x, "shape"):
        raise InvalidTypeError(
            f"`{name_x}` must be one array (verification trains on arrays). "
            f"{received(name_x, x)}")
    if isinstance(y, (dict, list, tuple)) or not hasattr(y, "shape"):
        raise InvalidTypeError(
            f"`{name_y}` must be one array (verification trains on arrays). "
            f"{received(name_y, y)}")
    return np.asarray(x), np.asarray(y)
