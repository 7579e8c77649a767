"""Reading a Keras 3 model's layers, graph, activations and initialisers.

Small helpers shared by the model checks. They only read: no forward pass,
no variable is assigned. Functional and Sequential models expose their graph
through each layer's inbound/outbound nodes; subclassed models do not, so
the graph helpers return `None` ("unknown") for them and the checks stay
silent rather than guess.
"""

import numpy as np

from kerasdoc import _keras

# Activations grouped by the initialiser they want.
RELU_LIKE = frozenset({"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu",
                       "swish", "mish", "celu", "glu", "hard_silu", "hard_swish"})
SATURATING = frozenset({"tanh", "sigmoid", "hard_sigmoid", "softsign"})

# Layers that pass a tensor on without adding a learnt shift of their own:
# looking "through" them finds the next layer that matters.
PASSTHROUGH = frozenset({
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
    "AlphaDropout", "Flatten", "Reshape", "Permute", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "MaxPooling1D",
    "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "Concatenate", "Add", "Identity",
})
NORMALIZATION = frozenset({"BatchNormalization", "LayerNormalization",
                           "GroupNormalization", "SyncBatchNormalization",
                           "RMSNormalization", "UnitNormalization"})
ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu",
                     "PReLU": "relu", "Softmax": "softmax"}


def class_name(layer):
    return type(layer).__name__


def all_layers(model):
    """Every layer of `model`, nested models included, the model itself excluded."""
    return _keras.flatten_layers(model)


def is_weight_layer(layer):
    """Dense, EinsumDense and every convolution (the layers with a kernel + bias)."""
    import keras

    return isinstance(layer, (keras.layers.Dense, keras.layers.EinsumDense)) or (
        "Conv" in class_name(layer) and hasattr(layer, "use_bias"))


def has_graph(model):
    """Whether `model` is a graph (Functional or Sequential) model."""
    return bool(_keras.graph_operations(model) or getattr(model, "inputs", None))


def activation_name(activation):
    """'relu', 'softmax', 'linear', ... for an activation function or None."""
    if activation is None:
        return "linear"
    name = getattr(activation, "__name__", None) or class_name(activation)
    return name.lower()


def layer_activation(layer):
    """The activation a layer applies to its output ('linear' if none), or None.

    `None` means the layer is not an activation carrier (e.g. Flatten).
    """
    cls = class_name(layer)
    if cls in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[cls]
    if hasattr(layer, "activation"):
        return activation_name(layer.activation)
    return None


def successors(layer):
    """Layers that consume `layer`'s output, or None when the graph is unknown."""
    nodes = _keras.outbound_nodes(layer)
    if not nodes:
        return None
    return [node.operation for node in nodes]


def predecessors(layer):
    """Layers whose outputs `layer` consumes, or None when unknown."""
    nodes = _keras.inbound_nodes(layer)
    if not nodes:
        return None
    out = []
    for node in nodes:
        for tensor in node.input_tensors:
            producer = _keras.producing_layer(tensor)
            if producer is not None:
                out.append(producer)
    return out


def next_meaningful(layer, *, through=PASSTHROUGH, depth=6):
    """The layers reached from `layer` skipping pass-through layers.

    Returns a list of (layer, path) where path is the list of skipped layer
    class names, or None when the graph is unknown.
    """
    first = successors(layer)
    if first is None:
        return None
    found, frontier = [], [(s, []) for s in first]
    for _ in range(depth):
        nxt = []
        for candidate, path in frontier:
            if class_name(candidate) in through:
                more = successors(candidate) or []
                nxt.extend((s, path + [class_name(candidate)]) for s in more)
                if not more:
                    found.append((candidate, path))
            else:
                found.append((candidate, path))
        frontier = nxt
        if not frontier:
            break
    return found


def effective_activation(layer):
    """The nonlinearity applied to a weight layer's output.

    The layer's own activation when it has one; for a linear layer, the
    activation of the next Activation/ReLU layer (through Dropout, pooling,
    reshapes). Returns (activation name, via_normalization) where
    `via_normalization` is True when a normalization layer sits between.
    """
    own = layer_activation(layer)
    if own not in (None, "linear"):
        return own, False
    reached = next_meaningful(layer, through=PASSTHROUGH - {"Activation", "ReLU",
                                                            "LeakyReLU", "ELU",
                                                            "PReLU", "Concatenate",
                                                            "Add"})
    if not reached or len(reached) != 1:
        return "linear", False
    nxt, _ = reached[0]
    if class_name(nxt) in NORMALIZATION:
        after = next_meaningful(nxt, through=PASSTHROUGH - {"Activation", "ReLU"})
        if after and len(after) == 1 and layer_activation(after[0][0]) is not None:
            return layer_activation(after[0][0]), True
        return "linear", True
    if class_name(nxt) in ("Activation",) or class_name(nxt) in ACTIVATION_LAYERS:
        return layer_activation(nxt), False
    return "linear", False


def initializer_family(initializer):
    """'he', 'glorot', 'lecun', 'constant', 'orthogonal' or 'other'."""
    import keras

    cls = class_name(initializer)
    if isinstance(initializer, (keras.initializers.Zeros, keras.initializers.Ones,
                                keras.initializers.Constant)):
        return "constant"
    if cls.startswith("He"):
        return "he"
    if cls.startswith("Glorot"):
        return "glorot"
    if cls.startswith("Lecun"):
        return "lecun"
    if cls == "Orthogonal":
        return "orthogonal"
    if isinstance(initializer, keras.initializers.VarianceScaling):
        scale, mode = initializer.scale, initializer.mode
        if mode == "fan_in" and np.isclose(scale, 2.0):
            return "he"
        if mode == "fan_avg" and np.isclose(scale, 1.0):
            return "glorot"
        if mode == "fan_in" and np.isclose(scale, 1.0):
            return "lecun"
    return "other"


def initializer_name(initializer):
    if initializer is None:
        return None
    return class_name(initializer)


def kernel_variables(layer):
    """(attribute name, variable) pairs of a layer's multiplicative weights."""
    out = []
    for attr in ("kernel", "depthwise_kernel", "pointwise_kernel", "recurrent_kernel",
                 "embeddings"):
        try:
            value = getattr(layer, attr, None)
        except Exception:  # properties that raise on unbuilt or quantized layers
            value = None
        if value is not None and hasattr(value, "numpy"):
            out.append((attr, value))
    cell = getattr(layer, "cell", None)
    if cell is not None and cell is not layer:
        out.extend(kernel_variables(cell))
    return out


def output_layer(model):
    """The layer producing the model's (single) output, or None."""
    outputs = getattr(model, "outputs", None)
    if outputs and len(outputs) == 1:
        return _keras.producing_layer(outputs[0])
    return None
