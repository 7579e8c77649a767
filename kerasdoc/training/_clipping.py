"""Gradient clipping that matches Keras's optimizer options, with statistics.

`clip_gradients` returns the clipped gradients *and* what it measured (the
global norm before and after, whether anything was clipped), in the manner of
optax: a pure function, no state, no host transfer. The arithmetic is the
same as Keras's `clipnorm`, `global_clipnorm` and `clipvalue`
(`keras/src/optimizers/base_optimizer.py`), so a `Doctor(clip_norm=c)` run
gives the weights of a run compiled with `optimizer(clipnorm=c)`.
"""

import tensorflow as tf

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import check_float, received


def check_clipping(clip_global_norm=None, clip_norm=None, clip_value=None):
    """Validate the three clipping options; at most one may be set."""
    values = {
        "clip_global_norm": check_float(clip_global_norm, "clip_global_norm",
                                        minimum=0.0, exclusive_minimum=True,
                                        allow_none=True),
        "clip_norm": check_float(clip_norm, "clip_norm", minimum=0.0,
                                 exclusive_minimum=True, allow_none=True),
        "clip_value": check_float(clip_value, "clip_value", minimum=0.0,
                                  exclusive_minimum=True, allow_none=True),
    }
    chosen = {k: v for k, v in values.items() if v is not None}
    if len(chosen) > 1:
        raise InvalidInputError(
            "Set at most one of `clip_global_norm`, `clip_norm` and "
            f"`clip_value`. Received: {', '.join(f'{k}={v}' for k, v in chosen.items())}"
        )
    return values


def global_norm(grads):
    """The L2 norm of all gradients together (None entries skipped)."""
    squares = [tf.reduce_sum(tf.square(tf.cast(g, tf.float32)))
               for g in grads if g is not None]
    if not squares:
        return tf.constant(0.0)
    return tf.sqrt(tf.add_n(squares))


def _clip_by_norm(g, clip_norm):
    # Same op as Keras's TF optimizer (`tf.clip_by_norm` per tensor).
    return tf.clip_by_norm(g, clip_norm)


def _clip_by_global_norm(grads, clip_norm):
    # Same arithmetic as keras.src.optimizers.base_optimizer.clip_by_global_norm.
    squared = [tf.reduce_sum(tf.square(g)) for g in grads if g is not None]
    use_norm = tf.sqrt(tf.reduce_sum(tf.stack(squared)))
    scale_for_finite = clip_norm * tf.minimum(1.0 / use_norm, 1.0 / clip_norm)
    scale = scale_for_finite + (use_norm - use_norm)
    return [g * scale if g is not None else g for g in grads]


def _check_grads(grads):
    """Raise unless `grads` is a list of floating-point tensors (or None)."""
    if not isinstance(grads, (list, tuple)):
        raise InvalidTypeError(
            f"`grads` must be a list of gradient tensors. {received('grads', grads)}")
    for i, g in enumerate(grads):
        if g is None:
            continue
        try:
            floating = tf.as_dtype(g.dtype).is_floating
        except (AttributeError, TypeError):
            floating = False
        if not floating:
            raise InvalidTypeError(
                f"`grads` must hold floating-point tensors; grads[{i}] has dtype "
                f"{getattr(g, 'dtype', type(g).__name__)}. {received('grads', grads)}")


def clip_gradients(grads, *, clip_global_norm=None, clip_norm=None,
                   clip_value=None):
    """Clip `grads` as Keras's optimizer would, and measure the effect.

    Args:
        grads: list of gradient tensors (entries may be `None`).
        clip_global_norm: rescale all gradients together so that their
            global norm is at most this. Defaults to `None`.
        clip_norm: rescale each gradient tensor so that its norm is at most
            this. Defaults to `None`.
        clip_value: clip each element to `[-clip_value, clip_value]`.
            Defaults to `None`.

    Returns:
        `(clipped_grads, stats)` where `stats` is a dict of scalar tensors:
        `norm_before`, `norm_after` (global norms) and `clipped` (1.0 if
        clipping changed anything, else 0.0).

    Example:

    >>> g = [tf.constant([3.0, 4.0])]
    >>> clipped, stats = clip_gradients(g, clip_global_norm=1.0)
    >>> float(stats["norm_after"])  # doctest: +ELLIPSIS
    1.0...
    """
    _check_grads(grads)
    before = global_norm(grads)
    if clip_norm is not None:
        clipped = [_clip_by_norm(g, clip_norm) if g is not None else g
                   for g in grads]
        flag = tf.reduce_any(tf.stack([
            tf.norm(tf.cast(g, tf.float32)) > clip_norm
            for g in grads if g is not None] or [tf.constant(False)]))
    elif clip_global_norm is not None:
        clipped = _clip_by_global_norm(grads, clip_global_norm)
        flag = before > clip_global_norm
    elif clip_value is not None:
        clipped = [tf.clip_by_value(g, -clip_value, clip_value)
                   if g is not None else g for g in grads]
        flag = tf.reduce_any(tf.stack([
            tf.reduce_any(tf.abs(g) > clip_value)
            for g in grads if g is not None] or [tf.constant(False)]))
    else:
        return list(grads), {"norm_before": before, "norm_after": before,
                             "clipped": tf.constant(0.0)}
    return clipped, {"norm_before": before, "norm_after": global_norm(clipped),
                     "clipped": tf.cast(flag, tf.float32)}
