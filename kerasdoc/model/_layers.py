"""Layer configuration checks: bias, regularisers, BatchNorm, dropout, frozen."""

from kerasdoc.findings import Finding
from kerasdoc.model import _graph


def check_missing_bias(model):
    """`model.missing_bias`: Dense/Conv with use_bias=False and no normalization after.

    A layer without bias is fine when a normalization layer follows (its beta
    is the shift). The next layers are found through the model's graph,
    looking past activations, dropout, pooling, padding, reshapes,
    concatenations and additions. In a subclassed model (no graph) a layer is
    reported only if the model has no normalization layer at all.
    """
    layers = _graph.all_layers(model)
    any_norm = any(_graph.class_name(l) in _graph.NORMALIZATION for l in layers)
    found = []
    for layer in layers:
        if not _graph.is_weight_layer(layer) or getattr(layer, "use_bias", True):
            continue
        reached = _graph.next_meaningful(layer)
        if reached is None:
            is_output = layer is _graph.output_layer(model)
            if not is_output and (any_norm or _graph.has_graph(model)):
                continue
            followers = []
        else:
            followers = [l for l, _ in reached]
            if not followers or all(_graph.class_name(l) in _graph.NORMALIZATION
                                    for l in followers):
                continue
        found.append(Finding(
            "model.missing_bias",
            message=(f"{layer.name} has use_bias=False and no normalization layer "
                     "follows it, so its outputs cannot be shifted."),
            evidence={"layer": layer.name, "class": _graph.class_name(layer),
                      "next_layers": [l.name for l in followers]},
            fix=(f"Set use_bias=True on {layer.name}, or follow it with "
                 "BatchNormalization/LayerNormalization."),
            layer=layer.name,
        ))
    return found


def check_bias_regularizer(model):
    """`model.bias_regularized`: a layer regularises its bias."""
    found = []
    for layer in _graph.all_layers(model):
        reg = getattr(layer, "bias_regularizer", None)
        if reg is None:
            continue
        found.append(Finding(
            "model.bias_regularized",
            message=(f"{layer.name} regularises its bias, which pulls the layer's "
                     "offsets toward zero without reducing overfitting."),
            evidence={"layer": layer.name, "bias_regularizer": repr(reg)},
            fix=f"Remove bias_regularizer from {layer.name}; regularise kernels only.",
            layer=layer.name,
        ))
    return found


def check_batchnorm_batch(model, batch_size, *, min_batch_size=16):
    """`model.batchnorm_small_batch`: trainable BatchNorm with small batches.

    Args:
        batch_size: the training batch size.
        min_batch_size: smallest batch whose statistics BatchNorm can rely on.
            Defaults to `16`.
    """
    if batch_size is None or batch_size >= min_batch_size:
        return []
    bn = [l.name for l in _graph.all_layers(model)
          if _graph.class_name(l) in ("BatchNormalization", "SyncBatchNormalization")
          and l.trainable]
    if not bn:
        return []
    return [Finding(
        "model.batchnorm_small_batch",
        message=(f"{len(bn)} BatchNormalization layer(s) will train on batches of "
                 f"{batch_size} samples, whose mean/variance are too noisy."),
        evidence={"batch_size": batch_size, "min_batch_size": min_batch_size,
                  "layers": bn},
        fix=(f"Use batches of at least {min_batch_size}, or replace BatchNormalization "
             "with GroupNormalization/LayerNormalization."),
        layer=bn[0],
    )]


def _feeds_from_conv(layer):
    """Whether `layer`'s input comes from a convolution (through BN/activation/pool)."""
    preds = _graph.predecessors(layer)
    for _ in range(6):
        if not preds or len(preds) != 1:
            return False
        prev = preds[0]
        cls = _graph.class_name(prev)
        if "Conv" in cls:
            return True
        if cls not in _graph.PASSTHROUGH and cls not in _graph.NORMALIZATION:
            return False
        if cls in ("Flatten", "Reshape"):
            return False
        preds = _graph.predecessors(prev)
    return False


def check_dropout(model, *, max_rate=0.5):
    """`model.dropout_rate`: dropout above `max_rate`, or plain dropout on conv maps.

    Args:
        max_rate: highest dropout rate not reported. Defaults to `0.5`.
    """
    found = []
    for layer in _graph.all_layers(model):
        cls = _graph.class_name(layer)
        if cls not in ("Dropout", "SpatialDropout1D", "SpatialDropout2D",
                       "SpatialDropout3D"):
            continue
        rate = float(getattr(layer, "rate", 0.0))
        if rate > max_rate:
            found.append(Finding(
                "model.dropout_rate",
                message=(f"{layer.name} drops {rate:.0%} of its inputs, which slows "
                         "training and can keep the model from fitting."),
                evidence={"layer": layer.name, "rate": rate, "max_rate": max_rate},
                fix=f"Lower the rate of {layer.name} to 0.5 or less (0.1-0.3 is common).",
                layer=layer.name,
            ))
        elif (cls == "Dropout" and getattr(layer, "noise_shape", None) is None
              and _feeds_from_conv(layer)):
            found.append(Finding(
                "model.dropout_rate",
                message=(f"{layer.name} applies element-wise dropout to convolutional "
                         "feature maps, whose neighbouring values are correlated, so "
                         "it regularises little and adds noise."),
                evidence={"layer": layer.name, "rate": rate, "input_from": "conv"},
                fix=("Use SpatialDropout2D on feature maps, or move the Dropout after "
                     "Flatten/GlobalPooling."),
                layer=layer.name,
            ))
    return found


def check_frozen(model, output_layer=None):
    """`model.frozen`: nothing trainable, or the output layer frozen."""
    if not model.trainable_weights:
        n_weights = len(model.weights)
        return [Finding(
            "model.frozen",
            message="The model has no trainable weights, so fit() cannot change it.",
            evidence={"trainable_weights": 0, "weights": n_weights,
                      "frozen_layers": [l.name for l in model.layers if not l.trainable
                                        and l.weights][:20]},
            fix=("Set trainable=True on the layers to train (at least the new head) "
                 "and compile again."),
        )]
    if output_layer is not None and output_layer.weights \
            and not output_layer.trainable_weights:
        return [Finding(
            "model.frozen",
            severity="warning",
            message=(f"The output layer {output_layer.name} is frozen while other "
                     "layers train, so the classifier head never adapts."),
            evidence={"layer": output_layer.name,
                      "trainable_weights": len(model.trainable_weights)},
            fix=f"Set {output_layer.name}.trainable = True and compile again.",
            layer=output_layer.name,
        )]
    return []
