"""Severity levels, ordered info < warning < error."""

import enum

from kerasdoc._errors import InvalidInputError


class Severity(enum.IntEnum):
    """How bad a finding is.

    `ERROR`: training is broken or results are invalid. `WARNING`: likely to
    hurt. `INFO`: advice. Severities compare by badness
    (`Severity.INFO < Severity.ERROR`) and parse from their names.
    """

    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self):
        return self.name.lower()

    @classmethod
    def parse(cls, value):
        """Return the `Severity` named by `value` ("error", `Severity.ERROR`)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                pass
        raise InvalidInputError(
            "A severity must be one of 'info', 'warning', 'error'. "
            f"Received: severity={value!r}"
        )
