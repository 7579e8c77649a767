"""The mechanical cause of a training symptom, read from the model's structure.

A training symptom (`train.exploding_gradients`, `train.vanishing_gradients`,
`train.dead_relu`, `probe.cannot_overfit_batch`, ...) is a consequence; its
fix is the fix of its cause. `cure_cause` looks for the causes that are
mechanical to repair, in the model copy itself, and repairs every one found:

- hidden layers with an exponential activation (unbounded growth, layer after
  layer): ReLU;
- a stack of at least `MIN_SATURATING` hidden sigmoid units (each passes at
  most a quarter of the gradient back): ReLU; recurrent layers whose cell
  activation is a sigmoid get their default tanh;
- ReLU-family hidden layers (those whose activation became ReLU here too)
  whose kernels, layer after layer, scale the signal by more than
  `STACK_OFF`x up or down (the product of each kernel's std over He's
  `sqrt(2 / fan_in)`): each kernel off He's by more than `SCALE_OFF`x is
  redrawn with He (a recurrent layer given back tanh: Glorot uniform, and
  orthogonal recurrent kernels);
- ReLU-family layers whose bias sits at or below `DEAD_BIAS` for most units
  (they never activate): bias to zeros.

When the structure shows none of these, a gradient symptom (exploding
gradients, a diverging or oscillating loss, logits blowing up) is answered
with a lower learning rate (the optimizer's default when the rate is above
it, else a tenth of it), and failing that with gradient clipping. Any other
symptom with no structural cause is `NotApplicable`: there is no mechanical
fix to try, and `verify` says so.

Nothing here special-cases a program: the rules read activations, kernel
scales and biases.
"""

import numpy as np

from kerasdoc import _keras
from kerasdoc.remedies._setup import NotApplicable

MIN_SATURATING = 3
"""Hidden sigmoid layers in a stack from which they are replaced by ReLU."""

STACK_OFF = 8.0
"""ReLU kernels are redrawn when their stack scales the signal by more than this
factor (the product of each layer's kernel std over He's `sqrt(2 / fan_in)`)."""

SCALE_OFF = 2 ** 0.5
"""Then each ReLU kernel whose std is off He's by more than this factor is redrawn."""

DEAD_BIAS = -1.0
"""A ReLU layer whose median bias is at or below this never activates."""

UNBOUNDED = ("exponential",)
SATURATING = ("sigmoid", "hard_sigmoid")
RELU_LIKE = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "swish", "mish",
             "softplus", "celu", "selu", "prelu", "leakyrelu")

GRADIENT_SYMPTOMS = ("train.exploding_gradients", "train.loss_diverging",
                     "train.loss_oscillating", "train.logits_blowup", "train.update_ratio",
                     "train.sharpness_unstable")
"""Symptoms a lower learning rate answers when the structure shows no cause."""


def _name(activation):
    from kerasdoc.model._graph import activation_name

    return activation_name(activation)


def _weight_layers(layers):
    from kerasdoc.model._graph import kernel_variables

    return [layer for layer in layers
            if any(a != "embeddings" for a, _ in kernel_variables(layer))]


def hidden_layers(model):
    """The layers before the model's last weight layer, in order (and that layer).

    Returns:
        `(hidden, last)`: the layers whose activation is a hidden one (the
        last weight layer and everything after it produce the output), and
        the last weight layer (or None).
    """
    layers = [layer for layer in _keras.flatten_layers(model) if layer is not model]
    weighted = _weight_layers(layers)
    if not weighted:
        return [], None
    last = weighted[-1]
    return layers[:layers.index(last)], last


def _cell(layer):
    cell = getattr(layer, "cell", None)
    return cell if cell is not None and cell is not layer else None


def _activation_of(layer):
    """The activation a hidden layer applies (its cell's for a recurrent one)."""
    cell = _cell(layer)
    owner = cell if cell is not None and hasattr(cell, "activation") else layer
    if not hasattr(owner, "activation"):
        return None, None
    return owner, _name(owner.activation)


def _fan_in(shape):
    shape = tuple(int(d) for d in shape)
    return int(np.prod(shape[:-1])) if len(shape) > 1 else int(shape[0])


def _he_ratio(variable):
    value = np.asarray(variable.numpy(), dtype="float64")
    fan_in = max(1, _fan_in(value.shape))
    he = np.sqrt(2.0 / fan_in)
    return float(value.std()) / he if he > 0 else 1.0


def _draw(init, shape, dtype, seed):
    import keras

    cls = {"he_normal": keras.initializers.HeNormal,
           "glorot_uniform": keras.initializers.GlorotUniform,
           "orthogonal": keras.initializers.Orthogonal}[init]
    return np.asarray(cls(seed=int(seed))(shape, dtype=dtype))


def _redraw(layer, init, seed, k):
    """Redraw `layer`'s kernels with `init` (orthogonal for recurrent kernels)."""
    import keras

    from kerasdoc.model._graph import kernel_variables

    lines = []
    for attr, variable in kernel_variables(layer):
        if attr == "embeddings":
            continue
        chosen = "orthogonal" if attr == "recurrent_kernel" else init
        owner = layer if hasattr(layer, f"{attr}_initializer") else (_cell(layer) or layer)
        variable.assign(_draw(chosen, tuple(variable.shape), variable.dtype,
                              seed + 7919 * k))
        before = getattr(owner, f"{attr}_initializer", None)
        if hasattr(owner, f"{attr}_initializer"):
            setattr(owner, f"{attr}_initializer", keras.initializers.get(chosen))
        label = type(before).__name__ if before is not None else "None"
        lines.append(f"{type(layer).__name__} '{layer.name}': {attr}_initializer "
                     f"'{label}' -> '{chosen}' (redrawn, seed {seed})")
    return lines


def _effective(layer, changed):
    from kerasdoc.model._graph import effective_activation

    if layer.name in changed:
        return changed[layer.name]
    return str(effective_activation(layer)[0]).lower()


def structural_causes(model):
    """What `cure_cause` would change in `model`, without changing it.

    Returns:
        dict with `unbounded` and `saturating` (hidden layers to give ReLU),
        `recurrent` (recurrent layers to give tanh), and the counts.
    """
    hidden, _ = hidden_layers(model)
    unbounded, saturating, recurrent = [], [], []
    for layer in hidden:
        owner, name = _activation_of(layer)
        if owner is None:
            continue
        if name in UNBOUNDED:
            (recurrent if _cell(layer) is not None else unbounded).append(layer)
        elif name in SATURATING:
            (recurrent if _cell(layer) is not None else saturating).append(layer)
    if len(saturating) + len(recurrent) < MIN_SATURATING:
        recurrent = [r for r in recurrent if _activation_of(r)[1] in UNBOUNDED]
        saturating = []
    return {"unbounded": unbounded, "saturating": saturating, "recurrent": recurrent}


def rectify(setup, *, seed=0, redraw_only=False):
    """Repair the structural causes found in `setup.model`; the change lines."""
    import keras

    model = setup.model
    redraws = setup.redraws
    if redraw_only or setup.rectified:  # a later seed: the same layers, its own draws
        lines = []
        for k, (name, init) in enumerate(redraws.items()):
            lines.extend(_redraw(_find(model, name), init, seed, k))
        return lines
    causes = structural_causes(model)
    lines, changed = [], {}
    n_sat = len(causes["saturating"])
    for layer in causes["unbounded"] + causes["saturating"]:
        before = _name(layer.activation)
        why = ("unbounded: activations grow layer after layer" if before in UNBOUNDED
               else f"one of {n_sat + len(causes['recurrent'])} stacked sigmoids: the "
                    "gradient shrinks 4x or more through each")
        layer.activation = keras.activations.get("relu")
        changed[layer.name] = "relu"
        lines.append(f"{type(layer).__name__} '{layer.name}': activation '{before}' -> "
                     f"'relu' ({why})")
    for layer in causes["recurrent"]:
        cell = _cell(layer)
        before = _name(cell.activation)
        cell.activation = keras.activations.get("tanh")
        lines.append(f"{type(layer).__name__} '{layer.name}': activation '{before}' -> "
                     "'tanh' (the recurrent default)")
        redraws[layer.name] = "glorot_uniform"
    hidden, _ = hidden_layers(model)
    relu_layers = [layer for layer in _weight_layers(hidden)
                   if layer.name not in redraws and _effective(layer, changed) in RELU_LIKE]
    ratios = {}
    for layer in relu_layers:
        kernels = [v for a, v in _kernels(layer) if a in ("kernel", "depthwise_kernel")]
        if kernels:
            ratios[layer.name] = _he_ratio(kernels[0])
    gain = float(np.prod(list(ratios.values()))) if ratios else 1.0
    if not 1 / STACK_OFF <= gain <= STACK_OFF:  # the signal shrinks or grows through the stack
        for layer in relu_layers:
            r = ratios.get(layer.name)
            if r is not None and not 1 / SCALE_OFF <= r <= SCALE_OFF:
                redraws[layer.name] = "he_normal"
                lines.append(f"{type(layer).__name__} '{layer.name}': kernel std {r:.2g}x "
                             f"He's sqrt(2/fan_in) under {_effective(layer, changed)} (the "
                             f"ReLU stack scales the signal {gain:.2g}x)")
    for layer in relu_layers:
        bias = getattr(layer, "bias", None)
        if bias is not None and float(np.median(np.asarray(bias.numpy()))) <= DEAD_BIAS:
            median = float(np.median(np.asarray(bias.numpy())))
            bias.assign(np.zeros(tuple(bias.shape), dtype="float32"))
            lines.append(f"{type(layer).__name__} '{layer.name}': bias (median "
                         f"{median:.3g}, the units never activate) -> zeros")
    for k, (name, init) in enumerate(redraws.items()):
        lines.extend(_redraw(_find(model, name), init, seed, k))
    setup.rectified = bool(lines)
    return lines


def _kernels(layer):
    from kerasdoc.model._graph import kernel_variables

    return kernel_variables(layer)


def _find(model, name):
    for layer in _keras.flatten_layers(model):
        if layer.name == name:
            return layer
    raise NotApplicable(f"no layer named {name!r} in the model")


def cure_cause(setup, finding, *, seed=0):
    """The structural cause's repair, else a lower learning rate (see the module)."""
    from kerasdoc.remedies._transforms import _learning_rate, _optimizer_with

    if setup.rectified:
        raise NotApplicable("the structural causes are already repaired in this copy")
    lines = rectify(setup, seed=seed)
    if lines:
        return lines
    code = getattr(finding, "code", finding)
    if code not in GRADIENT_SYMPTOMS:
        raise NotApplicable(
            "no mechanical cause in the model's structure (hidden activations, kernel "
            "scales and biases look sound)")
    try:
        before = _learning_rate(setup.optimizer)
    except NotApplicable:
        before = None
    if before is not None and before > 0:
        default = float(setup.optimizer.__class__().get_config()["learning_rate"])
        target = default if before > default * 1.5 else before / 10
        _optimizer_with(setup, learning_rate=target)
        source = (f"{type(setup.optimizer).__name__}'s default" if target == default
                  else "a tenth")
        return [f"{type(setup.optimizer).__name__}: learning_rate {before:g} -> "
                f"{target:.3g} ({source}; the model's structure shows no cause of the "
                "unstable steps)"]
    from kerasdoc.remedies._transforms import clip_gradients

    return clip_gradients(setup, finding, seed=seed)


def redraw_rectified(setup, finding, *, seed=0):
    """A later seed's draws of the kernels `rectify` redrew (none: no change)."""
    return rectify(setup, seed=seed, redraw_only=True) if setup.rectified else []
