"""Fault cases for `data.*` and `preprocess.*`: what is wrong with the arrays or their preprocessing.

Each function builds the walkthrough's baseline on the bundled subset; with
`broken=True` the data carry one classic fault, with `broken=False` they are
the clean twin.
"""

import functools

import numpy as np

from benchmarks.faults._common import N_CLASSES, fashion, mlp, rng
from benchmarks.faults._program import Program, case


def _baseline(x, y, validation_data=None, **settings):
    data = fashion()
    if validation_data is None:
        validation_data = (data["x_val"], data["y_val"])
    settings.setdefault("class_names", data["class_names"])
    return Program(model_fn=mlp, x=x, y=y, validation_data=validation_data, **settings)


@case("data.nonfinite", "error")
def nonfinite(broken):
    """NaN pixels in 10 training images (a failed division upstream)."""
    data = fashion()
    x = np.array(data["x"])
    if broken:
        x[:10, 10:14, 10:14] = np.nan
    return _baseline(x, data["y"])


# The warning becomes an error when the probes and the training run confirm
# it: diagnose folds their symptoms into this root cause (kerasdoc._causes).
@case("data.not_normalized", ("warning", "error"), fast=True)
def not_normalized(broken):
    """Raw 0-255 pixels fed to the MLP instead of [0, 1]."""
    data = fashion()
    x, x_val = data["x"], data["x_val"]
    if broken:
        x, x_val = x * 255.0, x_val * 255.0
    return _baseline(x, data["y"], (x_val, data["y_val"]))


@case("data.label_range", "error")
def label_range(broken):
    """Labels shifted to 1..10 (1-based class ids) for a 10-unit softmax."""
    data = fashion()
    y, y_val = data["y"], data["y_val"]
    if broken:
        y, y_val = y + 1, y_val + 1
    return _baseline(data["x"], y, (data["x_val"], y_val))


@case("data.label_misalignment", "error", fast=True)
def label_misalignment(broken):
    """Images and labels shuffled with different permutations."""
    data = fashion()
    y = data["y"]
    if broken:
        y = y[rng(1).permutation(len(y))]
    return _baseline(data["x"], y)


@case("data.class_imbalance", "warning")
def class_imbalance(broken):
    """1:50 imbalance: 100 images of class 0, 2 of each other class."""
    data = fashion()
    x, y = data["x"], data["y"]
    if broken:
        keep = np.concatenate([np.flatnonzero(y == c)[: 100 if c == 0 else 2]
                               for c in range(N_CLASSES)])
        keep = rng(2).permutation(keep)
        x, y = x[keep], y[keep]
    return _baseline(x, y, batch_size=16)


@case("data.split_leakage", "error", fast=True)
def split_leakage(broken):
    """90 of the 300 validation images are copies of training images."""
    data = fashion()
    x_val, y_val = data["x_val"], data["y_val"]
    if broken:
        x_val = np.concatenate([x_val[:210], data["x"][:90]])
        y_val = np.concatenate([y_val[:210], data["y"][:90]])
    return _baseline(data["x"], data["y"], (x_val, y_val))


@case("data.duplicates", "warning")
def duplicates(broken):
    """30% of the training set are exact copies (a concatenation done twice)."""
    data = fashion()
    x, y = data["x"], data["y"]
    if broken:
        x = np.concatenate([x[:700], x[:300]])
        y = np.concatenate([y[:700], y[:300]])
    return _baseline(x, y)


@case("data.distribution_shift", "warning")
def distribution_shift(broken):
    """The validation set holds only classes 0-4 (drawn from another population)."""
    data = fashion()
    x_val, y_val = data["x_val"], data["y_val"]
    if broken:
        keep = y_val < 5
        x_val, y_val = x_val[keep], y_val[keep]
    return _baseline(data["x"], data["y"], (x_val, y_val))


@case("data.unshuffled", "warning")
def unshuffled(broken):
    """Training set sorted by label, fed as a tf.data pipeline without `.shuffle()`.

    `fit` shuffles arrays every epoch, never a stream: the sorted order
    reaches the batches only through a pipeline that does not shuffle (or
    `shuffle=False`). The healthy twin is the same pipeline with its
    `.shuffle()`.
    """
    import tensorflow as tf

    data = fashion()
    order = np.argsort(data["y"], kind="stable")
    stream = tf.data.Dataset.from_tensor_slices((data["x"][order], data["y"][order]))
    if not broken:
        stream = stream.shuffle(len(order), seed=0)
    return _baseline(stream.batch(32), None)


@case("data.label_noise", "warning")
def label_noise(broken):
    """25% of training labels replaced by another class at random.

    Runs through `check_data(..., label_noise=True)`: the cross-validated
    noise check is off by default and `diagnose` does not turn it on.
    """
    data = fashion()
    y = np.array(data["y"])
    if broken:
        generator = rng(3)
        flip = generator.choice(len(y), size=len(y) // 4, replace=False)
        y[flip] = (y[flip] + generator.integers(1, N_CLASSES, size=len(flip))) % N_CLASSES
    return _baseline(data["x"], y, entry="check_data", extra={"label_noise": True},
                     class_names=None)


def _tabular(n, seed):
    generator = np.random.default_rng(seed)
    scale = np.array([1.0, 5.0, 0.2, 3.0, 1.0, 2.0])
    shift = np.array([0.0, 10.0, 1.0, -3.0, 0.0, 5.0])
    continuous = generator.normal(size=(n, 6)) * scale + shift
    category = generator.integers(0, 4, size=n)
    flag = generator.integers(0, 2, size=n)
    score = ((continuous[:, 0] + (continuous[:, 1] - 10.0) / 5.0)
             + 1.5 * (category == 2) - 1.5 * flag)
    y = np.digitize(score, [-1.0, 1.0]).astype("int64")
    return continuous, np.eye(4)[category], flag[:, None].astype("float64"), y


@case("data.categorical_scaled", "warning", fast=True)
def categorical_scaled(broken):
    """One-hot and binary columns standardized together with the continuous ones."""
    train = _tabular(600, 10)
    val = _tabular(200, 11)

    def features(part, stats):
        continuous, onehot, flag, _ = part
        if broken:
            block = np.concatenate([continuous, onehot, flag], axis=1)
            return ((block - stats[0]) / stats[1]).astype("float32")
        scaled = (continuous - stats[0][:6]) / stats[1][:6]
        return np.concatenate([scaled, onehot, flag], axis=1).astype("float32")

    block = np.concatenate(train[:3], axis=1)
    stats = (block.mean(axis=0), block.std(axis=0))
    x, x_val = features(train, stats), features(val, stats)
    model_fn = functools.partial(mlp, hidden=(32,), n_out=3, input_shape=(x.shape[1],))
    return Program(model_fn=model_fn, x=x, y=train[3], validation_data=(x_val, val[3]),
                   epochs=3, class_names=("low", "mid", "high"))


def _backbone_model(application, *, size=32):
    """A `keras.applications` backbone (weights=None: no download) with a 10-class head."""
    import keras

    keras.utils.set_random_seed(0)
    backbone = getattr(keras.applications, application)(
        weights=None, include_top=False, input_shape=(size, size, 3))
    inputs = keras.Input((size, size, 3))
    features = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    outputs = keras.layers.Dense(N_CLASSES, activation="softmax")(features)
    model = keras.Model(inputs, outputs, name=f"{application.lower()}_transfer")
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _rgb_batch(n=64, size=32):
    """The first `n` bundled images as 0-255 float RGB at `size` x `size`."""
    raw = fashion()["raw"][:n].astype("float32")
    padded = np.pad(raw, [(0, 0), ((size - 28) // 2,) * 2, ((size - 28) // 2,) * 2])
    return np.repeat(padded[..., None], 3, axis=-1)


@case("preprocess.pretrained_mismatch", "error", fast=True)
def pretrained_mismatch(broken):
    """MobileNetV2 (expects [-1, 1]) fed raw 0-255 pixels; twin uses its preprocess_input."""
    import keras

    batch = _rgb_batch()
    if not broken:
        batch = keras.applications.mobilenet_v2.preprocess_input(batch.copy())
    return Program(model_fn=functools.partial(_backbone_model, "MobileNetV2"), x=batch,
                   entry="check_preprocessing")


@case("preprocess.pretrained_mismatch", "error", variant="diagnose")
def pretrained_mismatch_diagnose(broken):
    """The same MobileNetV2 mismatch through `diagnose` (data, model and preprocessing parts).

    `diagnose` runs `check_preprocessing` itself when it recognises a
    keras.applications backbone; probes and training are left out because
    training MobileNetV2 on a CPU is not what this case measures.
    """
    import keras

    batch = _rgb_batch()
    if not broken:
        batch = keras.applications.mobilenet_v2.preprocess_input(batch.copy())
    return Program(model_fn=functools.partial(_backbone_model, "MobileNetV2"), x=batch,
                   y=fashion()["y"][: len(batch)], batch_size=16,
                   extra={"parts": ("data", "model", "preprocessing")})


@case("preprocess.dataset_mean", "warning", fast=True)
def dataset_mean(broken):
    """VGG16 fine-tuning with ImageDataGenerator centred on the dataset mean, not ImageNet's."""
    import tensorflow as tf

    raw = _rgb_batch()
    datagen = tf.keras.preprocessing.image.ImageDataGenerator(featurewise_center=True)
    if broken:
        datagen.fit(raw)
    else:
        datagen.mean = np.array([123.68, 116.779, 103.939], dtype="float32").reshape(1, 1, 3)
    # check_preprocessing takes the batch *before* the generator standardises it.
    return Program(model_fn=functools.partial(_backbone_model, "VGG16"), x=raw,
                   entry="check_preprocessing", extra={"datagen": datagen})
