"""The base of every probe's result object."""

from typing import Optional, Tuple

from kerasdoc.findings import Finding, Report


class ProbeResult:
    """What one probe measured, and the findings it drew from it.

    Subclasses add the probe's numbers as attributes. A probe that does not
    apply to the model (e.g. the initial-loss check on a regression loss)
    returns a result whose `skipped` attribute says why, and no findings.

    Attributes:
        name: the probe's name, as used by `kerasdoc.sanity_check(checks=...)`.
        findings: tuple of `Finding`.
        seconds: wall-clock time the probe took.
        skipped: reason the probe did not run, or `None`.
        stopped: why the probe's loop ended (`"converged"`, `"max_steps"`,
            `"time_budget"`, ...), for probes that loop.
    """

    name = "probe"

    def __init__(self, *, findings=(), seconds=0.0, skipped=None, stopped=None):
        self.findings: Tuple[Finding, ...] = tuple(findings)
        self.seconds = float(seconds)
        self.skipped: Optional[str] = skipped
        self.stopped: Optional[str] = stopped

    @property
    def report(self):
        """The findings as a `kerasdoc.Report`."""
        return Report(
            self.findings,
            ran=() if self.skipped else (self.name,),
            skipped={self.name: self.skipped} if self.skipped else {},
            timings={self.name: self.seconds},
            title=f"kerasdoc {self.name}",
        )

    @property
    def passed(self):
        """True when the probe ran and found nothing of warning level or worse."""
        return self.skipped is None and not any(
            int(f.severity) >= 1 for f in self.findings)

    def _summary(self):
        return ""

    def __repr__(self):
        if self.skipped:
            return f"<{type(self).__name__} skipped: {self.skipped}>"
        codes = sorted({f.code for f in self.findings}) or "no findings"
        summary = self._summary()
        summary = f" {summary}," if summary else ""
        return f"<{type(self).__name__}{summary} {codes}>"

    def _repr_html_(self):
        return self.report._repr_html_()


def setting_of(settings, name, default):
    """`settings.name` (a `Settings` object), `settings[name]` (a mapping), or `default`.

    What a probe's judge reads its thresholds through, so it is called with
    the registry's settings, a plain dict in a test, or `None` for the
    defaults.
    """
    if settings is None:
        return default
    if isinstance(settings, dict):
        return settings.get(name, default)
    return getattr(settings, name, default)


def get_axes(ax):
    """`ax`, or a new figure's axes (matplotlib imported only here)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax
