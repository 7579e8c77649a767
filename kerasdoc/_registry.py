"""One registry of checks, their settings, and one runner for every part.

A check is a small unit registered with `@register`:

- a stable `name` (the code it emits when it emits one, e.g.
  `"train.dead_relu"`), and the `codes` it may emit;
- its `part` (`data`, `model`, `preprocessing`, `probes`, `training`);
- the task kinds (`multiclass`, `binary`, `multilabel`, `regression`,
  `reconstruction`, `sequence`) and input kinds (`image`, `tabular`,
  `tokens`, `sequence`, `string`) it applies to (all by default);
- what it `needs` (labels, validation data, a compiled model, ...);
- a frozen settings dataclass (a `Settings` subclass) where each setting's
  default, bounds and doc are written once, with `setting(...)`;
- a decision function `decide(*evidence, settings) -> [Finding, ...]`
  (or `([Finding, ...], reason)`, where a reason means it could not decide);
- the test ids of a test where it fires and one where it stays silent
  (`tests/test_registry.py` collects them: a check without both fails it).

`Runner` runs checks of one part and records, by check name, which ran,
which were skipped and why (does not apply to the task or the inputs, not
requested, missing input, budget spent), which failed (exception type,
message and traceback) and how long each took. The data audit, the model
audit, the probes, the `Doctor`'s detectors and `diagnose` all use it.

Adding a check touches its module, its tests, its fault-gallery case and,
for a new code, its row in `kerasdoc/findings/codes.json`: the registry finds
the modules of the part packages that register checks (`check_modules`), and
a model check registered with `evidence="model"` reads the model audit's one
`ModelEvidence` per output, so the audit runs it with no line of its own.

Settings reach every check from one place: `settings={"train.dead_relu":
{"fraction": 0.8}}` on every entry point, or a TOML file (`load_settings`).
An unknown check or setting is an `InvalidInputError` naming the closest
valid one.
"""

import dataclasses
import difflib
import importlib
import importlib.util
import numbers
import os
import pkgutil
import re
import time
from typing import Callable, Optional, Tuple

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import received

__all__ = ["checks"]

PARTS = ("data", "model", "preprocessing", "probes", "training")
"""The parts a check may belong to, in the order `diagnose` runs them."""

TASK_KINDS = ("multiclass", "binary", "multilabel", "regression", "reconstruction",
              "sequence")
"""Task kinds a check may apply to (see `kerasdoc.Task`)."""

CLASSIFICATION = ("multiclass", "binary", "multilabel")
"""The classification task kinds."""

SINGLE_LABEL = ("multiclass", "binary")
"""Task kinds where each sample has exactly one class."""

INPUT_KINDS = ("image", "tabular", "tokens", "sequence", "string")
"""Input kinds a check may apply to."""

NEEDS = ("labels", "validation_data", "compiled_model", "backbone", "x",
         "training_run", "batch_size")
"""What a check may need besides the model."""

# The packages whose modules may register checks (one per part that has
# checks; the preprocessing check lives in `kerasdoc.model`). `checks()`
# finds the modules itself (`check_modules`): adding a check module needs no
# line here.
_CHECK_PACKAGES = ("kerasdoc.data", "kerasdoc.model", "kerasdoc.probes",
                   "kerasdoc.training")
_REGISTERS = re.compile(r"^@register\(", re.MULTILINE)
_CHECK_MODULES = None  # found once, by `check_modules`

_REGISTRY = {}


# Settings -------------------------------------------------------------------

def default_of(function, name):
    """The default of keyword `name` in `function`'s signature.

    A setting whose public function already documents a default (e.g.
    `overfit_batch(max_steps=300)`) reads it from there, so the default is
    written once.
    """
    import inspect

    parameter = inspect.signature(function).parameters[name]
    if parameter.default is inspect.Parameter.empty:
        raise InvalidInputError(
            f"`{function.__name__}` has no default for {name!r}. Received: name={name!r}")
    return parameter.default


def setting(default, doc, *, minimum=None, maximum=None, exclusive_minimum=False,
            exclusive_maximum=False, integer=False):
    """A field of a check's settings dataclass: its default, bounds and doc, once.

    Args:
        default: the default value.
        doc: one sentence saying what the setting does.
        minimum: smallest allowed value. Defaults to `None` (no bound).
        maximum: largest allowed value. Defaults to `None` (no bound).
        exclusive_minimum: `minimum` itself is not allowed. Defaults to `False`.
        exclusive_maximum: `maximum` itself is not allowed. Defaults to `False`.
        integer: the value must be an int. Defaults to `False`.
    """
    return dataclasses.field(default=default, metadata={
        "doc": doc, "minimum": minimum, "maximum": maximum,
        "exclusive_minimum": exclusive_minimum, "exclusive_maximum": exclusive_maximum,
        "integer": integer})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base of every check's frozen settings dataclass; validates on creation.

    A subclass declares its fields with `setting(default, doc, minimum=...,
    maximum=...)`; a value out of its bounds or of the wrong type raises
    `InvalidInputError`/`InvalidTypeError` naming the check and the setting.
    """

    _check = "a check"

    def __post_init__(self):
        for field in dataclasses.fields(self):
            meta = field.metadata
            value = getattr(self, field.name)
            where = f"settings[{self._check!r}][{field.name!r}]"
            if meta.get("integer"):
                if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                    raise InvalidTypeError(
                        f"`{where}` must be an integer. {received(field.name, value)}")
            elif isinstance(field.default, bool):
                if not isinstance(value, bool):
                    raise InvalidTypeError(
                        f"`{where}` must be True or False. {received(field.name, value)}")
                continue
            elif isinstance(field.default, numbers.Real):
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise InvalidTypeError(
                        f"`{where}` must be a number. {received(field.name, value)}")
                if value != value or value in (float("inf"), float("-inf")):
                    raise InvalidInputError(
                        f"`{where}` must be finite. {received(field.name, value)}")
            low, high = meta.get("minimum"), meta.get("maximum")
            if low is not None and (value < low or (meta["exclusive_minimum"]
                                                    and value == low)):
                sign = ">" if meta["exclusive_minimum"] else ">="
                raise InvalidInputError(
                    f"`{where}` must be {sign} {low}. {received(field.name, value)}")
            if high is not None and (value > high or (meta["exclusive_maximum"]
                                                      and value == high)):
                sign = "<" if meta["exclusive_maximum"] else "<="
                raise InvalidInputError(
                    f"`{where}` must be {sign} {high}. {received(field.name, value)}")


@dataclasses.dataclass(frozen=True)
class NoSettings(Settings):
    """A check without settings."""


def describe_settings(settings_class):
    """`[(name, default, doc, bounds text)]` of a settings dataclass."""
    rows = []
    for field in dataclasses.fields(settings_class):
        meta = field.metadata
        bounds = []
        if meta.get("minimum") is not None:
            bounds.append(f"{'>' if meta['exclusive_minimum'] else '>='} {meta['minimum']}")
        if meta.get("maximum") is not None:
            bounds.append(f"{'<' if meta['exclusive_maximum'] else '<='} {meta['maximum']}")
        rows.append((field.name, field.default, meta.get("doc", ""), ", ".join(bounds)))
    return rows


# Checks ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Check:
    """One registered check (see the module docstring).

    Attributes:
        name: stable name, the code when the check emits one code.
        part: one of `PARTS`.
        codes: the codes it may emit.
        tasks: the task kinds it applies to.
        inputs: the input kinds it applies to.
        needs: what it needs besides the model (see `NEEDS`).
        settings: its frozen `Settings` dataclass.
        decide: the decision function `decide(*evidence, settings)`.
        summary: one line saying what it decides.
        fires: test ids (`path::name`) of tests where it fires.
        silent: test ids of tests where it stays silent.
        aliases: older names that still select it (e.g. `sanity_check`'s
            `checks=["overfit_batch"]`).
        remedy: the name of its remedy in `kerasdoc.remedies.REMEDIES` (the
            mechanical fix `kerasdoc.verify` tries on a copy), or None.
        evidence: `"model"` when its decision function takes the model
            audit's one standard evidence object
            (`kerasdoc.model._evidence.ModelEvidence`), so the model audit runs
            it with no line of its own; None when its part's runner calls it
            with its own arguments.
    """

    name: str
    part: str
    codes: Tuple[str, ...]
    tasks: Tuple[str, ...]
    inputs: Tuple[str, ...]
    needs: Tuple[str, ...]
    settings: type
    decide: Callable
    summary: str
    fires: Tuple[str, ...]
    silent: Tuple[str, ...]
    aliases: Tuple[str, ...] = ()
    remedy: Optional[str] = None
    evidence: Optional[str] = None

    def defaults(self):
        """The default settings (an instance of `settings`)."""
        return self.settings()

    def applies_to_task(self, task):
        """`None` when the check applies to `task`, else the reason it does not.

        A task of unknown kind (None, or an object without a kind) gets every
        check. For a multi-output task the check applies when it applies to
        one of the outputs' kinds.
        """
        kinds = task_kinds(task)
        if kinds is None or set(kinds) & set(self.tasks):
            return None
        return (f"does not apply to this task ({', '.join(sorted(kinds))}; "
                f"it applies to {', '.join(self.tasks)})")

    def applies_to_inputs(self, input_kinds):
        """`None` when the check applies to inputs of these kinds, else the reason."""
        if input_kinds is None:
            return None
        if isinstance(input_kinds, str):
            input_kinds = (input_kinds,)
        elif isinstance(input_kinds, dict):
            input_kinds = tuple(input_kinds.values())
        kinds = set(input_kinds)
        if not kinds or kinds & set(self.inputs):
            return None
        return (f"does not apply to {', '.join(sorted(kinds))} inputs "
                f"(it applies to {', '.join(self.inputs)})")

    def to_dict(self):
        """A JSON-ready description: codes, part, tasks, inputs, needs, settings."""
        return {
            "name": self.name, "part": self.part, "codes": list(self.codes),
            "tasks": list(self.tasks), "inputs": list(self.inputs),
            "needs": list(self.needs), "summary": self.summary, "remedy": self.remedy,
            "settings": {name: {"default": default, "doc": doc, "bounds": bounds}
                         for name, default, doc, bounds in describe_settings(self.settings)},
        }


def task_kinds(task):
    """The leaf task kinds of `task` (a `Task`, a kind name, or None = unknown)."""
    if task is None:
        return None
    if isinstance(task, str):
        return (task,) if task in TASK_KINDS else None
    kinds = getattr(task, "kinds", None)
    if kinds is None:
        kind = getattr(task, "kind", None)
        kinds = (kind,) if kind else ()
    kinds = tuple(k for k in kinds if k in TASK_KINDS)
    return kinds or None


def check_task(task):
    """`task` unchanged when it is None, a task kind name or a task object; else an error."""
    if task is None or isinstance(task, dict) or (
            not isinstance(task, str) and hasattr(task, "kind")):
        return task  # a dict of output name -> kind is checked by resolve_task
    if isinstance(task, str):
        if task in TASK_KINDS:
            return task
        raise InvalidInputError(
            f"`task` must be one of {', '.join(TASK_KINDS)}{_hint(task, TASK_KINDS)}. "
            f"{received('task', task)}")
    raise InvalidTypeError(
        f"`task` must be a task kind name or a kerasdoc.Task. {received('task', task)}")


def _kinds(value, allowed, what, name):
    if value is None:
        return tuple(allowed)
    if isinstance(value, str):
        value = (value,)
    value = tuple(value)
    bad = [v for v in value if v not in allowed]
    if bad or not value:
        raise InvalidInputError(
            f"`{what}` of check {name!r} must be names from {allowed}. "
            f"{received(what, value)}")
    return value


def register(name, *, part, codes=None, tasks=None, inputs=None, needs=(),
             settings=None, fires=(), silent=(), aliases=(), remedy=None, evidence=None):
    """Register a decision function as a check (a decorator).

    Args:
        name: stable name, equal to the code when the check emits one.
        part: one of `PARTS`.
        codes: the codes it may emit. Defaults to `None`: `(name,)`.
        tasks: task kinds it applies to. Defaults to `None`: all.
        inputs: input kinds it applies to. Defaults to `None`: all.
        needs: what it needs (names from `NEEDS`). Defaults to `()`.
        settings: its frozen `Settings` subclass. Defaults to `None`: none.
        fires: test ids (`tests/....py::test_name`) where it fires.
            Defaults to `()`.
        silent: test ids where it stays silent. Defaults to `()`.
        aliases: older names that still select it. Defaults to `()`.
        remedy: name of the check's remedy in `kerasdoc.remedies.REMEDIES`
            (a pure transform of a copy of the model, compile settings, data
            and fit settings). Defaults to `None`: no mechanical fix.
        evidence: `"model"`: the decision function is `decide(evidence, *,
            settings)` on the model audit's standard `ModelEvidence` (one per
            output), and the model audit runs it itself, skipping it with the
            reason when the output cannot be read or, if it needs `"labels"`,
            when the targets are missing. Defaults to `None`: the part's
            runner calls it with its own arguments.
    """
    from kerasdoc.findings import is_known_code

    if part not in PARTS:
        raise InvalidInputError(f"`part` must be one of {PARTS}. {received('part', part)}")
    codes = (name,) if codes is None else tuple(codes)
    unknown = [c for c in codes if not is_known_code(c)]
    if unknown:
        raise InvalidInputError(
            f"Check {name!r} names codes missing from codes.json. "
            f"{received('codes', unknown)}")
    settings = settings or NoSettings
    if not (isinstance(settings, type) and issubclass(settings, Settings)
            and settings.__dataclass_params__.frozen):
        raise InvalidTypeError(
            f"`settings` of check {name!r} must be a frozen Settings dataclass. "
            f"{received('settings', settings)}")

    if evidence not in (None, "model") or (evidence and part != "model"):
        raise InvalidInputError(
            f"`evidence` of check {name!r} must be None or 'model' (for a model check). "
            f"{received('evidence', evidence)}")
    if remedy is not None:
        from kerasdoc.remedies import REMEDIES

        if remedy not in REMEDIES:
            raise InvalidInputError(
                f"Check {name!r} names an unknown remedy{_hint(remedy, REMEDIES)}. "
                f"{received('remedy', remedy)}")
    tasks = _kinds(tasks, TASK_KINDS, "tasks", name)
    inputs = _kinds(inputs, INPUT_KINDS, "inputs", name)
    needs = _kinds(needs, NEEDS, "needs", name) if needs else ()

    def decorate(decide):
        if name in _REGISTRY and _REGISTRY[name].decide is not decide:
            raise InvalidInputError(f"A check named {name!r} is already registered.")
        if settings is not NoSettings:
            settings._check = name
        _REGISTRY[name] = Check(
            name=name, part=part, codes=codes,
            tasks=tasks, inputs=inputs, needs=needs,
            settings=settings, decide=decide,
            summary=(decide.__doc__ or "").strip().split("\n")[0],
            fires=tuple(fires), silent=tuple(silent), aliases=tuple(aliases),
            remedy=remedy, evidence=evidence)
        return decide

    return decorate


def check_modules():
    """The modules that register checks, found once and in a fixed order.

    Walks the modules of `_CHECK_PACKAGES` (`pkgutil`, without importing
    them) and keeps those whose source registers a check (a line starting
    `@register(`), sorted by package then module name, so the registration
    order and `checks()` are the same on every run.

    Returns:
        tuple of module names.
    """
    global _CHECK_MODULES
    if _CHECK_MODULES is None:
        found = []
        for package in _CHECK_PACKAGES:
            spec = importlib.util.find_spec(package)
            for info in sorted(pkgutil.iter_modules(spec.submodule_search_locations),
                               key=lambda m: m.name):
                if info.ispkg:
                    continue
                name = f"{package}.{info.name}"
                origin = importlib.util.find_spec(name).origin
                with open(origin, encoding="utf-8") as fh:
                    if _REGISTERS.search(fh.read()):
                        found.append(name)
        _CHECK_MODULES = tuple(found)
    return _CHECK_MODULES


def _load_all():
    for module in check_modules():
        importlib.import_module(module)


def checks(part=None):
    """Every registered check, in the order its part runs them.

    Each entry is a `Check` with its name, part, the codes it may emit, the
    task and input kinds it applies to, what it needs, and its settings
    (`check.to_dict()["settings"]`: default, bounds and doc of each).

    Args:
        part: only the checks of this part (one of `"data"`, `"model"`,
            `"preprocessing"`, `"probes"`, `"training"`). Defaults to `None`:
            all.

    Returns:
        A tuple of `Check`.

    Example:

    >>> [c.name for c in kerasdoc.checks("training")][:2]
    ['train.nonfinite', 'train.exploding_gradients']
    """
    if part is not None and part not in PARTS:
        raise InvalidInputError(
            f"`part` must be one of {PARTS}{_hint(part, PARTS)}. {received('part', part)}")
    _load_all()
    order = {p: i for i, p in enumerate(PARTS)}
    found = [c for c in _REGISTRY.values() if part is None or c.part == part]
    return tuple(sorted(found, key=lambda c: order[c.part]))


def get(name):
    """The registered check `name` (or one of its aliases); an error names the closest."""
    _load_all()
    if name in _REGISTRY:
        return _REGISTRY[name]
    for check in _REGISTRY.values():
        if name in check.aliases:
            return check
    raise InvalidInputError(
        f"Unknown check{_hint(name, _all_names())}. {received('check', name)}")


def _all_names():
    names = list(_REGISTRY)
    for check in _REGISTRY.values():
        names.extend(check.aliases)
    return names


def _hint(name, choices):
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


# Settings from one place ------------------------------------------------------

def resolve_settings(settings=None, *, overrides=None, part=None):
    """`{check name: Settings instance}` for every check of `part` (or all).

    Args:
        settings: `{check name: {setting: value}}` (or a `Settings`
            instance as the value). Keys may be check names or their aliases.
            Defaults to `None`.
        overrides: `{check name: {setting: value}}` from the keyword aliases
            of an entry point (e.g. `check_data(max_magnitude=...)`); a value
            equal to the default is ignored, so a keyword left at its default
            never undoes `settings`. Defaults to `None`.
        part: only this part's checks are returned (names of other parts are
            still validated). Defaults to `None`.

    Raises:
        InvalidInputError: an unknown check or setting, naming the closest.
    """
    _load_all()
    given = normalise_settings(settings)
    out = {}
    for check in checks(part):
        values = dict(given.get(check.name, {}))
        defaults = check.defaults()
        for key, value in ((overrides or {}).get(check.name, {})).items():
            if value is not None and value != getattr(defaults, key):
                values[key] = value
        out[check.name] = check.settings(**values) if values else defaults
    return out


def normalise_settings(settings):
    """Validate `{check: {setting: value}}`; return it keyed by canonical check names."""
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise InvalidTypeError(
            "`settings` must be a dict of check name -> {setting: value}, such as "
            "{'train.dead_relu': {'fraction': 0.8}}. "
            f"{received('settings', settings)}")
    out = {}
    for name, values in settings.items():
        if not isinstance(name, str):
            raise InvalidTypeError(
                f"`settings` keys must be check names. {received('settings', settings)}")
        try:
            check = get(name)
        except InvalidInputError:
            raise InvalidInputError(
                f"`settings` names an unknown check {name!r}{_hint(name, _all_names())}; "
                f"kerasdoc.checks() lists them. Received: settings={settings!r}") from None
        if isinstance(values, Settings):
            if not isinstance(values, check.settings):
                raise InvalidTypeError(
                    f"`settings[{name!r}]` must be a {check.settings.__name__}. "
                    f"{received(f'settings[{name!r}]', values)}")
            values = dataclasses.asdict(values)
        if not isinstance(values, dict):
            raise InvalidTypeError(
                f"`settings[{name!r}]` must be a dict of setting -> value. "
                f"{received(f'settings[{name!r}]', values)}")
        fields = [f.name for f in dataclasses.fields(check.settings)]
        for key in values:
            if key not in fields:
                valid = (f"its settings are {', '.join(fields)}" if fields
                         else "it has no settings")
                raise InvalidInputError(
                    f"Check {check.name!r} has no setting {key!r}"
                    f"{_hint(key, fields)}; {valid}. "
                    f"Received: settings[{name!r}][{key!r}]={values[key]!r}")
        merged = dict(out.get(check.name, {}))
        merged.update(values)
        check.settings(**merged)  # validates bounds and types now
        out[check.name] = merged
    return out


def merge_settings(*layers):
    """Later layers of `{check: {setting: value}}` win, setting by setting."""
    out = {}
    for layer in layers:
        for name, values in normalise_settings(layer).items():
            out.setdefault(name, {}).update(values)
    return out


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    return tomllib


def load_settings(path=None, *, start=None):
    """Settings from a TOML file, or from `[tool.kerasdoc]` in the project's pyproject.

    The file holds one table per check:

        [settings."train.dead_relu"]
        fraction = 0.8

    at its top level (`kerasdoc.toml`) or under `[tool.kerasdoc]`
    (`pyproject.toml`). Other top-level keys of the table (such as `task`)
    are returned too.

    Args:
        path: a `.toml` file. Defaults to `None`: look for `pyproject.toml`
            with a `[tool.kerasdoc]` table in `start` and its parents.
        start: folder the search starts in. Defaults to `None` (the current
            folder).

    Returns:
        `(settings dict, options dict, the file read or None)`.
    """
    tomllib = _toml()
    if path is None:
        folder = os.path.abspath(start or os.getcwd())
        while True:
            candidate = os.path.join(folder, "pyproject.toml")
            if os.path.isfile(candidate):
                with open(candidate, "rb") as fh:
                    try:
                        table = tomllib.load(fh).get("tool", {}).get("kerasdoc")
                    except tomllib.TOMLDecodeError as exc:
                        raise InvalidInputError(
                            f"{candidate} is not valid TOML ({exc}). "
                            f"Received: path={candidate}") from None
                if table is None:
                    return {}, {}, None
                return _from_table(table, candidate)
            parent = os.path.dirname(folder)
            if parent == folder:
                return {}, {}, None
            folder = parent
    if not os.path.isfile(path):
        raise InvalidInputError(f"Settings file not found. Received: config={path}")
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(
                f"The settings file is not valid TOML ({exc}). Received: config={path}"
            ) from None
    if os.path.basename(path) == "pyproject.toml" or "tool" in data:
        data = data.get("tool", {}).get("kerasdoc", {})
    return _from_table(data, path)


_OPTIONS = ("task", "parts", "budget_s", "epochs", "batch_size", "seed")


def _from_table(table, path):
    if not isinstance(table, dict):
        raise InvalidInputError(f"The kerasdoc table must be a table. Received: config={path}")
    unknown = [k for k in table if k not in _OPTIONS + ("settings",)]
    if unknown:
        raise InvalidInputError(
            f"Unknown key {unknown[0]!r}{_hint(unknown[0], _OPTIONS + ('settings',))} in "
            f"{path}; the keys are settings, {', '.join(_OPTIONS)}. "
            f"Received: {unknown[0]}={table[unknown[0]]!r}")
    settings = normalise_settings(table.get("settings", {}))
    options = {k: table[k] for k in _OPTIONS if k in table}
    return settings, options, path


# The runner -------------------------------------------------------------------

class Skip(Exception):
    """Raised by evidence gathering to skip a check with a reason (not a failure)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = str(reason)


class Runner:
    """Runs registered checks of one part; records ran, skipped, failed, timings.

    Args:
        part: the part whose checks run (one of `PARTS`).
        task: the task (a `kerasdoc.Task`, a kind name, or None = unknown:
            every check runs). Defaults to `None`.
        input_kind: the kind of the inputs (a name, or a dict/list of them),
            or None when unknown. Defaults to `None`.
        settings: `{check name: Settings}` from `resolve_settings`.
            Defaults to `None` (every default).
        select: names of the checks requested, or None for all.
            Defaults to `None`.
        budget: a callable returning the seconds left, or None: a check
            that would start with none left is skipped ("time budget spent
            before this check"). Defaults to `None`: the ambient deadline's
            (`kerasdoc._deadline.current()`, set by `diagnose` for the
            running part) when there is one, except for an `accumulate`
            runner (the `Doctor`'s detectors judge what was recorded, also
            after the budget stopped the run).
        clock: the timer. Defaults to `time.perf_counter`.
        accumulate: keep running the same checks repeatedly (the `Doctor`):
            `ran` lists each once, timings add up, a failure is kept once.
            Defaults to `False`.
    """

    def __init__(self, part, *, task=None, input_kind=None, settings=None,
                 select=None, budget=None, clock=None, accumulate=False):
        self.part, self.task, self.input_kind = part, check_task(task), input_kind
        self.settings = settings if settings is not None else resolve_settings(part=part)
        self.select = None if select is None else {get(n).name for n in select}
        if budget is None and not accumulate:
            from kerasdoc import _deadline

            ambient = _deadline.current()
            budget = None if ambient is None else ambient.left
        self.budget, self.clock = budget, clock or time.perf_counter
        self.accumulate = accumulate
        self.findings, self.ran, self.skipped, self.failed = [], [], {}, {}
        self.timings, self.warnings = {}, {}

    def _quiet(self, sink):
        """The context a check runs in: numerical libraries' warnings kept out of stderr.

        One-off runs collect them into `sink` (see `kerasdoc._quiet`). The
        `Doctor`'s detectors (`accumulate`) run inside the user's `fit`, many
        times: there numpy's floating-point warnings are only silenced, since
        `warnings.catch_warnings` would reset the user's once-only warnings.
        """
        if self.accumulate:
            import numpy as np

            return np.errstate(all="ignore")
        from kerasdoc._quiet import captured_warnings

        return captured_warnings(sink)

    def settings_for(self, name):
        """The settings instance of check `name`."""
        if name not in self.settings:
            self.settings[name] = get(name).defaults()
        return self.settings[name]

    def reason_to_skip(self, name):
        """Why check `name` would be skipped now (not requested, task, inputs, budget), or None."""
        check = get(name)
        if self.select is not None and check.name not in self.select:
            return "not requested"
        reason = check.applies_to_task(self.task)
        if reason is None:
            reason = check.applies_to_inputs(self.input_kind)
        if reason is None and self.budget is not None and self.budget() <= 0:
            reason = "time budget spent before this check"
        return reason

    def skip(self, name, reason):
        """Record check `name` as skipped with `reason` (e.g. missing input).

        A check that is not requested or does not apply to the task or the
        inputs is recorded with that reason instead, the more basic one.
        """
        self.skipped[get(name).name] = str(self.reason_to_skip(name) or reason)

    def run(self, name, *evidence, gather=None, **kwargs):
        """Run check `name` on `evidence`; return its findings (`[]` when not run).

        Args:
            name: the check's name.
            *evidence: positional arguments of its decision function.
            gather: a callable `gather(settings) -> tuple` computing the
                evidence inside the check's timing and failure handling (it
                may raise `Skip(reason)`). Defaults to `None`.
            **kwargs: keyword arguments of its decision function.
        """
        check = get(name)
        name = check.name
        reason = self.reason_to_skip(name)
        if reason is not None:
            if not (self.accumulate and name in self.ran):
                self.skipped[name] = reason
            return []
        if self.accumulate and name in self.failed:
            return []  # a failed detector is not retried at every read-back
        settings = self.settings_for(name)
        start = self.clock()
        caught = []
        try:
            with self._quiet(caught):
                args = evidence + (tuple(gather(settings)) if gather is not None else ())
                result = check.decide(*args, settings=settings, **kwargs)
        except Skip as skip:
            self.skipped[name] = skip.reason
            return []
        except Exception as exc:  # a crash is a failure, never a silent skip
            from kerasdoc.findings._report import failure

            self.failed[name] = failure(exc)
            self.skipped.pop(name, None)
            return []
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + self.clock() - start
        findings, reason = result if isinstance(result, tuple) else (result, None)
        findings = list(findings)
        if caught:
            # What numpy or scikit-learn said while the evidence was computed
            # (a solver that did not converge, a division by zero) qualifies
            # that evidence: it goes with the check's findings, not to stderr.
            self.warnings[name] = caught
            findings = [f.replace(evidence=dict(f.evidence, warnings=list(caught)))
                        for f in findings]
        if reason:
            self.skipped[name] = reason
        elif name not in self.ran:
            self.ran.append(name)
            self.skipped.pop(name, None)
        self.findings.extend(findings)
        return findings

    def report(self, title, findings=None, **extra):
        """The `Report` of what ran (`findings` defaults to every check's findings)."""
        from kerasdoc.findings import Report

        return Report(self.findings if findings is None else findings, ran=self.ran,
                      skipped=self.skipped, failed=self.failed, timings=self.timings,
                      title=title, **extra)
