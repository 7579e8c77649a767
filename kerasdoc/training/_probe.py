"""What the instrumented step can observe in a model: taps and weight groups.

For Sequential and functional models, `Probe.from_model` builds a "tap"
model: a functional model over the same graph (sharing every layer and
weight) whose outputs are the model's outputs followed by each layer's
output. Calling it once gives the predictions and every activation from the
same forward pass. A nested model (a `keras.applications` backbone, a
Sequential inside a Sequential) is one layer of the outer graph: its output
in that graph is tapped, not its inner layers. Subclassed models have no
graph to tap, and a tap model that cannot be built is not fatal: the probe
then observes gradients, weights and the loss only, and says so in `note`.
"""

import dataclasses
from typing import Optional, Tuple

_KINDS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid",
          "softmax": "softmax", "log_softmax": "log_softmax"}


def activation_kind(layer):
    """The activation a layer applies last: relu, tanh, sigmoid, softmax or other."""
    import keras

    if isinstance(layer, keras.layers.ReLU):
        plain = (layer.max_value is None and not layer.negative_slope
                 and not layer.threshold)
        return "relu" if plain else "other"
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None)
    return _KINDS.get(name, "other")


@dataclasses.dataclass(frozen=True)
class Tap:
    """One observed layer output."""

    name: str
    kind: str
    units: Optional[int]
    is_output: bool


@dataclasses.dataclass
class Probe:
    """Taps, weight groups and the tap model of one model.

    Attributes:
        taps: the observed layer outputs, in graph order.
        tap_model: functional model returning `outputs + taps`, or `None`.
        outputs_struct: structure of the model's outputs (for repacking).
        n_outputs: number of flat model outputs at the front of the tap
            model's outputs.
        weight_names: path of each trainable weight, in
            `model.trainable_weights` order.
        weight_layer: for each trainable weight, the index of its layer
            group in `weight_layers`.
        weight_layers: names of the layers that own trainable weights, in
            graph order.
        note: why some statistics are unavailable, or `""`.
    """

    taps: Tuple[Tap, ...]
    tap_model: object
    outputs_struct: object
    n_outputs: int
    weight_names: Tuple[str, ...]
    weight_layer: Tuple[int, ...]
    weight_layers: Tuple[str, ...]
    note: str = ""

    @classmethod
    def from_model(cls, model):
        """Build the probe of a (built) Keras 3 model."""
        import keras

        from kerasdoc._keras import (functional_class, inputs_struct, outputs_struct,
                                     sequential_graph)

        Functional = functional_class()

        weight_names, weight_layer, weight_layers = _weight_groups(model)
        graph = sequential_graph(model) if isinstance(
            model, keras.Sequential) else model
        if not isinstance(graph, Functional):
            return cls((), None, None, 0, weight_names, weight_layer,
                       weight_layers,
                       note=(f"{type(model).__name__} is a subclassed model: "
                             "activation statistics need a Sequential or "
                             "functional model, so only gradients, weights "
                             "and the loss are observed."))
        outputs = outputs_struct(graph)
        flat_outputs = keras.tree.flatten(outputs)
        output_ids = {id(t) for t in flat_outputs}
        nodes = _graph_nodes(graph)
        taps, tensors, skipped = [], [], []
        reshaping = (keras.layers.InputLayer, keras.layers.Flatten,
                     keras.layers.Reshape, keras.layers.Permute)
        for layer in model.layers:
            if isinstance(layer, reshaping):
                continue  # same values as the layer before: nothing new to see
            # The tensor this layer produces in THIS graph: `layer.output` is
            # its first call anywhere, which for a nested model is the output
            # of its own inner graph, not connected to the outer inputs.
            calls = nodes.get(id(layer), [])
            if len(calls) != 1 or len(calls[0].outputs) != 1:
                skipped.append(layer.name)  # shared layer or several outputs
                continue
            tensor = calls[0].outputs[0]
            if not isinstance(tensor, keras.KerasTensor):
                skipped.append(layer.name)
                continue
            units = tensor.shape[-1] if len(tensor.shape) else None
            taps.append(Tap(layer.name, activation_kind(layer), units,
                            id(tensor) in output_ids))
            tensors.append(tensor)
        note = ""
        if skipped:
            note = ("no activation statistics for layers used more than once "
                    f"or with several outputs: {', '.join(skipped)}")
        try:
            tap_model = _tap_model(inputs_struct(graph),
                                   list(flat_outputs) + tensors,
                                   name=f"{model.name}_kerasdoc_taps")
        except Exception as error:  # never break the user's fit over a tap
            return cls((), None, None, 0, weight_names, weight_layer,
                       weight_layers,
                       note=("could not build the activation tap model "
                             f"({type(error).__name__}: {error}), so only "
                             "gradients, weights and the loss are observed."))
        return cls(tuple(taps), tap_model, outputs, len(flat_outputs),
                   weight_names, weight_layer, weight_layers, note)

    def forward(self, model, x):
        """One forward pass: `(y_pred, activations)`, exactly as Keras calls it."""
        import keras

        if self.tap_model is None:
            from kerasdoc._keras import call_has_training_arg

            if call_has_training_arg(model):
                return model(x, training=True), []
            return model(x), []
        outs = self.tap_model(x, training=True)
        y_pred = keras.tree.pack_sequence_as(self.outputs_struct,
                                             outs[:self.n_outputs])
        return y_pred, list(outs[self.n_outputs:])


def _tap_model(inputs, outputs, name):
    import keras

    return keras.Model(inputs, outputs, name=name)


def _graph_nodes(graph):
    """Nodes of `graph` itself (not of nested models), by `id` of their layer."""
    nodes = {}
    from kerasdoc._keras import nodes_by_depth

    for depth_nodes in nodes_by_depth(graph).values():
        for node in depth_nodes:
            if node.operation is not None and not node.is_input:
                nodes.setdefault(id(node.operation), []).append(node)
    return nodes


def _weight_groups(model):
    """Trainable weights grouped by the top-level layer that owns them."""
    owner = {}
    layers = [layer for layer in model.layers]
    for index, layer in enumerate(layers):
        for weight in layer.trainable_weights:
            owner.setdefault(id(weight), index)
    names, group_of, groups, group_index = [], [], [], {}
    for weight in model.trainable_weights:
        names.append(weight.path)
        layer_index = owner.get(id(weight))
        label = (layers[layer_index].name if layer_index is not None
                 else weight.path.rsplit("/", 1)[0])
        if label not in group_index:
            group_index[label] = len(groups)
            groups.append(label)
        group_of.append(group_index[label])
    # Graph order (the order of model.layers) rather than weight order.
    order = sorted(range(len(groups)), key=lambda g: _first_layer_position(
        groups[g], layers))
    remap = {old: new for new, old in enumerate(order)}
    return (tuple(names), tuple(remap[g] for g in group_of),
            tuple(groups[g] for g in order))


def _first_layer_position(label, layers):
    for i, layer in enumerate(layers):
        if layer.name == label:
            return i
    return len(layers)
