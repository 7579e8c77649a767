"""Finding keras.applications backbones in a model and the tensor that feeds them.

Graph walking on Keras 3 functional models: a tensor's `_keras_history`
names the layer and the node that produced it, and a nested backbone has
one inbound node per model it is used in, so the node is picked from the
graph of the model being checked.
"""

from kerasdoc.model import _families

_PADDING = ("ZeroPadding2D",)
_PREPROCESSING = ("Rescaling", "Normalization")


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history.operation


def _node_of(layer, graph=None):
    """The node of `layer` that belongs to `graph` (a functional model), or its first."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if graph is not None:
        graph = getattr(graph, "_functional", None) or graph  # Sequential
        by_depth = getattr(graph, "_nodes_by_depth", None) or {}
        in_graph = {id(n) for group in by_depth.values() for n in group}
        nodes = [n for n in nodes if id(n) in in_graph]
    return nodes[0] if nodes else None


def input_of(layer, graph=None):
    node = _node_of(layer, graph)
    if node is None or len(node.input_tensors) != 1:
        return None
    return node.input_tensors[0]


def _producer_node(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None
    nodes = getattr(history.operation, "_inbound_nodes", None) or []
    return nodes[history.node_index] if history.node_index < len(nodes) else None


def stem(layers):
    import keras

    for layer in layers:
        if "Conv" in type(layer).__name__ or isinstance(layer, keras.Model):
            return layer
    return None


def _walk_back(tensor, through):
    """Follow single-input layers of the given classes back; (tensor, classes seen)."""
    seen = []
    while tensor is not None:
        op = _producer(tensor)
        if op is None or type(op).__name__ not in through:
            break
        seen.append(type(op).__name__)
        node = _producer_node(tensor)
        if node is None or len(node.input_tensors) != 1:
            break
        tensor = node.input_tensors[0]
    return tensor, seen


def find_backbones(model):
    """[(backbone, family, nested)] for every keras.applications backbone in `model`."""
    import keras

    found = []
    if _families.family_of(l.name for l in model.layers):
        found.append((model, _families.family_of(l.name for l in model.layers), False))
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.Model) and getattr(layer, "layers", None):
            family = _families.family_of(l.name for l in layer.layers)
            if family is not None and not any(layer is b for b, _, _ in found):
                found.append((layer, family, True))
    return found


def expected_convention(backbone_layers, family):
    """The convention at the backbone's input, and the tensor where it applies."""
    first = stem(backbone_layers)
    if first is None:
        return family.convention, None
    start = input_of(first)
    after_pad, _ = _walk_back(start, _PADDING)
    chain_start, seen = _walk_back(start, _PADDING + _PREPROCESSING)
    internal = any(c in _PREPROCESSING for c in seen)
    if family.convention != "raw":
        return family.convention, after_pad
    if internal or family.fallback is None:
        return "raw", chain_start
    return family.fallback, after_pad


def upstream_normalizations(model, tensor):
    """Normalization layers between the model's inputs and `tensor`."""
    out, stack, seen = [], [tensor], set()
    while stack:
        tensor = stack.pop()
        op, node = _producer(tensor), _producer_node(tensor)
        if op is None or node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(op).__name__ == "Normalization" and not getattr(op, "invert", False):
            out.append(op)
        stack.extend(node.input_tensors)
    return out
