"""`kerasdoc diagnose --images DIR` and `--csv FILE --target COLUMN`, on generated files."""

import json

import numpy as np
import pytest

from kerasdoc.cli import EXIT_OK, EXIT_USAGE, main

CLASSES = ("cat", "dog", "fox")


@pytest.fixture
def image_tree(tmp_path):
    """8x8 RGB PNGs, 8 per class, the class visible in the mean colour."""
    import keras

    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for c, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i in range(8):
            pixels = rng.integers(0, 80, size=(8, 8, 3)).astype("float32")
            pixels[..., c] += 170
            keras.utils.save_img(root / name / f"{i}.png", pixels, scale=False)
    return root


def _image_model(path, loss="sparse_categorical_crossentropy"):
    import keras

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", loss)
    model.optimizer.build(model.trainable_variables)
    model.save(path)
    return str(path)


def test_images_folder_is_read_at_the_models_size_with_a_split(image_tree, tmp_path, capsys):
    model = _image_model(tmp_path / "m.keras")
    code = main(["diagnose", model, "--images", str(image_tree), "--validation-split",
                 "0.25", "--parts", "data,model", "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    report = json.loads(captured.out)  # Keras's "Found 24 files" went to stderr
    assert report["ran"] == ["data", "model"]
    assert "split_leakage" not in " ".join(report["skipped"])  # validation data given
    assert "kerasdoc: images: Found 24 files belonging to 3 classes" in captured.err
    assert "3 classes (cat, dog, fox), read at 8x8 rgb, labels as int" in captured.err


def test_images_labels_follow_the_loss_and_size_errors(image_tree, tmp_path, capsys):
    import argparse

    import keras

    from kerasdoc.cli._sources import load_images

    model = keras.saving.load_model(
        _image_model(tmp_path / "c.keras", loss="categorical_crossentropy"))
    args = argparse.Namespace(images=str(image_tree), image_size=None,
                              validation_split=None, max_samples=10)
    said = []
    x, y, val, names = load_images(args, model, said.append)
    # Whole batches of 32 are read, at least one: the 24 images here.
    assert x.shape == (24, 8, 8, 3) and x.dtype == np.float32 and x.max() > 1
    assert y.shape[1:] == (3,) and set(np.unique(y)) == {0.0, 1.0}  # one-hot
    assert val is None and names == list(CLASSES)
    assert any("labels as categorical" in s for s in said)
    # A model without a fixed image size needs --image-size.
    free = keras.Sequential([keras.Input((None, None, 3)),
                             keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(3, activation="softmax")])
    free.compile("adam", "sparse_categorical_crossentropy")
    free.save(tmp_path / "free.keras")
    assert main(["diagnose", str(tmp_path / "free.keras"), "--images", str(image_tree),
                 "--quiet"]) == EXIT_USAGE
    assert "pass --image-size HEIGHT,WIDTH" in capsys.readouterr().err
    assert main(["diagnose", str(tmp_path / "free.keras"), "--images", str(image_tree),
                 "--image-size", "8x", "--quiet"]) == EXIT_USAGE
    assert "Received: --image-size=8x" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["diagnose", str(tmp_path / "c.keras"), "--images", str(empty),
                 "--quiet"]) == EXIT_USAGE
    assert "Could not read images from --images" in capsys.readouterr().err
    assert main(["diagnose", str(tmp_path / "c.keras"), "--images", str(tmp_path / "no"),
                 "--quiet"]) == EXIT_USAGE
    assert "--images must be a folder" in capsys.readouterr().err


def _write_csv(path, n=60, seed=0):
    rng = np.random.default_rng(seed)
    colours = ("red", "green", "blue")
    lines = ["height,colour,weight,label"]
    for i in range(n):
        label = ("small", "large")[i % 2]
        height = rng.normal(1.0 + (i % 2), 0.3)
        lines.append(f"{height:.3f},{colours[i % 3]},{rng.normal(5, 1):.3f},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _table_model(path, width, units=2, loss="sparse_categorical_crossentropy"):
    import keras

    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(units, activation="softmax")])
    model.compile("adam", loss)
    model.optimizer.build(model.trainable_variables)
    model.save(path)
    return str(path)


def test_csv_one_hot_categorical_and_named_classes(tmp_path, capsys):
    table = _write_csv(tmp_path / "t.csv")
    model = _table_model(tmp_path / "m.keras", width=5)  # 2 numeric + 3 one-hot
    code = main(["diagnose", model, "--csv", str(table), "--target", "label",
                 "--validation-split", "0.25", "--parts", "data,model", "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    report = json.loads(captured.out)
    assert report["ran"] == ["data", "model"]
    assert "csv: 60 rows, 2 numeric column(s) (height, weight)" in captured.err
    assert ("categorical column 'colour' (3 values: 'blue', 'green', 'red') one-hot "
            "encoded into 3 columns") in captured.err
    assert "target 'label' is categorical: classes 'large'=0, 'small'=1" in captured.err
    assert "15 random rows held out for validation (seed 0)" in captured.err


def test_csv_integer_codes_when_the_model_takes_one_column_each(tmp_path, capsys):
    import argparse

    import keras

    from kerasdoc.cli._sources import load_csv

    table = _write_csv(tmp_path / "t.csv")
    model = keras.saving.load_model(_table_model(tmp_path / "m3.keras", width=3))
    args = argparse.Namespace(csv=str(table), target="label", categorical="auto",
                              validation_split=None)
    said = []
    x, y, val, names = load_csv(args, model, said.append)
    assert x.shape == (60, 3) and x.dtype == np.float32
    # colour in file order red, green, blue -> codes 2, 1, 0 (sorted: blue, green, red)
    np.testing.assert_array_equal(x[:3, 1], [2, 1, 0])
    np.testing.assert_array_equal(y[:4], [1, 0, 1, 0])
    assert names == ["large", "small"]
    assert val is None
    assert any("encoded as integer codes 0..2" in s for s in said)
    # A model whose width fits neither encoding: the error gives both widths.
    bad = _table_model(tmp_path / "m7.keras", width=7)
    assert main(["diagnose", bad, "--csv", str(table), "--target", "label",
                 "--quiet"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "The model takes 7 input features" in err
    assert "5 features with the categorical columns one-hot, 3 as integer codes" in err


def test_csv_numeric_regression_target_and_bad_input(tmp_path, capsys):
    import argparse

    import keras

    from kerasdoc.cli._sources import load_csv

    table = tmp_path / "r.csv"
    table.write_text("a,b,price\n1,2,3.5\n2,,4.25\n3,1,5.0\n", encoding="utf-8")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    args = argparse.Namespace(csv=str(table), target="price", categorical="auto",
                              validation_split=None)
    x, y, val, names = load_csv(args, model, lambda s: None)
    assert y.dtype == np.float32 and names is None
    assert np.isnan(x[1, 1])  # an empty numeric cell is NaN, for the audit to report
    model.save(tmp_path / "r.keras")
    for argv, message in (
            (["--target", "nope"], "--target must be a column of the CSV file (a, b, price)"),
            ([], "--csv needs --target COLUMN"),
            (["--target", "price", "--validation-split", "1.5"],
             "--validation-split must be between 0 and 1"),
            (["--target", "price", "--x", "x.npy"], "Give one data source")):
        assert main(["diagnose", str(tmp_path / "r.keras"), "--csv", str(table)] + argv
                    + ["--quiet"]) == EXIT_USAGE
        assert message in capsys.readouterr().err, argv
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    assert main(["diagnose", str(tmp_path / "r.keras"), "--csv", str(ragged), "--target",
                 "b", "--quiet"]) == EXIT_USAGE
    assert "--csv row 3 has 1 cells but the header has 2" in capsys.readouterr().err


def test_csv_columns_feed_a_model_with_one_input_per_column(tmp_path, capsys):
    import keras

    table = _write_csv(tmp_path / "t.csv")
    height = keras.Input((1,), name="height")
    colour = keras.Input((1,), name="colour", dtype="string")
    onehot = keras.layers.StringLookup(vocabulary=["red", "green", "blue"],
                                       output_mode="one_hot")(colour)
    hidden = keras.layers.Dense(4, activation="relu")(
        keras.layers.Concatenate()([height, onehot]))
    model = keras.Model({"height": height, "colour": colour},
                        keras.layers.Dense(2, activation="softmax")(hidden))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.save(tmp_path / "cols.keras")
    code = main(["diagnose", str(tmp_path / "cols.keras"), "--csv", str(table), "--target",
                 "label", "--validation-split", "0.25", "--parts", "data,model", "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == EXIT_OK and not report["failed"], captured.err
    assert report["ran"] == ["data", "model"]
    assert "column 'colour' feeds the model's input 'colour' (categorical, as strings)" \
        in captured.err
    assert "column 'height' feeds the model's input 'height' (numeric)" in captured.err
    assert "column(s) 'weight' feed no input of the model" in captured.err
    # A model input with no column of that name is named in the error.
    other = keras.Model({"age": keras.Input((1,), name="age"), "height": height},
                        keras.layers.Dense(1)(height))
    other.compile("adam", "mse")
    other.save(tmp_path / "other.keras")
    assert main(["diagnose", str(tmp_path / "other.keras"), "--csv", str(table),
                 "--target", "label", "--quiet"]) == EXIT_USAGE
    assert "the CSV file has no column 'age'" in capsys.readouterr().err
