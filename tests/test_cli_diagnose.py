"""`kerasdoc diagnose` and `kerasdoc demo` run in-process through cli.main."""

import json
import os

import numpy as np
import pytest

from kerasdoc.cli import (EXIT_CORRUPT_MODEL, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK,
                          EXIT_USAGE, main)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def cli_case(tmp_path_factory, bundled_subset):
    """A small saved subset (walkthrough .npy files, scaled) and two saved models."""
    import keras

    from kerasdoc.examples import baseline_mlp

    root = tmp_path_factory.mktemp("cli")
    s = bundled_subset
    data = root / "data"
    data.mkdir()
    np.save(data / "x_train_s.npy", s.x_train[:200].astype("float32") / 255.0)
    np.save(data / "y_train_s.npy", s.y_train[:200])
    np.save(data / "x_test_s.npy", s.x_test[:60].astype("float32") / 255.0)
    np.save(data / "y_test_s.npy", s.y_test[:60])
    keras.utils.set_random_seed(0)
    for name, model in (("healthy", baseline_mlp()),
                        ("broken", baseline_mlp(kernel_initializer="zeros"))):
        model.optimizer.build(model.trainable_variables)  # saved with its slots
        model.save(root / f"{name}.keras")
    return root


def test_help_and_usage_errors(cli_case, capsys):
    assert main(["diagnose", "--help"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "--data" in text and "--allow-failures" in text
    for line in ("0  clean", "1  at least one finding of severity error",
                 "2  bad usage", "3  incomplete", "4  the model file is corrupt"):
        assert line in text
    assert main(["--help"]) == EXIT_OK
    assert "3  incomplete" in capsys.readouterr().out
    root = cli_case
    assert main(["diagnose", str(root / "nope.keras"), "--data", str(root / "data"),
                 "--quiet"]) == EXIT_USAGE
    assert "Model file not found" in capsys.readouterr().err
    assert main(["diagnose", str(root / "healthy.keras"), "--quiet"]) == EXIT_USAGE
    assert "Give --data DIR, or both --x and --y" in capsys.readouterr().err
    assert main(["diagnose", str(root / "healthy.keras"), "--data", str(root / "data"),
                 "--x", "a.npy", "--quiet"]) == EXIT_USAGE
    assert main(["diagnose", str(root / "healthy.keras"), "--data", str(root / "data"),
                 "--parts", "data,vibes", "--quiet"]) == EXIT_USAGE
    assert "Received: parts=" in capsys.readouterr().err
    (root / "notamodel.keras").write_text("hello")
    assert main(["diagnose", str(root / "notamodel.keras"), "--data", str(root / "data"),
                 "--quiet"]) == EXIT_CORRUPT_MODEL
    assert "The model file is corrupt: it is not a zip archive" in capsys.readouterr().err


@pytest.mark.parametrize("damage, message", [
    ("truncated", "it is not a zip archive, as a .keras file is"),
    ("garbage", "it is not a zip archive, as a .keras file is"),
    ("empty", "the file is empty (0 bytes)"),
    ("flipped", "fails its CRC check"),
    ("no_config", "the archive lacks config.json"),
])
def test_corrupt_model_file_has_its_own_message_and_exit_code(cli_case, capsys, tmp_path,
                                                              damage, message):
    import zipfile

    root = cli_case
    good = (root / "healthy.keras").read_bytes()
    path = tmp_path / "model.keras"
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "flipped":  # a byte of the stored weights changed: the CRC fails
        with zipfile.ZipFile(root / "healthy.keras") as archive:
            info = archive.getinfo("model.weights.h5")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
        data = bytearray(good)
        data[start] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        with zipfile.ZipFile(root / "healthy.keras") as src, \
                zipfile.ZipFile(path, "w") as dst:
            for name in src.namelist():
                if name != "config.json":
                    dst.writestr(name, src.read(name))
    code = main(["diagnose", str(path), "--data", str(root / "data"), "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_CORRUPT_MODEL, err
    assert err.startswith("kerasdoc diagnose: error: The model file is corrupt: "), err
    assert message in err and f"Received: model={path}" in err
    assert "File not found" not in err and "not found" not in err
    # A missing file is bad usage, with its own message.
    assert main(["diagnose", str(tmp_path / "absent.keras"), "--data", str(root / "data"),
                 "--quiet"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Model file not found. Received: model=" in err
    assert "The model file is corrupt" not in err


def test_error_finding_gives_exit_code_1_and_json(cli_case, capsys):
    import kerasdoc

    if not hasattr(kerasdoc, "audit_model"):
        pytest.skip("kerasdoc.audit_model not available yet")
    root = cli_case
    code = main(["diagnose", str(root / "broken.keras"), "--data", str(root / "data"),
                 "--parts", "model", "--json", "--quiet"])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code == EXIT_FINDINGS
    assert "model.zero_init" in [f["code"] for f in report["findings"]]
    assert report["summary"]["errors"] >= 1
    assert report["ran"] == ["model"]


def test_failed_part_exits_3_unless_failures_are_allowed(cli_case, capsys, monkeypatch):
    import kerasdoc.model

    def broken(*args, **kwargs):
        raise RuntimeError("audit exploded")

    monkeypatch.setattr(kerasdoc.model, "audit_model", broken)
    root = cli_case
    argv = ["diagnose", str(root / "broken.keras"), "--data", str(root / "data"),
            "--parts", "data,model", "--json", "--quiet"]
    assert main(argv) == EXIT_INCOMPLETE
    report = json.loads(capsys.readouterr().out)
    assert report["failed"]["model"]["message"] == "audit exploded"
    assert report["summary"]["complete"] is False and report["ran"] == ["data"]
    # The data part's findings are still there, and --allow-failures gives
    # the code the findings alone give.
    code = main(argv + ["--allow-failures"])
    report = json.loads(capsys.readouterr().out)
    assert code == (EXIT_FINDINGS if report["summary"]["errors"] else EXIT_OK)
    assert "model" in report["failed"]


def test_config_file_and_task_reach_the_checks(cli_case, capsys, tmp_path):
    root = cli_case
    base = ["diagnose", str(root / "healthy.keras"), "--data", str(root / "data"),
            "--parts", "model", "--batch-size", "100", "--json", "--quiet"]
    assert main(base) == EXIT_OK
    assert "optim.batch_size" in [f["code"] for f in json.loads(capsys.readouterr().out)[
        "findings"]]
    config = tmp_path / "kerasdoc.toml"
    config.write_text('[settings."optim.batch_size"]\nmax_batch_fraction = 0.9\n',
                      encoding="utf-8")
    assert main(base + ["--config", str(config)]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert "optim.batch_size" not in [f["code"] for f in report["findings"]]
    assert "optim.batch_size" in report["ran"] or "model" in report["ran"]
    # --task skips what does not apply to it, with the reason, and runs what
    # does: read as a regression, the 10-unit head fitted to one target
    # column is model.target_shape's error.
    assert main(base + ["--task", "regression"]) == EXIT_FINDINGS
    report = json.loads(capsys.readouterr().out)
    assert report["skipped"]["model.output_units"].startswith("does not apply to this task")
    assert [f["severity"] for f in report["findings"]
            if f["code"] == "model.target_shape"] == ["error"]
    config.write_text('[settings."optim.batch_size"]\nmax_fraction = 0.9\n',
                      encoding="utf-8")
    assert main(base + ["--config", str(config)]) == EXIT_USAGE
    assert "did you mean 'max_batch_fraction'" in capsys.readouterr().err
    assert main(base + ["--task", "regresion"]) == EXIT_USAGE
    assert "did you mean 'regression'" in capsys.readouterr().err


def test_html_report_with_plots_and_progress(cli_case, capsys):
    root = cli_case
    out = root / "report.html"
    code = main(["diagnose", str(root / "healthy.keras"), "--x",
                 str(root / "data" / "x_train_s.npy"), "--y",
                 str(root / "data" / "y_train_s.npy"), "--x-val",
                 str(root / "data" / "x_test_s.npy"), "--y-val",
                 str(root / "data" / "y_test_s.npy"), "--parts", "model",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.out
    first, second = captured.out.splitlines()[:2]
    assert first.startswith("task: multiclass (10 classes) because")  # the task opens it
    assert second.startswith("kerasdoc diagnose of baseline_mlp: 0 errors")
    assert "kerasdoc: model: running" in captured.err
    assert f"kerasdoc: wrote {out}" in captured.err
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2
    assert "Confusion matrix (validation data)" in page
    assert not [f for f in os.listdir(root) if f.startswith(".kerasdoc-")]


@pytest.mark.slow
def test_demo_writes_report_and_plots(tmp_path, repo_root, capsys):
    out = tmp_path / "out"
    # The defaults (5 epochs) are the README's main job; 2 epochs keep the test short.
    code = main(["demo", "--data", str(repo_root / "data"), "--out", str(out),
                 "--epochs", "2"])
    captured = capsys.readouterr()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code == (EXIT_FINDINGS if report["summary"]["errors"] else EXIT_OK)
    for name in ("confusion_matrix.png", "training_curves.png", "top_losses.png",
                 "gradient_flow.png", "activations.png", "single_prediction_12.png",
                 "single_prediction_101.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 9
    assert "most confused:" in captured.out
    assert f"report: {out / 'report.html'}" in captured.out
    assert "is predicted as" in captured.out
    assert "kerasdoc: training the baseline: 2 epochs, batch 32, 1000 images" in captured.err
    assert "kerasdoc:   epoch 2/2: loss" in captured.err
    assert "kerasdoc: done in" in captured.err
    assert "fit (Doctor)" in report["ran"]
    # The checkup ran on the fresh model, so the initial-loss probe was not skipped.
    assert "probes/initial_loss" not in report["skipped"]
    assert "diagnosing the fresh baseline" in captured.err


def test_rescale_accepts_fractions(cli_case, capsys):
    from kerasdoc.cli._diagnose import _factor

    assert _factor("1/255") == pytest.approx(1 / 255)
    assert _factor("0.5") == 0.5
    root = cli_case
    assert main(["diagnose", str(root / "healthy.keras"), "--data", str(root / "data"),
                 "--rescale", "1/0", "--quiet"]) == EXIT_USAGE
    assert "fraction such as 1/255" in capsys.readouterr().err
    for bad in ("nan", "inf", "0", "1/inf"):
        with pytest.raises(Exception, match="finite, non-zero factor"):
            _factor(bad)


def test_demo_usage_errors(tmp_path, capsys):
    assert main(["demo", "--data", str(tmp_path), "--epochs", "0"]) == EXIT_USAGE
    assert "Received: --epochs=0" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["demo", "--data", str(tmp_path), "--out", str(tmp_path / "file"),
                 "--quiet"]) == EXIT_USAGE
    assert "--out must be a folder" in capsys.readouterr().err
    assert main(["demo", "--data", str(tmp_path / "missing"), "--out",
                 str(tmp_path / "o"), "--quiet"]) == EXIT_USAGE
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
