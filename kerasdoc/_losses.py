"""The one loss classifier: what a compiled loss says about the task.

Every part of kerasdoc that needs to know "which loss is this" asks
`classify_loss`: the task profile (`kerasdoc.Task`), the model audit's
output/loss/label checks and the probes' expected initial loss. It reads the
loss without calling it (a string, a Keras loss function, a `keras.losses.Loss`
object, or a user function) and never imports TensorFlow at module level.

Families:

- `sparse_cce`: sparse categorical cross-entropy (class ids);
- `cce`: categorical cross-entropy and its focal variant (one-hot rows);
- `bce`: binary cross-entropy and its focal variant (0/1 targets, one or
  several independent units);
- `kld`: Kullback-Leibler divergence (distributions);
- `hinge`: hinge and squared hinge (-1/1 targets); `categorical_hinge`;
- `regression`: MSE, MAE, Huber, log-cosh, MSLE, MAPE, Poisson;
- `other`: anything else (a user function, cosine similarity, ...).
"""

import dataclasses
import re
from typing import Optional

_FAMILIES = {
    "sparse_categorical_crossentropy": "sparse_cce",
    "categorical_crossentropy": "cce",
    "categorical_focal_crossentropy": "cce",
    "binary_crossentropy": "bce",
    "binary_focal_crossentropy": "bce",
    "kl_divergence": "kld",
    "kld": "kld",
    "kullback_leibler_divergence": "kld",
    "hinge": "hinge",
    "squared_hinge": "hinge",
    "categorical_hinge": "categorical_hinge",
}
_REGRESSION = frozenset({
    "mean_squared_error", "mse", "mean_absolute_error", "mae", "huber",
    "huber_loss", "log_cosh", "logcosh", "mean_squared_logarithmic_error", "msle",
    "mean_absolute_percentage_error", "mape", "poisson"})
# Canonical names for the short aliases, so reasons read the same whichever
# spelling was compiled.
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
            "msle": "mean_squared_logarithmic_error",
            "mape": "mean_absolute_percentage_error", "logcosh": "log_cosh",
            "huber_loss": "huber", "kld": "kl_divergence",
            "kullback_leibler_divergence": "kl_divergence"}


@dataclasses.dataclass(frozen=True)
class LossInfo:
    """A compiled loss reduced to what the checks need.

    Attributes:
        name: the loss's snake_case name as compiled (`"mse"`,
            `"sparse_categorical_crossentropy"`, `"my_loss"`).
        family: one of the families of the module docstring.
        from_logits: the loss's `from_logits` argument (False when it has none).
    """

    name: str
    family: str
    from_logits: bool

    @property
    def kind(self):
        """Alias of `family` (the model audit's historical name)."""
        return self.family

    @property
    def canonical(self):
        """The long name (`mean_squared_error` for `mse`)."""
        return _ALIASES.get(self.name, self.name)

    @property
    def is_crossentropy(self):
        return self.family in ("sparse_cce", "cce", "bce")

    @property
    def is_classification(self):
        return self.family in ("sparse_cce", "cce", "bce", "kld", "hinge",
                               "categorical_hinge")

    @property
    def is_regression(self):
        return self.family == "regression"


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _resolve(name):
    """The Keras loss object or function a compile string names (or the string)."""
    import keras

    try:
        return keras.losses.get(name)
    except (ValueError, TypeError):
        return name


def classify_loss(loss) -> Optional[LossInfo]:
    """Classify one loss (not a list or dict of them).

    Args:
        loss: a loss as given to `compile`: a string, a Keras loss function,
            a `keras.losses.Loss` instance or any callable.

    Returns:
        A `LossInfo`, or None when `loss` is None or a structure of losses.
    """
    if loss is None or isinstance(loss, (list, tuple, dict)):
        return None
    from_logits = False
    if isinstance(loss, str):
        loss = _resolve(loss)
    if isinstance(loss, str):
        name = loss
    elif hasattr(loss, "fn") and callable(loss.fn):  # keras LossFunctionWrapper
        name = getattr(loss.fn, "__name__", type(loss).__name__)
        from kerasdoc._keras import loss_function_kwargs

        from_logits = bool(loss_function_kwargs(loss).get("from_logits", False))
    elif hasattr(loss, "get_config") and not callable(getattr(loss, "__name__", None)):
        name = _snake(type(loss).__name__)
        from_logits = bool(getattr(loss, "from_logits", False))
    else:
        name = getattr(loss, "__name__", type(loss).__name__)
    name = name.lower()
    if name in _FAMILIES:
        family = _FAMILIES[name]
    elif name in _REGRESSION:
        family = "regression"
    else:
        family = "other"
    return LossInfo(name=name, family=family, from_logits=from_logits)


def is_builtin_loss(loss):
    """Whether `loss` is one of Keras's own losses (not user code)."""
    import keras

    if loss is None or isinstance(loss, (list, tuple, dict)):
        return False
    try:
        obj = keras.losses.get(loss)
    except Exception:  # unknown string identifiers
        return False
    if obj is None:
        return False
    if hasattr(obj, "fn") and getattr(obj.fn, "__module__", "").startswith("keras."):
        return obj.__class__.__module__.startswith("keras.")
    module = getattr(obj, "__module__", None) or obj.__class__.__module__
    return module.startswith("keras.")
