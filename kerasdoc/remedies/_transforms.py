"""The transforms behind each remedy (see `kerasdoc.remedies`).

Each `transform(setup, finding, *, seed)` changes `setup`, which is
kerasdoc's own copy, and returns one code-level line per change. Data is
never written in place: new arrays replace the old ones in the setup.
"""

import numpy as np

from kerasdoc import _keras
from kerasdoc.remedies._setup import NotApplicable

_RELU_LIKE = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "swish", "mish",
              "softplus", "celu", "selu", "prelu", "leakyrelu")


def _layers(model):
    return _keras.flatten_layers(model)


def _layer(model, name):
    for layer in _layers(model):
        if layer.name == name:
            return layer
    raise NotApplicable(f"no layer named {name!r} in the model")


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


# Initialisation -----------------------------------------------------------------

def _named_layers(finding):
    ev = finding.evidence or {}
    names = []
    if ev.get("layers"):
        names.extend(str(n) for n in ev["layers"])
    if ev.get("layer"):
        names.append(str(ev["layer"]))
    if finding.layer:
        names.append(str(finding.layer))
    return list(dict.fromkeys(names))


def _initializer_for(layer):
    from kerasdoc.model._graph import effective_activation

    activation = str(effective_activation(layer)[0]).lower()
    if activation in _RELU_LIKE:
        return "he_normal"
    return "glorot_uniform"


def _draw(name, shape, dtype, seed):
    import keras

    cls = {"he_normal": keras.initializers.HeNormal,
           "glorot_uniform": keras.initializers.GlorotUniform,
           "orthogonal": keras.initializers.Orthogonal}[name]
    return np.asarray(cls(seed=int(seed))(shape, dtype=dtype))


def _initializer_label(initializer):
    if initializer is None:
        return "None"
    name = type(initializer).__name__
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return snake


def reinit_kernels(setup, finding, *, seed=0):
    """Draw fresh kernels for the named layers: He for ReLU, Glorot otherwise."""
    import keras

    from kerasdoc.model._graph import kernel_variables

    names = _named_layers(finding)
    if not names:
        raise NotApplicable("the finding names no layer")
    if finding.code == "model.init_activation_mismatch" and not setup.rectified:
        from kerasdoc.remedies._structure import rectify, structural_causes

        causes = structural_causes(setup.model)
        stacked = {layer.name for layer in causes["saturating"] + causes["recurrent"]}
        if stacked & set(names):  # a deep sigmoid stack: the activation is the misfit
            return rectify(setup, seed=seed)
    changes = []
    for k, name in enumerate(names):
        layer = _layer(setup.model, name)
        weight = (finding.evidence or {}).get("weight") if len(names) == 1 else None
        for attr, variable in kernel_variables(layer):
            if attr == "embeddings" or (weight and attr != weight):
                continue
            init = "orthogonal" if attr == "recurrent_kernel" else _initializer_for(layer)
            # a recurrent layer's initializers live on its cell (the layer's are
            # read-only properties in Keras 3: LSTM, GRU, SimpleRNN)
            cell = getattr(layer, "cell", None)
            owner = cell if hasattr(cell, f"{attr}_initializer") else layer
            before = _initializer_label(getattr(owner, f"{attr}_initializer", None))
            if before == init and finding.code == "model.init_activation_mismatch":
                continue
            value = _draw(init, tuple(variable.shape), variable.dtype, seed + 7919 * k)
            variable.assign(value)
            if hasattr(owner, f"{attr}_initializer"):
                setattr(owner, f"{attr}_initializer", keras.initializers.get(init))
            changes.append(f"{type(layer).__name__} '{layer.name}': {attr}_initializer "
                           f"'{before}' -> '{init}' (redrawn, seed {seed})")
    return changes


def redraw_kernels(setup, finding, *, seed=0):
    """A later seed's draws for `reinit_kernels` (or `rectify`, when it ran)."""
    if setup.rectified:
        from kerasdoc.remedies._structure import rectify

        return rectify(setup, seed=seed, redraw_only=True)
    return reinit_kernels(setup, finding, seed=seed)


# Output activation / loss / from_logits --------------------------------------------

def _labels_form(y):
    """'sparse', 'onehot', 'multilabel' or 'values' for targets `y`."""
    y = np.asarray(y)
    whole = (y.dtype.kind == "f" and y.size and np.all(np.mod(y, 1) == 0)
             and y.min() >= 0 and y.max() <= 1000)  # floats holding class ids
    if y.dtype.kind in "iub" or whole:
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            return "sparse"
        if y.ndim == 2 and set(np.unique(y)) <= {0, 1}:
            return "onehot" if np.all(y.sum(axis=1) == 1) else "multilabel"
    if y.ndim == 2 and y.dtype.kind == "f" and np.all((y >= 0) & (y <= 1)) and \
            np.allclose(y.sum(axis=1), 1):
        return "onehot"  # soft labels
    return "values"


def _set_activation(layer, name):
    import keras

    before = _activation_label(layer)
    layer.activation = keras.activations.get(None if name == "linear" else name)
    return f"{type(layer).__name__} '{layer.name}': activation '{before}' -> '{name}'"


def _activation_label(layer):
    from kerasdoc.model._graph import layer_activation

    return layer_activation(layer) or "linear"


def _loss_label(loss):
    from kerasdoc._losses import classify_loss

    info = classify_loss(loss)
    if info is None:
        return repr(loss)
    return info.name + (" (from_logits=True)" if info.from_logits else "")


def _make_loss(family, from_logits):
    import keras

    return {"sparse_cce": keras.losses.SparseCategoricalCrossentropy,
            "cce": keras.losses.CategoricalCrossentropy,
            "bce": keras.losses.BinaryCrossentropy}[family](from_logits=from_logits)


def pair_output_loss(setup, finding, *, seed=0):
    """Make the output activation, the loss and `from_logits` agree with the labels."""
    from kerasdoc._losses import classify_loss
    from kerasdoc.model._graph import output_layer

    ev = finding.evidence or {}
    if ev.get("layer_before_softmax"):  # relu/tanh squashing the logits
        layer = _layer(setup.model, ev["layer_before_softmax"])
        return [_set_activation(layer, "linear") + " (raw logits into the softmax)"]
    if isinstance(setup.loss, (dict, list, tuple)):
        raise NotApplicable("the model has several losses")
    layer = output_layer(setup.model)
    if layer is None or not hasattr(layer, "activation"):
        raise NotApplicable("the output layer's activation cannot be set")
    if setup.y is None:
        raise NotApplicable("the labels are needed to pair the loss with them")
    units = int(setup.model.outputs[0].shape[-1])
    form = _labels_form(setup.y)
    activation = _activation_label(layer)
    info = classify_loss(setup.loss)
    family = info.family if info is not None else "other"
    changes = []
    if form == "values":
        if activation != "linear":
            changes.append(_set_activation(layer, "linear"))
        if family != "regression":
            changes.append(f"loss {_loss_label(setup.loss)!r} -> 'mean_squared_error'")
            setup.loss = "mean_squared_error"
        return changes
    if units == 1 or form == "multilabel":
        want_family, want_act = "bce", "sigmoid"
    else:
        want_family = "sparse_cce" if form == "sparse" else "cce"
        want_act = "softmax"
    if family == want_family and activation == "linear" and not info.from_logits:
        # a linear output read as probabilities: keep the logits, tell the loss
        setup.loss = _make_loss(want_family, True)
        return [f"loss {_loss_label(info.name)!r} -> {want_family_name(want_family)} "
                "with from_logits=True (the linear output is logits)"]
    if family == want_family and activation == want_act and info.from_logits:
        setup.loss = _make_loss(want_family, False)
        return [f"loss {want_family_name(want_family)}: from_logits True -> False "
                f"(the output applies {want_act})"]
    if activation != want_act and not (activation == "linear" and family == want_family
                                       and info.from_logits):
        changes.append(_set_activation(layer, want_act))
    if family != want_family or (info is not None and info.from_logits
                                 and activation != "linear"):
        before = _loss_label(setup.loss)
        setup.loss = _make_loss(want_family, False)
        changes.append(f"loss {before!r} -> {want_family_name(want_family)!r}")
    return changes


def want_family_name(family):
    return {"sparse_cce": "sparse_categorical_crossentropy",
            "cce": "categorical_crossentropy", "bce": "binary_crossentropy"}[family]


# Inputs and targets -----------------------------------------------------------

def rescale_inputs(setup, finding, *, seed=0):
    """Put a Rescaling(1/255) (pixels) or an adapted Normalization before the model."""
    import keras

    x = setup.x
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "iuf":
        raise NotApplicable("the inputs are not one numeric array")
    xf = np.asarray(x, dtype="float32")
    lo, hi = float(np.min(xf)), float(np.max(xf))
    inputs = keras.Input(shape=x.shape[1:], name="kerasdoc_input")
    if x.ndim >= 3 and lo >= 0 and 1.5 < hi <= 255:
        layer = keras.layers.Rescaling(1.0 / 255, name="kerasdoc_rescaling")
        line = (f"inputs: Rescaling(1/255) before model '{setup.model.name}' "
                f"(x_train range [{lo:.4g}, {hi:.4g}])")
    else:
        axis = -1 if x.ndim >= 2 else None
        layer = keras.layers.Normalization(axis=axis, name="kerasdoc_normalization")
        layer.adapt(xf)
        mean = np.asarray(layer.mean).ravel()
        std = np.sqrt(np.asarray(layer.variance).ravel())
        line = (f"inputs: Normalization adapted on x_train before model "
                f"'{setup.model.name}' (mean {_fmt(float(np.mean(mean)))}, std "
                f"{_fmt(float(np.mean(std)))} on average over {mean.size} features)")
    outputs = setup.model(layer(inputs))
    setup.model = keras.Model(inputs, outputs, name=f"{setup.model.name}_rescaled")
    lines = [line]
    if _reconstructs(x, setup.y):  # an autoencoder: its targets are its inputs
        lines.append(_scale_targets_like_inputs(setup, layer))
    return lines


def _reconstructs(x, y):
    return (isinstance(y, np.ndarray) and y.shape == x.shape
            and (y is x or np.array_equal(y, x)))


def _scale_targets_like_inputs(setup, layer):
    """Targets equal to the inputs get the inputs' scaling; predictions map back."""
    if isinstance(layer, __import__("keras").layers.Rescaling):
        mean, std = np.zeros(()), np.asarray(1.0 / layer.scale)
    else:
        mean = np.asarray(layer.mean).reshape(-1)
        std = np.sqrt(np.asarray(layer.variance).reshape(-1))
        std = np.where(std > 0, std, 1.0)
    setup.y = ((np.asarray(setup.y, "float64") - mean) / std).astype("float32")
    if setup.validation_data is not None:
        xv, yv = setup.validation_data[:2]
        setup.validation_data = (xv, ((np.asarray(yv, "float64") - mean) / std)
                                 .astype("float32"))
    setup.target_transform = (mean, std)
    return ("targets (= inputs, a reconstruction): scaled like the inputs; "
            "predictions mapped back to the input units")


def _several_outputs(setup):
    return isinstance(setup.y, (dict, list, tuple))


def _output_keys(setup):
    """Output names (dict targets) or positions (list targets), with each one's loss."""
    y, loss = setup.y, setup.loss
    keys = list(y) if isinstance(y, dict) else list(range(len(y)))
    if isinstance(loss, dict):
        return [(k, loss.get(k)) for k in keys]
    if isinstance(loss, (list, tuple)):
        return [(k, loss[k] if isinstance(k, int) and k < len(loss) else None)
                for k in keys]
    return [(k, loss) for k in keys]


def _standardise_outputs(setup, finding):
    """Several outputs: standardise the regression ones (the finding's, if it names one)."""
    from kerasdoc._losses import classify_loss

    named = (finding.evidence or {}).get("output")
    y = dict(setup.y) if isinstance(setup.y, dict) else list(setup.y)
    yv = None
    if setup.validation_data is not None:
        yv = setup.validation_data[1]
        yv = dict(yv) if isinstance(yv, dict) else list(yv)
    transform = dict(setup.target_transform or {})
    lines = []
    for key, loss in _output_keys(setup):
        info = classify_loss(loss) if loss is not None else None
        values = np.asarray(y[key])
        if (named is not None and key != named) or info is None or \
                info.family != "regression" or values.dtype.kind not in "iuf" or \
                key in transform:
            continue
        yf = values.astype("float64")
        mean, std = yf.mean(axis=0), yf.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        y[key] = ((yf - mean) / std).astype("float32")
        if yv is not None:
            yv[key] = ((np.asarray(yv[key], "float64") - mean) / std).astype("float32")
        transform[key] = (np.asarray(mean), np.asarray(std))
        m, sd = float(np.mean(mean)), float(np.mean(std))
        lines.append(f"targets of output {key!r}: standardised (y - {_fmt(m)}) / "
                     f"{_fmt(sd)} on the training split; predictions mapped back with "
                     f"y * {_fmt(sd)} + {_fmt(m)}")
    if not lines:
        raise NotApplicable("no output has numeric targets under a regression loss"
                            + (f" (the finding names output {named!r})" if named else ""))
    setup.y = y
    if yv is not None:
        setup.validation_data = (setup.validation_data[0], yv)
    setup.target_transform = transform
    return lines


def standardise_targets(setup, finding, *, seed=0):
    """Train on (y - mean) / std of the training targets; record the inverse.

    With several outputs (targets in a dict by output name or a list), the
    regression outputs are standardised, each with its own mean and std (only
    the output the finding names, when it names one); `target_transform` is
    then a dict by output.
    """
    from kerasdoc._losses import classify_loss

    if _several_outputs(setup):
        return _standardise_outputs(setup, finding)
    y = setup.y
    if not isinstance(y, np.ndarray) or y.dtype.kind not in "iuf":
        raise NotApplicable("the targets are not one numeric array")
    info = classify_loss(setup.loss)
    if info is None or info.family != "regression":
        raise NotApplicable("the loss is not a regression loss")
    yf = y.astype("float64")
    mean, std = yf.mean(axis=0), yf.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    setup.y = ((yf - mean) / std).astype("float32")
    if setup.validation_data is not None:
        xv, yv = setup.validation_data[:2]
        setup.validation_data = (xv, ((np.asarray(yv, "float64") - mean) / std)
                                 .astype("float32"))
    old = setup.target_transform
    if old is not None:  # compose: original = (pred * std + mean) * old_std + old_mean
        mean, std = old[0] + np.asarray(old[1]) * mean, np.asarray(old[1]) * std
    setup.target_transform = (np.asarray(mean), np.asarray(std))
    m, s = float(np.mean(mean)), float(np.mean(std))
    return [f"targets: standardised (y - {_fmt(m)}) / {_fmt(s)} on the training split; "
            f"predictions mapped back with y * {_fmt(s)} + {_fmt(m)}"]


def shuffle(setup, finding, *, seed=0):
    """Permute the training set once (seeded) and shuffle every epoch."""
    if not hasattr(setup.x, "shape") or not hasattr(setup.y, "shape"):
        raise NotApplicable("the training data are not arrays")
    order = np.random.default_rng(seed).permutation(len(setup.y))
    setup.x, setup.y = np.asarray(setup.x)[order], np.asarray(setup.y)[order]
    if setup.sample_weight is not None:
        setup.sample_weight = np.asarray(setup.sample_weight)[order]
    lines = [f"x, y: shuffled once (seed {seed})"]
    if not setup.shuffle:
        setup.shuffle = True
        lines.append("fit: shuffle False -> True")
    return lines


def class_weights(setup, finding, *, seed=0):
    """Balanced class weights: n / (k * count of the class)."""
    if setup.y is None:
        raise NotApplicable("the labels are needed to weigh the classes")
    if _several_outputs(setup):
        raise NotApplicable("fit's class_weight applies to one output; this model has "
                            "several (weigh the samples of the output instead)")
    y = np.asarray(setup.y)
    if y.ndim == 2 and y.shape[1] > 1:
        ids = y.argmax(axis=1)
    else:
        ids = y.reshape(len(y)).astype("int64")
    classes, counts = np.unique(ids, return_counts=True)
    weights = {int(c): float(len(ids) / (len(classes) * n)) for c, n in zip(classes,
                                                                            counts)}
    before = setup.class_weight
    setup.class_weight = weights
    shown = ", ".join(f"{c}: {w:.3g}" for c, w in list(weights.items())[:10])
    return [f"fit: class_weight {before!r} -> {{{shown}}} (balanced)"]


def drop_leaked(setup, finding, *, seed=0):
    """Drop the training samples that are copies of validation samples."""
    if setup.validation_data is None or setup.x is None:
        raise NotApplicable("no training and validation data to compare")
    if _several_outputs(setup) or isinstance(setup.x, (dict, list, tuple)):
        raise NotApplicable("the training data are not one input and one target array")
    x = np.asarray(setup.x)
    xv = np.asarray(setup.validation_data[0])
    seen = {np.ascontiguousarray(row).tobytes() for row in xv}
    drop = {i for i in range(len(x)) if np.ascontiguousarray(x[i]).tobytes() in seen}
    for pair in (finding.evidence or {}).get("pairs", ()):
        if "train" in pair:
            drop.add(int(pair["train"]))
    if not drop:
        raise NotApplicable("no training sample equals a validation sample")
    keep = np.setdiff1d(np.arange(len(x)), sorted(drop))
    setup.x, setup.y = x[keep], np.asarray(setup.y)[keep]
    if setup.sample_weight is not None:
        setup.sample_weight = np.asarray(setup.sample_weight)[keep]
    return [f"x, y: dropped {len(drop)} training samples equal to validation samples "
            f"({len(keep)} left)"]


# Optimizer --------------------------------------------------------------------------

def _optimizer_with(setup, **changes):
    config = setup.optimizer.get_config()
    config.update(changes)
    setup.optimizer = setup.optimizer.__class__.from_config(config)


def _learning_rate(optimizer):
    value = optimizer.get_config().get("learning_rate")
    if isinstance(value, dict):
        raise NotApplicable("the learning rate is a schedule")
    return float(value)


def set_learning_rate(setup, finding, *, seed=0):
    """The LR range test's suggestion, else the optimizer class's default rate."""
    before = _learning_rate(setup.optimizer)
    target = (finding.evidence or {}).get("suggestion")
    source = "the LR range test's suggestion"
    if not target:
        target = float(setup.optimizer.__class__().get_config()["learning_rate"])
        source = f"{type(setup.optimizer).__name__}'s default"
    target = float(target)
    if np.isclose(target, before):
        raise NotApplicable(f"the learning rate is already {before:g}")
    _optimizer_with(setup, learning_rate=target)
    return [f"{type(setup.optimizer).__name__}: learning_rate {before:g} -> {target:.3g} "
            f"({source})"]


def sgd_momentum(setup, finding, *, seed=0):
    """Plain SGD -> SGD(momentum=0.9, nesterov=True) at the same rate."""
    config = setup.optimizer.get_config()
    if type(setup.optimizer).__name__ != "SGD" or config.get("momentum", 0) > 0:
        raise NotApplicable("the optimizer is not plain SGD")
    _optimizer_with(setup, momentum=0.9, nesterov=True)
    return [f"SGD: momentum {config.get('momentum', 0)!r} -> 0.9, nesterov "
            f"{config.get('nesterov', False)!r} -> True"]


def clip_gradients(setup, finding, *, seed=0):
    """clipnorm=1.0 on the optimizer."""
    config = setup.optimizer.get_config()
    if config.get("clipnorm") or config.get("global_clipnorm") or config.get("clipvalue"):
        raise NotApplicable("the gradients are already clipped")
    _optimizer_with(setup, clipnorm=1.0)
    return [f"{type(setup.optimizer).__name__}: clipnorm None -> 1.0"]


def unfreeze(setup, finding, *, seed=0):
    """Make the frozen layers the finding names (or every layer) trainable."""
    names = _named_layers(finding) or (finding.evidence or {}).get("frozen_layers", [])
    layers = ([_layer(setup.model, n) for n in names] if names
              else [layer for layer in _layers(setup.model)])
    changes = []
    for layer in layers:
        if not layer.trainable and layer.weights:
            layer.trainable = True
            changes.append(f"{type(layer).__name__} '{layer.name}': trainable False -> True")
    if not setup.model.trainable:
        setup.model.trainable = True
        changes.append(f"model '{setup.model.name}': trainable False -> True")
    return changes


def smaller_batch(setup, finding, *, seed=0):
    """A batch of at most the reported fraction of the data (32 at most)."""
    ev = finding.evidence or {}
    y = setup.y
    if isinstance(y, dict):
        y = next(iter(y.values()), None)
    elif isinstance(y, (list, tuple)):
        y = y[0] if len(y) else None
    n = len(y) if y is not None else ev.get("n_samples")
    if not n:
        raise NotApplicable("the number of training samples is unknown")
    fraction = float(ev.get("max_batch_fraction") or 0.1)
    new = max(1, min(32, int(n * fraction)))
    if new >= setup.batch_size or np.ceil(n / new) <= np.ceil(n / setup.batch_size):
        raise NotApplicable(f"the batch of {setup.batch_size} is already small")
    before, setup.batch_size = setup.batch_size, new
    return [f"fit: batch_size {before} -> {new} ({int(np.ceil(n / new))} steps per epoch "
            f"instead of {int(np.ceil(n / before))}; compared at equal epochs)"]


def log_prior_bias(setup, finding, *, seed=0):
    """The output layer's bias set to the class log-prior the finding computed."""
    ev = finding.evidence or {}
    name, prior = ev.get("layer") or finding.layer, ev.get("log_prior_bias")
    if not name or prior is None:
        raise NotApplicable("the finding names no output layer or log-prior")
    layer = _layer(setup.model, name)
    bias = getattr(layer, "bias", None)
    prior = np.asarray(prior, dtype="float32")
    if bias is None or tuple(bias.shape) != prior.shape:
        raise NotApplicable(f"layer {name!r} has no bias of shape {prior.shape}")
    bias.assign(prior)
    shown = ", ".join(f"{v:.3g}" for v in prior[:10])
    return [f"{type(layer).__name__} '{name}': bias -> log class prior [{shown}]"]
