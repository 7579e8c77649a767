"""`kerasdoc diagnose`: check a saved model against saved data; gate CI on errors.

    kerasdoc diagnose MODEL.keras --data DIR [--out report.html] [--json]
    kerasdoc diagnose MODEL.keras --x X.npy --y Y.npy [--x-val ... --y-val ...]
    kerasdoc diagnose MODEL.keras --data DIR --config kerasdoc.toml --task regression
    kerasdoc diagnose MODEL.keras --images DIR [--validation-split 0.2]
    kerasdoc diagnose MODEL.keras --csv FILE --target COLUMN [--categorical onehot]

`--data` is a subset folder written by `kerasdoc subset` (verified against its
manifest) or a folder holding the walkthrough's `x_train_s.npy`,
`y_train_s.npy`, `x_test_s.npy`, `y_test_s.npy`. `--images` and `--csv` are
read as `kerasdoc.cli._sources` describes (class subfolders through
`keras.utils.image_dataset_from_directory`; a table's categorical columns
one-hot or as integer codes, said on stderr). Exit code 0 clean, 1 when an
error-level finding exists, 2 on bad usage, 3 when a part or a check failed
(`--allow-failures` turns 3 into 0 or 1), 4 when the model file is corrupt.
"""

import os
import sys

from kerasdoc._errors import InvalidInputError

__all__ = ["add_parser", "run"]


def add_parser(subparsers):
    import argparse

    from kerasdoc.cli import EXIT_CODES_HELP

    parser = subparsers.add_parser(
        "diagnose", help="run every check on a saved model and data; exit 1 on errors",
        description="Load a saved Keras model and its data (a saved subset, .npy "
                    "files, an image folder with one subfolder per class, or a CSV "
                    "table), run kerasdoc.diagnose and write the report. Exit code 1 "
                    "when an error-level finding exists (use it to gate CI), 3 when a "
                    "part or a check failed, 4 when the model file is corrupt.",
        epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="saved model (.keras)")
    src = parser.add_argument_group(
        "data (one of --data, --x/--y, --images or --csv with --target)")
    src.add_argument("--data", help="subset folder (manifest.json or the walkthrough's "
                                    "x_train_s.npy, y_train_s.npy, x_test_s.npy, y_test_s.npy)")
    src.add_argument("--x", help="training inputs .npy")
    src.add_argument("--y", help="training labels .npy")
    src.add_argument("--x-val", help="validation inputs .npy (optional)")
    src.add_argument("--y-val", help="validation labels .npy (optional)")
    src.add_argument("--images", metavar="DIR",
                     help="folder with one subfolder of images per class, read with "
                          "keras.utils.image_dataset_from_directory at the model's "
                          "input size and channels")
    src.add_argument("--image-size", metavar="H,W",
                     help="size to read --images at (default: the model's input size)")
    src.add_argument("--csv", metavar="FILE",
                     help="CSV table with a header row; numeric columns as they are, "
                          "other columns categorical (see --categorical)")
    src.add_argument("--target", metavar="COLUMN", help="the label column of --csv")
    src.add_argument("--categorical", choices=("auto", "onehot", "codes"), default="auto",
                     help="encoding of --csv's categorical columns: one 0/1 column per "
                          "value in sorted order (onehot), or the value's rank in sorted "
                          "order (codes); auto picks the one matching the model's input "
                          "width (default auto)")
    src.add_argument("--validation-split", type=float, metavar="F",
                     help="hold out this fraction of --images or --csv as validation "
                          "data (seeded)")
    src.add_argument("--max-samples", type=int, default=4096,
                     help="images read from --images per split (default 4096)")
    parser.add_argument("--rescale", type=_factor, default=None,
                        help="multiply inputs by this before checking, as the model "
                             "was trained (a number or a fraction such as 1/255)")
    parser.add_argument("--out", help="write a self-contained HTML report here")
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON on stdout instead of text")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the instrumented training run (default 5)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="batch size for probes and training (default 32)")
    parser.add_argument("--budget", type=float, default=None,
                        help="time budget in seconds (default 60)")
    parser.add_argument("--parts", default=None,
                        help="comma-separated parts to run (default all: "
                             "data,model,preprocessing,probes,training)")
    parser.add_argument("--task", default=None,
                        help="the task, when it should not be inferred: multiclass, "
                             "binary, multilabel, regression, reconstruction or "
                             "sequence")
    parser.add_argument("--config", default=None,
                        help="TOML file of check settings ([settings.\"train.dead_relu\"] "
                             "fraction = 0.8) and options (task, parts, budget_s, "
                             "epochs, batch_size, seed); default: the [tool.kerasdoc] "
                             "table of pyproject.toml in this folder or a parent")
    parser.add_argument("--allow-failures", action="store_true",
                        help="exit 0 or 1 from the findings even when a part or a "
                             "check failed (default: exit 3, the report is incomplete)")
    parser.add_argument("--verify", action="store_true",
                        help="then try each finding's remedy on a copy, trained against "
                             "the original across seeds, and say whether it helps "
                             "(confirmed / no effect / harmful, with a 95%% interval)")
    parser.add_argument("--verify-seeds", type=int, default=3,
                        help="seeds per arm of --verify (default 3, at least 2)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress on stderr (default: tqdm bars on a terminal, "
                             "one line per part and epoch otherwise)")
    parser.set_defaults(func=run, tensorflow=True)
    return parser


def _factor(text):
    """A number or a fraction `a/b` (argparse type of `--rescale`)."""
    import argparse

    import math

    try:
        if "/" in text:
            top, bottom = text.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"expected a number or a fraction such as 1/255, got {text!r}") from None
    if not math.isfinite(value) or value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a finite, non-zero factor such as 1/255, got {text!r}")
    return value


def progress_printer(quiet, stream=None):
    """A `progress` callable that prints `kerasdoc: message` lines to stderr."""
    def say(message):
        if not quiet:
            print(f"kerasdoc: {message}", file=stream or sys.stderr, flush=True)
    return say


def diagnose_progress(quiet, say):
    """`diagnose`'s `progress`: none with --quiet, tqdm bars on a terminal, else lines."""
    if quiet:
        return False
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return True if tty else say


def _load_npy(path, name):
    import numpy as np

    if not os.path.isfile(path):
        raise InvalidInputError(f"`--{name}` file not found. Received: --{name}={path}")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InvalidInputError(
            f"`--{name}` is not a numeric .npy file ({exc}). Received: --{name}={path}"
        ) from None


def _sources(args):
    given = [name for name, value in (("--data", args.data), ("--x/--y", args.x or args.y),
                                      ("--images", args.images), ("--csv", args.csv))
             if value]
    if len(given) > 1:
        raise InvalidInputError(
            f"Give one data source: --data, --x/--y, --images or --csv. "
            f"Received: {', '.join(given)}")
    if (args.x_val or args.y_val) and not (args.x or args.y):
        raise InvalidInputError("--x-val/--y-val go with --x/--y. "
                                f"Received: --x-val={args.x_val}, --y-val={args.y_val}")
    if args.validation_split is not None and not (args.images or args.csv):
        raise InvalidInputError(
            "--validation-split goes with --images or --csv. "
            f"Received: --validation-split={args.validation_split}")
    if args.target and not args.csv:
        raise InvalidInputError(f"--target goes with --csv. Received: --target={args.target}")
    if args.max_samples < 1:
        raise InvalidInputError(f"--max-samples must be >= 1. "
                                f"Received: --max-samples={args.max_samples}")
    return given[0] if given else None


def _refuse_image_subset(folder, manifest):
    """An image-folder subset (`kerasdoc subset --images`) goes to --images, said clearly."""
    import json

    from kerasdoc.data._image_subset import IMAGE_SUBSET_FORMAT

    try:
        with open(manifest, encoding="utf-8") as handle:
            text = json.load(handle)
    except (OSError, ValueError):
        return  # load_subset says what is wrong with it
    if isinstance(text, dict) and text.get("format") == IMAGE_SUBSET_FORMAT:
        splits = text.get("splits") or {}
        where = os.path.join(folder, "train") if "test" in splits else folder
        raise InvalidInputError(
            f"--data holds an image-folder subset (made by kerasdoc subset --images); "
            f"give it as --images {where}. Received: --data={folder}")


def load_data(args):
    """`(x, y, validation_data or None, class_names or None)` from --data or --x/--y."""
    if args.data and (args.x or args.y):
        raise InvalidInputError("Give either --data or --x/--y, not both. "
                                f"Received: --data={args.data}, --x={args.x}")
    if args.data:
        from kerasdoc.data import load_subset

        manifest = os.path.join(args.data, "manifest.json")
        _refuse_image_subset(args.data, manifest)
        subset = load_subset(args.data, verify=os.path.isfile(manifest))
        val = None
        if subset.x_test is not None:
            val = (subset.x_test, subset.y_test)
        names = list(subset.class_names) if subset.class_names else None
        return subset.x_train, subset.y_train, val, names
    if not (args.x and args.y):
        raise InvalidInputError("Give --data DIR, or both --x and --y, or --images DIR, "
                                "or --csv FILE --target COLUMN. "
                                f"Received: --x={args.x}, --y={args.y}")
    x, y = _load_npy(args.x, "x"), _load_npy(args.y, "y")
    val = None
    if args.x_val or args.y_val:
        if not (args.x_val and args.y_val):
            raise InvalidInputError("Give both --x-val and --y-val. "
                                    f"Received: --x-val={args.x_val}, --y-val={args.y_val}")
        val = (_load_npy(args.x_val, "x-val"), _load_npy(args.y_val, "y-val"))
    return x, y, val, None


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_KERAS_ARCHIVE = ("config.json", "model.weights.h5")


def model_file_damage(path):
    """Why the model file at `path` is corrupt, or `None` when its structure is sound.

    A `.keras` file is a zip archive holding `config.json` and
    `model.weights.h5`: it must open as a zip, every member must pass its
    CRC check, and those two must be there. A `.h5` file must start with the
    HDF5 signature. Other extensions are left to Keras.
    """
    import zipfile

    size = os.path.getsize(path)
    if size == 0:
        return "the file is empty (0 bytes)"
    lower = path.lower()
    if lower.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            return (f"it is not a zip archive, as a .keras file is ({size} bytes; "
                    "truncated, or not a Keras model)")
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            return f"its zip archive is damaged ({type(exc).__name__}: {exc})"
        if bad is not None:
            return f"{bad} inside the archive fails its CRC check (the file is damaged)"
        missing = [name for name in _KERAS_ARCHIVE if name not in names]
        if missing:
            return (f"the archive lacks {', '.join(missing)} (it holds "
                    f"{', '.join(sorted(names)) or 'nothing'})")
    elif lower.endswith((".h5", ".hdf5")):
        with open(path, "rb") as handle:
            if handle.read(8) != _HDF5_SIGNATURE:
                return f"it does not start with the HDF5 signature ({size} bytes)"
    return None


def load_model(path, say=None):
    """`keras.saving.load_model(path)` with clear errors for missing or broken files.

    A missing file is bad usage (`InvalidInputError`, exit 2); a file whose
    structure is damaged (truncated, not a zip archive, a failed CRC check)
    raises `CorruptModelError` (exit 4); a sound file Keras still cannot
    load (e.g. a custom layer that is not registered) is an
    `InvalidInputError` with Keras's message. Warnings Keras gives while
    loading (e.g. optimizer variables it skips) are said through `say`
    (progress lines, silenced by `--quiet`), not printed as Python warnings.
    """
    from kerasdoc.cli import CorruptModelError

    if not os.path.exists(path):
        raise InvalidInputError(f"Model file not found. Received: model={path}")
    if not os.path.isfile(path):
        raise InvalidInputError(f"The model must be a saved file (.keras), not a folder. "
                                f"Received: model={path}")
    damage = model_file_damage(path)
    if damage is not None:
        raise CorruptModelError(
            f"The model file is corrupt: {damage}. Save the model again with "
            f"model.save('model.keras'), or copy it again. Received: model={path}")
    import warnings

    import keras

    from kerasdoc._quiet import describe_warning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.saving.load_model(path)
    except Exception as exc:  # keras raises ValueError, OSError, TypeError...
        raise InvalidInputError(
            f"Could not load the model ({type(exc).__name__}: {exc}). Received: model={path}"
        ) from None
    for message in caught:
        if say is not None:
            say(f"while loading the model: {describe_warning(message)}")
    return model


def report_figures(model, x_val, y_val, class_names):
    """Confusion matrix and top losses of `model` on the validation data."""
    from kerasdoc.plot import ConfusionMatrixDisplay, TopLossesDisplay
    from kerasdoc.plot._common import predict_proba

    proba = predict_proba(model, x_val)
    cm = ConfusionMatrixDisplay.from_predictions(
        y_val, proba, class_names=class_names, n_classes=proba.shape[1])
    top = TopLossesDisplay.from_predictions(x_val, y_val, proba, n=10,
                                            class_names=class_names)
    return {"Confusion matrix (validation data)": cm,
            "Highest-loss validation samples": top}


def run(args):
    from kerasdoc.cli import exit_code

    from kerasdoc._registry import load_settings

    say = progress_printer(args.quiet)
    settings, options, source = load_settings(args.config)
    if source:
        say(f"settings from {source}")
    parts = options.get("parts")
    if args.parts:
        parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    task = args.task if args.task is not None else options.get("task")
    budget = args.budget if args.budget is not None else options.get("budget_s", 60.0)
    epochs = args.epochs if args.epochs is not None else options.get("epochs")
    batch_size = args.batch_size if args.batch_size is not None else options.get(
        "batch_size")
    source = _sources(args)
    seed = options.get("seed", 0)
    model = None
    if source == "--images":
        from kerasdoc.cli._sources import load_images

        say(f"loading {args.model}")
        model = load_model(args.model, say)
        x, y, val, class_names = load_images(args, model, say, seed=seed)
    elif source == "--csv":
        from kerasdoc.cli._sources import load_csv

        say(f"loading {args.model}")
        model = load_model(args.model, say)
        x, y, val, class_names = load_csv(args, model, say, seed=seed)
    else:
        x, y, val, class_names = load_data(args)
    if args.rescale is not None:
        if isinstance(x, dict):
            raise InvalidInputError("--rescale applies to a single array of inputs, not to "
                                    "one input per CSV column. Received: --rescale="
                                    f"{args.rescale}")
        x = x * args.rescale
        if val is not None:
            val = (val[0] * args.rescale, val[1])
    if args.out and not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        raise InvalidInputError(f"The folder of --out does not exist. Received: --out={args.out}")
    if model is None:
        say(f"loading {args.model}")
        model = load_model(args.model, say)

    import matplotlib

    matplotlib.use("Agg")
    from kerasdoc._diagnose import diagnose

    report = diagnose(model, x, y, validation_data=val, batch_size=batch_size,
                      epochs=epochs, class_names=class_names, budget_s=budget,
                      parts=parts, progress=diagnose_progress(args.quiet, say),
                      settings=settings, task=task,
                      seed=seed, verify=args.verify, verify_seeds=args.verify_seeds)
    if args.out:
        from kerasdoc.plot import write_html_report

        figures = {}
        if val is not None and not isinstance(val[0], dict):
            say("plotting")
            figures = report_figures(model, val[0], val[1], class_names)
        write_html_report(report, args.out, figures=figures)
        say(f"wrote {os.path.abspath(args.out)}")
    print(report.to_json() if args.json else report.to_text())
    return exit_code(report, allow_failures=args.allow_failures)
