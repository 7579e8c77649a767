"""Findings core: `Severity`, `Finding`, `Report` and the code catalogue."""

from kerasdoc.findings._catalogue import CATALOGUE, describe, is_known_code
from kerasdoc.findings._finding import Finding
from kerasdoc.findings._report import Report
from kerasdoc.findings._severity import Severity

__all__ = ["CATALOGUE", "Finding", "Report", "Severity", "describe", "is_known_code"]
