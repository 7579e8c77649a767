"""The `Finding`: one problem, its evidence and its fix."""

import dataclasses
import types
from typing import Any, Mapping, Optional

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc.findings._catalogue import default_severity, is_known_code
from kerasdoc.findings._severity import Severity


def _freeze(value):
    """Read-only copies of nested dicts, lists as tuples (evidence is data)."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem kerasdoc found.

    Args:
        code: stable catalogue code such as `"model.zero_init"`. An unknown
            code raises `ValueError`: codes are API (see `kerasdoc.CATALOGUE`).
        severity: `Severity` or its name. Defaults to the catalogue's default.
        message: one sentence saying what is wrong.
        evidence: the numbers, names and indices that triggered the finding.
        fix: a concrete change that removes the problem.
        layer: name of the layer concerned, if any.
        step: training step at which it was seen, for `train.*` findings.
        verified: what `kerasdoc.verify` measured when it applied the
            finding's remedy to a copy and trained both arms across seeds
            (verdict, before/after numbers, the 95% interval of the gain), or
            None when it was not verified.

    Example:

    >>> f = Finding("model.zero_init", message="Kernel of 'dense' is all zeros.",
    ...             evidence={"layer_std": 0.0}, fix="Use he_normal.")
    >>> str(f.severity)
    'error'
    """

    code: str
    severity: Optional[Severity] = None
    message: str = ""
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    fix: str = ""
    layer: Optional[str] = None
    step: Optional[int] = None
    verified: Optional[Mapping[str, Any]] = dataclasses.field(default=None, hash=False,
                                                              compare=False)

    def __post_init__(self):
        if not is_known_code(self.code):
            raise InvalidInputError(
                f"Unknown finding code {self.code!r}: add it to "
                "kerasdoc/findings/codes.json before using it. "
                f"Received: code={self.code!r}"
            )
        if self.evidence is not None and not isinstance(self.evidence, Mapping):
            raise InvalidTypeError(
                "`evidence` must be a dict. "
                f"Received: evidence={type(self.evidence).__name__}"
            )
        severity = (
            default_severity(self.code)
            if self.severity is None
            else Severity.parse(self.severity)
        )
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "evidence", _freeze(dict(self.evidence or {})))
        if self.verified is not None:
            if not isinstance(self.verified, Mapping):
                raise InvalidTypeError(
                    "`verified` must be a dict. "
                    f"Received: verified={type(self.verified).__name__}")
            object.__setattr__(self, "verified", _freeze(dict(self.verified)))

    def to_dict(self):
        """A JSON-ready dict (numpy values converted by `Report.to_json`)."""
        out = {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "evidence": _thaw(self.evidence),
            "fix": self.fix,
            "layer": self.layer,
            "step": self.step,
        }
        if self.verified is not None:
            out["verified"] = _thaw(self.verified)
        return out

    def replace(self, **changes):
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _thaw(value):
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value
