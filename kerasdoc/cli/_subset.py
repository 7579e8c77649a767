"""`kerasdoc subset`: build a class-balanced subset and save it.

    kerasdoc subset --dataset fashion_mnist --train-per-class 100 \\
        --test-per-class 30 --seed 0 --out DIR
    kerasdoc subset --dataset cifar10 --data-dir ~/.keras/datasets/cifar-10-batches-py-target \\
        --train-per-class 50 --test-per-class 10 --out DIR
    kerasdoc subset --x X.npy --y Y.npy --per-class N --out DIR
    kerasdoc subset --images photos/ --per-class 20 [--files symlink] --out DIR

`--dataset` is any of mnist, fashion_mnist, cifar10, cifar100, read from the
files `keras.datasets` keeps on this machine (`--data-dir`, or the Keras
cache for mnist and fashion_mnist; CIFAR's pickles only from `--data-dir`,
see `kerasdoc.datasets._local`); nothing is downloaded except FashionMNIST
with `--download`. Arrays given with `--x/--y` are memory-mapped, so only
their labels and the chosen rows are read. These write `.npy` files and a
manifest. `--images` draws files from an image-folder tree (one subfolder per
class) and copies or links them into a new tree with a manifest
(`kerasdoc.data._image_subset`). numpy only: no TensorFlow import.
"""

import sys
import time
from pathlib import Path

import numpy as np

from kerasdoc._errors import DataIntegrityError, InvalidInputError

__all__ = ["add_parser", "run"]

DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "subset", help="build a class-balanced subset saved as .npy files",
        description="Draw a class-balanced random subset (shuffled across classes) "
                    "and save x_train_s.npy, y_train_s.npy[, x_test_s.npy, "
                    "y_test_s.npy] and manifest.json into --out.")
    src = parser.add_argument_group("source (one of --dataset, --x/--y or --images)")
    src.add_argument("--dataset", choices=DATASETS,
                     help="a keras.datasets name whose files are on this machine")
    src.add_argument("--data-dir", "--source", dest="data_dir",
                     help="where the dataset's files are: mnist.npz or its folder; the "
                          "four FashionMNIST .gz files; the cifar-10-batches-py or "
                          "cifar-100-python folder (or one holding it). Default for "
                          "mnist and fashion_mnist: $KERASDOC_DATA (fashion_mnist), "
                          "the Keras cache ~/.keras/datasets. Required for CIFAR, "
                          "whose files are pickles")
    src.add_argument("--download", action="store_true",
                     help="fashion_mnist only: download it through Keras if it is not found")
    src.add_argument("--images", metavar="DIR",
                     help="an image-folder tree (one subfolder per class) to draw files from")
    src.add_argument("--files", choices=("copy", "symlink", "hardlink"), default="copy",
                     help="with --images: copy the chosen files, or link them (default copy)")
    src.add_argument("--x", help="inputs .npy (memory-mapped)")
    src.add_argument("--y", help="labels .npy (integer ids or one-hot)")
    src.add_argument("--x-test", help="test inputs .npy (optional)")
    src.add_argument("--y-test", help="test labels .npy (optional)")
    size = parser.add_argument_group("size (per class, or a fraction of each class)")
    size.add_argument("--train-per-class", "--per-class", dest="train_per_class",
                      type=int, help="samples per class from the training arrays")
    size.add_argument("--train-fraction", "--fraction", dest="train_fraction",
                      type=float, help="fraction of each class (0, 1]")
    size.add_argument("--test-per-class", type=int, help="samples per class (test)")
    size.add_argument("--test-fraction", type=float, help="fraction of each class (test)")
    parser.add_argument("--allow-fewer", action="store_true",
                        help="take every sample of a class that has fewer than asked")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default: fresh, recorded in the manifest)")
    parser.add_argument("--class-names", help="comma-separated class names (--x/--y)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing subset in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=run)
    return parser


class _Progress:
    """One stderr line per file; redrawn in place on a terminal."""

    def __init__(self, stream=None, quiet=False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self._last = 0.0
        self._done = set()

    def __call__(self, name, done, total):
        if self.quiet:
            return
        finished = done >= total
        if name in self._done:
            return
        if finished:
            self._done.add(name)
        now = time.monotonic()
        if self.tty and not finished and now - self._last < 0.1:
            return
        self._last = now
        pct = 100.0 * done / total if total else 100.0
        line = f"reading {name}: {pct:5.1f}% of {_human(total)}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        elif finished:
            self.stream.write(line + "\n")
        self.stream.flush()


def _human(n):
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _load_npy(path, name):
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"--{name} file not found: {path}. Received: "
                                f"{name}={str(path)!r}")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DataIntegrityError(f"--{name} {path} is not a readable .npy file "
                                 f"({exc}).") from None


def _size(per_class, fraction, split):
    if per_class is None and fraction is None:
        raise InvalidInputError(
            f"Give --{split}-per-class or --{split}-fraction"
            + (" (or --per-class/--fraction)" if split == "train" else "") + ".")
    return {"per_class": per_class, "fraction": fraction}


def _describe(split, sub, names, out):
    lines = [f"{split}: {len(sub)} samples"]
    for c, n in sub.counts.items():
        label = names[c] if names and c < len(names) else str(c)
        lines.append(f"  {c:>3} {label:<14} {n}")
    return lines


def run(args, *, stdout=None, stderr=None):
    from kerasdoc.data import save_subset, stratified_subset

    stdout = stdout or sys.stdout
    progress = _Progress(stderr, quiet=args.quiet)
    given = [name for name, value in (("--dataset", args.dataset),
                                      ("--x/--y", args.x or args.y),
                                      ("--images", args.images)) if value]
    if len(given) != 1:
        raise InvalidInputError("Give either --dataset or --x and --y or --images. Received: "
                                f"dataset={args.dataset!r}, x={args.x!r}, y={args.y!r}, "
                                f"images={args.images!r}")
    if args.download and args.dataset != "fashion_mnist":
        raise InvalidInputError("--download is for --dataset fashion_mnist only; kerasdoc "
                                f"downloads nothing else. Received: dataset={args.dataset!r}")
    train_size = _size(args.train_per_class, args.train_fraction, "train")
    if args.images:
        return _run_images(args, train_size, stdout)
    if args.dataset == "fashion_mnist":
        from kerasdoc.datasets import find_fashion_mnist, load_fashion_mnist

        directory = find_fashion_mnist(args.data_dir, download=args.download)
        if directory is None:
            raise InvalidInputError(
                "FashionMNIST files not found (looked in --data-dir, $KERASDOC_DATA, "
                "/usr/share/datasets/fashion-mnist, ~/.keras/datasets/fashion-mnist). "
                "Point --data-dir at the four official .gz files or add --download. "
                f"Received: data_dir={args.data_dir!r}")
        (x, y), (x_test, y_test), names = load_fashion_mnist(
            directory, download=False, progress=progress)
        source = {"dataset": "fashion_mnist",
                  "files": "official IDX (train-*-ubyte.gz, t10k-*-ubyte.gz)"}
        test_size = _size(args.test_per_class, args.test_fraction, "test")
    elif args.dataset is not None:
        from kerasdoc.datasets import load_local

        (x, y), (x_test, y_test), names = load_local(args.dataset, args.data_dir)
        names = list(names) if names else None
        source = {"dataset": args.dataset,
                  "files": {"mnist": "mnist.npz", "cifar10": "cifar-10-batches-py",
                            "cifar100": "cifar-100-python (fine labels)"}[args.dataset]}
        if not args.quiet:
            print(f"read {args.dataset}: {len(x)} training and {len(x_test)} test images",
                  file=progress.stream)
        test_size = _size(args.test_per_class, args.test_fraction, "test")
    else:
        if args.x is None or args.y is None:
            raise InvalidInputError("--x and --y go together. Received: "
                                    f"x={args.x!r}, y={args.y!r}")
        x, y = _load_npy(args.x, "x"), _load_npy(args.y, "y")
        x_test, y_test = _load_npy(args.x_test, "x-test"), _load_npy(args.y_test, "y-test")
        if (x_test is None) != (y_test is None):
            raise InvalidInputError("--x-test and --y-test go together.")
        names = args.class_names.split(",") if args.class_names else None
        source = {"x": Path(args.x).name, "y": Path(args.y).name}
        if x_test is not None:
            source.update(x_test=Path(args.x_test).name, y_test=Path(args.y_test).name)
            test_size = _size(args.test_per_class, args.test_fraction, "test")
        if not args.quiet:
            print(f"reading labels {args.y}: {len(y)} rows", file=progress.stream)

    started = time.perf_counter()
    train = stratified_subset(x, y, seed=args.seed, allow_fewer=args.allow_fewer,
                              **train_size)
    test = None
    if x_test is not None:
        # an independent stream for the test split, derived from the same seed
        test_seed = None if train.seed is None else train.seed + 1
        test = stratified_subset(x_test, y_test, seed=test_seed,
                                 allow_fewer=args.allow_fewer, **test_size)
    out = save_subset(args.out, train=train, test=test, class_names=names,
                      source=source, seed=train.seed, overwrite=args.overwrite)
    elapsed = time.perf_counter() - started

    lines = [f"wrote {out} (seed {train.seed}, {elapsed:.2f} s)"]
    lines += _describe("train", train, names, out)
    if test is not None:
        lines += _describe("test", test, names, out)
    for name in sorted(p.name for p in out.iterdir() if p.suffix in (".npy", ".json")):
        lines.append(f"  {out / name}")
    print("\n".join(lines), file=stdout)
    return 0


def _run_images(args, train_size, stdout):
    """`kerasdoc subset --images DIR`: a class-balanced copy (or links) of the tree."""
    from kerasdoc.data._image_subset import image_folder_subset

    if args.x_test or args.y_test or args.class_names:
        raise InvalidInputError("--x-test, --y-test and --class-names go with --x/--y; "
                                "--images takes the class names from its subfolders. "
                                f"Received: images={args.images!r}")
    test = {}
    if args.test_per_class is not None or args.test_fraction is not None:
        test = {"test_per_class": args.test_per_class, "test_fraction": args.test_fraction}
    started = time.perf_counter()
    manifest = image_folder_subset(
        args.images, args.out, per_class=train_size["per_class"],
        fraction=train_size["fraction"], seed=args.seed, files=args.files,
        allow_fewer=args.allow_fewer, overwrite=args.overwrite, **test)
    elapsed = time.perf_counter() - started
    out = Path(args.out)
    lines = [f"wrote {out} (seed {manifest['seed']}, files {args.files}, {elapsed:.2f} s)"]
    for split, info in manifest["splits"].items():
        folder = out if info["folder"] == "." else out / info["folder"]
        lines.append(f"{split}: {info['n']} files in {folder}")
        for c, (name, n) in enumerate(info["counts"].items()):
            lines.append(f"  {c:>3} {name:<14} {n}")
    lines.append(f"  {out / 'manifest.json'}")
    print("\n".join(lines), file=stdout)
    return 0
