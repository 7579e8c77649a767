"""Quiet: no TensorFlow C++ logs from the CLI, no numpy/scikit-learn warnings from checks."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest


def _tiny_saved_model(path):
    import keras

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    # The optimizer is saved unbuilt, so Keras warns while loading it: that
    # warning too must stay off stderr under --quiet.
    model.compile("adam", "sparse_categorical_crossentropy")
    model.save(path)
    return path


def test_cli_quiet_prints_nothing_on_stderr(tmp_path, repo_root):
    # Constant inputs: scikit-learn's PCA divides by a zero variance inside
    # the label-alignment check, which used to print a RuntimeWarning.
    model = _tiny_saved_model(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", np.ones((60, 5), dtype="float32"))
    np.save(tmp_path / "y.npy", np.arange(60) % 3)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(repo_root)
    result = subprocess.run(
        [sys.executable, "-m", "kerasdoc", "diagnose", str(model),
         "--x", str(tmp_path / "x.npy"), "--y", str(tmp_path / "y.npy"),
         "--parts", "data,model", "--json", "--quiet"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert result.stderr == ""
    import json

    report = json.loads(result.stdout)
    assert report["ran"] == ["data", "model"]
    # The warning became evidence of the check that computed it.
    evidence = [f["evidence"].get("warnings") for f in report["findings"]]
    assert any(w and any("invalid value encountered" in t for t in w) for w in evidence), \
        report["findings"]


def test_diagnose_and_demo_import_tensorflow_quietly():
    from kerasdoc.cli import build_parser

    parser = build_parser()
    for argv in (["diagnose", "m.keras"], ["demo"]):
        assert parser.parse_args(argv).tensorflow is True
    assert not getattr(parser.parse_args(["subset", "--out", "o"]), "tensorflow", False)


def test_quiet_tensorflow_sets_the_level_and_respects_the_users(monkeypatch):
    from kerasdoc._quiet import quiet_tensorflow

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    quiet_tensorflow()  # TensorFlow is already imported here: only the variable
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_check_warnings_become_evidence_not_output():
    import kerasdoc

    x = np.ones((60, 5), dtype="float32")
    y = np.arange(60) % 3
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        report = kerasdoc.check_data(x, y)
    assert [str(w.message) for w in leaked] == []
    kept = {f.code: f.evidence.get("warnings") for f in report}
    assert kept.get("data.label_misalignment"), kept
    assert "RuntimeWarning: invalid value encountered in divide" in \
        kept["data.label_misalignment"]
    # Healthy, varied inputs: no warning, no such evidence.
    rng = np.random.default_rng(0)
    report = kerasdoc.check_data(rng.normal(size=(60, 5)).astype("float32"), y)
    assert all("warnings" not in f.evidence for f in report)


def test_captured_warnings_passes_other_warnings_on():
    from kerasdoc._quiet import captured_warnings

    sink = []
    with pytest.warns(UserWarning, match="from the user's code"):
        with captured_warnings(sink):
            np.log(np.zeros(1))  # numpy: kept
            warnings.warn_explicit("from the user's code", UserWarning,
                                   "/home/user/train.py", 3)
            warnings.warn_explicit("overflow", RuntimeWarning, "/x/numpy/core.py", 1)
            warnings.warn_explicit("overflow", RuntimeWarning, "/x/numpy/core.py", 2)
    assert sink == ["RuntimeWarning: divide by zero encountered in log",
                    "RuntimeWarning: overflow"]


def test_diagnose_keeps_numerical_warnings_out_and_restores_the_tf_logger():
    import logging

    import keras

    import kerasdoc

    rng = np.random.default_rng(0)
    x = (rng.normal(size=(32, 5)) * 1e30).astype("float32")  # gradients overflow
    y = np.arange(32) % 3
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    logger = logging.getLogger("tensorflow")
    before = logger.level
    lines = []
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        report = kerasdoc.diagnose(model, x, y, parts=("training",), epochs=1,
                                   batch_size=16, progress=lines.append)
    assert report.ran == ("training",) and not report.failed
    assert [(w.category.__name__, str(w.message)) for w in leaked] == []
    assert logger.level == before
    assert lines[-1].startswith("training: ")


def test_captured_warnings_keeps_them_when_the_block_raises():
    from kerasdoc._quiet import captured_warnings

    sink = []
    with pytest.raises(ZeroDivisionError):
        with captured_warnings(sink):
            np.log(np.zeros(1))
            1 / 0
    assert sink == ["RuntimeWarning: divide by zero encountered in log"]


def test_doctor_in_fit_leaks_no_numpy_warning_on_overflowing_statistics():
    import keras

    import kerasdoc

    rng = np.random.default_rng(0)
    x = (rng.normal(size=(64, 5)) * 1e30).astype("float32")
    y = np.arange(64) % 3
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    doctor = kerasdoc.Doctor()
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[doctor],
                  validation_data=(x[:16], y[:16]))
    assert [str(w.message) for w in leaked if w.category is RuntimeWarning] == []
    assert "train.nonfinite" in [f.code for f in doctor.report]  # said as a finding
