"""The notebooks in notebooks/: stored without outputs, and each one runs top to bottom.

Each notebook is executed with nbclient in a kernel that runs this very
interpreter (a `python3` kernelspec written to a temporary JUPYTER_PATH), so
the notebooks see the same kerasdoc, Keras and TensorFlow as the tests.
"""

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ("01_fashion_mnist_walkthrough.ipynb", "02_fault_gallery.ipynb",
            "03_transfer_learning.ipynb")


def _read(path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _text_outputs(nb):
    """All text a notebook printed or displayed, cell by cell."""
    texts = []
    for cell in nb.cells:
        parts = []
        for output in cell.get("outputs", []):
            if "text" in output:
                parts.append(output["text"])
            data = output.get("data", {})
            if "text/plain" in data:
                parts.append(data["text/plain"])
        texts.append("".join(parts))
    return texts


def test_notebooks_present():
    assert [p.name for p in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    import nbformat

    nb = _read(path)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code cells"
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory):
    """A `python3` kernelspec running `sys.executable`, first on JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "kerasdoc tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root))
        mp.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
        mp.setenv("KERAS_BACKEND", "tensorflow")
        mp.setenv("MPLBACKEND", "Agg")
        mp.setenv("PYTHONHASHSEED", "0")
        from jupyter_client.kernelspec import KernelSpecManager

        resolved = KernelSpecManager().get_kernel_spec("python3")
        assert resolved.argv[0] == sys.executable
        yield "python3"


def _execute(path, kernel_name):
    from nbclient import NotebookClient

    nb = _read(path)
    client = NotebookClient(nb, timeout=300, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    return nb


def _check_tagged_cells(nb):
    """Cells tagged `finds:CODE` must show CODE in their output; `silent:CODE` must not."""
    checked = 0
    for cell, text in zip(nb.cells, _text_outputs(nb)):
        for tag in cell.get("metadata", {}).get("tags", []):
            kind, _, code = tag.partition(":")
            if kind == "finds":
                assert code in text, f"expected {code} in the output of:\n{cell.source}\n---\n{text}"
            elif kind == "silent":
                assert code not in text, f"unexpected {code} in the output of:\n{cell.source}\n---\n{text}"
            else:
                continue
            checked += 1
    return checked


def test_tags_name_known_codes():
    from kerasdoc import is_known_code

    for path in NOTEBOOKS:
        for cell in _read(path).cells:
            for tag in cell.get("metadata", {}).get("tags", []):
                assert is_known_code(tag.partition(":")[2]), (path.name, tag)


@pytest.mark.slow
def test_walkthrough_runs(venv_kernel):
    nb = _execute(NOTEBOOK_DIR / EXPECTED[0], venv_kernel)
    assert _check_tagged_cells(nb) >= 10
    text = "\n".join(_text_outputs(nb))
    assert "per class: {100}" in text and "per class: {30}" in text
    # The walkthrough's four single predictions and the comparison table were printed.
    assert text.count("Model's prediction:") == 4
    assert "baseline MLP" in text and "small CNN" in text


@pytest.mark.slow
def test_fault_gallery_runs(venv_kernel):
    nb = _execute(NOTEBOOK_DIR / EXPECTED[1], venv_kernel)
    assert _check_tagged_cells(nb) == 8  # one per fault


@pytest.mark.slow
def test_transfer_learning_runs(venv_kernel):
    nb = _execute(NOTEBOOK_DIR / EXPECTED[2], venv_kernel)
    assert _check_tagged_cells(nb) == 10
