"""`model.target_shape`: a value output whose shape does not match its targets.

A regression or reconstruction loss (mean squared error, mean absolute
error, Huber, ...) subtracts the prediction from the target element by
element. Keras first lines up ranks that differ by a trailing axis of size
one (targets `(n,)` against an output `(n, 1)`), then broadcasts. When the
shapes differ otherwise, either `fit` raises on its first step or, worse,
the two broadcast against each other and training runs without a word:

- one output unit against several target columns, `(n, 1)` against
  `(n, k)`: the unit is fitted to the mean of the columns, and no column is
  predicted;
- several output units against one target column, `(n, k)` against
  `(n, 1)` (a head copied from a k-class classifier, trained with MSE):
  every unit is fitted to the same target, and k - 1 of them are waste;
- an autoencoder whose output is `(n, 784)` against images `(n, 28, 28)`.

The check reads the output's per-sample shape from the model's graph and
the targets' per-sample shape from `y`, applies Keras's rank rule, and fires
on any remaining difference (an error: the loss is not the one intended).
Dimensions unknown until run (`None`) match anything. It needs a model with
a graph (the output shape) and the targets; classification outputs are
left to `model.output_units` and `model.loss_mismatch`.

This module holds the whole check: the pure judge and its registration.
"""

import numpy as np

from kerasdoc._registry import register
from kerasdoc.findings import Finding

__all__ = ["check_target_shape", "aligned_shapes"]


def aligned_shapes(output_shape, target_shape):
    """The per-sample shapes as the loss compares them, after Keras's rank rule.

    When the ranks differ by one and the longer shape ends in a 1, that axis
    is dropped (Keras's `squeeze_or_expand_to_same_rank`).

    Args:
        output_shape: the output's shape without the batch axis.
        target_shape: the targets' shape without the batch axis.

    Returns:
        `(output_shape, target_shape)` as tuples.
    """
    out, target = tuple(output_shape), tuple(target_shape)
    if len(out) == len(target) + 1 and out and out[-1] == 1:
        out = out[:-1]
    elif len(target) == len(out) + 1 and target and target[-1] == 1:
        target = target[:-1]
    return out, target


def _match(out, target):
    return len(out) == len(target) and all(
        o is None or o == t for o, t in zip(out, target))


# A batch size no real shape equals, so the batch axis broadcasts only with itself.
_BATCH = 7919


def _broadcasts(out, target):
    """Whether the two shapes broadcast, batch axis included (unknown dimensions as 1)."""
    try:
        np.broadcast_shapes((_BATCH,) + tuple(1 if d is None else d for d in out),
                            (_BATCH,) + tuple(target))
    except ValueError:
        return False
    return True


def check_target_shape(output_shape, targets):
    """`model.target_shape` on one output: its per-sample shape against its targets'.

    Pure: it reads shapes only.

    Args:
        output_shape: the output's shape without the batch axis (None
            entries unknown), or None when unknown (nothing is concluded).
        targets: the output's targets (an array with a leading sample axis),
            or None.

    Returns:
        list of `Finding` (empty or one).
    """
    if output_shape is None or targets is None or not hasattr(targets, "shape") \
            or len(np.shape(targets)) == 0:
        return []
    target_shape = tuple(int(d) for d in np.shape(targets)[1:])
    out, target = aligned_shapes(output_shape, target_shape)
    if _match(out, target):
        return []
    shown_out = "(n, " + ", ".join("?" if d is None else str(d) for d in output_shape) + ")"
    shown_target = "(n, " + ", ".join(str(d) for d in target_shape) + ")"
    shown_out, shown_target = shown_out.replace(", )", ")"), shown_target.replace(", )", ")")
    silent = _broadcasts(out, target)
    if silent:
        consequence = ("the loss broadcasts them against each other and training runs "
                       "without an error, fitting "
                       + ("one prediction to the mean of several target columns"
                          if int(np.prod([d or 1 for d in out])) < int(np.prod(target or (1,)))
                          else "several outputs to the same target values")
                       + ", not the targets as intended")
    else:
        consequence = "`fit` will raise on its first step (the shapes do not broadcast)"
    return [Finding(
        "model.target_shape",
        message=(f"The output's shape per sample, {shown_out}, does not match its "
                 f"targets', {shown_target}: {consequence}."),
        evidence={"output_shape": [None if d is None else int(d) for d in output_shape],
                  "target_shape": list(target_shape), "broadcasts": bool(silent)},
        fix=("Give the output layer as many units as the targets have columns (and "
             "the same layout: Reshape the output or the targets), or reshape the "
             "targets to the output's shape; for several targets use one unit per "
             "target column."),
    )]


_T = "tests/model/test_target_shape.py::"


@register("model.target_shape", part="model", tasks=("regression", "reconstruction"),
          needs=("labels",),
          fires=(_T + "test_one_unit_against_several_target_columns_fires",
                 _T + "test_ten_units_against_one_target_fires",
                 _T + "test_judge_on_shapes"),
          silent=(_T + "test_matching_shapes_are_silent",
                  _T + "test_judge_on_shapes"),
          evidence="model")
def target_shape_check(evidence, *, settings):
    """A regression/reconstruction output whose shape differs from its targets' (the loss broadcasts)."""
    return check_target_shape(evidence.output_shape, evidence.targets)
