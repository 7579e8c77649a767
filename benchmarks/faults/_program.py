"""What a fault case is made of: a `Program` (model builder, data, fit settings) and a `FaultCase`.

A `FaultCase` pairs a broken program with its healthy twin. Both come from one
function called with `broken=True` / `broken=False`, so the twins differ only
in the injected fault. Cases register themselves with the `case` decorator.
"""

import dataclasses
import functools
from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple

ENTRIES = ("diagnose", "check_data", "audit_model", "check_preprocessing",
           "sanity_check", "fit")


@dataclasses.dataclass
class Program:
    """One small training program: how to build the model, its data and fit settings.

    Args:
        model_fn: builds and compiles a fresh model (each run gets its own).
        x: training inputs (or the batch fed to `check_preprocessing`).
        y: training labels (unused by `check_preprocessing`).
        validation_data: `(x_val, y_val)` or `None`.
        batch_size: fit batch size. Defaults to `32`.
        epochs: fit epochs. Defaults to `2`.
        class_names: class names passed to `diagnose`, or `None`.
        entry: the kerasdoc entry point that runs the program (one of
            `ENTRIES`; `"fit"` is `model.fit` with a `kerasdoc.Doctor(**extra)`
            callback, for Doctor options `diagnose` does not expose, such as
            the opt-in sharpness estimate). Defaults to `"diagnose"`.
        extra: extra keyword arguments for the entry point (e.g. `datagen`).
        tolerated: warning/error codes this program legitimately carries
            besides the fault under test (not counted as false alarms on a
            healthy twin). Kept rare and explained in the case docstring.
    """

    model_fn: Callable[[], Any]
    x: Any
    y: Any = None
    validation_data: Optional[Tuple[Any, Any]] = None
    batch_size: int = 32
    epochs: int = 2
    class_names: Optional[Tuple[str, ...]] = None
    entry: str = "diagnose"
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict)
    tolerated: FrozenSet[str] = frozenset()

    def __post_init__(self):
        if self.entry not in ENTRIES:
            raise ValueError(f"entry must be one of {ENTRIES}. Received: entry={self.entry!r}")
        self.tolerated = frozenset(self.tolerated)


@dataclasses.dataclass(frozen=True)
class FaultCase:
    """A catalogue code, the severity it should be reported at, and the twin programs.

    Attributes:
        name: unique case name (the code, plus `[variant]` for extra variants).
        code: the finding code the broken program must raise.
        severities: accepted severities (most cases accept exactly one).
        broken: `broken()` returns the faulty `Program`.
        healthy: `healthy()` returns its twin without the fault.
        fast: part of the quick subset run by the test suite.
        description: what is injected, one line.
    """

    name: str
    code: str
    severities: Tuple[str, ...]
    broken: Callable[[], Program]
    healthy: Callable[[], Program]
    fast: bool
    description: str


CASES: Dict[str, FaultCase] = {}


def case(code, severity, *, fast=False, variant=None):
    """Register `fn(broken: bool) -> Program` as the fault case for `code`.

    Args:
        code: the catalogue code the broken program must trigger.
        severity: expected severity, or a tuple of accepted severities.
        fast: include the case in the `--fast` subset. Defaults to `False`.
        variant: suffix for a second case of the same code. Defaults to `None`.
    """
    severities = (severity,) if isinstance(severity, str) else tuple(severity)

    def register(fn):
        name = code if variant is None else f"{code}[{variant}]"
        if name in CASES:
            raise ValueError(f"duplicate fault case {name!r}")
        doc = (fn.__doc__ or "").strip().splitlines()
        CASES[name] = FaultCase(
            name=name,
            code=code,
            severities=severities,
            broken=functools.partial(fn, True),
            healthy=functools.partial(fn, False),
            fast=fast,
            description=doc[0] if doc else "",
        )
        return fn

    return register
