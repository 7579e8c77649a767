"""Keras internals behind one seam: every `keras.src` import kerasdoc needs.

Keras 3 does not promise `keras.src` across versions. Each shim below names
the private thing it reaches, why the public API does not serve, and the
Keras versions it was checked on; `tests/test_keras_seam.py` calls every
shim, so a Keras upgrade that moves one fails there first, by name.

Where the public API serves, it is used instead: `keras.tree`,
`keras.utils.unpack_x_y_sample_weight`.

Private attributes read here (`PRIVATE_ATTRIBUTES`): the layer traversal
(`_flatten_layers`), the functional graph's edges (`_keras_history`,
`_inbound_nodes`, `_outbound_nodes`, `_operations`, `_nodes_by_depth`,
`_functional`), an optimizer's rate as held (`_learning_rate`), the compile
arguments (`_compile_metrics`, `_compile_loss`, `_jit_compile`) and a layer's
random generators (`_seed_generators`).

Checked on: Keras 3.15.1 (TensorFlow 2.21.0 backend).
"""

__all__ = ["functional_class", "global_seed_generator", "compute_output_spec",
           "unscale_loss_for_distribution", "flatten_layers", "producing_layer",
           "producing_node", "inbound_nodes", "outbound_nodes", "graph_operations",
           "nodes_by_depth", "learning_rate_variable", "compile_arguments",
           "seed_generators", "SHIMS", "PRIVATE_ATTRIBUTES"]

CHECKED_ON = ("3.15.1",)
"""Keras versions every shim was checked on."""


def functional_class():
    """`keras.src.models.functional.Functional`, the class of graph models.

    Public Keras has no name for it (`keras.Model` is the base of subclassed
    models too); kerasdoc needs it to tell a layer graph it can tap from a
    subclassed model. Checked on Keras 3.15.1.
    """
    from keras.src.models.functional import Functional

    return Functional


def global_seed_generator():
    """Keras's global `SeedGenerator` (or None before any random op drew from it).

    `keras.utils.set_random_seed` sets it but nothing public reads it; the
    probes save and restore its state so the user's random stream is left as
    it was. Reads `keras.src.backend.common.global_state`'s
    `"global_seed_generator"` attribute. Checked on Keras 3.15.1.
    """
    from keras.src.backend.common import global_state

    return global_state.get_global_attribute("global_seed_generator")


def compute_output_spec(fn, *args, **kwargs):
    """`keras.src.backend.compute_output_spec`: run `fn` symbolically.

    What Keras's own `_symbolic_build` uses to build a model from input
    specs without drawing data; not exported under `keras.backend`.
    Checked on Keras 3.15.1.
    """
    from keras.src import backend

    return backend.compute_output_spec(fn, *args, **kwargs)


def unscale_loss_for_distribution(loss):
    """`keras.src.losses.loss.unscale_loss_for_distribution`, as Keras's train_step.

    Keras scales the loss by the number of replicas inside its train step
    and reports the unscaled value; the Doctor's step does the same so its
    loss equals Keras's. Checked on Keras 3.15.1.
    """
    from keras.src.losses import loss as loss_module

    return loss_module.unscale_loss_for_distribution(loss)


def flatten_layers(model, *, include_self=False, recursive=True):
    """Every layer of `model`, nested models included: `model._flatten_layers(...)`.

    `model.layers` lists only the top level; Keras's own traversal (what
    `summary` and saving use) has no public name. Checked on Keras 3.15.1.
    """
    return list(model._flatten_layers(include_self=include_self, recursive=recursive))


def producing_layer(tensor):
    """The layer (operation) that produced a symbolic tensor, or None.

    Reads `tensor._keras_history.operation`, the only record of a functional
    graph's edges on its tensors. Checked on Keras 3.15.1.
    """
    history = getattr(tensor, "_keras_history", None)
    return history.operation if history is not None else None


def producing_node(tensor):
    """The graph node that produced a symbolic tensor (from `_keras_history`), or None.

    Checked on Keras 3.15.1.
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None
    nodes = inbound_nodes(history.operation)
    return nodes[history.node_index] if history.node_index < len(nodes) else None


def inbound_nodes(layer):
    """The graph nodes where `layer` was called (`layer._inbound_nodes`), or `[]`.

    Each node has public `.operation`, `.input_tensors`, `.output_tensors`
    and `.parent_nodes`. Checked on Keras 3.15.1.
    """
    return list(getattr(layer, "_inbound_nodes", None) or [])


def outbound_nodes(layer):
    """The graph nodes that consume `layer`'s outputs (`layer._outbound_nodes`), or `[]`.

    Checked on Keras 3.15.1.
    """
    return list(getattr(layer, "_outbound_nodes", None) or [])


def graph_operations(model):
    """A graph model's operations in order (`model._operations`), or None.

    Empty or None on a subclassed model: how kerasdoc tells a graph it can
    read. Checked on Keras 3.15.1.
    """
    return getattr(model, "_operations", None)


def nodes_by_depth(model):
    """A graph model's `{depth: [node]}` (`_nodes_by_depth`; a Sequential's inner Functional's).

    Returns `{}` for a model without a graph. Checked on Keras 3.15.1.
    """
    graph = getattr(model, "_functional", None) or model  # Sequential wraps one
    return dict(getattr(graph, "_nodes_by_depth", None) or {})


def learning_rate_variable(optimizer):
    """What the optimizer holds as its rate (`optimizer._learning_rate`): a variable,
    a schedule or a callable, or None.

    `optimizer.learning_rate` evaluates a schedule at the current step; the
    audit needs the schedule itself. Checked on Keras 3.15.1.
    """
    return getattr(optimizer, "_learning_rate", None)


def compile_arguments(model):
    """What `model.compile` was given beyond the loss and optimizer, to compile a copy alike.

    Returns a dict with `metrics`, `weighted_metrics` (the user's lists, as
    given), `loss_weights` and `jit_compile` (True only when set to True),
    read from `model._compile_metrics._user_metrics`,
    `._user_weighted_metrics`, `model._compile_loss._user_loss_weights` and
    `model._jit_compile`: Keras keeps no public record of them (the compiled
    `model.metrics` are built objects, not the arguments). Checked on Keras
    3.15.1.
    """
    metrics = getattr(model, "_compile_metrics", None)
    return {"metrics": getattr(metrics, "_user_metrics", None),
            "weighted_metrics": getattr(metrics, "_user_weighted_metrics", None),
            "loss_weights": getattr(getattr(model, "_compile_loss", None),
                                    "_user_loss_weights", None),
            "jit_compile": getattr(model, "_jit_compile", False) is True}


def seed_generators(layer):
    """The `SeedGenerator`s a layer draws from (dropout, noise): `layer._seed_generators`.

    Checked on Keras 3.15.1.
    """
    return tuple(getattr(layer, "_seed_generators", None) or ())


SHIMS = (functional_class, global_seed_generator, compute_output_spec,
         unscale_loss_for_distribution, flatten_layers, producing_layer, producing_node,
         inbound_nodes,
         outbound_nodes, graph_operations, nodes_by_depth, learning_rate_variable,
         compile_arguments, seed_generators)
"""Every shim of this module (the test calls each)."""

PRIVATE_ATTRIBUTES = ("_flatten_layers", "_keras_history", "_inbound_nodes",
                      "_outbound_nodes", "_operations", "_nodes_by_depth", "_functional",
                      "_learning_rate", "_compile_metrics", "_compile_loss", "_jit_compile",
                      "_seed_generators")
"""Private Keras attributes read through the shims above; no other module may read them
(`tests/test_keras_seam.py` lists the modules still waiting to move)."""
