"""`model.output_range`: a bounded output activation that cannot reach the targets.

A regression or reconstruction output ending in `sigmoid` can only produce
values in (0, 1), `tanh` in (-1, 1), `relu` in [0, inf). Targets outside that
range cannot be reached by any weights: the loss has a floor above zero, the
output saturates chasing them and its gradient vanishes. The classic cases:
`Dense(1, activation="relu")` on standardised targets (half of them negative),
a sigmoid autoencoder fed standardised inputs, or targets in their own units
(house prices) behind a sigmoid.

The check reads the output layer's activation from its configuration, looking
through layers that only move values around (`Reshape`, `Flatten`, `Dropout`,
...), and counts the finite target values beyond the activation's range (by
more than `margin` times the range's scale, so values at the bounds, such as
0/1 pixels behind a sigmoid, stay reachable). It never guesses an activation
from measured outputs.

This module holds the whole check: the range table, the pure judge and its
registration (what adding a check should take).
"""

import dataclasses
import math

import numpy as np

from kerasdoc._registry import Settings, default_of, register, setting
from kerasdoc.findings import Finding

INF = math.inf

# Output ranges of the bounded activations (closed over-approximations).
RANGES = {
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "hard_tanh": (-1.0, 1.0),
    "relu": (0.0, INF), "relu6": (0.0, 6.0), "softplus": (0.0, INF),
    "exponential": (0.0, INF), "elu": (-1.0, INF), "selu": (-1.7581, INF),
    "silu": (-0.2785, INF), "swish": (-0.2785, INF), "gelu": (-0.17, INF),
    "hard_silu": (-0.375, INF), "hard_swish": (-0.375, INF), "mish": (-0.3089, INF),
    "log_sigmoid": (-INF, 0.0),
}
# Layers between the activation and the model's output that keep its range.
_KEEP_RANGE = frozenset({
    "Reshape", "Flatten", "Permute", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "AlphaDropout", "Cropping1D", "Cropping2D", "Cropping3D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
    "AveragePooling2D", "AveragePooling3D", "UpSampling1D", "UpSampling2D",
    "UpSampling3D", "RepeatVector", "Identity",
})
_MAX_VALUES = 1_000_000  # target values read (a seeded sample beyond)


def output_range(layer):
    """(activation name, (low, high), the layer applying it), or None when unbounded or unknown.

    Looks back from `layer` through `_KEEP_RANGE` layers to the first layer
    with an activation; a `ReLU` layer's `max_value` and `negative_slope`
    are read.
    """
    from kerasdoc.model import _graph

    seen = 0
    while layer is not None and seen < 16:
        seen += 1
        cls = _graph.class_name(layer)
        if cls == "ReLU":
            if float(getattr(layer, "negative_slope", 0.0) or 0.0) != 0.0:
                return None
            top = getattr(layer, "max_value", None)
            high = INF if top is None else float(top)
            return "relu", (0.0, high), layer
        if cls in _KEEP_RANGE:
            preds = _graph.predecessors(layer)
            layer = preds[0] if preds and len(preds) == 1 else None
            continue
        name = _graph.layer_activation(layer)
        if name is None or name not in RANGES:
            return None
        return name, RANGES[name], layer
    return None


def _values(y, seed=0):
    """The finite target values as a flat float array (a seeded sample past `_MAX_VALUES`)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        return None
    flat = y.reshape(-1)
    if flat.size > _MAX_VALUES:
        flat = flat[np.random.default_rng(seed).choice(flat.size, _MAX_VALUES,
                                                       replace=False)]
    flat = flat.astype(np.float64)
    return flat[np.isfinite(flat)]


def check_output_range(layer, y, *, max_fraction=0.01, error_fraction=0.1, margin=1e-3):
    """`model.output_range`: targets beyond the range of the output's bounded activation.

    Args:
        layer: the layer producing the output (read through range-keeping
            layers such as `Reshape`).
        y: this output's targets (any shape; reconstruction targets are the
            inputs).
        max_fraction: fires (warning) when more than this fraction of the
            target values lie outside the activation's range. Defaults to
            `0.01`.
        error_fraction: an error when more than this fraction do. Defaults
            to `0.1`.
        margin: a value counts as outside when it is beyond a bound by more
            than this times `max(1, |bound|)`. Defaults to `1e-3`.

    Returns:
        A list with at most one `Finding`.
    """
    found = output_range(layer)
    if found is None or y is None:
        return []
    name, (low, high), source = found
    values = _values(y)
    if values is None or values.size == 0:
        return []
    slack_low = margin * max(1.0, abs(low)) if math.isfinite(low) else 0.0
    slack_high = margin * max(1.0, abs(high)) if math.isfinite(high) else 0.0
    below = values < low - slack_low
    above = values > high + slack_high
    outside = below | above
    share = float(outside.mean())
    if share <= max_fraction:
        return []
    severity = "error" if share > error_fraction else "warning"
    lo_text = "-inf" if not math.isfinite(low) else f"{low:g}"
    hi_text = "inf" if not math.isfinite(high) else f"{high:g}"
    where = getattr(source, "name", "the output layer")
    side = ("below" if below.any() and not above.any() else
            "above" if above.any() and not below.any() else "outside")
    return [Finding(
        "model.output_range",
        message=(f"The output of {where} goes through {name}, whose values lie in "
                 f"[{lo_text}, {hi_text}], but {share:.0%} of the target values lie "
                 f"{side} that range (targets span [{values.min():.4g}, "
                 f"{values.max():.4g}]): no weights can reach them, so the loss keeps "
                 "a floor and the saturated output stops learning."),
        evidence={"layer": where, "activation": name, "range": [low, high],
                  "fraction_outside": share, "n_outside": int(outside.sum()),
                  "n_values": int(values.size), "n_below": int(below.sum()),
                  "n_above": int(above.sum()),
                  "target_min": float(values.min()), "target_max": float(values.max()),
                  "max_fraction": max_fraction, "error_fraction": error_fraction},
        fix=(f"Use a linear output (activation=None) for unbounded targets, or scale "
             f"the targets into [{lo_text}, {hi_text}] (e.g. sklearn's MinMaxScaler) "
             "and invert the scaling on the predictions."),
        severity=severity, layer=where)]


@dataclasses.dataclass(frozen=True)
class OutputRange(Settings):
    max_fraction: float = setting(
        default_of(check_output_range, "max_fraction"),
        "fires when more than this fraction of the target values lie outside the "
        "output activation's range", minimum=0.0, maximum=1.0)
    error_fraction: float = setting(
        default_of(check_output_range, "error_fraction"),
        "an error (not a warning) when more than this fraction do", minimum=0.0,
        maximum=1.0)
    margin: float = setting(
        default_of(check_output_range, "margin"),
        "a value counts as outside when beyond a bound by more than this times "
        "max(1, |bound|)", minimum=0.0)


_T = "tests/model/test_output_range.py::"


@register("model.output_range", part="model", tasks=("regression", "reconstruction"),
          needs=("labels",), settings=OutputRange,
          fires=(_T + "test_relu_output_on_standardised_targets_is_an_error",
                 _T + "test_sigmoid_autoencoder_on_standardised_inputs_fires",
                 _T + "test_multi_output_names_the_head"),
          silent=(_T + "test_linear_and_in_range_outputs_are_silent",
                  _T + "test_sigmoid_autoencoder_on_unit_pixels_is_silent",
                  _T + "test_classifiers_skip_it_by_task"),
          evidence="model")
def output_range_check(evidence, *, settings):
    """A bounded output activation (sigmoid, tanh, relu, ...) that cannot reach the targets."""
    return check_output_range(evidence.output_layer, evidence.targets,
                              max_fraction=settings.max_fraction,
                              error_fraction=settings.error_fraction,
                              margin=settings.margin)
