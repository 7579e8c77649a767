"""Output layer vs compiled loss vs labels.

`model.output_activation`, `model.loss_mismatch` and `model.output_units`.
Severities follow what the mistake does on the backend in use (see the
catalogue): on TensorFlow the Keras cross-entropies read the logits stored
under a softmax/sigmoid output, so some pairings that look wrong train fine
there and are reported as advice only.
"""

import dataclasses
from typing import Optional

from kerasdoc.findings import Finding
from kerasdoc.model import _graph
from kerasdoc.model._labels import Labels, LossSpec


@dataclasses.dataclass(frozen=True)
class OutputInfo:
    """The model's single output: activation, units, producing layer."""

    activation: str  # softmax, sigmoid, linear, relu, ... as read or measured
    units: int
    layer: Optional[object]
    source: str  # "config" or "forward pass"

    @property
    def probabilities(self):
        return self.activation in ("softmax", "sigmoid")


def _backend():
    import keras

    return keras.backend.backend()


def _f(code, message, fix, evidence, layer=None, severity=None):
    return Finding(code, severity=severity, message=message, evidence=evidence,
                   fix=fix, layer=layer)


def check_output_activation(out: OutputInfo, loss: Optional[LossSpec],
                            labels: Optional[Labels]):
    """Findings of `model.output_activation`."""
    name = getattr(out.layer, "name", None)
    ev = {"output_activation": out.activation, "units": out.units,
          "read_from": out.source}
    if loss is not None:
        ev.update(loss=loss.name, from_logits=loss.from_logits)
    found = []
    if out.activation == "softmax" and out.units == 1:
        found.append(_f(
            "model.output_activation",
            "Softmax over a single output unit always returns 1.0, so every "
            "prediction is the same whatever the input (the loss may still fall "
            "on TensorFlow, which reads the logits under the softmax).",
            "For a binary task use Dense(1, activation='sigmoid') with "
            "binary_crossentropy, or Dense(2, activation='softmax') with "
            "sparse_categorical_crossentropy.", ev, name, "error"))
        return found
    if loss is None:
        return found
    if loss.is_crossentropy and not loss.from_logits and not out.probabilities:
        found.append(_f(
            "model.output_activation",
            f"The output is '{out.activation}' (not probabilities) but {loss.name} "
            "is compiled with from_logits=False, so the loss treats raw scores as "
            "probabilities (clipped, renormalised): training is wrong.",
            f"Either compile with {loss.name} from_logits=True (keep the linear "
            "output as logits) or give the output layer activation='softmax' "
            "('sigmoid' for binary).", ev, name, "error"))
    if loss.is_crossentropy and loss.from_logits and out.probabilities:
        tf_backend = _backend() == "tensorflow"
        found.append(_f(
            "model.output_activation",
            f"The output already applies {out.activation} but the loss is compiled "
            "with from_logits=True; "
            + ("on TensorFlow Keras reads the stored logits, so it trains correctly "
               "here, but on JAX/PyTorch or through a custom loss the activation is "
               "applied twice." if tf_backend else
               f"on the {_backend()} backend the activation is applied twice."),
            f"Remove activation='{out.activation}' from the output layer (keep "
            "from_logits=True), or set from_logits=False.", ev, name,
            "info" if tf_backend else "error"))
    if (out.activation == "sigmoid" and out.units > 1 and loss.kind in ("cce", "sparse_cce")
            and (labels is None or labels.single_label)):
        found.append(_f(
            "model.output_activation",
            f"A sigmoid output over {out.units} units is used for single-label "
            "classification: the predicted class probabilities do not sum to 1 "
            "(on TensorFlow the loss reads the logits and trains like softmax).",
            "Use activation='softmax' on the output layer for single-label "
            "multi-class problems; keep sigmoid for multi-label ones.",
            ev, name, "warning"))
    return found


def check_activation_before_softmax(model, out: OutputInfo):
    """`model.output_activation`: relu (or another activation) feeding softmax."""
    layer = out.layer
    if layer is None or out.activation != "softmax":
        return []
    if _graph.class_name(layer) not in ("Activation", "Softmax"):
        return []
    preds = _graph.predecessors(layer)
    while preds and len(preds) == 1 and _graph.class_name(preds[0]) in (
            "Dropout", "Flatten", "Reshape"):
        preds = _graph.predecessors(preds[0])
    if not preds or len(preds) != 1:
        return []
    prev = preds[0]
    act = _graph.layer_activation(prev)
    if act in (None, "linear"):
        return []
    # Measured (relu, FashionMNIST 2,000 images, 5 epochs, 2 seeds): validation
    # accuracy 0.61/0.56 against 0.78/0.76 without it, 1-2 class logits dead.
    return [_f(
        "model.output_activation",
        f"Layer {prev.name} applies '{act}' to the values softmax turns into "
        "probabilities, so the logits are clipped or squashed before softmax and a "
        "class whose logit dies can never be predicted.",
        f"Make {prev.name} linear (activation=None) so softmax receives raw logits.",
        {"layer_before_softmax": prev.name, "activation": act,
         "softmax_layer": layer.name}, prev.name, "error")]


def check_loss(out: OutputInfo, loss: LossSpec, labels: Optional[Labels]):
    """Findings of `model.loss_mismatch`."""
    name = getattr(out.layer, "name", None)
    ev = {"loss": loss.name, "output_activation": out.activation, "units": out.units}
    if labels is not None:
        ev.update(labels=labels.form, label_shape=list(labels.shape),
                  n_classes=labels.n_classes)
    found = []
    classifier_out = out.activation == "softmax" or (
        out.activation == "sigmoid" and labels is not None
        and labels.form in ("sparse", "onehot", "multilabel")
        and (labels.n_classes or 0) <= max(2, out.units))
    if loss.kind == "regression" and classifier_out:
        severe = labels is not None and labels.form == "sparse" and out.units > 1
        found.append(_f(
            "model.loss_mismatch",
            f"{loss.name} is a regression loss but the model is a classifier "
            f"({out.activation} output)"
            + ("; with integer labels it is even broadcast against every unit."
               if severe else "; it learns slowly and gives poorly calibrated "
               "probabilities."),
            "Use sparse_categorical_crossentropy (integer labels) or "
            "categorical_crossentropy (one-hot) with a softmax output; "
            "binary_crossentropy with one sigmoid unit for two classes.",
            ev, name, "error" if severe else "warning"))
    if loss.kind in ("sparse_cce", "cce") and out.units == 1:
        found.append(_f(
            "model.loss_mismatch",
            f"{loss.name} needs one output unit per class but the output has a "
            "single unit: the softmax over it is always 1 and the loss cannot "
            "learn anything.",
            "For two classes use Dense(1, activation='sigmoid') with "
            "binary_crossentropy, or Dense(2, activation='softmax') with "
            f"{loss.name}.", ev, name, "error"))
    if loss.kind == "bce" and labels is not None and labels.form == "sparse" \
            and out.units > 1 and (labels.n_classes or 0) <= 2:
        found.append(_f(
            "model.loss_mismatch",
            f"binary_crossentropy compares each of the {out.units} output units with "
            f"integer labels of shape {list(labels.shape)}: the labels are "
            "broadcast against every unit.",
            "Use Dense(1, activation='sigmoid') for a binary task, or "
            "sparse_categorical_crossentropy with the softmax output.",
            ev, name, "error"))
    if loss.kind == "bce" and labels is not None:
        if labels.form == "sparse" and (labels.n_classes or 0) > 2:
            found.append(_f(
                "model.loss_mismatch",
                f"binary_crossentropy is used with {labels.n_classes} integer "
                "classes: the labels are read as target probabilities above 1.",
                "Use sparse_categorical_crossentropy with a softmax output of "
                f"{labels.n_classes} units.", ev, name, "error"))
        elif labels.form == "onehot" and out.units > 2:
            found.append(_f(
                "model.loss_mismatch",
                f"binary_crossentropy is used for {out.units} mutually exclusive "
                "classes: each unit is trained as its own yes/no problem instead of "
                "one distribution over the classes (it still trains, a little worse).",
                "Use categorical_crossentropy with a softmax output (keep "
                "binary_crossentropy for multi-label targets).", ev, name, "warning"))
    elif loss.kind == "bce" and labels is None and out.activation == "softmax" \
            and out.units > 2:
        found.append(_f(
            "model.loss_mismatch",
            f"binary_crossentropy is compiled on a softmax output of {out.units} "
            "units: it treats each unit as an independent binary problem.",
            "Use categorical_crossentropy (one-hot) or "
            "sparse_categorical_crossentropy (integer labels).", ev, name, "warning"))
    if loss.kind == "sparse_cce" and labels is not None and labels.form in (
            "onehot", "probabilities", "multilabel"):
        found.append(_f(
            "model.loss_mismatch",
            "sparse_categorical_crossentropy expects integer class ids but the "
            f"labels are {labels.form} rows of shape {list(labels.shape)}.",
            "Use categorical_crossentropy with one-hot labels, or pass "
            "np.argmax(y, axis=-1) as labels.", ev, name, "error"))
    if loss.kind == "cce" and labels is not None and labels.form == "sparse" \
            and out.units > 1:
        found.append(_f(
            "model.loss_mismatch",
            "categorical_crossentropy expects one-hot rows but the labels are "
            f"integer class ids of shape {list(labels.shape)}.",
            "Use sparse_categorical_crossentropy, or one-hot encode the labels "
            "with keras.utils.to_categorical.", ev, name, "error"))
    if loss.kind == "kld":
        bad_labels = labels is not None and labels.form not in ("probabilities", "onehot")
        if not out.probabilities or bad_labels:
            found.append(_f(
                "model.loss_mismatch",
                "KL divergence needs probability distributions on both sides but "
                + ("the output is '%s'" % out.activation if not out.probabilities
                   else f"the labels are {labels.form}")
                + "; it can go negative and its minimum means nothing.",
                "Put a softmax on the output and pass label distributions whose rows "
                "are non-negative and sum to 1 (or use categorical_crossentropy).",
                ev, name, "error"))
    return found


def check_output_units(out: OutputInfo, loss: Optional[LossSpec], labels: Labels,
                       *, unused_min_samples_per_unit=10):
    """`model.output_units`: the output width against the classes in `y`.

    Args:
        unused_min_samples_per_unit: more units than classes is reported only
            when `y` holds at least this many samples per output unit (fewer
            samples may simply miss some classes). Defaults to `10`.
    """
    classification = (out.probabilities or (loss is not None and loss.is_crossentropy))
    if not classification or labels.form not in ("sparse", "onehot", "multilabel"):
        return []
    name = getattr(out.layer, "name", None)
    n, units = labels.n_classes, out.units
    ev = {"units": units, "n_classes_in_labels": n, "labels": labels.form}
    if labels.form in ("onehot", "multilabel") and n != units:
        return [_f("model.output_units",
                   f"The output has {units} units but the labels have {n} columns.",
                   f"Give the output layer {n} units.", ev, name, "error")]
    if labels.form != "sparse":
        return []
    if units == 1:
        if n > 2:
            return [_f("model.output_units",
                       f"The output has 1 unit but the labels hold {n} classes.",
                       f"Use Dense({n}, activation='softmax') with "
                       "sparse_categorical_crossentropy.", ev, name, "error")]
        return []
    if n > units:
        return [_f("model.output_units",
                   f"The labels go up to class {n - 1} but the output has only "
                   f"{units} units, so those labels are out of range.",
                   f"Give the output layer {n} units (one per class).", ev, name,
                   "error")]
    total = int(labels.counts.sum()) if labels.counts is not None else 0
    if n < units and total >= unused_min_samples_per_unit * units:
        return [_f("model.output_units",
                   f"The output has {units} units but the labels only use classes "
                   f"0..{n - 1}: {units - n} outputs can never be right.",
                   f"Give the output layer {n} units, or check the labels.",
                   dict(ev, n_samples=total), name, "warning")]
    return []
