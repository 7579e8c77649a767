"""Snapshots and copies of a user's model, so checks never change it.

`ModelState.capture(model)` records everything a check could disturb
(weights, optimizer variables including the iteration count, trainable flags,
compile settings). `copy_model(model)` gives an independent model with the
same weights, compiled with the same loss and metrics and a fresh optimizer
built from the original's config.
"""

import dataclasses
import json
from typing import Tuple

import numpy as np

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
                            for layer in model._flatten_layers(include_self=True)),
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


def _clone_architecture(model):
    import keras

    try:
        return keras.models.clone_model(model)
    except Exception as first_error:  # subclassed models without clone support
        try:  # compiled with custom objects clone_model cannot re-compile from config
            custom = {type(layer).__name__: type(layer)
                      for layer in model._flatten_layers(include_self=True)}
            with keras.saving.custom_object_scope(custom):
                return model.__class__.from_config(model.get_config())
        except Exception:
            pass
        try:
            return keras.saving.deserialize_keras_object(
                keras.saving.serialize_keras_object(model)
            )
        except Exception:
            raise InvalidInputError(
                "`model` could not be copied (keras.models.clone_model and "
                f"get_config/from_config both failed: {first_error}). Give the "
                "model's class a get_config() so kerasdoc can work on a copy. "
                f"{received('model', model)}"
            ) from None


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
    if not clone.built:
        if sample_x is not None:
            clone(sample_x[:1], training=False)
        elif getattr(model, "inputs", None):
            clone.build(tuple(model.inputs[0].shape))
    try:
        clone.set_weights(model.get_weights())
    except ValueError as exc:
        raise InvalidInputError(
            f"The copy of `model` does not have the same weights as the original "
            f"({exc}); pass `sample_x` so the copy can be built. "
            f"{received('model', model)}"
        ) from None
    for src, dst in zip(model._flatten_layers(include_self=False),
                        clone._flatten_layers(include_self=False)):
        dst.trainable = src.trainable
    if compile and getattr(model, "compiled", False):
        opt = optimizer if optimizer is not None else copy_optimizer(model.optimizer)
        metrics = getattr(getattr(model, "_compile_metrics", None), "_user_metrics", None)
        weighted = getattr(getattr(model, "_compile_metrics", None),
                           "_user_weighted_metrics", None)
        clone.compile(
            optimizer=opt,
            loss=model.loss,
            loss_weights=getattr(getattr(model, "_compile_loss", None),
                                 "_user_loss_weights", None),
            metrics=metrics,
            weighted_metrics=weighted,
            run_eagerly=model.run_eagerly,
            jit_compile=getattr(model, "_jit_compile", False) is True,
        )
    return clone
