"""The programs of the real-world corpus, one module each, discovered by name.

A module `programs/<short_name>.py` defines:

- `SOURCE`: the repository and path (`keras-team/keras-io:examples/...`) or URL.
- `KIND`: a short tag (regression, binary, multilabel, multiclass, tabular,
  text, timeseries, cnn, transfer, autoencoder, multi_io, subclassed,
  custom_layer, custom_train_step, full_batch, sgd_momentum, lr_schedule, ...).
- `HEALTHY`: `True` for a healthy program, `False` for a buggy one.
- `NOTES`: every substitution of data, width and epoch cap made in the port.
- for buggy programs, `FAULT` (one line) and `EXPECTED` (tuple of finding
  codes that name the real fault or a defensible one).
- optionally `FAST = True`: part of the quick slice (`score --fast`, the tests);
  only for programs whose diagnose and fit take a few seconds.
- `build(fixed=False) -> RealProgram` (`fixed=True` gives a buggy program's
  repaired version; healthy programs ignore it).

Modules whose name starts with `_` are helpers, not programs.
"""

import importlib
import pkgutil

REQUIRED = ("SOURCE", "KIND", "HEALTHY", "NOTES", "build")
REQUIRED_BUGGY = ("FAULT", "EXPECTED")


def names():
    """The short names of every program module, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_"))


def load(name):
    """The program module `name` (checked for the required attributes)."""
    module = importlib.import_module(f"{__name__}.{name}")
    missing = [a for a in REQUIRED if not hasattr(module, a)]
    if not getattr(module, "HEALTHY", True):
        missing += [a for a in REQUIRED_BUGGY if not hasattr(module, a)]
    if missing:
        raise AttributeError(f"program {name} lacks {missing}")
    return module


def all_programs():
    """`{name: module}` for every program."""
    return {name: load(name) for name in names()}
