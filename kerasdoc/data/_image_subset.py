"""Class-balanced subsets of an image-folder tree (one subfolder per class).

`image_folder_subset` draws, per class, a seeded random sample of the image
files (with `stratified_subset`, so the sizes and the errors are those of
the array subsets), and writes them into a new tree of the same layout,
copied or linked, with a `manifest.json` that records the seed, the source
folder and, for every file, its source path, size and sha256. The tree is
built in a temporary folder beside the output and renamed into place in one
step, so an interrupted run leaves no half-written subset. The result is
read by `keras.utils.image_dataset_from_directory` and by
`kerasdoc diagnose --images`.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from kerasdoc._errors import InvalidInputError
from kerasdoc.data._io import _sha256

__all__ = ["IMAGE_EXTENSIONS", "IMAGE_SUBSET_FORMAT", "image_folder_subset",
           "list_image_folder"]

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
"""The extensions `keras.utils.image_dataset_from_directory` reads."""
IMAGE_SUBSET_FORMAT = "kerasdoc-image-subset"
_MODES = ("copy", "symlink", "hardlink")


def list_image_folder(directory):
    """`(class_names, files, labels)` of an image-folder tree, in a fixed order.

    Classes are the subfolders in sorted order (as Keras infers them); a
    class's files are its images at any depth, in sorted order of their
    relative paths. Hidden files and folders are left out.

    Args:
        directory: the tree's root.

    Returns:
        The class names, the files' paths relative to `directory` (strings
        with `/`), and their class ids (`int64`).
    """
    root = Path(directory)
    if not root.is_dir():
        raise InvalidInputError(f"The image folder does not exist or is not a folder. "
                                f"Received: images={str(directory)!r}")
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    files, labels = [], []
    for label, name in enumerate(names):
        found = []
        for folder, subfolders, entries in os.walk(root / name):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            for entry in entries:
                if not entry.startswith(".") and entry.lower().endswith(IMAGE_EXTENSIONS):
                    found.append((Path(folder) / entry).relative_to(root).as_posix())
        found.sort()
        files.extend(found)
        labels.extend([label] * len(found))
    if not files:
        raise InvalidInputError(
            f"No images in class subfolders of {root} (it needs one subfolder per class "
            f"holding {', '.join(IMAGE_EXTENSIONS)} files; it has "
            f"{len(names)} subfolder(s)). Received: images={str(directory)!r}")
    return names, files, np.asarray(labels, dtype=np.int64)


def _place(source, target, mode):
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "copy":
        shutil.copy2(source, target)
    elif mode == "symlink":
        os.symlink(os.path.abspath(source), target)
    else:
        try:
            os.link(source, target)
        except OSError as exc:  # another file system, or no hard links here
            raise InvalidInputError(
                f"Could not hard-link {source} into {target.parent} ({exc}); use "
                f"files='copy' or 'symlink'. Received: files={mode!r}") from None


def image_folder_subset(images, out_dir, *, per_class=None, fraction=None,
                        test_per_class=None, test_fraction=None, seed=None,
                        files="copy", allow_fewer=False, overwrite=False):
    """Write a class-balanced, seeded subset of an image-folder tree.

    Args:
        images: the source tree, one subfolder per class.
        out_dir: the folder to create. Without a test split it gets one
            subfolder per class; with one, `train/<class>/` and
            `test/<class>/`. Either way, `manifest.json` at its top.
        per_class: files per class in the (training) subset. Defaults to
            `None` (give `fraction` instead).
        fraction: fraction of each class instead of `per_class`. Defaults to
            `None`.
        test_per_class: files per class in a test split drawn from the files
            the training subset did not take. Defaults to `None` (no test split).
        test_fraction: fraction of each class's remaining files for the test
            split instead. Defaults to `None`.
        seed: seed of the draw; drawn from fresh entropy and recorded in the
            manifest when `None`. Defaults to `None`.
        files: `"copy"`, `"symlink"` (absolute links to the source files) or
            `"hardlink"`. Defaults to `"copy"`.
        allow_fewer: take every file of a class that has fewer than asked,
            instead of raising. Defaults to `False`.
        overwrite: replace an existing `out_dir`. Defaults to `False`.

    Returns:
        The manifest (a dict), also written to `out_dir/manifest.json`.

    Raises:
        InvalidInputError: no images, a class with too few files, an
            existing `out_dir` without `overwrite`, or a bad argument (the
            message names it).

    Example:

    >>> image_folder_subset("photos", "photos_small", per_class=20, seed=0)  # doctest: +SKIP
    """
    from kerasdoc.data._subset import stratified_subset

    if files not in _MODES:
        raise InvalidInputError(f"`files` must be one of {_MODES}. Received: files={files!r}")
    names, paths, labels = list_image_folder(images)
    source = Path(images).resolve()
    out_dir = Path(out_dir)
    if out_dir.resolve() == source or source in out_dir.resolve().parents:
        raise InvalidInputError(f"`out_dir` must not be inside the source tree. "
                                f"Received: out_dir={str(out_dir)!r}")
    if out_dir.exists() and not overwrite:
        raise InvalidInputError(
            f"{out_dir} already exists; pass overwrite=True (--overwrite) to replace it. "
            f"Received: out_dir={str(out_dir)!r}")
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInputError(f"`out_dir` exists and is not a folder. "
                                f"Received: out_dir={str(out_dir)!r}")
    everything = np.arange(len(paths))
    train = stratified_subset(everything, labels, per_class=per_class, fraction=fraction,
                              seed=seed, allow_fewer=allow_fewer)
    splits = {"train": train.x}
    if test_per_class is not None or test_fraction is not None:
        left = np.setdiff1d(everything, train.x)
        test = stratified_subset(left, labels[left], per_class=test_per_class,
                                 fraction=test_fraction, seed=train.seed + 1,
                                 allow_fewer=allow_fewer)
        splits["test"] = test.x
    manifest = {"format": IMAGE_SUBSET_FORMAT, "format_version": 1,
                "source": str(source), "seed": train.seed, "files_mode": files,
                "class_names": names, "splits": {}}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    os.chmod(tmp, 0o755)
    try:
        for split, chosen in splits.items():
            prefix = f"{split}/" if len(splits) > 1 else ""
            entries = []
            for index in np.sort(chosen):
                relative = paths[index]
                src = source / relative
                _place(src, tmp / (prefix + relative), files)
                entries.append({"path": prefix + relative, "source": relative,
                                "class": int(labels[index]), "bytes": src.stat().st_size,
                                "sha256": _sha256(src)})
            counts = np.bincount(labels[chosen], minlength=len(names))
            manifest["splits"][split] = {
                "folder": prefix.rstrip("/") or ".", "n": len(entries),
                "counts": {name: int(c) for name, c in zip(names, counts)},
                "files": entries}
        with open(tmp / "manifest.json", "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if out_dir.exists():  # overwrite: the old tree leaves in one rename too
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "tree")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest
