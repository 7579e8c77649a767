"""Exceptions raised by kerasdoc.

Every error kerasdoc raises for bad input subclasses a built-in (`ValueError` or
`TypeError`) as well as `KerasDocError`, so callers can catch either.
"""

__all__ = [
    "KerasDocError",
    "InvalidInputError",
    "InvalidTypeError",
    "DataIntegrityError",
    "FindingsError",
]


class KerasDocError(Exception):
    """Base class of every exception kerasdoc raises on purpose."""


class InvalidInputError(KerasDocError, ValueError):
    """An argument has the right type but an unusable value."""


class InvalidTypeError(KerasDocError, TypeError):
    """An argument has the wrong type."""


class DataIntegrityError(KerasDocError, ValueError):
    """A file on disk is missing, truncated, corrupt or modified."""


class FindingsError(KerasDocError):
    """Raised by `Report.raise_for` when findings reach a severity.

    The report is kept in the `report` attribute.
    """

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report
