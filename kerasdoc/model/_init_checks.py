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


def _relu_gain(layer):
    """Variance gain of a ReLU layer at its current kernel: fan_in * E[w^2] / 2.

    He's derivation: a ReLU layer multiplies the second moment of the signal
    by fan_in * Var(w) / 2 (1 under He init, about 1/2 under Glorot on a
    square layer). Read from the kernel's values, so it holds for any
    initialiser. None when the layer has no kernel to read.
    """
    kernel = getattr(layer, "kernel", None)
    if kernel is None or not hasattr(kernel, "numpy"):
        return None
    values = np.asarray(kernel.numpy(), dtype=np.float64)
    if values.ndim < 2 or values.size < 2:
        return None
    fan_in = float(np.prod(values.shape[:-1]))
    return fan_in * float(np.mean(values ** 2)) / 2.0


def _chain_log_gain(layers, gains, *, graph=True):
    """(most negative, most positive) sum of log10 gains along one path, and the
    most layers of `gains` on one path (a normalization layer resets all)."""
    if not graph:
        total = sum(gains.values())
        return min(0.0, total), max(0.0, total), len(gains)
    low, high, count = {}, {}, {}
    best = (0.0, 0.0, 0)
    for layer in layers:
        preds = _graph.predecessors(layer) or []
        lo = min((low.get(id(p), 0.0) for p in preds), default=0.0)
        hi = max((high.get(id(p), 0.0) for p in preds), default=0.0)
        n = max((count.get(id(p), 0) for p in preds), default=0)
        if _graph.class_name(layer) in _graph.NORMALIZATION:
            lo, hi, n = 0.0, 0.0, 0
        if layer.name in gains:
            lo, hi, n = lo + gains[layer.name], hi + gains[layer.name], n + 1
        low[id(layer)], high[id(layer)], count[id(layer)] = lo, hi, n
        best = (min(best[0], lo), max(best[1], hi), max(best[2], n))
    return best


def _is_recurrent(layer):
    """A Keras recurrent layer (LSTM, GRU, SimpleRNN, ...) with its own kernel."""
    import keras

    return isinstance(layer, keras.layers.RNN) and hasattr(layer, "kernel_initializer")


def check_init_activation(model, *, he_saturating_min_layers=3, glorot_relu_min_layers=6,
                          fixed_scale_min_layers=3, max_signal_factor=64.0):
    """`model.init_activation_mismatch`: He with tanh/sigmoid, Glorot with ReLU.

    He initialisation doubles the variance a saturating activation sees;
    Glorot halves the signal at each ReLU layer. Either compounds with depth,
    so the finding fires only when enough layers with the same mismatched
    pairing lie on one path through the model (a normalization layer on the
    path starts the count again). Saturation from He init shows within a few
    layers; the shrinking from Glorot under ReLU (half the variance per layer)
    needs a deeper stack to matter. Recurrent layers (LSTM, GRU, SimpleRNN)
    count in the He-with-tanh/sigmoid stack by their input kernel and cell
    activation.

    A fixed-scale initialiser (RandomUniform, RandomNormal, TruncatedNormal
    with a set range, which ignores the layer's fan-in) under ReLU is judged
    on the gain its kernels give: a ReLU layer multiplies the signal's second
    moment by fan_in * E[w^2] / 2 (He's derivation). When the product of
    these gains along one path, over at least `fixed_scale_min_layers` such
    layers, leaves the signal smaller or larger than `max_signal_factor`
    times, activations and gradients vanish (the ReLUs die at zero) or
    explode. 64 is the shrink the Glorot rule accepts at its six-layer
    threshold (a half per layer). RandomUniform(-0.05, 0.05), Keras'
    default range, gives 0.053 per Dense(128) layer and 0.002 per Dense(5).

    The activation is the layer's own
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
        fixed_scale_min_layers: ReLU-family layers with a fixed-scale
            initialiser on one path that make a deep stack. Defaults to `3`.
        max_signal_factor: the factor by which those layers may shrink or
            grow the signal's second moment along one path before it is
            reported. Defaults to `64.0`.
    """
    groups = {"he_saturating": [], "glorot_relu": []}
    fixed = {}  # layer name -> (log10 gain, activation, initializer class)
    for layer in _graph.all_layers(model):
        recurrent = _is_recurrent(layer)
        if not _graph.is_weight_layer(layer) and not recurrent:
            continue
        initializer = getattr(layer, "kernel_initializer", None)
        if initializer is None:
            continue
        family = _graph.initializer_family(initializer)
        if recurrent:  # a recurrent cell's input kernel under He, squashed by tanh/sigmoid
            activation = _graph.activation_name(getattr(layer, "activation", None))
            if family == "he" and activation in _graph.SATURATING:
                groups["he_saturating"].append((layer.name, activation,
                                                _graph.class_name(initializer)))
            continue
        if family == "other":
            activation, normalized = _graph.effective_activation(layer)
            gain = _relu_gain(layer) if activation in _graph.RELU_LIKE else None
            if not normalized and gain is not None and gain > 0:
                fixed[layer.name] = (float(np.log10(gain)), activation,
                                     _graph.class_name(initializer))
            continue
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
    if fixed:
        low, high, count = _chain_log_gain(
            layers, {k: v[0] for k, v in fixed.items()}, graph=_graph.has_graph(model))
        limit = float(np.log10(max_signal_factor))
        worst = low if -low >= high else high
        if count >= fixed_scale_min_layers and abs(worst) > limit:
            names = list(fixed)
            shrinks = worst < 0
            message = (f"{len(names)} ReLU layers use a fixed-scale initialiser "
                       f"({', '.join(sorted({v[2] for v in fixed.values()}))}) that "
                       "ignores their fan-in: along one path their kernels "
                       f"{'shrink' if shrinks else 'grow'} the signal's second moment "
                       f"{10 ** abs(worst):.3g} times (fan_in x E[w^2] / 2 per layer; "
                       "He's init keeps it at 1), so deep activations and gradients "
                       + ("vanish and the ReLUs die at zero." if shrinks else
                          "explode."))
            findings.append(Finding(
                "model.init_activation_mismatch",
                message=message,
                evidence={"layers": names, "longest_chain": count,
                          "activations": [v[1] for v in fixed.values()],
                          "initializers": [v[2] for v in fixed.values()],
                          "gains": {k: float(10 ** v[0]) for k, v in fixed.items()},
                          "signal_factor": float(10 ** worst),
                          "max_signal_factor": max_signal_factor,
                          "min_layers": fixed_scale_min_layers},
                fix=("Use kernel_initializer='he_normal' (or 'he_uniform') for "
                     "ReLU-family layers: it scales the kernel to the layer's fan-in."),
                layer=names[0],
            ))
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
