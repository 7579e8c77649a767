"""Keras internals behind one seam (`kerasdoc._keras`): every shim works on the
installed Keras, and no other module imports `keras.src`."""

import ast
import os

import numpy as np

import kerasdoc
from kerasdoc import _keras

PACKAGE = os.path.dirname(os.path.abspath(kerasdoc.__file__))


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

    assert called == {shim.__name__ for shim in _keras.SHIMS}
    assert set(_keras.__all__) == called | {"SHIMS"}


def test_no_module_but_the_seam_imports_keras_src():
    offenders = []
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            if os.path.samefile(path, _keras.__file__):
                continue
            with open(path, encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            for node in ast.walk(tree):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    modules = [node.module]
                    if node.module == "keras":
                        modules += [f"keras.{a.name}" for a in node.names]
                offenders += [f"{os.path.relpath(path, PACKAGE)}:{node.lineno}"
                              for m in modules if m == "keras.src"
                              or m.startswith("keras.src.")]
    assert not offenders, f"keras.src imported outside kerasdoc/_keras.py: {offenders}"
