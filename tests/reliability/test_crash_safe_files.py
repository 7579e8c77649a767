"""Files survive a killed process: `save_subset` leaves the old subset or none.

A child process saves a subset and is killed with SIGKILL (no cleanup runs)
either at a random moment while it writes, or exactly before its k-th file
operation (each `np.save`, `os.replace` and `unlink` in turn). Afterwards
`load_subset` must return the old complete subset or refuse, never accept a
partial one.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from kerasdoc._errors import DataIntegrityError, InvalidInputError
from kerasdoc.data import load_subset, save_subset

CHILD = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from kerasdoc.data import _io, save_subset

    out, n_rows, kill_at, overwrite = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \\
        sys.argv[4] == "1"
    calls = [0]

    def hook(real):
        def wrapped(*args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return wrapped

    _io.os.replace = hook(os.replace)
    _io._write_npy = hook(_io._write_npy)
    _io.Path.unlink = hook(_io.Path.unlink)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (n_rows, 28, 28), dtype=np.uint8)
    y = np.arange(n_rows) % 10
    print("writing", flush=True)
    save_subset(out, x_train=x, y_train=y, x_test=x[:50], y_test=y[:50],
                overwrite=overwrite)
    print("done", calls[0], flush=True)
""")


def _old_subset(directory):
    x = np.full((20, 28, 28), 7, np.uint8)
    y = np.arange(20) % 10
    save_subset(directory, x_train=x, y_train=y)
    return x


def _child(repo_root, out, rows, kill_at, overwrite):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out), str(rows), str(kill_at),
         "1" if overwrite else "0"],
        cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _state(directory, old_x):
    """'old', 'new' or 'none'; fails on anything load_subset accepts that is neither."""
    try:
        loaded = load_subset(directory)
    except (DataIntegrityError, InvalidInputError):
        return "none"
    if old_x is not None and np.array_equal(loaded.x_train, old_x):
        assert loaded.x_test is None
        return "old"
    assert loaded.x_test is not None and len(loaded.x_test) == 50
    assert len(loaded.x_train) == len(loaded.y_train)
    return "new"


@pytest.mark.parametrize("existing", [False, True], ids=["new_dir", "overwrite"])
def test_killed_before_each_file_operation(tmp_path, repo_root, existing):
    out = tmp_path / "subset"
    old_x = _old_subset(out) if existing else None
    probe = tmp_path / "probe"  # counts the file operations of one save
    if existing:
        _old_subset(probe)
    proc = _child(repo_root, probe, 100, 0, existing)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    n_ops = int(stdout.split()[-1])
    states = []
    for kill_at in range(1, n_ops + 2):
        proc = _child(repo_root, out, 100, kill_at, existing)
        proc.communicate(timeout=120)
        killed = proc.returncode == -signal.SIGKILL
        state = _state(out, old_x)
        states.append(state)
        if killed:
            assert state in (("old", "none") if existing else ("none",)), (kill_at, state)
        else:  # ran to the end: the new subset is complete
            assert state == "new", (kill_at, proc.returncode)
            break
        if existing and state == "none":  # put the old one back for the next round
            save_subset(out, x_train=old_x, y_train=np.arange(20) % 10, overwrite=True)
    assert states[-1] == "new" and len(states) == n_ops + 1 and n_ops >= 5


@pytest.mark.slow
def test_killed_at_a_random_moment_of_a_large_write(tmp_path, repo_root):
    out = tmp_path / "subset"
    old_x = _old_subset(out)
    rng = np.random.default_rng(0)
    for _ in range(3):
        proc = _child(repo_root, out, 200_000, 0, True)  # ~160 MB of x_train
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(float(rng.uniform(0.05, 0.6)))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert proc.returncode in (-signal.SIGKILL, 0)
        if _state(out, old_x) != "old":  # old, new or none: never a partial subset
            save_subset(out, x_train=old_x, y_train=np.arange(20) % 10, overwrite=True)


def _crafted(directory, array, *, pickle):
    directory.mkdir()
    x_path = directory / "x_train_s.npy"
    np.save(x_path, array, allow_pickle=pickle)
    np.save(directory / "y_train_s.npy", np.arange(len(array)) % 2)
    files = {}
    for name in ("x_train_s.npy", "y_train_s.npy"):
        data = (directory / name).read_bytes()
        loaded = np.load(directory / name, allow_pickle=True)
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                       "shape": list(loaded.shape), "dtype": loaded.dtype.str}
    manifest = {"format": "kerasdoc.subset", "format_version": 1, "files": files,
                "splits": {"train": {"x": "x_train_s.npy", "y": "y_train_s.npy",
                                     "counts": {"0": 2, "1": 2}}}}
    (directory / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("verify", [True, False])
def test_object_array_npy_is_refused(tmp_path, verify):
    objects = np.empty(4, dtype=object)
    objects[:] = [{"a": 1}, "b", None, [1]]
    _crafted(tmp_path / "crafted", objects, pickle=True)
    with pytest.raises(DataIntegrityError, match="x_train_s.npy is not a readable .npy"):
        load_subset(tmp_path / "crafted", verify=verify)


def test_crafted_numeric_twin_loads(tmp_path):
    _crafted(tmp_path / "crafted", np.zeros((4, 3), np.uint8), pickle=False)
    assert load_subset(tmp_path / "crafted").x_train.shape == (4, 3)
