"""kerasdoc.model: static audit of a model, its compile settings and its inputs.

`audit_model` reads a built Keras model (layers, configs, weights, compiled
loss and optimizer) and reports every `model.*` and `optim.*` finding;
`check_preprocessing` compares the batches fed to a `keras.applications`
backbone with the input convention it was trained with (`preprocess.*`).
"""

from kerasdoc.model._audit import audit_model
from kerasdoc.model._optim import DEFAULT_LR_RANGES
from kerasdoc.model._preprocess import FAMILIES, check_preprocessing

__all__ = ["audit_model", "check_preprocessing", "DEFAULT_LR_RANGES", "FAMILIES"]
