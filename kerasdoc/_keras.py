"""Keras internals behind one seam: every `keras.src` import kerasdoc needs.

Keras 3 does not promise `keras.src` across versions. Each shim below names
the private thing it reaches, why the public API does not serve, and the
Keras versions it was checked on; `tests/test_keras_seam.py` calls every
shim, so a Keras upgrade that moves one fails there first, by name.

Where the public API serves, it is used instead: `keras.tree`,
`keras.utils.unpack_x_y_sample_weight`, `model.compute_loss(...,
training=True)` (in `compute_loss`).

Private attributes read here (`PRIVATE_ATTRIBUTES`): the layer traversal
(`_flatten_layers`), the functional graph's edges (`_keras_history`,
`_inbound_nodes`, `_outbound_nodes`, `_operations`, `_nodes_by_depth`,
`_functional`), an optimizer's rate as held (`_learning_rate`), the compile
arguments (`_compile_metrics`, `_compile_loss`, `_jit_compile`) and a layer's
random generators (`_seed_generators`); the training step's pieces
(`_loss_tracker`, `_make_function`, `_symbolic_build`,
`_maybe_symbolic_build`, `_call_has_training_arg`), a graph's structured
inputs and outputs (`_inputs_struct`, `_outputs_struct`), an output's logits
(`_keras_logits`), an optimizer's state (`_velocities`,
`_get_current_learning_rate`), what a copy is rebuilt from (`_auto_config`,
`_output_shape`, `_tracker`, `_layers`) and a loss's arguments
(`_fn_kwargs`).

TensorFlow's own private dataset API (`_as_serialized_graph`,
`_VariantDataset` in `kerasdoc/_inputs.py`) is not Keras and not here.

Checked on: Keras 3.15.1 (TensorFlow 2.21.0 backend).
"""

__all__ = ["functional_class", "global_seed_generator", "compute_output_spec",
           "unscale_loss_for_distribution", "flatten_layers", "producing_layer",
           "producing_node", "inbound_nodes", "outbound_nodes", "graph_operations",
           "nodes_by_depth", "learning_rate_variable", "compile_arguments",
           "seed_generators", "compute_loss", "loss_tracker", "keras_logits",
           "compile_unbuilt", "symbolic_build", "maybe_symbolic_build",
           "call_has_training_arg", "sequential_graph", "inputs_struct", "outputs_struct",
           "has_make_function", "make_function", "optimizer_velocities",
           "current_learning_rate", "auto_config", "lambda_output_shape", "tracker",
           "sublayer_list", "loss_function_kwargs", "jit_compile_setting", "SHIMS", "PRIVATE_ATTRIBUTES"]

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


def compute_loss(model, x, y, y_pred, sample_weight=None):
    """The model's training loss as Keras's own `train_step` computes it.

    Calls the public `model.compute_loss(x, y, y_pred, sample_weight,
    training=True)`; a user override written before Keras 3.3 without the
    `training` argument is called without it, as Keras's private wrapper
    `Trainer._compute_loss` does (it reads the same signature). Checked on
    Keras 3.15.1.
    """
    import inspect

    if "training" in inspect.signature(model.compute_loss).parameters:
        return model.compute_loss(x, y, y_pred, sample_weight, training=True)
    return model.compute_loss(x, y, y_pred, sample_weight)


def loss_tracker(model):
    """The `Mean` metric that reports `fit`'s "loss" (`model._loss_tracker`), or None.

    Keras's `train_step` updates it with the unscaled loss; an instrumented
    step must do the same so the logged loss is Keras's. Not public (it is
    the first of `model.metrics` when compiled, but not by name). Checked on
    Keras 3.15.1.
    """
    return getattr(model, "_loss_tracker", None)


def keras_logits(tensor):
    """The logits Keras attached to a softmax/sigmoid output (`tensor._keras_logits`), or None.

    Keras's `Activation`/`Dense` with a softmax or sigmoid keeps the
    pre-activation on the output tensor (so losses with `from_logits=False`
    can use it stably); nothing public reads it. Checked on Keras 3.15.1.
    """
    return getattr(tensor, "_keras_logits", None)


def compile_unbuilt(model):
    """True when the compiled loss or metrics containers are not built yet.

    Reads `model._compile_metrics.built` and `model._compile_loss.built`, as
    Keras's own `_symbolic_build` does before it builds them. Checked on
    Keras 3.15.1.
    """
    metrics = getattr(model, "_compile_metrics", None)
    loss = getattr(model, "_compile_loss", None)
    return ((metrics is not None and not metrics.built)
            or (loss is not None and not loss.built))


def symbolic_build(model, data_batch):
    """Build the model, its compiled loss/metrics and optimizer from a batch of specs.

    `model._symbolic_build(data_batch=...)`, what `fit` does before its first
    step. Checked on Keras 3.15.1.
    """
    return model._symbolic_build(data_batch=data_batch)


def maybe_symbolic_build(model, data_batch):
    """`model._maybe_symbolic_build(data_batch=...)`: build what `fit` would build, if unbuilt.

    What `train_on_batch` calls before its first step. Checked on Keras 3.15.1.
    """
    return model._maybe_symbolic_build(data_batch=data_batch)


def call_has_training_arg(layer):
    """Whether `layer.call` takes a `training` argument (`layer._call_has_training_arg`).

    Keras's `train_step` calls `model(x, training=True)` only then; a step
    built alike must too. Checked on Keras 3.15.1.
    """
    return bool(getattr(layer, "_call_has_training_arg", True))


def sequential_graph(model):
    """The functional graph a built `Sequential` wraps (`model._functional`), or None.

    Checked on Keras 3.15.1.
    """
    return getattr(model, "_functional", None)


def inputs_struct(graph):
    """A graph model's inputs in the structure it was built with (`_inputs_struct`), or None.

    `model.inputs` is flat; a dict- or nested-input model needs the
    structure. Checked on Keras 3.15.1.
    """
    return getattr(graph, "_inputs_struct", None)


def outputs_struct(graph):
    """A graph model's outputs in the structure it was built with (`_outputs_struct`).

    Checked on Keras 3.15.1.
    """
    return graph._outputs_struct


def has_make_function(model):
    """Whether the model's trainer has `_make_function` (the TensorFlow backend's).

    Checked on Keras 3.15.1.
    """
    return hasattr(model, "_make_function")


def make_function(model, step_function):
    """A train function built from `step_function` exactly as Keras builds its own.

    `model._make_function(step)`: the TensorFlow trainer's wrapper (its
    `tf.function`, `steps_per_execution` loop, distribution and jit
    settings); nothing public builds one from another step. Checked on
    Keras 3.15.1.
    """
    return model._make_function(step_function)


def optimizer_velocities(optimizer):
    """An adaptive optimizer's second-moment variables (`optimizer._velocities`), or None.

    Adam and RMSprop hold them per trainable variable, in order. Checked on
    Keras 3.15.1.
    """
    return getattr(optimizer, "_velocities", None)


def current_learning_rate(optimizer):
    """The rate the optimizer applies at its current step (`_get_current_learning_rate()`).

    A schedule evaluated at `optimizer.iterations`, inside a traced step
    too. Checked on Keras 3.15.1.
    """
    return optimizer._get_current_learning_rate()



def auto_config(obj):
    """The constructor arguments Keras recorded for a layer or model (`obj._auto_config`), or None.

    Keras records them for classes whose arguments are all serialisable;
    kerasdoc rebuilds a copy from them when `get_config` is missing.
    Checked on Keras 3.15.1.
    """
    return getattr(obj, "_auto_config", None)


def lambda_output_shape(layer):
    """The `output_shape` a `Lambda` layer was given (`layer._output_shape`), or None.

    `Lambda.get_config` serialises it; a copy made without serialising needs
    the value itself. Checked on Keras 3.15.1.
    """
    return getattr(layer, "_output_shape", None)


def tracker(obj):
    """The attribute tracker of a layer or model (`obj._tracker`), or None.

    It records which attributes hold layers, variables and metrics
    (`stored_ids`); restoring a model's state exactly puts them back.
    Checked on Keras 3.15.1.
    """
    return getattr(obj, "_tracker", None)


def sublayer_list(layer):
    """The list a layer keeps its tracked sublayers in (`vars(layer)["_layers"]`), or None.

    The list object itself (not a copy), so a state restore can put its
    contents back in place. Checked on Keras 3.15.1.
    """
    return vars(layer).get("_layers")



def loss_function_kwargs(loss):
    """The keyword arguments a built-in loss object passes its function (`loss._fn_kwargs`).

    A `keras.losses.CategoricalCrossentropy(from_logits=True)` keeps
    `from_logits` there; `{}` when the loss has none. Checked on Keras 3.15.1.
    """
    return dict(getattr(loss, "_fn_kwargs", None) or {})



def jit_compile_setting(model):
    """What `compile(jit_compile=...)` left on the model (`model._jit_compile`): True,
    False, `"auto"` or None, unresolved.

    The public `model.jit_compile` resolves `"auto"` (and stores the result);
    a copy that must know whether XLA may be used reads the setting as
    given. Checked on Keras 3.15.1.
    """
    return getattr(model, "_jit_compile", None)


SHIMS = (functional_class, global_seed_generator, compute_output_spec,
         unscale_loss_for_distribution, flatten_layers, producing_layer, producing_node,
         inbound_nodes,
         outbound_nodes, graph_operations, nodes_by_depth, learning_rate_variable,
         compile_arguments, seed_generators, compute_loss, loss_tracker, keras_logits,
         compile_unbuilt, symbolic_build, maybe_symbolic_build, call_has_training_arg,
         sequential_graph, inputs_struct, outputs_struct, has_make_function,
         make_function, optimizer_velocities, current_learning_rate, auto_config,
         lambda_output_shape, tracker, sublayer_list, loss_function_kwargs,
         jit_compile_setting)
"""Every shim of this module (the test calls each)."""

PRIVATE_ATTRIBUTES = ("_flatten_layers", "_keras_history", "_inbound_nodes",
                      "_outbound_nodes", "_operations", "_nodes_by_depth", "_functional",
                      "_learning_rate", "_compile_metrics", "_compile_loss", "_jit_compile",
                      "_seed_generators", "_compute_loss", "_loss_tracker", "_keras_logits",
                      "_symbolic_build", "_maybe_symbolic_build", "_call_has_training_arg",
                      "_inputs_struct", "_outputs_struct", "_make_function", "_velocities",
                      "_get_current_learning_rate", "_auto_config", "_output_shape",
                      "_tracker", "_layers", "_fn_kwargs")
"""Private Keras attributes read through the shims above; no other module may read them
(`tests/test_keras_seam.py` lists the modules still waiting to move)."""
