"""A self-contained HTML report: findings plus plots embedded as base64 PNGs."""

import base64
import html
import os
import tempfile
from typing import Mapping, Optional

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import received
from kerasdoc.plot._common import figure_png

__all__ = ["figures_html", "write_html_report"]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_bytes(item, caption):
    """PNG bytes from a Figure, a Display (its `figure_`), or PNG bytes."""
    if isinstance(item, (bytes, bytearray)):
        if not bytes(item[:8]) == _PNG_MAGIC:
            raise InvalidInputError(
                f"Figure {caption!r} is bytes but not a PNG image. "
                f"Received: {len(item)} bytes starting {bytes(item[:8])!r}"
            )
        return bytes(item)
    figure = getattr(item, "figure_", item)
    if not hasattr(figure, "savefig"):
        raise InvalidTypeError(
            f"Figure {caption!r} must be a matplotlib Figure, a kerasdoc Display "
            f"that has been plotted, or PNG bytes. {received('figure', item)}"
        )
    return figure_png(figure)


def figures_html(figures, *, notes=None):
    """HTML `<figure>` blocks with the images inlined as `data:` URIs.

    Args:
        figures: mapping caption -> matplotlib Figure, plotted Display, or
            PNG bytes.
        notes: mapping caption -> plain text shown under that figure.
            Defaults to `None`.

    Returns:
        str of HTML (no external references).
    """
    if not isinstance(figures, Mapping):
        raise InvalidTypeError(
            f"`figures` must be a mapping of caption -> figure. "
            f"{received('figures', figures)}"
        )
    notes = dict(notes or {})
    blocks = []
    for caption, item in figures.items():
        data = base64.b64encode(_png_bytes(item, caption)).decode("ascii")
        note = notes.get(caption)
        note_html = (f"<pre style=\"white-space:pre-wrap\">{html.escape(note)}</pre>"
                     if note else "")
        blocks.append(
            '<figure style="margin:16px 0">'
            f'<img alt="{html.escape(str(caption))}" style="max-width:100%" '
            f'src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(str(caption))}</figcaption>{note_html}</figure>"
        )
    if not blocks:
        return ""
    return "<h3>Plots</h3>" + "".join(blocks)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path, data):
    """Write `data` to `path` through a temporary file and `os.replace`.

    Readers see the old file or the complete new one, never a partial
    write. The file gets the usual permissions (0666 minus the umask), not
    the temporary file's 0600.
    """
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path) \
            or "\x00" in str(os.fspath(path)):
        raise InvalidTypeError(f"`path` must be a file path. {received('path', path)}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise InvalidInputError(
            f"`path` is a folder; give a file name such as report.html. "
            f"{received('path', path)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidInputError(
            f"The folder of `path` does not exist. {received('path', path)}"
        )
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kerasdoc-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_text_atomic(path, text):
    """Write `text` (UTF-8) to `path` atomically, like `write_bytes_atomic`."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_html_report(report, path, *, figures=None, notes=None,
                      title: Optional[str] = None):
    """Write `report` and its plots to one self-contained HTML file.

    The page has no external assets (styles inline, images as base64 PNG),
    so it can be attached to a CI run or mailed. The file is written
    atomically: readers see the old file or the whole new one.

    Args:
        report: a `kerasdoc.Report`.
        path: where to write, e.g. `"report.html"`.
        figures: mapping caption -> matplotlib Figure, plotted Display or PNG
            bytes. Defaults to `None` (findings only).
        notes: mapping caption -> text shown under that figure.
            Defaults to `None`.
        title: page title. Defaults to `None` (the report's title).

    Returns:
        The path written, as a str.

    Example:

    >>> write_html_report(report, "report.html",
    ...                   figures={"Confusion matrix": disp})  # doctest: +SKIP
    """
    from kerasdoc.findings import Report

    if not isinstance(report, Report):
        raise InvalidTypeError(
            f"`report` must be a kerasdoc.Report. {received('report', report)}"
        )
    if title is not None:
        report = Report(report.findings, ran=report.ran, skipped=report.skipped,
                        timings=report.timings, title=str(title),
                        failed=report.failed, task=report.task)
    extra = figures_html(figures or {}, notes=notes)
    return write_text_atomic(path, report.to_html(full_page=True, extra_html=extra))
