"""`MultiWorkerMirroredStrategy`: two worker processes on loopback with the Doctor.

Two subprocesses form a cluster through `TF_CONFIG` (127.0.0.1, free ports)
and train the walkthrough MLP with `Doctor` attached, each on its own shard
of the data. Each worker's report must hold each finding once, and the
Doctor's statistics must be the cluster's (identical on both workers
although their shards differ). The worker script
works around two Keras 3.15 bugs that break a plain `fit` under this
strategy (see WORKER). Every process is bounded by a timeout and killed if it
hangs; the test stops by itself.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

WORKER = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    import keras
    from kerasdoc import Doctor
    from kerasdoc.examples import baseline_mlp

    from keras.src.backend.tensorflow import trainer as tf_trainer
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    # Two Keras 3.15 bugs, independent of kerasdoc (a plain fit fails the same
    # way): (1) _maybe_symbolic_build calls strategy.reduce("MEAN", (x, y)) on
    # the first distributed batch, which MultiWorkerMirroredStrategy cannot
    # reduce as a tuple; building only needs shapes, so use the local batch.
    # (2) reduce_per_replica(reduction="mean") reduces the step's scalar logs
    # with axis=0 across workers; the mean over replicas is axis=None.
    keras_reduce = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(
                strategy):
            return tf.nest.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return keras_reduce(values, strategy, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    keras_build = TensorFlowTrainer._maybe_symbolic_build

    def local_build(self, iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(
                    lambda v: self.distribute_strategy.experimental_local_results(v)[0]
                    if isinstance(v, tf.distribute.DistributedValues) else v, next(it))
                break
        return keras_build(self, data_batch=data_batch)

    TensorFlowTrainer._maybe_symbolic_build = local_build
    lr = float(sys.argv[1])
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    rng = np.random.default_rng(0)  # same arrays on both workers; shards differ
    x = rng.random((512, 28, 28)).astype("float32")
    y = (x.reshape(512, -1)[:, :10].argmax(1)).astype("int64")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)  # global batch 64
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    ds = ds.with_options(options)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = baseline_mlp()
        model.compile(optimizer=keras.optimizers.SGD(lr),
                      loss="sparse_categorical_crossentropy")
    doctor = Doctor(every=2, stop_on=None)
    model.fit(ds, epochs=2, verbose=0, callbacks=[doctor])
    h = doctor.history
    codes = [[f.code, f.layer] for f in doctor.report]
    print("RESULT " + json.dumps({
        "task": task,
        "workers": strategy.cluster_resolver.cluster_spec().num_tasks("worker"),
        "replicas": strategy.num_replicas_in_sync,
        "steps": h["step"].tolist(),
        "grad_norm": h["grad_norm"].tolist(),
        "act_mean": h["activation_mean"].tolist(),
        "loss": [float(v) for v in np.asarray(h["loss"]).ravel()],
        "codes": codes,
        "restored": not getattr(model.train_function, "_kerasdoc_doctor", False),
    }), flush=True)
""")


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_cluster(repo_root, lr, timeout=300):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
                   TF_CONFIG=json.dumps({"cluster": cluster,
                                         "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "-c", WORKER, str(lr)], cwd=repo_root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err[-3000:]
            line = [row for row in out.splitlines() if row.startswith("RESULT ")][-1]
            outputs.append(json.loads(line[len("RESULT "):]))
    finally:
        for proc in procs:  # never leave a worker waiting for its peer
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return outputs


@pytest.fixture(scope="module")
def clusters(repo_root):
    """The two workers' results for a healthy run and a diverging one (SGD lr 1e4)."""
    return {"healthy": _run_cluster(repo_root, lr=0.05),
            "diverging": _run_cluster(repo_root, lr=1e4)}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_workers_train_with_the_doctor_and_report_each_finding_once(clusters):
    healthy = clusters["healthy"]
    assert sorted(o["task"] for o in healthy) == [0, 1]
    for out in healthy:
        assert out["workers"] == 2 and out["replicas"] == 2 and out["restored"]
        assert out["steps"] == [2, 4, 6, 8, 10, 12, 14, 16]  # 8 global steps an epoch
        grad = np.array(out["grad_norm"])
        assert grad.shape == (8, 2) and np.all(np.isfinite(grad)) and np.all(grad > 0)
        assert [c for c, _ in out["codes"] if c.startswith("train.")] == []
    for out in clusters["diverging"]:
        pairs = [tuple(p) for p in out["codes"]]
        assert "train.loss_diverging" in {c for c, _ in pairs}
        assert len(pairs) == len(set(pairs)), pairs  # one finding per code and layer
    a, b = clusters["diverging"]
    assert a["codes"] == b["codes"]  # both workers reach the same conclusions


@pytest.mark.slow
def test_statistics_are_the_clusters_not_the_workers(clusters):
    # The read-back gathers every replica of the cluster (a collective), so
    # both workers reduce the same values although their shards differ.
    a, b = clusters["healthy"]
    np.testing.assert_allclose(a["grad_norm"], b["grad_norm"], rtol=1e-5)
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-5)
