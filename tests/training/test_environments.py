"""Where users train: mixed precision, MirroredStrategy, TensorBoard export."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasdoc import Doctor  # noqa: E402
from kerasdoc.examples import baseline_mlp  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_mixed_float16_with_loss_scale_optimizer(mixed_precision, small01,
                                                 weights_close):
    x, y = small01
    keras.utils.set_random_seed(0)
    plain = baseline_mlp()
    assert isinstance(plain.optimizer, keras.optimizers.LossScaleOptimizer)
    watched = baseline_mlp()
    watched.set_weights(plain.get_weights())
    plain.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    doctor = Doctor(every=2)
    watched.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
                callbacks=[doctor])
    assert weights_close(plain.get_weights(), watched.get_weights(), atol=1e-4)
    h = doctor.history
    sampled = h["samples"] > 0
    # gradients are unscaled before measuring: same order as in float32
    assert np.all(h["grad_norm"][sampled] < 50.0)
    assert np.all(np.isfinite(h["activation_mean"][sampled]))
    assert len(doctor.report) == 0, doctor.report.to_text(color=False)


def test_mixed_float16_clipping_matches_keras(mixed_precision, small01, weights_close):
    x, y = small01
    keras.utils.set_random_seed(0)
    reference = baseline_mlp(compile=False)
    reference.compile(optimizer=keras.optimizers.SGD(0.1, global_clipnorm=0.1),
                      loss="sparse_categorical_crossentropy")
    model = baseline_mlp(compile=False)
    model.set_weights(reference.get_weights())
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss="sparse_categorical_crossentropy")
    reference.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
              callbacks=[Doctor(clip_global_norm=0.1)])
    assert weights_close(reference.get_weights(), model.get_weights(), atol=1e-4)


MIRRORED = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kerasdoc import Doctor
    from kerasdoc.examples import baseline_mlp

    rng = np.random.default_rng(0)
    x = rng.random((256, 28, 28)).astype("float32")
    y = (x.reshape(256, -1)[:, :10].argmax(1)).astype("int64")
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        plain = baseline_mlp()
        watched = baseline_mlp()
    watched.set_weights(plain.get_weights())
    plain.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    doctor = Doctor(every=2)
    watched.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
                callbacks=[doctor])
    h = doctor.history
    same = all(np.allclose(a, b, atol=1e-5)
               for a, b in zip(plain.get_weights(), watched.get_weights()))
    # one device, same data, same weights: the statistics to compare with
    keras.utils.set_random_seed(0)
    single = baseline_mlp()
    single.set_weights(plain.get_weights())
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "same_weights": bool(same),
        "steps": h["step"].tolist(),
        "grad_norm": h["grad_norm"].tolist(),
        "act_mean": h["activation_mean"].tolist(),
        "codes": sorted(doctor.report.codes),
        "restored": not getattr(watched.train_function, "_kerasdoc_doctor", False),
    }))
""")


def test_mirrored_strategy_two_logical_cpus(repo_root):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True,
                          text=True, timeout=600, cwd=repo_root, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    assert out["same_weights"]
    assert out["steps"] == [2, 4, 6, 8]
    grad = np.array(out["grad_norm"])
    assert grad.shape == (4, 2) and np.all(np.isfinite(grad)) and np.all(grad > 0)
    assert np.all(np.isfinite(np.array(out["act_mean"])))
    assert out["codes"] == [] and out["restored"]


def test_tensorboard_histograms_written(tmp_path, small01):
    x, y = small01
    logdir = tmp_path / "tb"
    model = baseline_mlp()
    doctor = Doctor(every=5, tensorboard_dir=str(logdir))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[doctor])
    files = list(logdir.glob("events.out.tfevents.*"))
    assert files
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={event_accumulator.HISTOGRAMS: 0,
                                    event_accumulator.TENSORS: 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"]) | set(acc.Tags()["histograms"])
    hidden, output = doctor.history["activation_layers"]  # Flatten is not tapped
    assert {f"activations/{hidden}", f"activations/{output}"} <= tags
    assert any(t.startswith("gradients/") and "kernel" in t for t in tags)
    assert "kerasdoc/loss" in tags
    events = acc.Tensors(f"activations/{hidden}")
    assert [e.step for e in events] == [5, 10]  # one histogram per read-back
    buckets = [np.frombuffer(e.tensor_proto.tensor_content, np.float64).reshape(-1, 3)
               for e in events]
    # 32 samples x 128 units binned at each instrumented step
    assert all(b[:, 2].sum() == 32 * 128 for b in buckets)
