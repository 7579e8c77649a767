"""Snapshots and copies of a user's model, so checks never change it.

`ModelState.capture(model)` records everything a check could disturb
(weights, optimizer variables including the iteration count, trainable flags,
compile settings). `copy_model(model)` gives an independent model with the
same weights, compiled with the same loss and metrics and a fresh optimizer
built from the original's config.
"""

import contextlib
import dataclasses
import json
import warnings
from typing import Tuple

import numpy as np

from kerasdoc import _keras
from kerasdoc._errors import InvalidInputError
from kerasdoc._validation import check_model, received


def _compile_config(model):
    if not getattr(model, "compiled", False):
        return None
    try:
        config = model.get_compile_config()
    except Exception:  # custom, unserialisable compile arguments
        config = {"loss": repr(getattr(model, "loss", None))}
    return json.dumps(config, sort_keys=True, default=repr)


@dataclasses.dataclass(frozen=True)
class ModelState:
    """Everything about a model that a check must leave untouched."""

    weights: Tuple[Tuple[str, np.ndarray], ...]
    optimizer_variables: Tuple[Tuple[str, np.ndarray], ...]
    trainable: Tuple[Tuple[str, bool], ...]
    compile_config: object
    optimizer_id: int
    train_function_id: int

    @classmethod
    def capture(cls, model):
        """Record `model`'s state (copies of every array)."""
        optimizer = getattr(model, "optimizer", None)
        opt_vars = ()
        if optimizer is not None and getattr(optimizer, "built", False) is not None:
            opt_vars = tuple(
                (v.path, np.array(v.numpy(), copy=True))
                for v in getattr(optimizer, "variables", [])
            )
        return cls(
            weights=tuple((w.path, np.array(w.numpy(), copy=True))
                          for w in model.weights),
            optimizer_variables=opt_vars,
            trainable=tuple((layer.name, bool(layer.trainable))
                            for layer in _keras.flatten_layers(model, include_self=True)),
            compile_config=_compile_config(model),
            optimizer_id=id(optimizer),
            train_function_id=id(getattr(model, "train_function", None)),
        )

    def diff(self, other):
        """Human-readable differences between two states (empty if identical).

        Arrays are compared bit for bit (NaN equal to NaN).
        """
        out = []
        for label, mine, theirs in (
            ("weight", self.weights, other.weights),
            ("optimizer variable", self.optimizer_variables, other.optimizer_variables),
        ):
            if [p for p, _ in mine] != [p for p, _ in theirs]:
                out.append(f"{label} list changed")
                continue
            for (path, a), (_, b) in zip(mine, theirs):
                if a.shape != b.shape or a.dtype != b.dtype or a.tobytes() != b.tobytes():
                    out.append(f"{label} {path} changed")
        if self.trainable != other.trainable:
            out.append("trainable flags changed")
        if self.compile_config != other.compile_config:
            out.append("compile settings changed")
        if self.optimizer_id != other.optimizer_id:
            out.append("optimizer object replaced")
        if self.train_function_id != other.train_function_id:
            out.append("train_function replaced")
        return out


class NotCopyable(InvalidInputError):
    """`model` cannot be copied in-process (see `copy_model`)."""


def _clone_layer(layer):
    """A new layer like `layer` (its live Python objects reused where needed).

    Lambda layers keep the same function object (a lambda or closure is the
    user's live code, not a file to load); vocabulary lookup layers are
    shared (their adapted table is not in their config and never trains);
    other layers go through
    `get_config`/`from_config`, and layers whose `get_config` does not
    round-trip are rebuilt from the constructor arguments Keras recorded
    when they were created.
    """
    import keras

    if callable(getattr(layer, "get_vocabulary", None)) and callable(
            getattr(layer, "set_vocabulary", None)):
        # StringLookup, IntegerLookup, TextVectorization: an adapted
        # vocabulary lives in a lookup table, outside the config and the
        # weights, so a rebuilt layer's table is empty. Training never
        # changes the table: the copy shares the layer.
        return layer
    if type(layer) is keras.layers.Lambda:
        return keras.layers.Lambda(
            layer.function, output_shape=_keras.lambda_output_shape(layer),
            mask=layer.mask, arguments=dict(layer.arguments), name=layer.name,
            dtype=layer.dtype_policy)
    try:
        return layer.__class__.from_config(layer.get_config())
    except Exception as error:  # get_config missing or not matching __init__
        auto = _keras.auto_config(layer)
        if auto is not None:
            for extra in ({"name": layer.name}, {}):
                try:
                    return layer.__class__(**auto.config, **extra)
                except TypeError:
                    continue
        raise NotCopyable(
            f"layer '{layer.name}' ({type(layer).__name__}) cannot be rebuilt: "
            f"{type(error).__name__}: {_short(error)}") from None


def _short(error, limit=200):
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _custom_objects(model):
    """Classes and functions a compiled model's config may name."""
    import keras

    objects = {type(layer).__name__: type(layer)
               for layer in _keras.flatten_layers(model, include_self=True)}
    for item in keras.tree.flatten([getattr(model, "loss", None)]):
        if callable(item):
            name = getattr(item, "__name__", None) or type(item).__name__
            objects[name] = item if hasattr(item, "__name__") else type(item)
    return objects


def _keras_class(cls):
    return cls.__module__.startswith("keras.")


def _copy_plain_attributes(model, clone):
    """Copy the instance's own int/float/str/bool settings (not Keras's) to `clone`.

    A class rebuilt from its constructor starts from the defaults; settings
    the user passed (e.g. `MyModel(..., smoothing=0.2)`) are plain values on
    the instance.
    """
    internal = _keras_attribute_names()
    for name, value in vars(model).items():
        if (name.startswith("_") or name in internal
                or type(value) not in (int, float, str, bool, type(None))):
            continue
        if name not in vars(clone) or vars(clone)[name] != value:
            setattr(clone, name, value)


_INTERNAL = []


def _keras_attribute_names():
    if not _INTERNAL:
        import keras

        plain = keras.Sequential([keras.layers.Dense(1)])
        inputs = keras.Input((1,))
        functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
        _INTERNAL.extend(set(vars(plain)) | set(vars(functional)))
    return set(_INTERNAL)


# Keras warns, when a functional model is built, about dict input keys that
# differ from the input tensors' names. The user got it once when they built
# their model; rebuilding it for every copy would repeat it once per probe.
_REPEATED_BUILD_WARNING = r"When providing `inputs` as a dict"


def _clone_architecture(model):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_REPEATED_BUILD_WARNING,
                                category=UserWarning)
        return _rebuild(model)


def _rebuild(model):
    import keras

    from kerasdoc._keras import functional_class

    Functional = functional_class()
    graph = isinstance(model, (keras.Sequential, Functional))
    errors = []
    if graph:
        for scope in (None, _custom_objects(model)):
            try:
                if scope is None:
                    clone = keras.models.clone_model(
                        model, clone_function=_clone_layer, recursive=True)
                else:  # compiled with custom objects: re-compiling needs them
                    with keras.saving.custom_object_scope(scope):
                        clone = keras.models.clone_model(
                            model, clone_function=_clone_layer, recursive=True)
            except NotCopyable:
                raise
            except Exception as error:  # e.g. unserialisable compile arguments
                errors.append(error)
                continue
            if type(clone) is type(model) or _keras_class(type(model)):
                return clone
            errors.append(TypeError(
                f"the copy is a {type(clone).__name__}, not a "
                f"{type(model).__name__}"))
            break
    try:  # subclassed models with a get_config
        with keras.saving.custom_object_scope(_custom_objects(model)):
            return model.__class__.from_config(model.get_config())
    except Exception as error:  # no get_config, or one __init__ does not take
        errors.append(error)
    auto = _keras.auto_config(model)
    if auto is not None:
        try:
            return model.__class__(**auto.config)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
    raise NotCopyable(
        f"`model` ({type(model).__name__}) could not be rebuilt in-process "
        f"({type(errors[0]).__name__}: {_short(errors[0])}). "
        f"{received('model', model)}")


def compile_like(target, model, optimizer=None):
    """Compile `target` with `model`'s loss, metrics and settings.

    The optimizer is `optimizer`, or a fresh one from the original's config.
    `target` may be `model` itself (a probe working on the user's model
    with its state saved): every setting is read before compiling.
    """
    opt = optimizer if optimizer is not None else copy_optimizer(model.optimizer)
    given = _keras.compile_arguments(model)
    target.compile(
        optimizer=opt,
        loss=model.loss,
        loss_weights=given["loss_weights"],
        metrics=given["metrics"],
        weighted_metrics=given["weighted_metrics"],
        run_eagerly=model.run_eagerly,
        jit_compile=given["jit_compile"],
        steps_per_execution=getattr(model, "steps_per_execution", 1) or 1,
    )


def copy_optimizer(optimizer):
    """A fresh, unbuilt optimizer with the same class and config."""
    return optimizer.__class__.from_config(optimizer.get_config())


def copy_model(model, *, compile=True, optimizer=None, sample_x=None):
    """An independent copy of `model` with the same weights.

    Args:
        model: a built Keras 3 model.
        compile: compile the copy like the original (same loss, metrics,
            loss weights; a fresh optimizer from the original's config).
            Ignored when the original is not compiled. Defaults to `True`.
        optimizer: an optimizer to use instead of the copied one. Defaults to
            `None`.
        sample_x: a small input batch used to build copies of subclassed
            models that have no input shape. Defaults to `None`.

    Returns:
        A new `keras.Model`; the original is not modified.
    """
    check_model(model)
    clone = _clone_architecture(model)
    _copy_plain_attributes(model, clone)
    if not clone.built:
        if sample_x is not None:
            import keras

            clone(keras.tree.map_structure(lambda a: a[:1], sample_x), training=False)
        elif getattr(model, "inputs", None):
            clone.build(tuple(model.inputs[0].shape))
    try:
        clone.set_weights(model.get_weights())
    except ValueError as exc:
        raise NotCopyable(
            f"The copy of `model` does not have the same weights as the original "
            f"({exc}); pass `sample_x` so the copy can be built. "
            f"{received('model', model)}"
        ) from None
    for src, dst in zip(_keras.flatten_layers(model, include_self=False),
                        _keras.flatten_layers(clone, include_self=False)):
        dst.trainable = src.trainable
    if compile and getattr(model, "compiled", False):
        compile_like(clone, model, optimizer)
    return clone


@contextlib.contextmanager
def interrupts_deferred():
    """Hold back Ctrl-C (SIGINT) for the block; raise it once the block is done.

    Restoring a model's state must not stop halfway. In the main thread a
    SIGINT that arrives inside the block is recorded and raised as
    `KeyboardInterrupt` at its end (elsewhere signals cannot arrive).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received_signals = []
    previous = signal.signal(signal.SIGINT,
                             lambda signum, frame: received_signals.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received_signals:
        raise KeyboardInterrupt


def _container_contents(value):
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    return None


def _same_contents(a, b):
    """Whether two snapshots hold the very same objects (compared by identity)."""
    if type(a) is not type(b) or len(a) != len(b):
        return False
    if isinstance(a, dict):
        return all(k in b and b[k] is v for k, v in a.items())
    if isinstance(a, set):
        return {id(v) for v in a} == {id(v) for v in b}
    return all(x is y for x, y in zip(a, b))


def _put_back(container, contents):
    """Put `contents` back into `container` in place.

    Plain containers are refilled without going through any hooks; Keras's
    and TensorFlow's tracking wrappers through their own methods (the
    tracker's bookkeeping is restored after them).
    """
    if _same_contents(_container_contents(container), contents):
        return
    for base in (list, dict, set):
        if issubclass(type(container), base):  # also Keras's Tracked*: no hooks
            base.clear(container)
            if base is list:
                list.extend(container, contents)
            else:
                base.update(container, contents)
            return
    container.clear()
    if isinstance(contents, list):
        container.extend(contents)
    else:
        container.update(contents)


class SavedState:
    """Everything a probe can change on a model it works on in place.

    The model object's own attributes (optimizer, compiled loss and metrics,
    cached train/test/predict functions, flags; lists and dicts restored in
    place), the tracker's bookkeeping, every layer's `trainable` flag, and
    the values of every variable reachable from it: weights, seed generator
    states, metric variables, and the variables of the optimizer (including
    its iteration count). `restore()` puts all of it back exactly, with
    Ctrl-C held back until it is done.

    Args:
        model: a Keras 3 model.
    """

    def __init__(self, model):
        self.model = model
        self.attributes = {name: (value, _container_contents(value))
                           for name, value in vars(model).items()}
        tracker = _keras.tracker(model)
        self.tracker_ids = ({name: set(ids) for name, ids in tracker.stored_ids.items()}
                            if tracker is not None else None)
        self.layers = [(layer, layer.trainable, _container_contents(
            _keras.sublayer_list(layer)))
            for layer in _keras.flatten_layers(model, include_self=False)]
        self.values = [(v, np.array(v.numpy(), copy=True))
                       for v in _all_variables(model)]

    def restore(self):
        """Put the saved state back (exactly; Ctrl-C waits until done)."""
        with interrupts_deferred():
            model = self.model
            for variable, value in self.values:
                variable.assign(value)
            for name in [n for n in vars(model) if n not in self.attributes]:
                object.__delattr__(model, name)
            for name, (value, contents) in self.attributes.items():
                object.__setattr__(model, name, value)
                if contents is not None:
                    _put_back(value, contents)
            tracker = _keras.tracker(model)
            if tracker is not None and self.tracker_ids is not None:
                for name, ids in self.tracker_ids.items():
                    _put_back(tracker.stored_ids.setdefault(name, set()), ids)
            for layer, trainable, sublayers in self.layers:
                if layer.trainable != trainable:
                    layer.trainable = trainable
                if sublayers is not None:
                    _put_back(_keras.sublayer_list(layer), sublayers)


def _all_variables(model):
    """Every variable a probe could change: model, metrics, optimizer, seeds."""
    seen, out = set(), []

    def add(variables):
        for v in variables or ():
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)

    add(model.variables)
    add(getattr(model, "metrics_variables", None))
    for layer in _keras.flatten_layers(model, include_self=True):
        for generator in _keras.seed_generators(layer):
            add([generator.state])
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        add(getattr(optimizer, "variables", None))
    return out


def build_like_fit(model, x):
    """Build an unbuilt `model` from a batch of `x`, as `fit` would build it.

    `fit` builds a model it receives unbuilt (a Sequential model without an
    `Input`, a subclassed model never called) by running it on the first
    batch: every layer's `build` creates its weights from the inputs'
    shapes. This does the same symbolically (`keras.backend.
    compute_output_spec`, which Keras's own `_symbolic_build` uses), so no
    computation runs and nothing else (optimizer, metrics) is built. The
    weights drawn are the ones `fit` would have drawn at that point. A
    built model is left alone.

    Args:
        model: a Keras 3 model.
        x: inputs (an array or a structure of arrays), at least one sample.

    Returns:
        `model`.
    """
    import keras

    if model.built and all(layer.built
                           for layer in _keras.flatten_layers(model, include_self=True)):
        return model

    def symbolic(a):
        a = np.asarray(a)
        dtype = keras.backend.standardize_dtype(a.dtype)
        if np.issubdtype(a.dtype, np.floating):
            dtype = keras.backend.floatx()  # as fit's array adapter casts
        return keras.KerasTensor((None,) + a.shape[1:], dtype)

    from kerasdoc._keras import compute_output_spec  # as Keras's own `_symbolic_build`

    spec = keras.tree.map_structure(symbolic, x)
    try:
        with model.distribute_strategy.scope():
            compute_output_spec(model, spec, training=False)
    except Exception as error:  # the model cannot run on these inputs
        raise InvalidInputError(
            "`model` is not built and could not be built from `x` as `fit` "
            f"builds it ({type(error).__name__}: {_short(error)}). "
            f"{received('model', model)}") from None
    return model
