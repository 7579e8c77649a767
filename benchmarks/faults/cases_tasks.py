"""Fault cases on tasks other than single-label classification.

The healthy twins here are the gallery's regression, reconstruction
(autoencoder), multi-label and multi-output programs; each must stay silent
through the whole of `diagnose`. The broken twins carry the faults the
task-specific checks exist for (`data.target_scale`, `data.constant_target`,
`data.multilabel_empty`, `data.label_imbalance`, `model.output_range`,
`model.target_shape`;
`train.sharpness_unstable`, which applies to every task, is in
`cases_training`).

Data, all local (nothing is downloaded):

- regression: scikit-learn's bundled diabetes set (442 patients, 10
  features, disease progression one year later), split 342 / 100 with a
  seeded permutation, the continuous features and the target standardised
  with the training statistics and the sex column encoded 0/1 (what a
  careful practitioner does);
- multi-label: the bundled FashionMNIST subset, each image tagged with the
  garment attributes its class implies (`ATTRIBUTES`: upper body, lower body,
  footwear, long sleeves, carried, warm); every image has at least one tag
  and four classes have two or three;
- reconstruction: the same images as inputs and targets (`y = x`);
- multi-output: the images with two heads, the garment class (softmax) and
  the image's ink (its mean intensity, a real-valued target).
"""

import functools

import numpy as np

from benchmarks.faults._common import SEED, adam, fashion, mlp
from benchmarks.faults._program import Program, case

# Garment attributes implied by each FashionMNIST class (0 T-shirt/top,
# 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag,
# 9 ankle boot).
ATTRIBUTES = {
    "upper_body": (0, 2, 4, 6),
    "lower_body": (1, 3),
    "footwear": (5, 7, 9),
    "long_sleeves": (2, 4, 6),
    "carried": (8,),
    "warm": (2, 4, 9),
}


def _keras():
    import keras

    return keras


# -- data ---------------------------------------------------------------------

def diabetes():
    """scikit-learn's diabetes set, split 342 / 100, standardised with the training statistics.

    The sex column (1 or 2) is encoded 0/1; the nine continuous features and
    the target are standardised.

    Returns:
        dict with float32 `x`, `y` (342 rows), `x_val`, `y_val` (100 rows),
        `y_raw`, `y_val_raw` (disease progression in its own units, 25..346)
        and the training target's `mean` and `std`.
    """
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True, scaled=False)
    order = np.random.default_rng(SEED).permutation(len(y))
    train, val = order[:342], order[342:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    y_mean, y_std = y[train].mean(), y[train].std()
    sex = 1  # a 1/2 column: encoded 0/1, not standardised like the continuous ones

    def features(rows):
        out = (x[rows] - mean) / std
        out[:, sex] = x[rows, sex] - 1.0
        return out.astype("float32")

    def target(rows):
        return ((y[rows] - y_mean) / y_std).astype("float32")[:, None]

    return {"x": features(train), "y": target(train), "x_val": features(val),
            "y_val": target(val), "y_raw": y[train].astype("float32")[:, None],
            "y_val_raw": y[val].astype("float32")[:, None], "mean": y_mean, "std": y_std}


def attributes(labels):
    """Multi-hot garment attributes (`ATTRIBUTES`, in order) for FashionMNIST class ids."""
    labels = np.asarray(labels)
    return np.stack([np.isin(labels, classes) for classes in ATTRIBUTES.values()],
                    axis=1).astype("float32")


def ink(images):
    """Each image's mean intensity: a real-valued target read off the image."""
    return np.asarray(images, dtype="float32").reshape(len(images), -1).mean(axis=1)


# -- models -------------------------------------------------------------------

def regression_mlp(optimizer=None, n_features=10, hidden=(32,), output_activation=None):
    """A small MLP with one unit (linear unless `output_activation`) trained with MSE."""
    return mlp(hidden=hidden, n_out=1, output_activation=output_activation,
               loss="mean_squared_error", input_shape=(n_features,), optimizer=optimizer,
               metrics=("mae",))


def autoencoder(output_activation="sigmoid"):
    """A dense autoencoder for 28x28 images: 784 -> 64 -> 784, mean squared error."""
    keras = _keras()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal",
                           name="code"),
        keras.layers.Dense(28 * 28, activation=output_activation, name="output"),
        keras.layers.Reshape((28, 28)),
    ], name="faults_autoencoder")
    model.compile(optimizer=adam(), loss="mean_squared_error")
    return model


def two_heads():
    """A shared trunk with two heads: `garment` (10-way softmax) and `ink` (one linear unit)."""
    keras = _keras()
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input(shape=(28, 28), name="image")
    hidden = keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal",
                                name="hidden_0")(keras.layers.Flatten()(inputs))
    garment = keras.layers.Dense(10, activation="softmax", name="garment")(hidden)
    amount = keras.layers.Dense(1, name="ink")(hidden)
    model = keras.Model(inputs, {"garment": garment, "ink": amount}, name="faults_two_heads")
    model.compile(optimizer=adam(),
                  loss={"garment": "sparse_categorical_crossentropy",
                        "ink": "mean_squared_error"},
                  metrics={"garment": ["accuracy"], "ink": ["mae"]})
    return model


def _regression(y, y_val, **settings):
    data = diabetes()
    settings.setdefault("model_fn", regression_mlp)
    return Program(x=data["x"], y=y, validation_data=(data["x_val"], y_val), **settings)


def _multilabel(y, y_val, output_bias=None):
    data = fashion()
    model_fn = functools.partial(mlp, n_out=len(ATTRIBUTES), output_activation="sigmoid",
                                 loss="binary_crossentropy", metrics=("binary_accuracy",),
                                 output_bias=output_bias)
    return Program(model_fn=model_fn, x=data["x"], y=y,
                   validation_data=(data["x_val"], y_val))


# -- regression ---------------------------------------------------------------

@case("data.target_scale", "warning")
def target_scale(broken):
    """Regression targets left raw and in hundredths of a unit (RMS ~17,000) under MSE.

    The twin is the gallery's healthy regression program: diabetes
    progression, standardised features and target, one linear unit, MSE.
    """
    data = diabetes()
    y, y_val = data["y"], data["y_val"]
    if broken:
        y, y_val = data["y_raw"] * 100.0, data["y_val_raw"] * 100.0
    return _regression(y, y_val)


@case("data.constant_target", "error")
def constant_target(broken):
    """Every regression target overwritten with the first one (a join that broadcast one row)."""
    data = diabetes()
    y, y_val = data["y"], data["y_val"]
    if broken:
        y = np.full_like(y, y[0, 0])
    return _regression(y, y_val)


@case("model.output_range", "error")
def output_range(broken):
    """`Dense(1, activation="relu")` on standardised targets: the 56% below zero are out of reach."""
    data = diabetes()
    model_fn = functools.partial(regression_mlp, output_activation="relu" if broken else None)
    return _regression(data["y"], data["y_val"], model_fn=model_fn)



@case("model.target_shape", "error")
def target_shape(broken):
    """A 10-unit linear head (copied from a 10-class template) on one target under MSE.

    The loss broadcasts the (n, 1) targets against the (n, 10) outputs and
    trains without an error: every unit is fitted to the same value.
    """
    data = diabetes()
    model_fn = (functools.partial(mlp, hidden=(32,), n_out=10, output_activation=None,
                                  loss="mean_squared_error", input_shape=(10,),
                                  metrics=("mae",))
                if broken else regression_mlp)
    return _regression(data["y"], data["y_val"], model_fn=model_fn)


# -- multi-label --------------------------------------------------------------

@case("data.multilabel_empty", "warning")
def multilabel_empty(broken):
    """Tags lost for 70% of the images (their multi-hot rows are all zero).

    The twin is the gallery's healthy multi-label program: six garment
    attributes per image, sigmoid units, binary cross-entropy.
    """
    data = fashion()
    y, y_val = attributes(data["y"]), attributes(data["y_val"])
    if broken:
        lost = np.random.default_rng(SEED + 20).random(len(y)) < 0.7
        y[lost] = 0.0
    return _multilabel(y, y_val)


@case("data.label_imbalance", "warning")
def label_imbalance(broken):
    """The export dropped the `footwear` tag: its column is zero in every training row."""
    data = fashion()
    y, y_val = attributes(data["y"]), attributes(data["y_val"])
    if broken:
        y[:, list(ATTRIBUTES).index("footwear")] = 0.0
    return _multilabel(y, y_val)


@case("probe.initial_loss", "warning", variant="multilabel")
def multilabel_initial_loss(broken):
    """Every sigmoid unit's bias initialised to +6: each tag starts out predicted on (p ~ 1)."""
    data = fashion()
    bias = np.full(len(ATTRIBUTES), 6.0 if broken else 0.0, dtype="float32")
    return _multilabel(attributes(data["y"]), attributes(data["y_val"]), output_bias=bias)


# -- reconstruction -----------------------------------------------------------

@case("data.not_normalized", ("warning", "error"), variant="autoencoder")
def autoencoder_not_normalized(broken):
    """An autoencoder fed (and asked to rebuild) raw 0-255 pixels through a sigmoid output.

    The twin is the gallery's healthy reconstruction program: [0, 1] pixels,
    `y = x`, a 784-64-784 dense autoencoder with a sigmoid output and MSE.
    """
    data = fashion()
    x, x_val = data["x"], data["x_val"]
    if broken:
        x, x_val = x * 255.0, x_val * 255.0
    return Program(model_fn=autoencoder, x=x, y=x, validation_data=(x_val, x_val))


@case("model.output_range", "error", variant="autoencoder")
def autoencoder_output_range(broken):
    """A sigmoid autoencoder asked to rebuild standardised pixels (twin: [0, 1] pixels, as above)."""
    data = fashion()
    x, x_val = data["x"], data["x_val"]
    if broken:
        mean, std = x.mean(), x.std()
        x, x_val = (x - mean) / std, (x_val - mean) / std
    return Program(model_fn=autoencoder, x=x, y=x, validation_data=(x_val, x_val))


# -- multi-output -------------------------------------------------------------

@case("data.target_scale", "warning", variant="multi_output")
def multi_output_target_scale(broken):
    """A two-head model whose `ink` head is trained on the raw pixel sum (RMS ~57,000).

    The twin is the gallery's healthy multi-output program: a 10-way garment
    softmax and a linear `ink` head on the standardised mean intensity,
    trained together (one loss per output).
    """
    data = fashion()
    amount, amount_val = ink(data["x"]), ink(data["x_val"])
    if broken:
        amount, amount_val = amount * 255.0 * 784, amount_val * 255.0 * 784
    else:
        mean, std = amount.mean(), amount.std()
        amount, amount_val = (amount - mean) / std, (amount_val - mean) / std
    y = {"garment": data["y"], "ink": amount[:, None]}
    y_val = {"garment": data["y_val"], "ink": amount_val[:, None]}
    return Program(model_fn=two_heads, x=data["x"], y=y, validation_data=(data["x_val"], y_val),
                   class_names=data["class_names"])
