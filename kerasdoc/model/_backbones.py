"""Finding keras.applications backbones in a model and the tensor that feeds them.

Graph walking on Keras 3 functional models: a tensor's `_keras_history`
names the layer and the node that produced it, and a nested backbone has
one inbound node per model it is used in, so the node is picked from the
graph of the model being checked.
"""

from kerasdoc import _keras
from kerasdoc.model import _families

_PADDING = ("ZeroPadding2D",)
_PREPROCESSING = ("Rescaling", "Normalization")


def _producer(tensor):
    return _keras.producing_layer(tensor)


def _node_of(layer, graph=None):
    """The node of `layer` that belongs to `graph` (a functional model), or its first."""
    nodes = _keras.inbound_nodes(layer)
    if graph is not None:
        by_depth = _keras.nodes_by_depth(graph)
        in_graph = {id(n) for group in by_depth.values() for n in group}
        nodes = [n for n in nodes if id(n) in in_graph]
    return nodes[0] if nodes else None


def input_of(layer, graph=None):
    node = _node_of(layer, graph)
    if node is None or len(node.input_tensors) != 1:
        return None
    return node.input_tensors[0]


def _producer_node(tensor):
    return _keras.producing_node(tensor)


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
    for layer in _keras.flatten_layers(model):
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
