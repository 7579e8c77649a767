"""The `Report`: an ordered collection of findings with renderings."""

import html
import json
import math
import os
import sys
from collections.abc import Sequence

import numpy as np

from kerasdoc._errors import FindingsError, InvalidTypeError
from kerasdoc.findings._finding import Finding, _thaw
from kerasdoc.findings._severity import Severity

_COLORS = {
    Severity.ERROR: "\033[31m",
    Severity.WARNING: "\033[33m",
    Severity.INFO: "\033[36m",
}
_RESET = "\033[0m"
_HTML_COLORS = {
    Severity.ERROR: "#c62828",
    Severity.WARNING: "#ef6c00",
    Severity.INFO: "#1565c0",
}


def _sequence(value, name):
    """`value` as a list, or an error naming `name` (a str is not a sequence here)."""
    if isinstance(value, (str, bytes, dict)):
        raise InvalidTypeError(f"`{name}` must be a list. Received: {name}={value!r}")
    try:
        return list(value)
    except TypeError:
        raise InvalidTypeError(
            f"`{name}` must be a list. Received: {name}={type(value).__name__}") from None


def _json_default(value):
    """Convert numpy scalars/arrays and other odd values for `json.dumps`."""
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _clean_floats(value):
    """NaN/Inf are not JSON: write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_floats(v) for v in value]
    return value


def failure(exc):
    """The `Report.failed` entry of an exception: its type, message and traceback."""
    import traceback

    return {"type": type(exc).__name__, "message": str(exc),
            "traceback": "".join(traceback.format_exception(
                type(exc), exc, exc.__traceback__))}


def _failure(value, name):
    """A `Report.failed` entry checked: a dict with type, message, traceback."""
    if isinstance(value, BaseException):
        return failure(value)
    if not isinstance(value, dict) or not {"type", "message"} <= set(value):
        raise InvalidTypeError(
            "`failed` must map names to {'type', 'message', 'traceback'} dicts. "
            f"Received: failed[{name!r}]={value!r}")
    return {"type": str(value["type"]), "message": str(value["message"]),
            "traceback": str(value.get("traceback", ""))}


def _format_value(value, limit=12):
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        shown = ", ".join(_format_value(v) for v in items[:limit])
        more = f", ... ({len(items)} in all)" if len(items) > limit else ""
        return f"[{shown}{more}]"
    if isinstance(value, dict) or hasattr(value, "items"):
        inner = ", ".join(f"{k}={_format_value(v)}" for k, v in list(value.items())[:limit])
        return "{" + inner + "}"
    return str(value)


def _number(value):
    if value is None:
        return "n/a"
    value = float(value)
    if not math.isfinite(value):
        return "diverged" if value > 0 else str(value)
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.4g}"


def _interval(lo, hi):
    if lo is not None and float(lo) >= 0:
        return f"{_number(lo)}-{_number(hi)}"
    return f"{_number(lo)} to {_number(hi)}"


def verified_lines(verified):
    """The report lines of one finding's `verified` entry (see `kerasdoc.verify`)."""
    verdict = verified.get("verdict")
    lines = []
    for change in verified.get("changes", ()):
        lines.append(f"remedy: {change}")
    if verdict in ("confirmed", "no effect", "harmful", "not enough alone",
                   "confirmed with the others"):
        lo, hi = verified.get("ci95") or (None, None)
        line = (f"verified: val loss {_number(verified.get('val_loss_before'))} -> "
                f"{_number(verified.get('val_loss_after'))}, {verified.get('seeds')} seeds, "
                f"95 % CI of the gain {_interval(lo, hi)}: {verdict}")
        steps = verified.get("steps") or {}
        if verified.get("epochs") and steps.get("before") != steps.get("after"):
            line += (f" (at {verified['epochs']} epochs each: {steps.get('before')} -> "
                     f"{steps.get('after')} optimizer steps)")
        if verified.get("extended"):
            line += (f" (runs of {verified['extended']['from_epochs']} epochs were "
                     f"inconclusive; judged at {verified.get('epochs')})")
        within = verified.get("with_the_others")
        if within and within.get("val_loss_before") is not None:
            line += (f"; with the other remedies, leaving it out: val loss "
                     f"{_number(within.get('val_loss_before'))} -> with it "
                     f"{_number(within.get('val_loss_after'))}: {within.get('verdict')}")
        if verified.get("metric"):
            line += (f" ({verified['metric']} {_number(verified.get('metric_before'))} -> "
                     f"{_number(verified.get('metric_after'))})")
        if verified.get("before_error"):
            line += f"; the original run raised {verified['before_error']}"
        if verified.get("after_error"):
            line += f"; the remedied run raised {verified['after_error']}"
        if verified.get("standing") == "unconfirmed":
            line += "; unconfirmed" + (", warning lowered to info" if verified.get(
                "original_severity") == "warning" else "")
        lines.append(line)
    elif verdict is not None:
        lines.append(f"verified: {verdict} ({verified.get('reason', '')})")
    return lines


def _curves_svg(verified, width=260, height=90):
    """A small inline SVG of the before/after validation-loss curves (mean over seeds)."""
    curves = verified.get("curves") or {}
    before, after = curves.get("before"), curves.get("after")
    if not before or not after:
        return ""
    series = []
    for runs in (before, after):
        runs = [[float(v) for v in run] for run in runs if run]
        if not runs:
            return ""
        length = min(len(r) for r in runs)
        series.append([sum(r[i] for r in runs) / len(runs) for i in range(length)])
    values = [v for s in series for v in s if math.isfinite(v)]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0

    def path(points, colour):
        n = max(len(points) - 1, 1)
        xy = [(8 + (width - 16) * i / n,
               8 + (height - 16) * (1 - ((min(max(v, lo), hi) if math.isfinite(v) else hi)
                                         - lo) / span))
              for i, v in enumerate(points)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy))
        return f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>'

    return (f'<svg class="kd-verified" width="{width}" height="{height}" '
            'xmlns="http://www.w3.org/2000/svg" role="img" '
            'aria-label="validation loss per epoch: before (grey) and after (green)">'
            + path(series[0], "#9e9e9e") + path(series[1], "#2e7d32")
            + f'<text x="8" y="{height - 1}" font-size="9">val loss per epoch: before '
            '(grey), after (green)</text></svg>')


class Report(Sequence):
    """Findings of one or more checks, worst first.

    A `Report` is a sequence of `Finding`s (sorted by severity, worst first,
    then by the order the checks produced them). It also records which
    checks ran, which were skipped and why, and how long each took.

    Args:
        findings: iterable of `Finding`.
        ran: names of the checks that ran.
        skipped: dict of check name -> reason it was skipped.
        timings: dict of check or part name -> seconds.
        title: heading used by the renderings. Defaults to `"kerasdoc report"`.
        failed: dict of check or part name -> `{"type", "message",
            "traceback"}` for the checks that raised. A failure is never a
            skip: a report with failures is incomplete (`report.complete` is
            `False`) and the command line exits 3. Defaults to `None`.
        task: the task the checks served (an object with `describe()`, such
            as `kerasdoc.Task`); its line opens every rendering. Defaults to
            `None`.
        verification: what `kerasdoc.verify` measured beyond each finding's
            own `verified` entry (the settings of the runs, all remedies
            together), or None. Defaults to `None`.

    Example:

    >>> report = Report([Finding("optim.vanilla_sgd", message="SGD without momentum.")])
    >>> report.worst
    <Severity.INFO: 0>
    >>> print(report.to_text())  # doctest: +ELLIPSIS
    kerasdoc report: 0 errors, 0 warnings, 1 info
    ...
    """

    def __init__(self, findings=(), *, ran=(), skipped=None, timings=None,
                 title="kerasdoc report", failed=None, task=None, verification=None):
        findings = _sequence(findings, "findings")
        for f in findings:
            if not isinstance(f, Finding):
                raise InvalidTypeError(
                    f"A Report holds Finding objects (`findings`). "
                    f"Received: {type(f).__name__}"
                )
        ran = _sequence(ran, "ran")
        if not all(isinstance(name, str) for name in ran):
            raise InvalidTypeError(f"`ran` must hold check names. Received: ran={ran!r}")
        for name, value in (("skipped", skipped), ("timings", timings),
                            ("failed", failed)):
            if value is not None and not isinstance(value, dict):
                raise InvalidTypeError(
                    f"`{name}` must be a dict. Received: {name}={type(value).__name__}")
        try:
            timings = {k: float(v) for k, v in (timings or {}).items()}
        except (TypeError, ValueError):
            raise InvalidTypeError(
                f"`timings` must map names to seconds. Received: timings={timings!r}"
            ) from None
        order = {id(f): i for i, f in enumerate(findings)}
        self._findings = tuple(
            sorted(findings, key=lambda f: (-int(f.severity), order[id(f)]))
        )
        self.ran = tuple(ran)
        self.skipped = {str(k): str(v) for k, v in (skipped or {}).items()}
        self.timings = timings
        self.title = title
        self.failed = {str(k): _failure(v, k) for k, v in (failed or {}).items()}
        if task is not None and not callable(getattr(task, "describe", None)):
            raise InvalidTypeError(
                "`task` must be a task profile with a `describe()` method (such as "
                f"kerasdoc.Task). Received: task={task!r}")
        self.task = task
        if verification is not None and not isinstance(verification, dict):
            raise InvalidTypeError(
                f"`verification` must be a dict. Received: verification={verification!r}")
        self.verification = verification

    # Sequence protocol -------------------------------------------------
    def __getitem__(self, index):
        return self._findings[index]

    def __len__(self):
        return len(self._findings)

    def __repr__(self):
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return (f"<Report {len(self.errors)} errors, {len(self.warnings)} warnings, "
                f"{len(self.infos)} info{failed}: {sorted(self.codes)}>")

    def __str__(self):
        return self.to_text(color=False)

    # Queries -----------------------------------------------------------
    @property
    def findings(self):
        """The findings as a tuple, worst first."""
        return self._findings

    @property
    def errors(self):
        """Findings of severity error."""
        return [f for f in self._findings if f.severity == Severity.ERROR]

    @property
    def warnings(self):
        """Findings of severity warning."""
        return [f for f in self._findings if f.severity == Severity.WARNING]

    @property
    def infos(self):
        """Findings of severity info."""
        return [f for f in self._findings if f.severity == Severity.INFO]

    @property
    def complete(self):
        """Whether every check that was asked for either ran or was skipped (none failed)."""
        return not self.failed

    @property
    def worst(self):
        """The highest severity present, or `None` for an empty report."""
        return self._findings[0].severity if self._findings else None

    @property
    def codes(self):
        """The set of codes present."""
        return {f.code for f in self._findings}

    def by_code(self, code):
        """Findings with the given code."""
        return [f for f in self._findings if f.code == code]

    def has(self, code, severity=None):
        """Whether a finding with `code` (and exactly `severity`, if given) exists."""
        wanted = None if severity is None else Severity.parse(severity)
        return any(
            f.code == code and (wanted is None or f.severity == wanted)
            for f in self._findings
        )

    def at_least(self, severity):
        """Findings whose severity is `severity` or worse."""
        level = Severity.parse(severity)
        return [f for f in self._findings if f.severity >= level]

    def merge(self, *others, title=None):
        """A new report holding the findings and bookkeeping of all reports."""
        for other in others:
            if not isinstance(other, Report):
                raise InvalidTypeError(
                    f"`merge` takes Reports. Received: {type(other).__name__}")
        reports = (self,) + others
        skipped, timings, ran, failed = {}, {}, [], {}
        for r in reports:
            ran.extend(r.ran)
            skipped.update(r.skipped)
            timings.update(r.timings)
            failed.update(r.failed)
        task = next((r.task for r in reports if r.task is not None), None)
        verification = next((r.verification for r in reports
                             if r.verification is not None), None)
        return Report(
            [f for r in reports for f in r._findings],
            ran=ran, skipped=skipped, timings=timings, failed=failed, task=task,
            title=title or self.title, verification=verification,
        )

    def __add__(self, other):
        if not isinstance(other, Report):
            return NotImplemented
        return self.merge(other)

    def raise_for(self, severity="error"):
        """Raise `FindingsError` if a finding is at `severity` or worse.

        Args:
            severity: the threshold. Defaults to `"error"`.
        """
        hits = self.at_least(severity)
        if hits:
            codes = ", ".join(sorted({f.code for f in hits}))
            raise FindingsError(
                f"{len(hits)} finding(s) at {Severity.parse(severity)} or worse: {codes}",
                report=self,
            )
        return self

    # Renderings --------------------------------------------------------
    def _task_line(self):
        """The task's one-line description, or `None` without a task."""
        if self.task is None:
            return None
        line = str(self.task.describe())
        return line if line.startswith("task:") else f"task: {line}"

    def _task_dict(self):
        if self.task is None:
            return None
        to_dict = getattr(self.task, "to_dict", None)
        if callable(to_dict):
            out = dict(to_dict())
        else:
            out = {}
        out.setdefault("description", self.task.describe())
        return out

    def to_dict(self):
        """A JSON-ready dict: task, summary, findings, ran, skipped, failed, timings."""
        body = {}
        if self.task is not None:
            body["task"] = self._task_dict()
        body.update({
            "title": self.title,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "info": len(self.infos),
                "failed": len(self.failed),
                "complete": self.complete,
                "worst": None if self.worst is None else str(self.worst),
            },
            "findings": [f.to_dict() for f in self._findings],
            "ran": list(self.ran),
            "skipped": self.skipped,
            "failed": self.failed,
            "timings": self.timings,
        })
        if self.verification is not None:
            body["verification"] = self.verification
        return _clean_floats(json.loads(json.dumps(body, default=_json_default)))

    def to_json(self, indent=2):
        """The report as a JSON string (NaN/Inf written as strings)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def _summary_line(self):
        failed = f", {len(self.failed)} FAILED" if self.failed else ""
        return (f"{self.title}: {len(self.errors)} errors, "
                f"{len(self.warnings)} warnings, {len(self.infos)} info{failed}")

    def to_text(self, color=None):
        """A plain-text rendering for terminals.

        Args:
            color: use ANSI colours. Defaults to `None`: colour when stdout is
                a terminal and `NO_COLOR` is not set.
        """
        if color is None:
            color = (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
                     and "NO_COLOR" not in os.environ)
        lines = [self._summary_line()]
        if self._task_line():
            lines.insert(0, self._task_line())
        if not self._findings and not self.failed:
            lines.append("  no problems found")
        elif not self._findings:
            lines.append("  no problems found by the checks that ran; "
                         f"{len(self.failed)} failed, so the report is incomplete")
        for name, info in self.failed.items():
            tag = "FAILED"
            if color:
                tag = f"{_COLORS[Severity.ERROR]}{tag}{_RESET}"
            lines.append(f"{tag} {name}: {info['type']}: {info['message']}")
        for f in self._findings:
            tag = str(f.severity).upper()
            if color:
                tag = f"{_COLORS[f.severity]}{tag}{_RESET}"
            where = []
            if f.layer:
                where.append(f"layer {f.layer}")
            if f.step is not None:
                where.append(f"step {f.step}")
            suffix = f" ({', '.join(where)})" if where else ""
            lines.append(f"{tag} {f.code}{suffix}: {f.message}")
            for key, value in _thaw(f.evidence).items():
                lines.append(f"    {key}: {_format_value(value)}")
            if f.fix:
                lines.append(f"    fix: {f.fix}")
            if f.verified is not None:
                lines.extend(f"    {line}" for line in verified_lines(_thaw(f.verified)))
        if self.verification is not None and self.verification.get("together"):
            lines.append("all remedies together: " + "; ".join(
                verified_lines(self.verification["together"])))
        if self.ran:
            lines.append("ran: " + ", ".join(
                f"{name} ({self.timings[name]:.2f}s)" if name in self.timings else name
                for name in self.ran))
        for name, reason in self.skipped.items():
            lines.append(f"skipped {name}: {reason}")
        return "\n".join(lines)

    def to_html(self, *, full_page=False, extra_html=""):
        """An HTML rendering with no external assets.

        Args:
            full_page: return a whole document rather than a fragment.
                Defaults to `False`.
            extra_html: trusted HTML appended after the findings (e.g. embedded
                plots). Defaults to `""`.
        """
        esc = html.escape
        rows = []
        for f in self._findings:
            colour = _HTML_COLORS[f.severity]
            evidence = "".join(
                f"<li><code>{esc(str(k))}</code>: {esc(_format_value(v))}</li>"
                for k, v in _thaw(f.evidence).items()
            )
            where = " ".join(
                x for x in (
                    f"layer <code>{esc(f.layer)}</code>" if f.layer else "",
                    f"step {f.step}" if f.step is not None else "",
                ) if x
            )
            rows.append(
                f'<div class="kd-finding" style="border-left:4px solid {colour};'
                'padding:4px 8px;margin:6px 0">'
                f'<b style="color:{colour}">{esc(str(f.severity).upper())}</b> '
                f"<code>{esc(f.code)}</code> {where}<br>{esc(f.message)}"
                + (f"<ul>{evidence}</ul>" if evidence else "")
                + (f"<div><b>Fix:</b> {esc(f.fix)}</div>" if f.fix else "")
                + ("".join(f"<div>{esc(line)}</div>"
                           for line in verified_lines(_thaw(f.verified)))
                   if f.verified is not None else "")
                + (_curves_svg(_thaw(f.verified)) if f.verified is not None else "")
                + "</div>"
            )
        failures = "".join(
            f'<div class="kd-failed" style="border-left:4px solid '
            f'{_HTML_COLORS[Severity.ERROR]};padding:4px 8px;margin:6px 0">'
            f'<b style="color:{_HTML_COLORS[Severity.ERROR]}">FAILED</b> '
            f"<code>{esc(name)}</code>: {esc(info['type'])}: {esc(info['message'])}"
            + (f"<details><summary>traceback</summary><pre>{esc(info['traceback'])}"
               "</pre></details>" if info["traceback"] else "")
            + "</div>"
            for name, info in self.failed.items())
        if not rows and not self.failed:
            rows.append("<p>No problems found.</p>")
        elif not rows:
            rows.append("<p>No problems found by the checks that ran; "
                        f"{len(self.failed)} failed, so the report is incomplete.</p>")
        rows = [failures] + rows
        bookkeeping = ""
        if self.ran:
            bookkeeping += "<p><b>Ran:</b> " + esc(", ".join(
                f"{n} ({self.timings[n]:.2f}s)" if n in self.timings else n
                for n in self.ran)) + "</p>"
        if self.skipped:
            bookkeeping += "<p><b>Skipped:</b></p><ul>" + "".join(
                f"<li>{esc(n)}: {esc(r)}</li>" for n, r in self.skipped.items()
            ) + "</ul>"
        task = (f'<p class="kd-task"><b>{esc(self._task_line())}</b></p>'
                if self._task_line() else "")
        body = (f'<div class="kerasdoc-report">{task}'
                f'<h3>{esc(self._summary_line())}</h3>'
                + "".join(rows) + bookkeeping + extra_html + "</div>")
        if not full_page:
            return body
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                f"<title>{esc(self.title)}</title></head>"
                "<body style=\"font-family:sans-serif;max-width:960px;margin:auto\">"
                f"{body}</body></html>")

    def _repr_html_(self):
        return self.to_html()
