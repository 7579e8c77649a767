"""`audit_model`: the static model audit runner."""

import time
from typing import Optional

import numpy as np

from kerasdoc._validation import (check_array, check_float, check_int, check_model,
                                  check_same_length)
from kerasdoc.findings import Report
from kerasdoc.model import _graph, _output_loss
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
    pred = model(x[:n_forward], training=False)
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


def _bias_layer(layer):
    """The layer holding the output bias: the output layer, or the one feeding a
    separate Activation/Softmax output layer."""
    while layer is not None and _graph.class_name(layer) in (
            "Activation", "Softmax", "Dropout"):
        preds = _graph.predecessors(layer)
        layer = preds[0] if preds and len(preds) == 1 else None
    return layer


def audit_model(model, *, x=None, y=None, batch_size: Optional[int] = None,
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
        x: the training inputs (array). Used for the dataset size and, when
            needed, a forward pass. Defaults to `None`.
        y: the training targets, to check the output layer and loss against
            them and for the output-bias check. Defaults to `None`.
        batch_size: the batch size given to `fit`. When `None` and `x` is
            given, Keras' default of 32 is assumed. Defaults to `None`.
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
    if x is not None:
        x = check_array(x, "x")
    if y is not None:
        y = check_array(y, "y")
        if x is not None:
            check_same_length(x, "x", y, "y")

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
    labels = describe_labels(y) if y is not None else None
    n_samples = len(x) if x is not None else (len(y) if y is not None else None)
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
    out, reason = _output_info(model, x, n_forward)
    runner.timings["output"] = time.perf_counter() - start
    run("model.frozen", model, out.layer if out else None)

    if out is None:
        for name in ("model.output_activation", "model.loss_mismatch",
                     "model.output_units", "model.output_bias_init"):
            skip(name, reason)
    else:
        run("model.output_activation", out, loss, labels)
        run("model.activation_before_softmax", model, out)
        if loss is None:
            skip("model.loss_mismatch", "the model is not compiled" if not compiled else
                 "several losses (multi-output) are not audited")
        else:
            run("model.loss_mismatch", out, loss, labels)
        if labels is None:
            skip("model.output_units", "needs `y`")
            skip("model.output_bias_init", "needs `y`")
        else:
            run("model.output_units", out, loss, labels)
            run("model.output_bias_init", _bias_layer(out.layer), out.activation, labels)

    optimizer = getattr(model, "optimizer", None) if compiled else None
    if optimizer is None:
        skip("optim.learning_rate", "the model is not compiled")
        skip("optim.vanilla_sgd", "the model is not compiled")
    else:
        run("optim.learning_rate", optimizer)
        run("optim.vanilla_sgd", optimizer)
    if n_samples is None:
        skip("optim.batch_size", "needs `x` (the dataset size)")
    else:
        run("optim.batch_size", n_samples, effective_batch, assumed)
    return runner.report(f"kerasdoc model audit: {model.name}",
                         task=task if callable(getattr(task, "describe", None)) else None)
