"""Data sources of `kerasdoc diagnose` besides `.npy` files: image folders and CSV tables.

- `--images DIR`: one subfolder per class, read with
  `keras.utils.image_dataset_from_directory` at the model's input size and
  colour channels, labels in the format the model's loss expects (class ids,
  one-hot or binary). At most `--max-samples` images are read (a seeded
  shuffle of the file list, so every class is represented); `diagnose`
  itself never reads more than that from a stream either.
- `--csv FILE --target COLUMN`: a table with a header row. Columns whose
  every non-empty cell is a number are numeric (empty cells become NaN, which
  the data audit reports); the others are categorical, encoded one-hot
  (one 0/1 column per value, in sorted order) or as integer codes (the
  value's rank in sorted order), whichever gives the model's input width
  (`--categorical` chooses). A numeric target of whole numbers is class ids;
  a categorical target is mapped to class ids in sorted order, and its values
  become the class names. The encoding is said on stderr. A model with one
  input per column, named after the columns (as the keras.io structured-data
  examples build them), gets a dict of columns instead: numbers as they are,
  categorical columns as strings for a `string` input (a `StringLookup` in the
  model) or as integer codes otherwise; columns it has no input for are said.

Both take `--validation-split F`: the last fraction F of Keras's seeded
split for images; for a table, a seeded random fraction F of the rows, both
parts kept in file order.
"""

import contextlib
import csv
import io
import os

import numpy as np

from kerasdoc._errors import InvalidInputError

__all__ = ["load_images", "load_csv", "model_input_shape"]

_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}


def model_input_shape(model):
    """The shape (without the batch axis) of a single-input model's input, or None."""
    try:
        inputs = model.inputs
    except Exception:  # subclassed models without a graph
        return None
    if not inputs or len(inputs) != 1:
        return None
    return tuple(inputs[0].shape[1:])


def _label_mode(model):
    """The label format the model's loss takes: "int", "categorical" or "binary"."""
    from kerasdoc._losses import classify_loss

    info = classify_loss(getattr(model, "loss", None))
    family = info.family if info is not None else None
    if family in ("cce", "kld", "categorical_hinge"):
        return "categorical"
    if family in ("bce", "hinge"):
        return "binary"
    return "int"


def _parse_size(text):
    parts = text.lower().replace("x", ",").split(",")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise InvalidInputError(
            f"--image-size must be HEIGHT,WIDTH such as 64,64. Received: --image-size={text}")
    return size


def _check_split(split):
    if split is not None and not 0 < split < 1:
        raise InvalidInputError(
            f"--validation-split must be between 0 and 1 (exclusive). "
            f"Received: --validation-split={split}")


def load_images(args, model, say, *, seed=0):
    """`(x, y, validation_data or None, class_names)` read from `--images`.

    Args:
        args: the parsed arguments (`images`, `image_size`, `validation_split`,
            `max_samples`).
        model: the loaded model (its input size, channels and loss).
        say: the progress callable.
        seed: seed of the file shuffle and the split. Defaults to `0`.
    """
    import keras

    from kerasdoc._inputs import sample_fit_data

    directory = args.images
    if not os.path.isdir(directory):
        raise InvalidInputError(
            f"--images must be a folder with one subfolder per class. "
            f"Received: --images={directory}")
    _check_split(args.validation_split)
    shape = model_input_shape(model)
    if args.image_size:
        size = _parse_size(args.image_size)
    elif shape is not None and len(shape) == 3 and None not in shape[:2]:
        size = (int(shape[0]), int(shape[1]))
    else:
        raise InvalidInputError(
            f"The model does not give an image input size (its input shape is "
            f"{shape}); pass --image-size HEIGHT,WIDTH. Received: --images={directory}")
    channels = shape[-1] if shape is not None and len(shape) == 3 else 3
    color_mode = _COLOR_MODES.get(channels, "rgb")
    label_mode = _label_mode(model)
    split = args.validation_split
    options = dict(labels="inferred", label_mode=label_mode, color_mode=color_mode,
                   image_size=size, batch_size=32, shuffle=True, seed=seed)
    if split:
        options.update(validation_split=split, subset="both")
    said = io.StringIO()  # Keras prints "Found N files ..." on stdout
    try:
        with contextlib.redirect_stdout(said):
            result = keras.utils.image_dataset_from_directory(directory, **options)
    except ValueError as exc:
        raise InvalidInputError(
            f"Could not read images from --images ({exc}). It must hold one "
            f"subfolder per class with .png, .jpg, .jpeg, .bmp or .gif files. "
            f"Received: --images={directory}") from None
    for line in said.getvalue().splitlines():
        if line.strip():
            say(f"images: {line.strip()}")
    train, val = result if split else (result, None)
    names = list(train.class_names)
    say(f"images: {len(names)} classes ({', '.join(names)}), read at "
        f"{size[0]}x{size[1]} {color_mode}, labels as {label_mode} for the model's loss; "
        f"at most {args.max_samples} images per split")
    data = sample_fit_data(train, max_samples=args.max_samples, name="--images")
    validation = None
    if val is not None:
        v = sample_fit_data(val, max_samples=args.max_samples, name="--images")
        validation = (v.x, v.y)
    return data.x, data.y, validation, names


def _read_table(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"--csv is not a UTF-8 text file ({exc}). Received: --csv={path}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise InvalidInputError(
            f"--csv needs a header row and at least one data row; it has {len(rows)} "
            f"row(s). Received: --csv={path}")
    header = [h.strip() for h in rows[0]]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InvalidInputError(
                f"--csv row {number} has {len(row)} cells but the header has "
                f"{len(header)}. Received: --csv={path}")
    columns = {name: [row[i].strip() for row in rows[1:]] for i, name in enumerate(header)}
    return header, columns


def _numeric(cells):
    """The cells as float64 (empty = NaN), or None when one is not a number."""
    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if cell == "":
            out[i] = np.nan
            continue
        try:
            out[i] = float(cell)
        except ValueError:
            return None
    return out


def load_csv(args, model, say, *, seed=0):
    """`(x, y, validation_data or None, class_names or None)` read from `--csv`.

    Args:
        args: the parsed arguments (`csv`, `target`, `categorical`,
            `validation_split`).
        model: the loaded model (its input width decides `--categorical auto`).
        say: the progress callable.
        seed: seed of the validation split. Defaults to `0`.
    """
    path = args.csv
    if not os.path.isfile(path):
        raise InvalidInputError(f"--csv file not found. Received: --csv={path}")
    if not args.target:
        raise InvalidInputError(
            f"--csv needs --target COLUMN, the column holding the labels. "
            f"Received: --csv={path}, --target={args.target}")
    _check_split(args.validation_split)
    header, columns = _read_table(path)
    if args.target not in columns:
        raise InvalidInputError(
            f"--target must be a column of the CSV file ({', '.join(header)}). "
            f"Received: --target={args.target}")
    features = [name for name in header if name != args.target]
    if not features:
        raise InvalidInputError(f"--csv has no column besides the target. "
                                f"Received: --csv={path}")
    numeric, categorical = {}, {}
    for name in features:
        values = _numeric(columns[name])
        if values is None:
            categorical[name] = sorted(set(columns[name]))
        else:
            numeric[name] = values
    by_column = _column_inputs(model, features, path)
    if by_column is not None:
        x = _feed_columns(by_column, columns, numeric, categorical, say)
        return _finish_csv(args, model, say, seed, x, columns)
    onehot_width = len(numeric) + sum(len(v) for v in categorical.values())
    codes_width = len(features)
    shape = model_input_shape(model)
    width = int(shape[-1]) if shape is not None and len(shape) == 1 and shape[-1] else None
    encoding = args.categorical
    if encoding == "auto":
        if not categorical or width is None or width == onehot_width:
            encoding = "onehot"
        elif width == codes_width:
            encoding = "codes"
        else:
            encoding = None
    have = onehot_width if encoding == "onehot" else codes_width
    if width is not None and (encoding is None or have != width):
        raise InvalidInputError(
            f"The model takes {width} input features; the CSV gives {len(numeric)} "
            f"numeric and {len(categorical)} categorical column(s): {onehot_width} "
            f"features with the categorical columns one-hot, {codes_width} as integer "
            f"codes. Received: --csv={path}, --categorical={args.categorical}")
    blocks = []
    for name in features:  # in file order
        if name in numeric:
            blocks.append(numeric[name][:, None])
            continue
        values = categorical[name]
        index = {v: i for i, v in enumerate(values)}
        codes = np.array([index[c] for c in columns[name]], dtype=np.int64)
        if encoding == "onehot":
            blocks.append(np.eye(len(values))[codes])
        else:
            blocks.append(codes[:, None].astype(np.float64))
    x = np.concatenate(blocks, axis=1).astype("float32")
    say(f"csv: {len(x)} rows, {len(numeric)} numeric column(s)"
        + (f" ({', '.join(numeric)})" if numeric else ""))
    for name, values in categorical.items():
        shown = ", ".join(repr(v) for v in values[:8]) + (", ..." if len(values) > 8 else "")
        if encoding == "onehot":
            say(f"csv: categorical column {name!r} ({len(values)} values: {shown}) "
                f"one-hot encoded into {len(values)} columns, in that order")
        else:
            say(f"csv: categorical column {name!r} ({len(values)} values: {shown}) "
                f"encoded as integer codes 0..{len(values) - 1}, in that order")
    return _finish_csv(args, model, say, seed, x, columns)


def _column_inputs(model, features, path):
    """`{input name: input tensor}` when the model takes one input per CSV column, or None."""
    from kerasdoc._inputs import model_input_names

    names = model_input_names(model)
    if not names or (len(names) == 1 and names[0] not in features):
        return None  # one input: the table as a matrix
    missing = [name for name in names if name not in features]
    if missing:
        raise InvalidInputError(
            f"The model takes the inputs {names}; the CSV file has no column "
            f"{', '.join(map(repr, missing))} (its columns besides the target: "
            f"{', '.join(features)}). Received: --csv={path}")
    return dict(zip(names, model.inputs))


def _feed_columns(inputs, columns, numeric, categorical, say):
    """A dict of one array per model input, each column as its input's dtype takes it."""
    x = {}
    for name, tensor in inputs.items():
        shape = tuple(tensor.shape[1:])
        dtype = str(getattr(tensor, "dtype", "float32"))
        if name in numeric:
            value = numeric[name].astype("int64" if "int" in dtype else "float32")
            kind = "numeric"
        elif "string" in dtype:
            value = np.asarray(columns[name], dtype=object)
            kind = "categorical, as strings"
        else:
            index = {v: i for i, v in enumerate(categorical[name])}
            value = np.array([index[c] for c in columns[name]],
                             dtype="int64" if "int" in dtype else "float32")
            kind = (f"categorical, as integer codes of {len(index)} sorted values")
        x[name] = value[:, None] if shape == (1,) else value
        say(f"csv: column {name!r} feeds the model's input {name!r} ({kind})")
    unused = [c for c in list(numeric) + list(categorical) if c not in inputs]
    if unused:
        say(f"csv: column(s) {', '.join(map(repr, unused))} feed no input of the model")
    return x


def _finish_csv(args, model, say, seed, x, columns):
    """The target, the validation split, and the result of `load_csv`."""
    import keras

    n = len(columns[args.target])
    target = _numeric(columns[args.target])
    class_names = None
    if target is None:
        class_names = sorted(set(columns[args.target]))
        index = {v: i for i, v in enumerate(class_names)}
        y = np.array([index[c] for c in columns[args.target]], dtype=np.int64)
        say(f"csv: target {args.target!r} is categorical: classes "
            f"{', '.join(f'{v!r}={i}' for i, v in enumerate(class_names[:10]))}"
            + (", ..." if len(class_names) > 10 else ""))
    elif np.isnan(target).any():
        row = int(np.argmax(np.isnan(target))) + 2
        raise InvalidInputError(
            f"--target column {args.target!r} has an empty cell (row {row}). "
            f"Received: --target={args.target}")
    elif np.all(target == np.round(target)):
        y = target.astype(np.int64)
    else:
        y = target.astype("float32")
    if _label_mode(model) == "categorical" and y.dtype == np.int64:
        y = np.eye(int(y.max()) + 1, dtype="float32")[y]
        say("csv: target one-hot encoded for the model's categorical loss")
    validation = None
    if args.validation_split:
        rng = np.random.default_rng(seed)
        n_val = max(1, int(round(args.validation_split * n)))
        if n_val >= n:
            raise InvalidInputError(
                f"--validation-split leaves no training rows ({n} rows). "
                f"Received: --validation-split={args.validation_split}")
        is_val = np.zeros(n, dtype=bool)
        is_val[rng.choice(n, n_val, replace=False)] = True
        pick = lambda mask: keras.tree.map_structure(lambda a: a[mask], x)  # noqa: E731
        validation = (pick(is_val), y[is_val])
        x, y = pick(~is_val), y[~is_val]
        say(f"csv: {n_val} random rows held out for validation (seed {seed})")
    return x, y, validation, class_names
