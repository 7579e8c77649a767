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

- tanh/sigmoid layers whose kernel std is over `SATURATED_OFF`x Glorot's
  (the units sit at +-1): redrawn with Glorot;
- L1/L2 weight penalties of at least `STRONG_PENALTY`: `SOFT_PENALTY`;
- regression targets whose root mean square is over `TARGET_RMS` (under a
  gradient symptom, non-finite values or a stuck loss): standardised.

When the structure shows none of these, the learning rate is read: for a
gradient symptom (exploding gradients, a diverging or oscillating loss,
logits blowing up), a schedule rising over `RISING`x its start becomes a
constant at its start, a constant rate above the optimizer's default goes to
the default, and a rate at most the default under a batch below
`SMALL_BATCH` is scaled with the batch (batch / 32, a tenth at most); for a
stalled run (a plateau, a batch that cannot be overfit), a rate over
`STALLED`x below the default is raised to it. Exploding gradients with none
of these get gradient clipping. Anything else is `NotApplicable`: there is
no mechanical fix to try (a rate at its default is no suspect), and
`verify` says so.

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

SATURATED_OFF = 4.0
"""A tanh/sigmoid kernel whose std is this many times Glorot's saturates its units."""

STRONG_PENALTY = 0.1
"""An L1/L2 weight penalty this strong outweighs the loss; it becomes `SOFT_PENALTY`."""

SOFT_PENALTY = 1e-4

UNBOUNDED = ("exponential",)
SATURATING = ("sigmoid", "hard_sigmoid")
RELU_LIKE = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "swish", "mish",
             "softplus", "celu", "selu", "prelu", "leakyrelu")

STALL_SYMPTOMS = ("train.loss_plateau", "probe.cannot_overfit_batch",
                  "train.weights_unchanged")
"""Symptoms a rate far below the optimizer's default explains."""

TARGET_RMS = 10.0
"""Regression targets whose root mean square exceeds this, under unstable or stuck
steps, are standardised (the static `data.target_scale` waits for 1000: here the
symptom is the evidence)."""

TARGET_SYMPTOMS = ("train.nonfinite", "probe.cannot_overfit_batch", "train.loss_plateau")
"""Besides the gradient symptoms, those that raw regression targets explain."""

STALLED = 100
"""A constant rate this many times below the optimizer's default stalls training."""

SMALL_BATCH = 8
"""Below this batch size, a default learning rate is scaled down with the batch."""

RISING = 10
"""A schedule whose rate rises this many times above its start is replaced."""

SCHEDULE_STEPS = 2000
"""Steps over which a schedule's rates are read."""

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
    for layer in _weight_layers(hidden):
        activation = _effective(layer, changed)
        if layer.name in redraws or activation not in SATURATING + ("tanh",):
            continue
        kernels = [v for a, v in _kernels(layer) if a == "kernel"]
        if kernels and _glorot_ratio(kernels[0]) > SATURATED_OFF:
            redraws[layer.name] = "glorot_uniform"
            lines.append(f"{type(layer).__name__} '{layer.name}': kernel std "
                         f"{_glorot_ratio(kernels[0]):.2g}x Glorot's under {activation} "
                         "(the units saturate)")
    lines.extend(_soften_regularizers(model))
    for k, (name, init) in enumerate(redraws.items()):
        lines.extend(_redraw(_find(model, name), init, seed, k))
    setup.rectified = bool(lines)
    return lines


def _glorot_ratio(variable):
    value = np.asarray(variable.numpy(), dtype="float64")
    shape = value.shape
    fan_in = max(1, _fan_in(shape))
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_out = max(1, int(shape[-1]) * receptive)
    return float(value.std()) / np.sqrt(2.0 / (fan_in + fan_out))


def _soften_regularizers(model):
    """Weight penalties of at least `STRONG_PENALTY` brought down to `SOFT_PENALTY`."""
    lines = []
    for layer in _keras.flatten_layers(model):
        for attr in ("kernel_regularizer", "bias_regularizer"):
            reg = getattr(layer, attr, None)
            if reg is None or not hasattr(reg, "get_config"):
                continue
            config = reg.get_config()
            strong = {k: float(v) for k, v in config.items()
                      if k in ("l1", "l2") and v is not None and float(v) >= STRONG_PENALTY}
            if not strong:
                continue
            config.update({k: SOFT_PENALTY for k in strong})
            softer = type(reg).from_config(config)
            setattr(layer, attr, softer)
            variable = getattr(layer, attr.replace("_regularizer", ""), None)
            if variable is not None and hasattr(variable, "regularizer"):
                variable.regularizer = softer  # what the training step reads
            shown = ", ".join(f"{k} {v:g} -> {SOFT_PENALTY:g}" for k, v in strong.items())
            lines.append(f"{type(layer).__name__} '{layer.name}': {attr} {shown} (the "
                         "penalty outweighs the loss)")
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
    """The structural cause's repair, else the learning rate's (see the module)."""
    if setup.rectified:
        raise NotApplicable("the structural causes are already repaired in this copy")
    lines = rectify(setup, seed=seed)
    if lines:
        return lines
    code = getattr(finding, "code", finding)
    lines = _target_scale_cause(setup, finding, code, seed)
    if lines:
        return lines
    lines = _learning_rate_cause(setup, code)
    if lines:
        return lines
    if code == "train.exploding_gradients":
        from kerasdoc.remedies._transforms import clip_gradients

        return clip_gradients(setup, finding, seed=seed)
    raise NotApplicable(
        "no mechanical cause in the model's structure (hidden activations, kernel "
        "scales, biases and weight penalties look sound) or its learning rate")


def _target_scale_cause(setup, finding, code, seed):
    """Regression targets far from unit scale behind unstable or stuck steps."""
    from kerasdoc._losses import classify_loss
    from kerasdoc.remedies._transforms import standardise_targets

    if code not in GRADIENT_SYMPTOMS + TARGET_SYMPTOMS or setup.target_transform is not None:
        return []
    info = None if isinstance(setup.loss, (dict, list, tuple)) else classify_loss(setup.loss)
    y = setup.y
    if info is None or info.family != "regression" or not isinstance(y, np.ndarray) or \
            y.dtype.kind not in "iuf" or len(y) < 2:
        return []
    values = y.reshape(len(y), -1).astype("float64")
    rms = float(np.sqrt(np.mean(values ** 2)))
    if rms <= TARGET_RMS:
        return []
    lines = standardise_targets(setup, finding, seed=seed)
    return [f"{lines[0]} (root mean square {rms:.4g} under a regression loss)"] + lines[1:]


def _schedule_rates(schedule, steps=SCHEDULE_STEPS):
    import keras

    points = np.unique(np.linspace(0, steps, 65).astype("int64"))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array([float(keras.ops.convert_to_numpy(schedule(int(p))))
                         for p in points])


def _learning_rate_cause(setup, code):
    """A rising schedule, or a constant rate far from the optimizer's default."""
    from kerasdoc.remedies._transforms import _optimizer_with

    optimizer = setup.optimizer
    name = type(optimizer).__name__
    default = float(optimizer.__class__().get_config()["learning_rate"])
    rate = optimizer.get_config().get("learning_rate")
    if isinstance(rate, dict):  # a schedule
        if code not in GRADIENT_SYMPTOMS:
            return []
        import keras

        schedule = keras.optimizers.schedules.deserialize(rate)
        rates = _schedule_rates(schedule)
        start = rates[0] if rates[0] > 0 else default
        peak = float(np.nanmax(np.where(np.isfinite(rates), rates, np.inf)))
        if not peak > RISING * start:
            return []
        _optimizer_with(setup, learning_rate=float(start))
        return [f"{name}: learning_rate {type(schedule).__name__} rising from "
                f"{rates[0]:.3g} to {peak:.3g} within {SCHEDULE_STEPS} steps -> constant "
                f"{start:.3g} (its start)"]
    before = float(rate)
    if code in GRADIENT_SYMPTOMS and before > default * 1.5:
        _optimizer_with(setup, learning_rate=default)
        return [f"{name}: learning_rate {before:g} -> {default:.3g} ({name}'s default; the "
                "model's structure shows no cause of the unstable steps)"]
    if code in GRADIENT_SYMPTOMS and before > 0 and setup.batch_size < SMALL_BATCH:
        # the default rates assume batches of ~32: scale with the batch, a tenth at most
        target = before * max(setup.batch_size / 32, 0.1)
        _optimizer_with(setup, learning_rate=target)
        return [f"{name}: learning_rate {before:g} -> {target:.3g} (scaled with the batch "
                f"of {setup.batch_size}; the model's structure shows no cause of the "
                "unstable steps)"]
    if code in STALL_SYMPTOMS and before * STALLED < default:
        _optimizer_with(setup, learning_rate=default)
        return [f"{name}: learning_rate {before:g} -> {default:.3g} ({name}'s default; "
                f"the rate is over {STALLED}x below it)"]
    return []


def redraw_rectified(setup, finding, *, seed=0):
    """A later seed's draws of the kernels `rectify` redrew (none: no change)."""
    return rectify(setup, seed=seed, redraw_only=True) if setup.rectified else []
