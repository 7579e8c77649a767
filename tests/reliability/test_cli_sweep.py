"""Bad-input sweep (hypothesis) of every `kerasdoc` subcommand, run in-process.

Each example is a valid command line with ONE option broken (a bad number,
a missing, unreadable or non-numeric file, an unknown choice, an existing
file as the output folder, a truncated model file...). The command must exit
with code 2 (4 for the corrupt model file) and print one `error:` line on
stderr, never a Python traceback; a command that runs anyway must exit 0 or 1. The number of distinct command lines per
subcommand is printed at the end of the run.
"""

import contextlib
import io
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kerasdoc.cli import _COMMANDS, main

SWEEP = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                 phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])
CALL_TIMEOUT = 90
TRIED = {}

BAD_INTS = ["-1", "0", "abc", "1e9", "", "99999999999999999999", "nan", "1.5"]
BAD_FLOATS = ["-1", "0", "nan", "inf", "abc", "", "1e400", "1/0"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Valid and broken inputs on disk."""
    import keras

    from kerasdoc.examples import baseline_mlp

    tmp = tmp_path_factory.mktemp("cli_sweep")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 28, 28)).astype("uint8")
    y = np.arange(60) % 10
    paths = {"x": tmp / "x.npy", "y": tmp / "y.npy", "y_short": tmp / "y_short.npy",
             "objects": tmp / "objects.npy", "text": tmp / "notes.txt",
             "empty": tmp / "empty.npy", "y_neg": tmp / "y_neg.npy",
             "model": tmp / "model.keras", "missing": tmp / "missing" / "f.npy",
             "a_dir": tmp / "a_dir", "x_nan": tmp / "x_nan.npy",
             "corrupt_model": tmp / "corrupt.keras", "csv": tmp / "table.csv"}
    np.save(paths["x"], x)
    np.save(paths["y"], y)
    np.save(paths["y_short"], y[:7])
    np.save(paths["objects"], np.array([1, "a", None], dtype=object), allow_pickle=True)
    paths["text"].write_text("not an array\n")
    np.save(paths["empty"], np.zeros((0, 28, 28), np.uint8))
    np.save(paths["y_neg"], -y)
    np.save(paths["x_nan"], np.full((60, 28, 28), np.nan, np.float32))
    paths["a_dir"].mkdir()
    keras.utils.set_random_seed(0)
    baseline_mlp().save(paths["model"])
    good = paths["model"].read_bytes()
    paths["corrupt_model"].write_bytes(good[: len(good) // 2])  # truncated: exit 4
    paths["csv"].write_text("a,b,label\n1,x,0\n2,y,1\n", encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}


def _subset(data, f, out):
    base = {"--x": f["x"], "--y": f["y"], "--per-class": "2", "--seed": "0", "--out": out}
    bad = {
        "--x": [f["missing"], f["objects"], f["text"], f["empty"], f["a_dir"], ""],
        "--y": [f["missing"], f["objects"], f["y_short"], f["y_neg"], f["x"], f["text"]],
        "--per-class": BAD_INTS + ["100"], "--seed": BAD_INTS,
        "--fraction": BAD_FLOATS + ["1.5"], "--out": [f["x"], "\x00"],
        "--class-names": ["a,b", ",", ""], "--data-dir": [f["missing"], f["a_dir"]],
        "--x-test": [f["objects"], f["missing"]],
        "--images": [f["missing"], f["a_dir"], f["x"], ""],
        "--dataset": ["mnist", "cifar10", "cifar100", "imagenet"],
    }
    return base, bad


def _diagnose(data, f, out):
    base = {"": f["model"], "--x": f["x"], "--y": f["y"], "--parts": "data",
            "--epochs": "1", "--budget": "30", "--quiet": None,
            "--images-dir": f["a_dir"], "--csv-file": f["csv"]}
    bad = {
        "": [f["missing"], f["text"], f["x"], f["a_dir"], "", f["corrupt_model"]],
        "--x": [f["missing"], f["objects"], f["text"], f["empty"]],
        "--y": [f["missing"], f["objects"], f["y_short"]],
        "--epochs": BAD_INTS, "--batch-size": BAD_INTS, "--budget": BAD_FLOATS,
        "--parts": ["nope", ",", "data,nope"], "--rescale": BAD_FLOATS + ["1/255/3"],
        "--data": [f["missing"], f["a_dir"], f["x"]], "--out": [f["missing"] + "/r.html"],
        "--x-val": [f["objects"], f["missing"]],
        "--images": [f["missing"], f["a_dir"], f["x"], ""],
        "--image-size": ["0,0", "abc", "28", "-1x5"],
        "--validation-split": BAD_FLOATS + ["1", "0.5"],
        "--csv": [f["missing"], f["text"], f["x"], f["a_dir"], f["csv"]],
        "--target": ["nope", "", "a"],
        "--max-samples": BAD_INTS,
    }
    return base, bad


def _demo(data, f, out):
    base = {"--data": f["missing"], "--out": out, "--epochs": "1", "--quiet": None}
    bad = {
        "--data": [f["missing"], f["a_dir"], f["x"], ""],
        "--epochs": BAD_INTS, "--batch-size": BAD_INTS, "--seed": BAD_INTS,
        "--budget": BAD_FLOATS, "--out": [f["x"]],
    }
    return base, bad


BUILDERS = {"subset": _subset, "diagnose": _diagnose, "demo": _demo}


def test_every_subcommand_is_swept():
    names = {m.rsplit("._", 1)[1] for m in _COMMANDS}
    assert names == set(BUILDERS)


def _argv(command, base, option, value):
    args = dict(base)
    if option == "--fraction":
        args.pop("--per-class", None)
    if option in ("--data", "--images", "--csv", "--target", "--image-size",
                  "--validation-split", "--dataset"):
        args.pop("--x", None), args.pop("--y", None)
    if option in ("--image-size", "--validation-split"):
        args["--images"] = base.get("--images-dir")
    if option == "--csv":
        args["--target"] = "label"
    if option == "--target":
        args["--csv"] = base.get("--csv-file")
    if option == "--dataset":
        args["--test-per-class"] = "1"
    if option == "--data-dir":
        args = {k: v for k, v in args.items() if k not in ("--x", "--y")}
        args["--dataset"] = "fashion_mnist"
    if option == "--x-val":
        args["--y-val"] = base.get("--y")
    if option == "--x-test":
        args["--y-test"] = base.get("--y")
    args[option] = value
    args.pop("--images-dir", None), args.pop("--csv-file", None)  # values, not options
    argv = [command]
    if "" in args:
        argv.append(args.pop(""))
    for key, val in args.items():
        argv += [key] if val is None else [key, val]
    return argv


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"command ran longer than {CALL_TIMEOUT} s")


@pytest.mark.parametrize("command", sorted(BUILDERS))
@SWEEP
@given(data=st.data())
def test_cli_bad_input(command, data, files, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("out") / "o")
    base, bad = BUILDERS[command](data, files, out)
    option = data.draw(st.sampled_from(sorted(bad)), "option")
    value = data.draw(st.sampled_from(bad[option]), "value")
    argv = _argv(command, base, option, value)
    TRIED.setdefault(command, set()).add((option, value))
    _check(argv, files)


# Options added with image folders, CSV tables, keras.datasets names and the
# corrupt-model exit code: every bad value of each is tried once, not sampled.
NEW_OPTIONS = {"diagnose": ("", "--images", "--image-size", "--validation-split", "--csv",
                            "--target", "--max-samples"),
               "subset": ("--images", "--dataset")}


@pytest.mark.parametrize("command", sorted(NEW_OPTIONS))
def test_cli_new_options_every_bad_value(command, files, tmp_path):
    base, bad = BUILDERS[command](None, files, str(tmp_path / "o"))
    for option in NEW_OPTIONS[command]:
        for value in bad[option]:
            _check(_argv(command, base, option, value), files)


def _check(argv, files):
    stderr = io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CALL_TIMEOUT)
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    except Hang as exc:
        pytest.fail(f"{argv}: {exc}")
    except BaseException as exc:  # a traceback would reach the user
        pytest.fail(f"{argv} raised {type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    text = stderr.getvalue()
    assert "Traceback" not in text, f"{argv}: {text}"
    assert code in (0, 1, 2, 4), f"{argv}: exit code {code}"
    if code == 4:  # only a corrupt model file gives 4
        assert argv[1] == files["corrupt_model"], argv
    if code in (2, 4):
        errors = [line for line in text.splitlines() if "error:" in line]
        assert len(errors) == 1, f"{argv}: expected one error line, got {text!r}"


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    """Hand the per-subcommand counts to conftest's terminal summary."""
    yield
    counts = getattr(request.config, "kerasdoc_sweep_counts", {})
    counts["CLI"] = {command: len(keys) for command, keys in TRIED.items()}
    request.config.kerasdoc_sweep_counts = counts
