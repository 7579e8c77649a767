"""Initialisation checks: constant kernels and initialiser/activation pairings."""

import numpy as np

from kerasdoc.findings import Finding
from kerasdoc.model import _graph


def check_zero_init(model, *, constant_atol=1e-8):
    """`model.zero_init`: a kernel whose values are all equal (zeros or a constant).

    Read from the weights themselves, so a kernel configured with `'zeros'` but
    since trained or loaded is not reported, and one set to a constant after
    construction is. The configured initialiser is given as evidence.

    A constant kernel breaks training (error) where it keeps units symmetric
    or dead: when a weight layer fed by it also has a constant kernel (the
    units then get identical gradients forever), or when it is zero under a
    ReLU whose bias is not positive (every pre-activation sits at 0, where
    ReLU's gradient is 0), or when the graph is unknown. Elsewhere it is
    reported at info: a zero output layer over non-constant features is
    logistic regression started at zero (each output unit gets its own
    gradient, and the hidden layers theirs from the second step), and a
    hidden tanh/linear layer feeding a randomly initialised layer gets a
    different gradient per unit through those random weights.

    Args:
        model: a built Keras model.
        constant_atol: largest spread (max - min) of a kernel's values, relative
            to its largest magnitude (absolute when that is below 1), that still
            counts as constant. Defaults to `1e-8`.
    """
    findings, seen = [], set()
    graph = _graph.has_graph(model)
    for layer in _graph.all_layers(model):
        for attr, variable in _graph.kernel_variables(layer):
            if id(variable) in seen:
                continue
            seen.add(id(variable))
            values = np.asarray(variable.numpy())
            if values.size < 2:
                continue
            lo, hi = float(values.min()), float(values.max())
            scale = max(1.0, abs(lo), abs(hi))
            if hi - lo > constant_atol * scale:
                continue
            init_attr = {"kernel": "kernel_initializer",
                         "recurrent_kernel": "recurrent_initializer",
                         "embeddings": "embeddings_initializer"}.get(
                             attr, f"{attr}_initializer")
            configured = _graph.initializer_name(getattr(layer, init_attr, None))
            what = "zeros" if hi == 0.0 and lo == 0.0 else f"the constant {lo:.4g}"
            why = _why_constant_breaks(layer, lo == hi == 0.0, constant_atol, graph)
            if why is not None:
                message = (f"Every value of {layer.name}.{attr} is {what}, so {why}.")
            else:
                message = (f"Every value of {layer.name}.{attr} is {what}; no weight "
                           "layer after it is constant and its units are not dead, so "
                           "each unit still gets its own gradient and training "
                           "breaks the symmetry (a choice some tutorials make for "
                           "the output layer).")
            findings.append(Finding(
                "model.zero_init", severity=None if why is not None else "info",
                message=message,
                evidence={"layer": layer.name, "weight": attr,
                          "shape": list(values.shape), "value": lo,
                          "std": float(values.std()),
                          "configured_initializer": configured,
                          "breaks_training": why is not None},
                fix=("Use a random initialiser: kernel_initializer='he_normal' for "
                     "ReLU layers, 'glorot_uniform' for tanh/sigmoid/linear ones "
                     "(then rebuild the model or re-run its initialisers)."),
                layer=layer.name,
            ))
    return findings


def _is_constant(variable, atol):
    values = np.asarray(variable.numpy())
    if values.size < 2:
        return False
    lo, hi = float(values.min()), float(values.max())
    return hi - lo <= atol * max(1.0, abs(lo), abs(hi))


def _why_constant_breaks(layer, zero, atol, graph):
    """Why a constant kernel of `layer` keeps units symmetric or dead, or None."""
    reached = _graph.next_meaningful(layer)
    if not graph:
        return ("all its units compute the same thing and receive the same gradient: "
                "symmetry never breaks")
    activation, _ = _graph.effective_activation(layer)
    if zero and activation in ("relu", "relu6"):
        bias = getattr(layer, "bias", None)
        if bias is None or float(np.max(np.asarray(bias.numpy()))) <= 0.0:
            return ("every pre-activation of its ReLU units is the bias (<= 0), where "
                    "ReLU's gradient is 0: the units are dead from the first step")
    for nxt, _ in reached or []:
        if _graph.is_weight_layer(nxt) and any(
                _is_constant(v, atol) for _, v in _graph.kernel_variables(nxt)):
            return (f"all its units compute the same thing and, with the constant "
                    f"kernel of '{nxt.name}' after it, receive the same gradient: "
                    "symmetry never breaks")
    return None


def _expected_std(initializer, shape):
    """The std a VarianceScaling initialiser gives a kernel of `shape`, or None."""
    scale, mode = getattr(initializer, "scale", None), getattr(initializer, "mode", None)
    if scale is None or mode is None or len(shape) < 2:
        return None
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    n = {"fan_in": fan_in, "fan_out": fan_out}.get(mode, (fan_in + fan_out) / 2.0)
    return float(np.sqrt(scale / max(n, 1.0)))


def still_at_init(layer, *, band=1.25):
    """Whether the layer's kernel still has the spread its initialiser gives.

    Trained or loaded (e.g. pretrained) kernels drift away from it, and then
    the initialiser no longer matters. Unknown initialisers count as at init.
    """
    kernel = getattr(layer, "kernel", None)
    initializer = getattr(layer, "kernel_initializer", None)
    if kernel is None or initializer is None:
        return True
    values = np.asarray(kernel.numpy())
    expected = _expected_std(initializer, values.shape)
    if expected is None or values.size < 16:
        return True
    ratio = float(values.std()) / expected
    return 1.0 / band <= ratio <= band


# Merge layers that sum their inputs: a residual connection.
_RESIDUAL_SUMS = frozenset({"Add"})


def _chain_depth(layers, names, *, graph=True):
    """Most layers named in `names` on one path of the graph (reset by normalization).

    A residual sum (`Add`) counts as deep as its shallowest input: the
    variance of a sum of branches is at least that of its least-shrunk one
    (the identity skip), so a signal halved along the residual branch is
    carried on undiminished by the skip. Without a graph (subclassed models)
    every such layer counts.
    """
    if not graph:
        return len(names)
    depth, best = {}, 0
    for layer in layers:
        preds = _graph.predecessors(layer) or []
        base = max((depth.get(id(p), 0) for p in preds), default=0)
        if _graph.class_name(layer) in _RESIDUAL_SUMS and len(preds) > 1:
            base = min(depth.get(id(p), 0) for p in preds)
        if _graph.class_name(layer) in _graph.NORMALIZATION:
            base = 0
        depth[id(layer)] = base + (1 if layer.name in names else 0)
        best = max(best, depth[id(layer)])
    return best


def check_init_activation(model, *, he_saturating_min_layers=3, glorot_relu_min_layers=6):
    """`model.init_activation_mismatch`: He with tanh/sigmoid, Glorot with ReLU.

    He initialisation doubles the variance a saturating activation sees;
    Glorot halves the signal at each ReLU layer. Either compounds with depth,
    so the finding fires only when enough layers with the same mismatched
    pairing lie on one path through the model (a normalization layer on the
    path starts the count again). Saturation from He init shows within a few
    layers; the shrinking from Glorot under ReLU (half the variance per layer)
    needs a deeper stack to matter. The activation is the layer's own
    or a separate `Activation`/`ReLU` layer right after it; layers followed by
    a normalization layer are skipped (it resets the scale), and so are
    kernels whose spread is no longer the initialiser's (trained or
    pretrained weights, where the initialiser no longer matters).

    Args:
        model: a built Keras model.
        he_saturating_min_layers: He-initialised tanh/sigmoid layers on one
            path that make a deep stack. Defaults to `3`.
        glorot_relu_min_layers: Glorot-initialised ReLU-family layers on one
            path that make a deep stack. Defaults to `6`.
    """
    groups = {"he_saturating": [], "glorot_relu": []}
    for layer in _graph.all_layers(model):
        if not _graph.is_weight_layer(layer):
            continue
        initializer = getattr(layer, "kernel_initializer", None)
        if initializer is None:
            continue
        family = _graph.initializer_family(initializer)
        if family not in ("he", "glorot"):
            continue
        activation, normalized = _graph.effective_activation(layer)
        if normalized or not still_at_init(layer):
            continue
        if family == "he" and activation in _graph.SATURATING:
            groups["he_saturating"].append((layer.name, activation,
                                            _graph.class_name(initializer)))
        elif family == "glorot" and activation in _graph.RELU_LIKE:
            groups["glorot_relu"].append((layer.name, activation,
                                          _graph.class_name(initializer)))
    findings = []
    layers = _graph.all_layers(model)
    for kind, hits in groups.items():
        depth = _chain_depth(layers, {h[0] for h in hits}, graph=_graph.has_graph(model))
        min_layers = (he_saturating_min_layers if kind == "he_saturating"
                      else glorot_relu_min_layers)
        if depth < min_layers:
            continue
        names = [h[0] for h in hits]
        if kind == "he_saturating":
            message = (f"{len(hits)} layers use He initialisation with a saturating "
                       "activation (tanh/sigmoid): their pre-activations start twice "
                       "too wide and push units into saturation.")
            fix = ("Use kernel_initializer='glorot_uniform' (Xavier) for tanh/sigmoid "
                   "layers; keep he_normal for ReLU layers.")
        else:
            message = (f"{len(hits)} ReLU layers use Glorot/Xavier initialisation: "
                       "the signal's variance halves at each of them, so deep "
                       "activations and gradients shrink toward zero.")
            fix = ("Use kernel_initializer='he_normal' for ReLU-family layers, or put "
                   "BatchNormalization after them.")
        findings.append(Finding(
            "model.init_activation_mismatch",
            message=message,
            evidence={"layers": names, "longest_chain": depth,
                      "activations": [h[1] for h in hits],
                      "initializers": [h[2] for h in hits],
                      "min_layers": min_layers},
            fix=fix,
            layer=names[0],
        ))
    return findings
