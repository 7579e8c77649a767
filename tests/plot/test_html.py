import base64
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from kerasdoc import Finding, InvalidInputError, InvalidTypeError, Report
from kerasdoc.plot import ConfusionMatrixDisplay, figures_html, write_html_report

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def report():
    return Report([
        Finding("data.not_normalized", message="Inputs span 0..255.",
                evidence={"max": 255.0}, fix="Divide by 255."),
        Finding("optim.vanilla_sgd", message="SGD <without> momentum."),
    ], ran=("data",), skipped={"probes": "no labels"}, timings={"data": 0.5},
        title="walkthrough")


@pytest.fixture
def figures(pyplot):
    disp = ConfusionMatrixDisplay.from_predictions([0, 1, 1, 0], [0, 1, 0, 0],
                                                   class_names=["Shirt", "Pullover"])
    fig, ax = pyplot.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    return {"Confusion matrix": disp, "A line": fig}


def test_self_contained_page(tmp_path, report, figures):
    path = write_html_report(report, tmp_path / "report.html", figures=figures,
                             notes={"Confusion matrix": "Pullover is predicted as Shirt"})
    assert path == str(tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>walkthrough</title>" in page
    assert "data.not_normalized" in page and "Divide by 255." in page
    assert "SGD &lt;without&gt; momentum." in page  # escaped
    assert "<figcaption>Confusion matrix</figcaption>" in page
    assert "Pullover is predicted as Shirt" in page
    # Every image is inline; nothing is fetched from anywhere.
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 2
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"(href|src)=\"(https?:|//|file:)", page)
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(tmp_path / "report.html").st_mode & 0o777 == 0o666 & ~mask


def test_title_override_and_png_bytes(tmp_path, report):
    png = b"\x89PNG\r\n\x1a\n" + b"rest"
    write_html_report(report, tmp_path / "r.html", figures={"raw": png}, title="CI run")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<title>CI run</title>" in page
    assert base64.b64encode(png).decode() in page
    assert figures_html({}) == ""


def test_overwrite_is_atomic_replace(tmp_path, report):
    target = tmp_path / "r.html"
    target.write_text("old")
    write_html_report(report, target)
    assert "walkthrough" in target.read_text(encoding="utf-8")


def test_bad_inputs(tmp_path, report):
    with pytest.raises(InvalidTypeError, match="kerasdoc.Report"):
        write_html_report([], tmp_path / "r.html")
    with pytest.raises(InvalidTypeError, match="mapping of caption"):
        write_html_report(report, tmp_path / "r.html", figures=[1, 2])
    with pytest.raises(InvalidTypeError, match="Figure 'x' must be"):
        write_html_report(report, tmp_path / "r.html", figures={"x": 3})
    with pytest.raises(InvalidInputError, match="not a PNG"):
        write_html_report(report, tmp_path / "r.html", figures={"x": b"GIF89a"})
    with pytest.raises(InvalidInputError, match="folder of `path` does not exist"):
        write_html_report(report, tmp_path / "no" / "r.html")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium not installed")
def test_opens_in_headless_chromium(tmp_path, report, figures):
    page = tmp_path / "report.html"
    write_html_report(report, page, figures=figures)
    shot = tmp_path / "shot.png"
    profile = tempfile.mkdtemp(prefix="kd-chromium-")
    try:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--enable-logging=stderr",
             f"--user-data-dir={profile}", "--window-size=1000,1400",
             f"--screenshot={shot}", f"file://{page}"],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert result.returncode == 0, result.stderr[-2000:]
    # The page loads nothing: no failed requests, no blocked local resources.
    for problem in ("net::ERR", "Not allowed to load", "Uncaught"):
        assert problem not in result.stderr
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 900
    rgb = pixels[..., :3]
    # Not blank: text and the blue confusion matrix are drawn on the white page.
    assert rgb.std() > 0.05
    dark = (rgb.max(axis=2) < 0.3).mean()
    blue = ((rgb[..., 2] > 0.5) & (rgb[..., 0] < 0.3)).mean()
    assert dark > 0.001 and blue > 0.001
