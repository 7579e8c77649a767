"""Validation helpers for the public boundary.

Messages follow the Keras convention: say what was expected, then
``Received: name=value``. Never use ``assert`` for user input.
"""

import numbers

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError


def _short(value, limit=80):
    """A repr of `value` short enough for an error message."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def received(name, value):
    """The closing ``Received: name=value`` clause of an error message."""
    return f"Received: {name}={_short(value)}"


def check_int(value, name, *, minimum=None, maximum=None, allow_none=False):
    """Return `value` as an int, or raise naming `name`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(
            f"`{name}` must be an integer. {received(name, value)}"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise InvalidInputError(
            f"`{name}` must be >= {minimum}. {received(name, value)}"
        )
    if maximum is not None and value > maximum:
        raise InvalidInputError(
            f"`{name}` must be <= {maximum}. {received(name, value)}"
        )
    return value


def check_float(value, name, *, minimum=None, maximum=None, allow_none=False,
                exclusive_minimum=False):
    """Return `value` as a finite float, or raise naming `name`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"`{name}` must be a number. {received(name, value)}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the float range
        value = float("inf")
    if not np.isfinite(value):
        raise InvalidInputError(f"`{name}` must be finite. {received(name, value)}")
    if minimum is not None:
        bad = value <= minimum if exclusive_minimum else value < minimum
        if bad:
            op = ">" if exclusive_minimum else ">="
            raise InvalidInputError(
                f"`{name}` must be {op} {minimum}. {received(name, value)}"
            )
    if maximum is not None and value > maximum:
        raise InvalidInputError(
            f"`{name}` must be <= {maximum}. {received(name, value)}"
        )
    return value


def check_choice(value, name, choices):
    """Raise unless `value` is one of `choices`."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise InvalidInputError(
            f"`{name}` must be one of {options}. {received(name, value)}"
        )
    return value


def check_array(value, name, *, min_ndim=1, max_ndim=None, allow_empty=False,
                numeric=True):
    """Return `value` as a numpy array (no copy when possible).

    Memory-mapped arrays stay memory-mapped. Object, string and empty arrays
    are refused with a message naming `name`.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise InvalidTypeError(
            f"`{name}` must be an array. {received(name, value)}"
        )
    try:
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InvalidTypeError(
            f"`{name}` could not be converted to an array ({exc}). "
            f"{received(name, value)}"
        ) from None
    if numeric and not (np.issubdtype(array.dtype, np.number)
                        or array.dtype == np.bool_):
        raise InvalidTypeError(
            f"`{name}` must hold numbers, not dtype {array.dtype}. "
            f"{received(name, array)}"
        )
    if array.ndim < min_ndim or (max_ndim is not None and array.ndim > max_ndim):
        want = f"at least {min_ndim}" if max_ndim is None else (
            f"{min_ndim}" if min_ndim == max_ndim else f"{min_ndim} to {max_ndim}")
        raise InvalidInputError(
            f"`{name}` must have {want} dimensions, got {array.ndim}. "
            f"{received(name, array)}"
        )
    if not allow_empty and array.size == 0:
        raise InvalidInputError(f"`{name}` must not be empty. {received(name, array)}")
    return array


def check_same_length(a, a_name, b, b_name):
    """Raise unless `a` and `b` have the same first dimension."""
    for value, name in ((a, a_name), (b, b_name)):
        if np.ndim(value) == 0:
            raise InvalidInputError(
                f"`{name}` must be an array of samples, not a scalar. "
                f"{received(name, value)}")
    if len(a) != len(b):
        raise InvalidInputError(
            f"`{a_name}` and `{b_name}` must have the same number of samples. "
            f"Received: len({a_name})={len(a)}, len({b_name})={len(b)}"
        )


def check_model_input(x, model, name="x"):
    """Raise unless the per-sample shape of array `x` fits `model`'s single input.

    Models without a graph (subclassed, unbuilt) or with several inputs are
    not checked. A trailing axis of size 1 may be missing or extra, as Keras
    itself accepts.
    """
    try:
        inputs = list(getattr(model, "inputs", None) or ())
    except Exception:  # subclassed models raise when they have no graph
        return x
    if len(inputs) != 1:
        return x
    _check_one_input(x, inputs[0], name)
    return x


def check_model(model, name="model", *, built=True):
    """Raise unless `model` is a Keras 3 model (built, when asked)."""
    import keras

    if not isinstance(model, keras.Model):
        raise InvalidTypeError(
            f"`{name}` must be a keras.Model. {received(name, model)}"
        )
    if built and not model.built:
        raise InvalidInputError(
            f"`{name}` must be built (call it on data or pass an input shape) "
            f"before it can be checked. {received(name, model)}"
        )
    return model


def check_model_inputs(x, model, name="x"):
    """Raise unless `x` (an array, or a dict or list of arrays) fits `model`'s inputs.

    A dict must be keyed by the model's input names and a list must have
    one array per input (in `model.inputs` order); each array is then
    checked like `check_model_input`. Models without a graph (subclassed,
    unbuilt) are not checked.
    """
    from kerasdoc._inputs import as_model_inputs, model_input_names

    names = model_input_names(model)
    if names is None:
        return x
    inputs = list(model.inputs)
    if isinstance(x, dict):
        keys = [str(k) for k in x]
        if len(names) == 1 and len(keys) == 1 and keys[0] not in names:
            missing, extra = names, keys
        else:
            missing = [n for n in names if n not in keys]
            extra = [k for k in keys if k not in names]
        if missing:
            raise InvalidInputError(
                f"`{name}` must be keyed by the model's input names {names}; "
                f"missing {missing}. Received: {name} keys {keys}")
        del extra  # Keras ignores keys no input asks for, and so do we
        for key, tensor in zip(names, inputs):
            _check_one_input(x[key], tensor, f"{name}[{key!r}]")
        return as_model_inputs(x, model)
    if isinstance(x, (list, tuple)):
        if len(x) != len(inputs):
            raise InvalidInputError(
                f"`{name}` must hold one array per model input ({len(inputs)}: "
                f"{names}). Received: len({name})={len(x)}")
        for i, (value, tensor) in enumerate(zip(x, inputs)):
            _check_one_input(value, tensor, f"{name}[{i}]")
        return as_model_inputs(x, model)
    if len(inputs) > 1:
        raise InvalidInputError(
            f"`{name}` must be a dict (keyed by {names}) or a list of {len(inputs)} "
            f"arrays for a model with {len(inputs)} inputs. {received(name, x)}")
    _check_one_input(x, inputs[0], name)
    return x


def _check_one_input(x, tensor, name):
    """Raise unless the per-sample shape of `x` fits the input `tensor`."""
    declared = expected = tuple(tensor.shape[1:])
    got = tuple(np.shape(x)[1:])
    # Keras's functional models adapt a rank that differs by a trailing axis
    # of size 1 ((n, 28, 28) into Input((28, 28, 1)) and the reverse).
    if len(got) == len(expected) + 1 and got[-1:] == (1,):
        got = got[:-1]
    elif len(expected) == len(got) + 1 and expected[-1:] == (1,):
        expected = expected[:-1]
    if len(got) != len(expected) or any(e is not None and e != g
                                        for e, g in zip(expected, got)):
        raise InvalidInputError(
            f"`{name}` must hold samples of `model`'s input shape {declared}. "
            f"Received: {name}.shape={np.shape(x)}")
