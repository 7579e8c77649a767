"""Pure on-device reductions used by the instrumented train step.

Every function takes tensors and returns small tensors (scalars or one value
per unit). Nothing here reads a value back to the host, so these can run
inside a compiled `tf.function` (and under XLA) at no transfer cost.
"""

import tensorflow as tf


def as_float32(x):
    """`x` as a float32 tensor (mixed-precision activations are float16)."""
    x = tf.convert_to_tensor(x)
    return x if x.dtype == tf.float32 else tf.cast(x, tf.float32)


def sum_squares(x):
    """Sum of squares of every element, in float32."""
    x = as_float32(x)
    return tf.reduce_sum(tf.square(x))


def nonfinite_count(x):
    """Number of NaN or Inf elements, as float32 (one full pass; see `flag`)."""
    x = as_float32(x)
    return tf.reduce_sum(tf.cast(tf.logical_not(tf.math.is_finite(x)), tf.float32))


def flag(total):
    """1.0 if a reduction such as `sum_squares` is not finite, else 0.0.

    A NaN or Inf anywhere in a tensor makes its sum of squares non-finite, so
    this detects them without another pass over the data (it also fires if
    the squares overflow float32, i.e. for values above ~1.8e19).
    """
    return 1.0 - tf.cast(tf.math.is_finite(total), tf.float32)


def moments(x):
    """`(sum, sum of squares, count)` of `x` in float32 (NaN if `x` has NaN)."""
    x = as_float32(x)
    return (tf.reduce_sum(x), tf.reduce_sum(tf.square(x)),
            tf.cast(tf.size(x), tf.float32))


def active_units(x):
    """Per unit (last axis), 1.0 if any output of the batch is > 0, else 0.0.

    For ReLU outputs this is the "ever active" mask; OR-ing it over the
    steps of a window (a running maximum) gives the units that never fired.
    """
    units = tf.shape(x)[-1]
    peak = tf.reduce_max(tf.reshape(x, [-1, units]), axis=0)
    return tf.cast(peak > 0, tf.float32)


def saturated_count(x, *, low, high, margin):
    """Elements within `margin * (high - low)` of either asymptote."""
    x = as_float32(x)
    band = margin * (high - low)
    near = tf.logical_or(x <= low + band, x >= high - band)
    return tf.reduce_sum(tf.cast(near, tf.float32))


def max_abs(x):
    """Largest finite absolute value of `x` (0 if none)."""
    x = as_float32(x)
    x = tf.where(tf.math.is_finite(x), tf.abs(x), tf.zeros_like(x))
    return tf.reduce_max(tf.concat([tf.reshape(x, [-1]), [0.0]], axis=0))


def histogram(x, bins):
    """`(low, high, counts)` of the finite values of `x` in `bins` equal bins.

    Static shapes only (no boolean masks), so it also compiles under XLA.
    """
    x = tf.reshape(as_float32(x), [-1])
    finite = tf.math.is_finite(x)
    big = tf.float32.max
    low = tf.reduce_min(tf.where(finite, x, tf.fill(tf.shape(x), big)))
    high = tf.reduce_max(tf.where(finite, x, tf.fill(tf.shape(x), -big)))
    any_finite = tf.reduce_any(finite)
    low = tf.where(any_finite, low, 0.0)
    high = tf.where(any_finite, high, 1.0)
    high = tf.where(high > low, high, low + 1.0)
    clean = tf.where(finite, x, tf.fill(tf.shape(x), low))
    counts = tf.cast(tf.histogram_fixed_width(clean, tf.stack([low, high]),
                                              nbins=bins), tf.float32)
    n_bad = tf.reduce_sum(tf.cast(tf.logical_not(finite), tf.float32))
    counts = counts - tf.one_hot(0, bins) * n_bad
    return low, high, counts
