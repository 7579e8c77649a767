"""`diagnose(progress=...)`: tqdm bars, lines for a callable, silence with False."""

import numpy as np
import pytest

import kerasdoc
from kerasdoc import InvalidTypeError


@pytest.fixture
def small():
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model, x, y


def _diagnose(small, progress):
    model, x, y = small
    return kerasdoc.diagnose(model, x, y, parts=("model", "training"), epochs=2,
                             batch_size=16, progress=progress)


def test_progress_false_prints_nothing(small, capsys):
    report = _diagnose(small, False)
    assert report.ran == ("model", "training")
    assert capsys.readouterr() == ("", "")


def test_progress_true_draws_bars_on_stderr(small, capsys):
    report = _diagnose(small, True)
    out, err = capsys.readouterr()
    assert out == "" and report.ran == ("model", "training")
    assert "kerasdoc: training" in err and "2/2 [" in err  # the parts bar, at its end
    assert "part" in err and "epoch" in err  # the units of the two bars
    assert "kerasdoc: done" in err


def test_progress_callable_gets_parts_and_epochs_none_is_silent_off_a_tty(small, capsys):
    lines = []
    _diagnose(small, lines.append)
    assert lines[1:3] == ["model: running", lines[2]] and lines[2].startswith(
        "model: 0 finding(s) in")
    assert "training: running" in lines
    epochs = [s for s in lines if s.startswith("training: epoch ")]
    assert [s.split(":")[1] for s in epochs] == [" epoch 1/2", " epoch 2/2"]
    assert "loss" in epochs[-1]
    assert lines[-1].startswith("training: ") and "finding(s)" in lines[-1]
    # None: bars only for someone watching; captured stderr is not a terminal.
    model, x, y = small
    kerasdoc.diagnose(model, x, y, parts=("model",), progress=None)
    assert capsys.readouterr() == ("", "")


def test_progress_must_be_a_bool_or_callable(small):
    with pytest.raises(InvalidTypeError, match="Received: progress="):
        _diagnose(small, "yes")


def test_cli_progress_lines_off_a_terminal_and_quiet(tmp_path, small, capsys):
    from kerasdoc.cli import main
    from kerasdoc.cli._diagnose import diagnose_progress

    assert diagnose_progress(True, print) is False
    assert diagnose_progress(False, print) is print  # capsys: not a terminal
    model, x, y = small
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    argv = ["diagnose", str(tmp_path / "m.keras"), "--x", str(tmp_path / "x.npy"), "--y",
            str(tmp_path / "y.npy"), "--parts", "training", "--epochs", "2",
            "--batch-size", "16"]
    main(argv)
    err = capsys.readouterr().err
    assert "kerasdoc: training: epoch 2/2: loss" in err
    main(argv[:-6] + ["--parts", "model", "--quiet"])  # --quiet is progress=False
    assert capsys.readouterr().err == ""
