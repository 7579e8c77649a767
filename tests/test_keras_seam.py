"""Keras internals behind one seam (`kerasdoc._keras`): every shim works on the
installed Keras, and no other module imports `keras.src`."""

import ast
import functools
import os

import numpy as np

import kerasdoc
from kerasdoc import _keras

PACKAGE = os.path.dirname(os.path.abspath(kerasdoc.__file__))


@functools.lru_cache(maxsize=None)
def _modules():
    """(path relative to the package, parsed tree) of every module but the seam; parsed once."""
    found = []
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            path = os.path.join(folder, name)
            if not name.endswith(".py") or os.path.samefile(path, _keras.__file__):
                continue
            with open(path, encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            found.append((os.path.relpath(path, PACKAGE).replace(os.sep, "/"), tree))
    return tuple(found)


def test_every_shim_is_called_and_works():
    import keras

    called = set()
    functional = _keras.functional_class()
    called.add("functional_class")
    inputs = keras.Input((3,))
    graph = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    assert isinstance(graph, functional)

    class Sub(keras.Model):
        def call(self, x):
            return x

    assert not isinstance(Sub(), functional)

    keras.utils.set_random_seed(3)
    keras.random.normal((2,))  # draws from the global generator
    generator = _keras.global_seed_generator()
    called.add("global_seed_generator")
    assert generator is not None and np.asarray(generator.state.numpy()).size >= 1

    spec = _keras.compute_output_spec(graph, keras.KerasTensor((None, 3)))
    called.add("compute_output_spec")
    assert tuple(spec.shape) == (None, 2)

    value = _keras.unscale_loss_for_distribution(np.float32(2.0))
    called.add("unscale_loss_for_distribution")
    assert float(value) == 2.0  # one replica: unchanged

    sequential = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="a"),
                                   keras.layers.Dense(2, name="b")])
    nested = keras.Model(inputs, sequential(inputs))
    names = [layer.name for layer in _keras.flatten_layers(nested)]
    called.add("flatten_layers")
    assert {"a", "b", sequential.name} <= set(names)
    assert _keras.flatten_layers(sequential, include_self=True)[0] is sequential

    dense = graph.layers[-1]
    assert _keras.producing_layer(graph.outputs[0]) is dense
    assert _keras.producing_layer(np.zeros(2)) is None
    called.add("producing_layer")
    node = _keras.producing_node(graph.outputs[0])
    called.add("producing_node")
    assert node is not None and node.operation is dense
    assert _keras.inbound_nodes(dense) == [node]
    called.add("inbound_nodes")
    assert dense in [n.operation for n in _keras.outbound_nodes(graph.layers[0])]
    assert _keras.outbound_nodes(dense) == []
    called.add("outbound_nodes")
    assert list(_keras.graph_operations(graph)) and not _keras.graph_operations(Sub())
    called.add("graph_operations")
    depth = _keras.nodes_by_depth(sequential)
    called.add("nodes_by_depth")
    assert any(n.operation.name == "b" for group in depth.values() for n in group)
    assert _keras.nodes_by_depth(Sub()) == {}

    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    rate = _keras.learning_rate_variable(keras.optimizers.SGD(schedule))
    called.add("learning_rate_variable")
    assert rate is schedule
    assert float(np.asarray(_keras.learning_rate_variable(
        keras.optimizers.Adam(0.01)))) == np.float32(0.01)

    compiled = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    compiled.compile("adam", loss="mse", loss_weights=[0.5], metrics=["mae"],
                     weighted_metrics=["mse"], jit_compile=False)
    assert _keras.compile_arguments(compiled) == {
        "metrics": ["mae"], "weighted_metrics": ["mse"], "loss_weights": [0.5],
        "jit_compile": False}
    called.add("compile_arguments")
    noisy = keras.layers.Dropout(0.5)
    assert len(_keras.seed_generators(noisy)) == 1 and _keras.seed_generators(dense) == ()
    called.add("seed_generators")

    called |= _call_the_training_step_shims(keras, inputs, dense, sequential, noisy)
    assert called == {shim.__name__ for shim in _keras.SHIMS}
    assert set(_keras.__all__) == called | {"SHIMS", "PRIVATE_ATTRIBUTES"}


def _call_the_training_step_shims(keras, inputs, dense, sequential, noisy):
    """Call the shims of the train step, the optimizer, copies and losses; their names."""
    called = set()
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    model.compile("adam", loss="sparse_categorical_crossentropy")
    x = np.arange(12, dtype="float32").reshape(4, 3) / 12
    y = np.array([0, 1, 1, 0])
    assert _keras.compile_unbuilt(model)
    called.add("compile_unbuilt")
    _keras.maybe_symbolic_build(model, (x, y, None))  # builds only under a strategy
    called.add("maybe_symbolic_build")
    _keras.symbolic_build(model, (keras.KerasTensor((None, 3)), keras.KerasTensor((None,))))
    called.add("symbolic_build")
    assert not _keras.compile_unbuilt(model) and model.optimizer.built

    y_pred = model(x)
    loss = _keras.compute_loss(model, x, y, y_pred)
    called.add("compute_loss")
    expected = keras.losses.sparse_categorical_crossentropy(y, y_pred)
    assert np.isclose(float(loss), float(np.mean(expected)), rtol=1e-5)

    class OldLoss(keras.Model):  # a pre-3.3 override without `training`
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return keras.ops.sum(y_pred) * 0 + 7.0

    old = OldLoss(inputs, keras.layers.Dense(1)(inputs))
    assert float(_keras.compute_loss(old, x, y, old(x))) == 7.0

    tracker = _keras.loss_tracker(model)
    called.add("loss_tracker")
    assert tracker is not None and tracker.name == "loss"
    logits = _keras.keras_logits(y_pred)  # the softmax's input
    assert np.allclose(keras.ops.softmax(logits), y_pred, atol=1e-6)
    assert _keras.keras_logits(np.zeros(2)) is None
    called.add("keras_logits")
    class Plain(keras.layers.Layer):
        def call(self, t):
            return t

    assert _keras.call_has_training_arg(noisy) and not _keras.call_has_training_arg(Plain())
    called.add("call_has_training_arg")
    assert _keras.sequential_graph(sequential) is not None
    called.add("sequential_graph")
    assert _keras.inputs_struct(model) is model.inputs[0] or \
        list(keras.tree.flatten(_keras.inputs_struct(model))) == list(model.inputs)
    called.add("inputs_struct")
    assert keras.tree.flatten(_keras.outputs_struct(model)) == list(model.outputs)
    called.add("outputs_struct")
    assert _keras.has_make_function(model)
    called.add("has_make_function")
    function = _keras.make_function(model, model.train_step)
    called.add("make_function")
    logs = function(iter([(x, y)]))
    assert np.isfinite(float(logs["loss"]))

    velocities = _keras.optimizer_velocities(model.optimizer)
    called.add("optimizer_velocities")
    assert len(velocities) == len(model.trainable_variables)
    assert _keras.optimizer_velocities(keras.optimizers.SGD()) is None
    rate = _keras.current_learning_rate(keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)))
    called.add("current_learning_rate")
    assert np.isclose(float(rate), 0.1)

    assert _keras.auto_config(keras.layers.Dense(3)).config["units"] == 3
    called.add("auto_config")
    lam = keras.layers.Lambda(lambda t: t, output_shape=(3,))
    assert _keras.lambda_output_shape(lam) == (3,)
    called.add("lambda_output_shape")
    assert "layers" in _keras.tracker(sequential).stored_ids
    called.add("tracker")
    assert isinstance(_keras.sublayer_list(sequential), list)
    assert _keras.sublayer_list(dense) == [] and _keras.sublayer_list(type("Bare", (), {})()) is None
    called.add("sublayer_list")
    kwargs = _keras.loss_function_kwargs(keras.losses.CategoricalCrossentropy(from_logits=True))
    called.add("loss_function_kwargs")
    assert kwargs.get("from_logits") is True
    assert _keras.loss_function_kwargs(object()) == {}
    xla = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    xla.compile("sgd", loss="mse", jit_compile=True)
    assert _keras.jit_compile_setting(xla) is True
    assert _keras.jit_compile_setting(model) in ("auto", False, None)
    called.add("jit_compile_setting")
    return called


# Modules that still read a private Keras attribute of `PRIVATE_ATTRIBUTES`
# directly: none (every reader moved behind the seam).
NOT_YET_MOVED = set()


def test_private_keras_attributes_only_through_the_seam():
    """No module reads a seam-covered private attribute but the seam (and the listed ones).

    Reads as `obj._name` or `getattr(obj, "_name", ...)`, never `self._name`
    (a module's own attributes). The list must shrink: a listed module that
    no longer reads one fails too.
    """
    names = set(_keras.PRIVATE_ATTRIBUTES)
    readers = {}
    for rel, tree in _modules():
        for node in ast.walk(tree):
            hit = None
            if isinstance(node, ast.Attribute) and node.attr in names and not (
                    isinstance(node.value, ast.Name) and node.value.id == "self"):
                hit = node.attr
            elif (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                  and node.slice.value in names):
                hit = node.slice.value  # vars(obj)["_name"]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "get" and node.args
                  and isinstance(node.args[0], ast.Constant) and node.args[0].value in names):
                hit = node.args[0].value  # vars(obj).get("_name")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant)
                  and node.args[1].value in names):
                hit = node.args[1].value
            if hit:
                readers.setdefault(rel, set()).add(f"{hit}:{node.lineno}")
    outside = {path: sorted(found) for path, found in readers.items()
               if path not in NOT_YET_MOVED}
    assert not outside, f"private Keras attributes read outside kerasdoc/_keras.py: {outside}"
    assert set(readers) == NOT_YET_MOVED, (
        f"moved behind the seam, drop from NOT_YET_MOVED: {NOT_YET_MOVED - set(readers)}")


def test_no_module_but_the_seam_imports_keras_src():
    offenders = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
                if node.module == "keras":
                    modules += [f"keras.{a.name}" for a in node.names]
            offenders += [f"{rel}:{node.lineno}" for m in modules
                          if m == "keras.src" or m.startswith("keras.src.")]
    assert not offenders, f"keras.src imported outside kerasdoc/_keras.py: {offenders}"
