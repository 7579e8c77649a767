"""The `kerasdoc` command line: `kerasdoc subset`, exit codes, messages."""

import filecmp
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from kerasdoc import load_subset
from kerasdoc.cli import EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def npy_pair(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), [30, 25, 40, 20]).astype(np.int32)
    rng.shuffle(y)
    x = rng.normal(size=(len(y), 5)).astype(np.float32)
    np.save(tmp_path / "X.npy", x)
    np.save(tmp_path / "Y.npy", y)
    return tmp_path, x, y


def test_subset_from_npy_files(npy_pair, capsys):
    tmp, x, y = npy_pair
    code = main(["subset", "--x", str(tmp / "X.npy"), "--y", str(tmp / "Y.npy"),
                 "--per-class", "10", "--seed", "5", "--out", str(tmp / "out"),
                 "--class-names", "w,x,y,z"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    data = load_subset(tmp / "out")
    np.testing.assert_array_equal(np.bincount(data.y_train), [10] * 4)
    idx = np.array(data.manifest["splits"]["train"]["indices"])
    np.testing.assert_array_equal(data.x_train, x[idx])
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert data.class_names == ("w", "x", "y", "z") and data.manifest["seed"] == 5
    assert f"wrote {tmp / 'out'}" in out and "train: 40 samples" in out
    assert "z" in out and str(tmp / "out" / "x_train_s.npy") in out
    assert "reading labels" in err


def test_subset_fraction_with_test_split_and_one_hot(npy_pair, capsys):
    tmp, x, y = npy_pair
    np.save(tmp / "Yh.npy", np.eye(4, dtype=np.float32)[y])
    np.save(tmp / "Xt.npy", x[:40])
    np.save(tmp / "Yt.npy", y[:40])
    code = main(["subset", "--x", str(tmp / "X.npy"), "--y", str(tmp / "Yh.npy"),
                 "--fraction", "0.2", "--x-test", str(tmp / "Xt.npy"),
                 "--y-test", str(tmp / "Yt.npy"), "--test-fraction", "0.5",
                 "--seed", "1", "--out", str(tmp / "o"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    data = load_subset(tmp / "o")
    assert data.y_train.shape == (23, 4)  # 6 + 5 + 8 + 4
    assert data.manifest["splits"]["train"]["counts"] == {"0": 6, "1": 5, "2": 8, "3": 4}
    assert len(data.y_test) == 20 and err == ""


@pytest.mark.parametrize("argv, match", [
    (["subset", "--out", "O"], "Give either --dataset or --x and --y"),
    (["subset", "--x", "X", "--out", "O", "--per-class", "1"], "--x and --y go together"),
    (["subset", "--x", "X", "--y", "Y", "--out", "O"], "Give --train-per-class or"),
    (["subset", "--x", "X", "--y", "Y", "--out", "O", "--per-class", "31"],
     "Class 0 has only 30 samples, fewer than per_class=31.*allow_fewer"),
    (["subset", "--x", "missing.npy", "--y", "Y", "--out", "O", "--per-class", "1"],
     "--x file not found"),
    (["subset", "--x", "X", "--y", "Y", "--out", "O", "--per-class", "1",
      "--x-test", "X"], "--x-test and --y-test go together"),
    (["subset", "--x", "X", "--y", "Y", "--out", "O", "--per-class", "1",
      "--x-test", "X", "--y-test", "Y"], "Give --test-per-class or"),
    (["subset", "--x", "X", "--y", "Y", "--out", "O", "--fraction", "2"],
     r"`fraction` must be <= 1.0"),
])
def test_subset_bad_usage_exits_2_with_a_message(npy_pair, capsys, argv, match):
    tmp = npy_pair[0]
    swap = {"X": str(tmp / "X.npy"), "Y": str(tmp / "Y.npy"), "O": str(tmp / "out"),
            "missing.npy": str(tmp / "missing.npy")}
    assert main([swap.get(a, a) for a in argv]) == EXIT_USAGE
    err = capsys.readouterr().err
    message = err.splitlines()[-1]  # progress lines may come first
    assert message.startswith("kerasdoc subset: error:"), err
    assert re.search(match, message), err
    assert not (tmp / "out").exists()


def test_subset_refuses_existing_output_and_pickled_input(npy_pair, capsys):
    tmp = npy_pair[0]
    argv = ["subset", "--x", str(tmp / "X.npy"), "--y", str(tmp / "Y.npy"),
            "--per-class", "2", "--out", str(tmp / "o"), "--quiet"]
    assert main(argv) == EXIT_OK
    assert main(argv) == EXIT_USAGE
    assert "already holds a subset" in capsys.readouterr().err
    assert main(argv + ["--overwrite"]) == EXIT_OK
    np.save(tmp / "P.npy", np.array([{}, {}], dtype=object), allow_pickle=True)
    assert main(["subset", "--x", str(tmp / "P.npy"), "--y", str(tmp / "Y.npy"),
                 "--per-class", "1", "--out", str(tmp / "p")]) == EXIT_USAGE
    assert "not a readable .npy file" in capsys.readouterr().err


def test_argparse_errors_and_help(capsys):
    assert main(["subset", "--dataset", "cifar", "--out", "x"]) == EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err
    assert main(["subset", "--help"]) == EXIT_OK
    assert "--train-per-class" in capsys.readouterr().out
    assert main([]) == EXIT_USAGE


def test_subset_missing_dataset_files(tmp_path, monkeypatch, capsys):
    from kerasdoc.datasets import _fashion_mnist

    monkeypatch.delenv("KERASDOC_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", tmp_path / "deb")
    code = main(["subset", "--dataset", "fashion_mnist", "--train-per-class", "1",
                 "--test-per-class", "1", "--out", str(tmp_path / "o")])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "FashionMNIST files not found" in err and "--download" in err


@pytest.mark.slow
def test_end_to_end_real_fashion_mnist_reproduces_bundled_data(
        fashion_mnist_dir, repo_root, tmp_path, capsys):
    out = tmp_path / "walkthrough"
    code = main(["subset", "--dataset", "fashion_mnist", "--data-dir",
                 str(fashion_mnist_dir), "--train-per-class", "100",
                 "--test-per-class", "30", "--seed", "0", "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert code == EXIT_OK, stderr
    assert "reading train-images-idx3-ubyte.gz: 100.0%" in stderr
    assert re.search(r"6 Shirt +100\n", stdout), stdout
    assert "train: 1000 samples" in stdout and "test: 300 samples" in stdout
    # Same command, same files, same seed: byte-identical to the committed data/.
    names = ["manifest.json", "x_train_s.npy", "y_train_s.npy", "x_test_s.npy",
             "y_test_s.npy"]
    match, mismatch, errors = filecmp.cmpfiles(repo_root / "data", out, names,
                                               shallow=False)
    manifest = json.loads((out / "manifest.json").read_text())
    bundled = json.loads((repo_root / "data" / "manifest.json").read_text())
    if manifest["kerasdoc_version"] == bundled["kerasdoc_version"] and \
            manifest["numpy_version"] == bundled["numpy_version"]:
        assert sorted(match) == sorted(names), (mismatch, errors)
    else:  # only the recorded versions may differ
        assert sorted(match) == sorted(names[1:]), (mismatch, errors)


def test_cli_does_not_import_tensorflow(npy_pair):
    tmp = npy_pair[0]
    code = (
        "import sys\n"
        "from kerasdoc.cli import main\n"
        f"rc = main(['subset', '--x', {str(tmp / 'X.npy')!r}, '--y', "
        f"{str(tmp / 'Y.npy')!r}, '--per-class', '3', '--out', {str(tmp / 'o')!r},"
        " '--quiet'])\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules)\n"
        "print(rc, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


def test_python_dash_m_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kerasdoc", "subset", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--per-class" in result.stdout
