"""The catalogue of finding codes (copied from the project's `checks.md`).

Codes are public API: they are never renamed or reused. Adding a code means
adding a row to `codes.json`.
"""

import json
from importlib import resources

from kerasdoc.findings._severity import Severity


def _load():
    text = resources.files("kerasdoc.findings").joinpath("codes.json").read_text(
        encoding="utf-8"
    )
    rows = json.loads(text)["codes"]
    return {
        row["code"]: (Severity.parse(row["severity"]), row["description"])
        for row in rows
    }


CATALOGUE = _load()
"""dict: code -> (default severity, description)."""


def is_known_code(code):
    """Whether `code` is in the catalogue."""
    return isinstance(code, str) and code in CATALOGUE


def default_severity(code):
    """The catalogue's default severity for `code`."""
    return CATALOGUE[code][0]


def describe(code):
    """The catalogue's one-line description of when `code` fires."""
    if not is_known_code(code):
        from kerasdoc._errors import InvalidInputError

        raise InvalidInputError(
            f"`code` must be a finding code of kerasdoc.CATALOGUE. Received: code={code!r}")
    return CATALOGUE[code][1]
