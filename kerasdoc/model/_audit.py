"""`audit_model`: the static model audit runner."""

import time
from typing import Optional

import numpy as np

from kerasdoc import _keras
from kerasdoc._inputs import sample_fit_data
from kerasdoc._validation import check_array, check_float, check_int, check_model
from kerasdoc.findings import Report
from kerasdoc.model import _graph, _output_loss
from kerasdoc.model._evidence import ModelEvidence
from kerasdoc.model._labels import describe_labels, loss_spec, output_kind_from_values

KERAS_DEFAULT_BATCH = 32


def _output_info(model, x, n_forward):
    """(OutputInfo or None, reason when None)."""
    outputs = getattr(model, "outputs", None)
    if outputs is not None and len(outputs) > 1:
        return None, "the model has several outputs"
    layer = _graph.output_layer(model)
    units = None
    if outputs:
        units = outputs[0].shape[-1]
    activation = _graph.layer_activation(layer) if layer is not None else None
    if activation is not None and units is not None:
        return _output_loss.OutputInfo(activation, int(units), layer, "config"), None
    if x is None:
        return None, ("the output activation cannot be read from the layers "
                      "(subclassed or nested output); pass `x` to measure it")
    pred = model(take(x, slice(0, n_forward)), training=False)
    if isinstance(pred, (list, tuple, dict)):
        return None, "the model has several outputs"
    pred = np.asarray(pred)
    units = int(pred.shape[-1]) if pred.ndim >= 2 else 1
    if layer is None:  # subclassed: the last tracked layer of that width
        candidates = [l for l in _graph.all_layers(model)
                      if getattr(l, "units", None) == units or
                      getattr(l, "filters", None) == units]
        layer = candidates[-1] if candidates else None
    return _output_loss.OutputInfo(output_kind_from_values(pred), units, layer,
                                   "forward pass"), None


def take(x, index):
    import keras

    return keras.tree.map_structure(lambda a: a[index], x)


def count(x):
    import keras

    return len(keras.tree.flatten(x)[0]) if not hasattr(x, "shape") else len(x)


def _output_tensors(model):
    try:
        return list(getattr(model, "outputs", None) or ())
    except Exception:  # subclassed models without a graph
        return []


def _per_sample_shape(tensor):
    """A symbolic output's shape without the batch axis (`None` where unknown)."""
    shape = getattr(tensor, "shape", None)
    if shape is None or len(shape) == 0:
        return None
    return tuple(None if d is None else int(d) for d in tuple(shape)[1:])


def _output_names(model, n):
    names = getattr(model, "output_names", None)
    if names and len(names) == n:
        return list(names)
    return [str(i) for i in range(n)]


def _several_outputs(model, y):
    """Whether the model has several outputs (or `y` holds several targets)."""
    return len(_output_tensors(model)) > 1 or isinstance(y, (dict, list))


def _per_output(value, names):
    """`value` (a dict by name, a list in order, or one thing for all) per output name."""
    if isinstance(value, dict):
        return {name: value.get(name) for name in names}
    if isinstance(value, (list, tuple)) and len(value) == len(names):
        return dict(zip(names, value))
    return {name: value for name in names}


def _output_task(task, name):
    """This output's task from a multi-output task profile, else None (unknown)."""
    for output_name, output_task in getattr(task, "outputs", None) or ():
        if output_name == name:
            return output_task
    return None


def _evidence_checks():
    """Names of the model checks that read the standard `ModelEvidence`, in registry order."""
    from kerasdoc._registry import checks

    return tuple(c.name for c in checks("model") if c.evidence == "model")


def _run_evidence_checks(runner, evidence):
    """Run every `evidence="model"` check on `evidence` (one output's), in registry order.

    A check that needs something `evidence.missing` names is skipped with
    that reason.
    """
    from kerasdoc._registry import get

    for name in _evidence_checks():
        reason = next((evidence.missing[need] for need in get(name).needs
                       if need in evidence.missing), None)
        if reason is not None:
            runner.skip(name, reason)
        else:
            runner.run(name, evidence)


def _audit_outputs(model, y, runner, task):
    """The output checks once per output, each against its own loss and targets.

    Each output runs in its own `Runner` (with that output's task); its
    findings name the output in the message and `evidence["output"]`, and
    its `ran`/`skipped`/`failed` entries carry it in brackets.
    """
    from kerasdoc._losses import classify_loss
    from kerasdoc._registry import Runner

    names_of_checks = _evidence_checks()
    tensors = _output_tensors(model)
    if not tensors:
        for check in names_of_checks:
            runner.skip(check, "the outputs cannot be read from the layers (subclassed "
                               "model with several outputs)")
        return
    names = _output_names(model, len(tensors))
    compiled = bool(getattr(model, "compiled", False))
    losses = _per_output(getattr(model, "loss", None) if compiled else None, names)
    targets = _per_output(y, names) if isinstance(y, (dict, list)) else {}
    for name, tensor in zip(names, tensors):
        sub = Runner("model", task=_output_task(task, name), settings=runner.settings)
        layer = _keras.producing_layer(tensor)
        activation = _graph.layer_activation(layer) if layer is not None else None
        units = tensor.shape[-1]
        if activation is None or units is None:
            for check in names_of_checks:
                sub.skip(check, "the output activation cannot be read")
        else:
            out = _output_loss.OutputInfo(activation, int(units), layer, "config")
            loss = classify_loss(losses.get(name)) if losses.get(name) is not None \
                else None
            target = targets.get(name)
            labels = describe_labels(np.asarray(target)) if target is not None else None
            missing = {}
            if loss is None:
                missing["compiled_model"] = ("the model is not compiled" if not compiled
                                             else "no loss is compiled for this output")
            if labels is None:
                missing["labels"] = "needs this output's targets in `y`"
            _run_evidence_checks(sub, ModelEvidence(
                model=model, output_layer=layer, output=out,
                output_shape=_per_sample_shape(tensor), loss=loss, targets=target,
                labels=labels, output_name=name, bias_layer=_bias_layer(layer),
                missing=missing))
        tag = f" (output '{name}')"
        runner.findings.extend(
            f.replace(message=f"Output '{name}': {f.message}",
                      evidence={**dict(f.evidence), "output": name})
            for f in sub.findings)
        runner.ran.extend(check + tag for check in sub.ran)
        runner.skipped.update({check + tag: why for check, why in sub.skipped.items()})
        runner.failed.update({check + tag: why for check, why in sub.failed.items()})
        for check, seconds in sub.timings.items():
            runner.timings[check + tag] = seconds


def _bias_layer(layer):
    """The layer holding the output bias: the output layer, or the one feeding a
    separate Activation/Softmax output layer."""
    while layer is not None and _graph.class_name(layer) in (
            "Activation", "Softmax", "Dropout"):
        preds = _graph.predecessors(layer)
        layer = preds[0] if preds and len(preds) == 1 else None
    return layer


def audit_model(model, *, x=None, y=None, batch_size: Optional[int] = None,
                epochs: Optional[int] = None,
                constant_atol: float = 1e-8, he_saturating_min_layers: int = 3,
                glorot_relu_min_layers: int = 6,
                min_batchnorm_batch: int = 16, max_dropout_rate: float = 0.5,
                lr_ranges: Optional[dict] = None, max_batch_fraction: float = 0.25,
                imbalance_ratio: float = 10.0, bias_tolerance: float = 1.0,
                n_forward: int = 8, settings: Optional[dict] = None,
                task=None) -> Report:
    """Audit a built (ideally compiled) Keras model without training it.

    Reads the layers, their configs and weights, the compiled loss and
    optimizer, and (when given) the training arrays, and reports every
    `model.*` and `optim.*` finding of the catalogue: constant kernels,
    initialiser/activation pairings, output activation vs loss vs labels,
    output width, missing bias, bias regularisers, BatchNorm with small
    batches, dropout, frozen models, learning rate, plain SGD, batch size and
    the output bias on imbalanced labels. The model is never modified; at
    most a forward pass in inference mode on `n_forward` samples of `x` runs,
    and only when the output activation cannot be read from the layers.

    Args:
        model: a built Keras 3 model (Sequential, functional, or subclassed).
        x: the training inputs as `fit` takes them: an array, a dict or list
            of arrays, or a stream (`tf.data.Dataset`, `PyDataset`,
            generator) yielding `(x, y)`, of which the first 4096 samples are
            read (`kerasdoc._inputs.sample_fit_data`). Used for the dataset
            size (unknown for a stream read in part) and, when needed, a
            forward pass. Defaults to `None`.
        y: the training targets, to check the output layer and loss against
            them and for the output-bias check; a dict or list for a model
            with several outputs, each audited against its own loss and
            targets (findings name the output). Defaults to `None`.
        batch_size: the batch size given to `fit`. When `None`, a stream's
            own batch size, or Keras' default of 32 for arrays. Defaults to
            `None`.
        epochs: the epochs given to `fit`, for the number of updates the run
            gets (`optim.batch_size`); `None` when not known. Defaults to
            `None`.
        constant_atol: relative spread below which a kernel counts as
            constant (`model.zero_init`). Defaults to `1e-8`.
        he_saturating_min_layers: He-initialised tanh/sigmoid layers on one
            path that make a deep stack (`model.init_activation_mismatch`).
            Defaults to `3`.
        glorot_relu_min_layers: Glorot-initialised ReLU layers on one path
            that make a deep stack. Defaults to `6`.
        min_batchnorm_batch: smallest batch size for BatchNormalization.
            Defaults to `16`.
        max_dropout_rate: highest dropout rate not reported. Defaults to `0.5`.
        lr_ranges: per-optimizer (low, high) learning-rate ranges overriding
            `kerasdoc.model.DEFAULT_LR_RANGES`. Defaults to `None`.
        max_batch_fraction: largest batch_size / len(x) not reported.
            Defaults to `0.25`.
        imbalance_ratio: class count ratio from which the output bias should
            be the log-prior. Defaults to `10.0`.
        bias_tolerance: allowed gap (nats) between output bias and log-prior.
            Defaults to `1.0`.
        n_forward: samples of `x` used for a forward pass. Defaults to `8`.
        settings: `{check name: {setting: value}}` for the model checks (see
            `kerasdoc.checks("model")`); the threshold keywords above are
            aliases of these settings and win when set to another value
            than their default. Defaults to `None`.
        task: the task (a `kerasdoc.Task` or a kind name); a check that does
            not apply to it is skipped with that reason. Defaults to `None`:
            inferred by `kerasdoc.infer_task` from the model (and `x`, `y`).

    Returns:
        A `kerasdoc.Report`, keyed by check name: `report.skipped` names the
        checks that could not run and why, `report.failed` those that raised.

    Example:

    >>> model = kerasdoc.examples.baseline_mlp()
    >>> kerasdoc.audit_model(model).worst is None
    True
    """
    check_model(model)
    batch_size = check_int(batch_size, "batch_size", minimum=1, allow_none=True)
    epochs = check_int(epochs, "epochs", minimum=1, allow_none=True)
    check_float(constant_atol, "constant_atol", minimum=0.0)
    check_int(he_saturating_min_layers, "he_saturating_min_layers", minimum=1)
    check_int(glorot_relu_min_layers, "glorot_relu_min_layers", minimum=1)
    check_int(min_batchnorm_batch, "min_batchnorm_batch", minimum=1)
    check_float(max_dropout_rate, "max_dropout_rate", minimum=0.0, maximum=1.0)
    check_float(max_batch_fraction, "max_batch_fraction", minimum=0.0,
                maximum=1.0, exclusive_minimum=True)
    check_float(imbalance_ratio, "imbalance_ratio", minimum=1.0)
    check_float(bias_tolerance, "bias_tolerance", minimum=0.0)
    n_forward = check_int(n_forward, "n_forward", minimum=1)
    complete = True
    if x is not None:
        # What fit takes: arrays, dicts/lists, or a stream read bounded.
        data = sample_fit_data(x, y)
        x, y, complete = data.x, data.y, data.complete
        if batch_size is None and data.is_stream:
            batch_size = data.batch_size
        if not isinstance(x, (dict, list)) and x.dtype.kind not in "OSU":
            x = check_array(x, "x")
    elif y is not None:
        y = sample_fit_data(y, name="y").x
    if y is not None and not isinstance(y, (dict, list)):
        y = check_array(y, "y")

    from kerasdoc._registry import Runner, resolve_settings
    from kerasdoc._task import resolve_task

    task = resolve_task(task, model, x, y)
    runner = Runner("model", task=task, settings=resolve_settings(
        settings, part="model", overrides={
            "model.zero_init": {"constant_atol": constant_atol},
            "model.init_activation_mismatch": {
                "he_saturating_min_layers": he_saturating_min_layers,
                "glorot_relu_min_layers": glorot_relu_min_layers},
            "model.batchnorm_small_batch": {"min_batch_size": min_batchnorm_batch},
            "model.dropout_rate": {"max_rate": max_dropout_rate},
            "optim.learning_rate": {"lr_ranges": lr_ranges},
            "optim.batch_size": {"max_batch_fraction": max_batch_fraction},
            "model.output_bias_init": {"imbalance_ratio": imbalance_ratio,
                                       "tolerance": bias_tolerance},
        }))
    run, skip = runner.run, runner.skip

    compiled = bool(getattr(model, "compiled", False))
    loss = loss_spec(model) if compiled else None
    several = _several_outputs(model, y)
    labels = describe_labels(y) if y is not None and not several else None
    n_samples = count(x) if x is not None else (count(y) if y is not None else None)
    if not complete:  # a stream read in part: its size is unknown
        n_samples = None
    assumed = batch_size is None and n_samples is not None
    effective_batch = batch_size if batch_size is not None else (
        min(KERAS_DEFAULT_BATCH, n_samples) if n_samples is not None else None)

    run("model.zero_init", model)
    run("model.init_activation_mismatch", model)
    run("model.missing_bias", model)
    run("model.bias_regularized", model)
    run("model.dropout_rate", model)
    if effective_batch is None:
        skip("model.batchnorm_small_batch", "needs `batch_size` or `x`")
    else:
        run("model.batchnorm_small_batch", model, effective_batch)

    start = time.perf_counter()
    out, reason = (None, "the model has several outputs") if several else _output_info(
        model, x, n_forward)
    runner.timings["output"] = time.perf_counter() - start
    run("model.frozen", model, out.layer if out else None)

    if several:
        _audit_outputs(model, y, runner, task)
    elif out is None:
        for name in _evidence_checks():
            skip(name, reason)
    else:
        missing = {}
        if loss is None:
            missing["compiled_model"] = ("the model is not compiled" if not compiled else
                                         "several losses (multi-output) are not audited")
        if labels is None:
            missing["labels"] = "needs `y`"
        tensors = _output_tensors(model)
        _run_evidence_checks(runner, ModelEvidence(
            model=model, output_layer=_graph.output_layer(model) or out.layer, output=out,
            output_shape=_per_sample_shape(tensors[0]) if len(tensors) == 1 else None,
            loss=loss, targets=y if labels is not None else None, labels=labels, x=x,
            n_samples=n_samples, batch_size=effective_batch, bias_layer=_bias_layer(out.layer),
            missing=missing))

    optimizer = getattr(model, "optimizer", None) if compiled else None
    if optimizer is None:
        skip("optim.learning_rate", "the model is not compiled")
        skip("optim.vanilla_sgd", "the model is not compiled")
    else:
        run("optim.learning_rate", optimizer, effective_batch)
        run("optim.vanilla_sgd", optimizer)
    if n_samples is None:
        skip("optim.batch_size", "needs `x` (the dataset size)" if complete else
             "`x` is a stream read in part: its size is unknown")
    else:
        run("optim.batch_size", n_samples, effective_batch, assumed, epochs)
    return runner.report(f"kerasdoc model audit: {model.name}",
                         task=task if callable(getattr(task, "describe", None)) else None)
