"""One module per program; each has SOURCE, PATTERN, NOTES, FAST and `build()`."""

import importlib
import pkgutil


def names():
    """Module names of every program, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name):
    """The program module `name`."""
    return importlib.import_module(f"{__name__}.{name}")
