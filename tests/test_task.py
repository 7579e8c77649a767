"""The task profile: `kerasdoc.infer_task` on real (tiny) compiled models."""

import json

import keras
import numpy as np
import pytest

import kerasdoc
from kerasdoc import Task, infer_task
from kerasdoc._task import resolve_task

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 8)).astype("float32")


def mlp(units, activation=None, loss=None, *, width=8, **compile_kwargs):
    model = keras.Sequential([keras.Input((width,)),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(units, activation=activation)])
    if loss is not None:
        model.compile(optimizer="adam", loss=loss, **compile_kwargs)
    return model


def check(task, kind, n, encoding, logits=None):
    assert (task.kind, task.n_outputs, task.encoding) == (kind, n, encoding), task
    if logits is not None:
        assert task.logits is logits, task
    assert task.reason and task.describe().startswith(f"task: {kind}")


def test_sparse_softmax_is_multiclass():
    y = RNG.integers(0, 10, 64)
    task = infer_task(mlp(10, "softmax", "sparse_categorical_crossentropy"), X, y)
    check(task, "multiclass", 10, "sparse", logits=False)
    assert task.is_classification and task.is_single_label


def test_logits_with_from_logits_true():
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    task = infer_task(mlp(10, None, loss), X, RNG.integers(0, 10, 64))
    check(task, "multiclass", 10, "sparse", logits=True)
    assert "sparse_categorical_crossentropy" in task.reason


def test_one_hot_categorical():
    y = keras.utils.to_categorical(RNG.integers(0, 4, 64), 4)
    task = infer_task(mlp(4, "softmax", "categorical_crossentropy"), X, y)
    check(task, "multiclass", 4, "one_hot", logits=False)


def test_multi_hot_sigmoid_is_multilabel():
    y = (RNG.random((64, 5)) < 0.3).astype("float32")
    task = infer_task(mlp(5, "sigmoid", "binary_crossentropy"), X, y)
    check(task, "multilabel", 5, "multi_hot", logits=False)
    assert task.is_classification and not task.is_single_label
    assert "multi-hot" in task.reason


def test_multilabel_without_targets():
    task = infer_task(mlp(5, "sigmoid", "binary_crossentropy"))
    check(task, "multilabel", 5, "multi_hot")


def test_integer_valued_targets_with_mse_are_regression():
    y = RNG.integers(0, 50, 64).astype("float32")
    task = infer_task(mlp(1, None, "mse"), X, y)
    check(task, "regression", 1, "continuous")
    assert task.logits is None and not task.is_classification
    assert task.describe().startswith(
        "task: regression (1 target) because the loss is mean_squared_error on a "
        "linear Dense output")


def test_mae_with_several_targets():
    y = RNG.normal(size=(64, 3)) * 40 + 100
    task = infer_task(mlp(3, None, "mae"), X, y)
    check(task, "regression", 3, "continuous")
    assert "3 targets" in task.describe()


def test_huber_and_log_cosh_are_regression():
    for loss in (keras.losses.Huber(), "log_cosh"):
        check(infer_task(mlp(1, None, loss), X, RNG.normal(size=64)),
              "regression", 1, "continuous")


def test_autoencoder_y_is_x():
    x = RNG.random((32, 8, 8)).astype("float32")
    model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                              keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(64, activation="sigmoid"),
                              keras.layers.Reshape((8, 8))])
    model.compile("adam", "binary_crossentropy")  # the usual pixel autoencoder loss
    task = infer_task(model, x, x)
    check(task, "reconstruction", 64, "inputs")
    assert "y is x" in task.reason
    # an equal copy counts, a different array does not
    assert infer_task(model, x, x.copy()).kind == "reconstruction"
    assert infer_task(model, x, np.roll(x, 1, axis=0)).kind != "reconstruction"


def test_dense_autoencoder_equal_copy():
    task = infer_task(mlp(8, None, "mse"), X, np.array(X, copy=True))
    check(task, "reconstruction", 8, "inputs")
    assert "equals x" in task.reason


def test_image_autoencoder_without_targets():
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              keras.layers.Conv2D(1, 3, padding="same")])
    model.compile("adam", "mse")
    x = RNG.random((4, 8, 8, 1)).astype("float32")
    assert infer_task(model, x).kind == "reconstruction"


def test_per_timestep_sequence_model():
    model = keras.Sequential([keras.Input((12,), dtype="int32"),
                              keras.layers.Embedding(30, 8),
                              keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.TimeDistributed(
                                  keras.layers.Dense(5, activation="softmax"))])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = RNG.integers(0, 30, (16, 12))
    y = RNG.integers(0, 5, (16, 12))
    task = infer_task(model, x, y)
    check(task, "sequence", 5, "sparse", logits=False)
    assert task.is_classification and "per-position" in task.reason


def test_per_timestep_regression_sequence():
    model = keras.Sequential([keras.Input((10, 3)),
                              keras.layers.GRU(4, return_sequences=True),
                              keras.layers.Dense(2)])
    model.compile("adam", "mse")
    y = RNG.normal(size=(16, 10, 2))
    task = infer_task(model, RNG.normal(size=(16, 10, 3)), y)
    check(task, "sequence", 2, "continuous")
    assert not task.is_classification


def _multi_output():
    inp = keras.Input((8,))
    h = keras.layers.Dense(16, activation="relu")(inp)
    price = keras.layers.Dense(1, name="price")(h)
    kind = keras.layers.Dense(3, activation="softmax", name="kind")(h)
    model = keras.Model(inp, {"price": price, "kind": kind})
    model.compile("adam", loss={"price": "mse",
                                "kind": "sparse_categorical_crossentropy"})
    return model


def test_multi_output_dict_losses():
    model = _multi_output()
    y = {"price": RNG.normal(size=64) * 10, "kind": RNG.integers(0, 3, 64)}
    task = infer_task(model, X, y)
    assert task.kind == "multi_output" and task.n_outputs == 2
    check(task.for_output("price"), "regression", 1, "continuous")
    check(task.for_output("kind"), "multiclass", 3, "sparse")
    assert task.kinds == {"regression", "multiclass"}
    assert not task.is_classification
    text = task.describe()
    assert "price: regression (1 target)" in text and "kind: multiclass (3 classes)" in text
    data = json.loads(json.dumps(task.to_dict()))
    assert data["outputs"]["kind"]["kind"] == "multiclass"
    with pytest.raises(kerasdoc.InvalidInputError, match="did you mean 'price'"):
        task.for_output("prise")


def test_binary_sigmoid():
    task = infer_task(mlp(1, "sigmoid", "binary_crossentropy"), X, RNG.integers(0, 2, 64))
    check(task, "binary", 2, "binary", logits=False)
    assert task.describe().startswith("task: binary (2 classes)")


def test_binary_logits():
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    check(infer_task(mlp(1, None, loss), X), "binary", 2, "binary", logits=True)


def test_two_unit_softmax_is_multiclass():
    check(infer_task(mlp(2, "softmax", "sparse_categorical_crossentropy"), X,
                     RNG.integers(0, 2, 64)), "multiclass", 2, "sparse")


def test_bce_on_one_hot_rows_is_multiclass():
    y = keras.utils.to_categorical(RNG.integers(0, 4, 64), 4)
    task = infer_task(mlp(4, "sigmoid", "binary_crossentropy"), X, y)
    check(task, "multiclass", 4, "one_hot")


def test_mse_on_softmax_is_a_classifier():
    y = keras.utils.to_categorical(RNG.integers(0, 4, 64), 4)
    check(infer_task(mlp(4, "softmax", "mse"), X, y), "multiclass", 4, "one_hot")


def test_uncompiled_model_from_output_layer():
    check(infer_task(mlp(4, "softmax")), "multiclass", 4, None, logits=False)
    check(infer_task(mlp(1, "sigmoid")), "binary", 2, "binary")
    check(infer_task(mlp(1)), "regression", 1, "continuous")
    assert "not compiled" in infer_task(mlp(1)).reason
    # a linear output with class ids below its width: logits of a classifier
    check(infer_task(mlp(5), X, RNG.integers(0, 5, 64)), "multiclass", 5, "sparse",
          logits=True)


def test_custom_loss_falls_back_to_output_layer():
    def my_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred))

    check(infer_task(mlp(3, "softmax", my_loss), X), "multiclass", 3, None)
    check(infer_task(mlp(2, None, my_loss), X, RNG.normal(size=(64, 2))),
          "regression", 2, "continuous")


def test_nested_output_and_subclassed_model():
    inner = keras.Sequential([keras.layers.Dense(4, activation="softmax")])
    inp = keras.Input((8,))
    model = keras.Model(inp, inner(keras.layers.Dense(8)(inp)))
    assert infer_task(model).kind == "multiclass"

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(1, activation="sigmoid")

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(X[:2])
    task = infer_task(net, X)  # read from a forward pass
    assert task.kind == "binary" and task.activation == "sigmoid"


def test_resolve_task_override():
    model = mlp(1, None, "mse")
    y = RNG.normal(size=64)
    inferred = resolve_task(None, model, X, y)
    assert inferred.kind == "regression"
    given = resolve_task("binary", model, X, y)
    assert given.kind == "binary" and "given" in given.reason
    agreed = resolve_task("regression", model, X, y)
    assert agreed.kind == "regression" and "agrees" in agreed.reason
    mine = Task("multiclass", 3, False, "sparse", "mine")
    assert resolve_task(mine, model) is mine
    with pytest.raises(kerasdoc.InvalidInputError, match="did you mean 'regression'"):
        resolve_task("regresion", model)
    with pytest.raises(kerasdoc.InvalidTypeError, match="Received: task=3"):
        resolve_task(3, model)


def test_resolve_task_per_output_dict():
    model = _multi_output()
    task = resolve_task({"price": "reconstruction"}, model, X)
    assert task.for_output("price").kind == "reconstruction"
    assert task.for_output("kind").kind == "multiclass"
    with pytest.raises(kerasdoc.InvalidInputError, match="several outputs|outputs"):
        resolve_task("regression", model, X)


def test_task_validates_its_fields():
    with pytest.raises(kerasdoc.InvalidInputError, match="did you mean 'multilabel'"):
        Task("multilable")
    with pytest.raises(kerasdoc.InvalidInputError, match="encoding"):
        Task("regression", encoding="floats")
    with pytest.raises(kerasdoc.InvalidInputError, match="outputs"):
        Task("multi_output")
    assert kerasdoc.TASK_KINDS == ("multiclass", "binary", "multilabel", "regression",
                                   "reconstruction", "sequence")


def test_infer_task_does_not_change_the_model():
    model = mlp(3, "sigmoid", "binary_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    infer_task(model, X, (RNG.random((64, 3)) > 0.5).astype("float32"))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_infer_task_rejects_non_models():
    with pytest.raises(kerasdoc.InvalidTypeError, match="Received: model="):
        infer_task("model.keras")


# -- no model: what the targets alone say (check_data) ------------------------

def test_targets_only_regression_and_classes():
    from kerasdoc._task import task_from_targets

    assert infer_task(None, X, RNG.normal(size=64) * 3 + 10).kind == "regression"
    assert task_from_targets(X, RNG.integers(0, 10, 64)).kind == "multiclass"
    assert task_from_targets(X, RNG.integers(0, 2, 64)).encoding == "binary"
    # diabetes-like whole-number targets: 300 values on 400 samples
    counts = RNG.integers(25, 346, 400).astype("float32")
    task = task_from_targets(RNG.normal(size=(400, 4)), counts)
    assert task.kind == "regression" and "distinct values" in task.reason
    # class ids with two typos stay classes (label_range reports the typos)
    ids = RNG.integers(0, 5, 200).astype("float32")
    ids[:2] = 0.5
    assert task_from_targets(None, ids).kind == "multiclass"


def test_targets_only_rows():
    from kerasdoc._task import task_from_targets

    one_hot = keras.utils.to_categorical(RNG.integers(0, 4, 200), 4)
    assert task_from_targets(None, one_hot).encoding == "one_hot"
    corrupt = one_hot.copy()
    corrupt[0] = 0  # one corrupt row: still one-hot (label_range reports it)
    assert task_from_targets(None, corrupt).kind == "multiclass"
    multi_hot = (RNG.random((200, 4)) < 0.4).astype("float32")
    task = task_from_targets(None, multi_hot)
    assert (task.kind, task.n_outputs, task.encoding) == ("multilabel", 4, "multi_hot")
    assert task_from_targets(None, RNG.normal(size=(50, 3))).kind == "regression"
    tokens = RNG.integers(0, 20, (30, 12))
    assert task_from_targets(tokens, RNG.integers(0, 7, (30, 12))).kind == "sequence"
    x = RNG.random((20, 6, 6))
    assert task_from_targets(x, x).kind == "reconstruction"
    assert resolve_task(None, None, x, x).kind == "reconstruction"
    assert resolve_task("regression", None, X, RNG.integers(0, 3, 64)).kind == "regression"


# -- the entry points infer the task when task=None ---------------------------

def test_audit_model_and_sanity_check_infer_the_task():
    y = RNG.normal(size=64) * 3 + 10
    model = mlp(1, None, "mse")
    report = kerasdoc.audit_model(model, x=X, y=y)
    assert report.task.kind == "regression"
    assert "does not apply" in report.skipped["model.output_units"]
    ae = mlp(8, "sigmoid", "binary_crossentropy")
    x01 = RNG.random((64, 8)).astype("float32")
    probes = kerasdoc.sanity_check(ae, x01, x01, checks=["initial_loss"])
    assert probes.task.kind == "reconstruction"
    assert "does not apply" in probes.skipped["probe.initial_loss"]
    given = kerasdoc.sanity_check(ae, x01, x01, checks=["initial_loss"],
                                  task="multilabel")
    assert given.task.kind == "multilabel" and "probe.initial_loss" in given.ran


# --- bad targets (found by the bad-input sweep) --------------------------------
@pytest.mark.parametrize("y", [3, 2.5, "y", np.float32(1.0), object()])
def test_targets_that_are_not_per_sample_name_y(y):
    model = mlp(10, "softmax", "sparse_categorical_crossentropy")
    with pytest.raises(kerasdoc.InvalidInputError, match="Received: y="):
        infer_task(model, np.zeros((4, 8), "float32"), y)


def test_whole_numbers_too_large_for_class_ids_are_values():
    from kerasdoc._task import describe_targets

    for big in (2 ** 24 + 1, 10 ** 12, 2 ** 63 - 1):
        form = describe_targets(np.full(8, big, dtype=np.int64))
        assert form.form == "continuous" and form.counts is None
    assert describe_targets(np.arange(8) % 3).form == "sparse"
