"""The one evidence object the model audit hands to every model check.

A model check registered with `evidence="model"` reads what it needs from a
`ModelEvidence` (one per output of the model) and the model audit runs it
with no line of its own: adding such a check touches its module, its tests,
its fault-gallery case and, for a new code, its `codes.json` row.
"""

import dataclasses
from typing import Any, Mapping, Optional


@dataclasses.dataclass(frozen=True)
class ModelEvidence:
    """What the model audit knows about one output of the model.

    Attributes:
        model: the Keras model (read only; checks never change it).
        output_layer: the layer that produces this output (through any
            layers that only move values around), or None.
        output: the output's `OutputInfo` (activation, units, layer), or None
            when it cannot be read.
        output_shape: the output's shape per sample (without the batch axis,
            `None` for a dimension unknown until run), or None when the model
            has no graph to read it from.
        loss: this output's compiled loss classified (`kerasdoc._losses.LossInfo`),
            or None (not compiled, a custom structure).
        targets: this output's targets as given in `y` (an array), or None.
        labels: `targets` described (`kerasdoc.model._labels.Labels`), or None.
        x: the (sampled) inputs, or None.
        n_samples: samples in `x`, or None when unknown.
        batch_size: the batch size `fit` uses (given or Keras's default), or None.
        output_name: the output's name on a multi-output model, else None.
        bias_layer: the layer holding the output's bias (the output layer,
            or the one feeding a separate Activation/Softmax), or None.
        missing: why each need (a name of `kerasdoc._registry.NEEDS`) is not
            met, e.g. `{"labels": "needs `y`"}`: a check that needs it is
            skipped with that reason.
    """

    model: Any
    output_layer: Any = None
    output: Any = None
    output_shape: Optional[tuple] = None
    loss: Any = None
    targets: Any = None
    labels: Any = None
    x: Any = None
    n_samples: Optional[int] = None
    batch_size: Optional[int] = None
    output_name: Optional[str] = None
    bias_layer: Any = None
    missing: Mapping[str, str] = dataclasses.field(default_factory=dict)
