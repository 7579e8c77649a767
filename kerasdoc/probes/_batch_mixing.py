"""Probe: does sample i's output depend on other samples' inputs?"""

import dataclasses
import time
from typing import Optional, Tuple

import numpy as np

from kerasdoc import _deadline
from kerasdoc._validation import check_float, check_int, check_model
from kerasdoc.findings import Finding
from kerasdoc.probes import _common, _shared
from kerasdoc.probes._result import ProbeResult, setting_of

__all__ = ["BatchMixingResult", "BatchMixingEvidence", "batch_mixing", "judge_batch_mixing",
           "leaks"]


@dataclasses.dataclass(frozen=True)
class BatchMixingEvidence:
    """What the batch-mixing probe measured: plain numbers, no model.

    Attributes:
        gradient_norms: array `(n_checks, batch_size)`; row k holds, for every
            sample j of the batch, the largest |gradient| of sample
            `checked[k]`'s output projection with respect to sample j's input
            (`method="replacement"`: the largest change of that output in the
            forward pass that replaced sample j).
        checked: the batch indices i whose output was backpropagated.
        method: `"gradient"` (float inputs) or `"replacement"` (inputs
            without gradient: integer ids, strings).
        floors: per row, the value an entry must exceed to count (float32
            rounding of the output for `"replacement"`); `None`: 0.
    """

    gradient_norms: np.ndarray
    checked: Tuple[int, ...]
    method: str = "gradient"
    floors: Optional[np.ndarray] = None

    @property
    def conclusive(self):
        """Rows whose gradients are all finite (an overflowing output says nothing)."""
        return np.all(np.isfinite(self.gradient_norms), axis=1)


def leaks(evidence, tolerance):
    """`(leak_ratio, leaked_to)` of `evidence`: pure.

    `leak_ratio` is the largest gradient reaching another sample's input over
    the one reaching sample i's own (inf when only others receive any);
    `leaked_to` maps each checked i whose ratio exceeds `tolerance` to the
    samples j != i that received gradient. Rows with a non-finite gradient
    are left out.
    """
    leak_ratio, leaked_to = 0.0, {}
    floors = (np.zeros(len(evidence.checked)) if evidence.floors is None
              else np.asarray(evidence.floors, dtype=np.float64))
    for row, i, ok, floor in zip(evidence.gradient_norms, evidence.checked,
                                 evidence.conclusive, floors):
        if not ok:
            continue
        others = np.delete(row, i)
        worst = float(others.max()) if len(others) else 0.0
        if worst <= floor:
            continue
        ratio = worst / row[i] if row[i] > 0 else float("inf")
        receivers = [int(j) for j in np.flatnonzero(row > floor) if j != i]
        if ratio > tolerance and receivers:
            leaked_to[i] = receivers
        leak_ratio = max(leak_ratio, ratio)
    return leak_ratio, leaked_to


def judge_batch_mixing(evidence, settings=None, task=None):
    """The `probe.batch_mixing` findings `evidence` supports; pure (no TensorFlow).

    Fires when some checked sample's output gets gradient from another
    sample's input above `tolerance` times its own. Checks whose gradients
    are inf or NaN are inconclusive and left out; when all are, nothing is
    concluded (the probe reports the skip).

    Args:
        evidence: a `BatchMixingEvidence`.
        settings: the check's settings (`tolerance`). Defaults to `None`:
            `1e-6`.
        task: unused (mixing is wrong for every task). Defaults to `None`.

    Returns:
        list of `Finding`.
    """
    tolerance = setting_of(settings, "tolerance", 1e-6)
    leak_ratio, leaked_to = leaks(evidence, tolerance)
    checked = list(evidence.checked)
    n = int(np.shape(evidence.gradient_norms)[1]) if np.ndim(evidence.gradient_norms) == 2 \
        else 0
    if not leaked_to:
        return []
    first = min(leaked_to)
    if evidence.method == "replacement":
        seen = (f"Sample {first}'s output changes when samples "
                f"{leaked_to[first]} of its batch are replaced")
        culprit = ("e.g. ops.tensordot(a, b, 2) or ops.sum(..., axis=0) where a per-row "
                   "ops.sum(a * b, axis=1, keepdims=True) was meant, a reshape or "
                   "transpose that moves the batch axis, or a roll or concatenation "
                   "over axis 0 in a custom layer.")
    else:
        seen = (f"The gradient of sample {first}'s output reaches the inputs "
                f"of samples {leaked_to[first]}")
        culprit = ("e.g. ops.reshape(x, (-1, ...)) after a transpose, or a "
                   "reduction, roll or concatenation over axis 0 in a custom "
                   "layer; keep axis 0 the batch axis throughout.")
    evidence_dict = {"leak_ratio": leak_ratio, "leaked_to": leaked_to,
                     "checked": checked, "batch_size": n, "training": False,
                     "tolerance": tolerance, "method": evidence.method}
    return [Finding(
        "probe.batch_mixing",
        message=f"{seen}: the model mixes samples across the batch axis.",
        evidence=evidence_dict,
        fix=("Find the op that reduces, contracts or moves the batch axis: "
             f"{culprit} (Checked in inference mode, so BatchNormalization is "
             "not the cause.)"),
    )]


class BatchMixingResult(ProbeResult):
    """Per-sample input-gradient magnitudes of single-sample losses.

    Attributes:
        gradient_norms: array of shape `(n_checks, batch_size)`; row k holds,
            for every sample j of the batch, the largest |gradient| of sample
            `checked[k]`'s loss with respect to sample j's input.
        checked: indices i whose loss was backpropagated.
        leak_ratio: largest gradient reaching another sample's input divided
            by the gradient reaching sample i's own input (inf when only
            other samples receive gradient).
        leaked_to: for each checked i that leaks, the indices j != i that
            received gradient.
        training: always False: the probe runs in inference mode, so
            BatchNormalization uses its moving statistics and does not (by
            design) couple the samples of a batch.
    """

    name = "batch_mixing"

    def __init__(self, *, gradient_norms=None, checked=(), leak_ratio=0.0,
                 leaked_to=None, **kwargs):
        super().__init__(**kwargs)
        self.gradient_norms = (np.zeros((0, 0)) if gradient_norms is None
                               else np.asarray(gradient_norms))
        self.checked = tuple(checked)
        self.leak_ratio = leak_ratio
        self.leaked_to = dict(leaked_to or {})
        self.training = False

    def _summary(self):
        return f"leak_ratio={self.leak_ratio:.3g}"


def batch_mixing(model, x, *, batch_size: int = 8, n_checks: int = 4,
                 tolerance: float = 1e-6, seed: int = 0) -> BatchMixingResult:
    """Check that sample i's output gets gradient from sample i's input only.

    For a few samples i of one batch the probe sets the loss to a fixed
    random projection of sample i's output alone, backpropagates to the
    inputs and measures the gradient reaching every sample. In a correct
    model only sample i's input receives gradient; anything else means the
    model mixes samples across the batch axis: a reshape or transpose that
    moves the batch axis, a reduction or roll over axis 0, or a custom layer
    that indexes the batch. The forward pass runs in inference mode
    (`training=False`), because BatchNormalization in training mode
    legitimately couples the samples through the batch statistics. A check
    whose gradients are inf or NaN (outputs that overflow) is inconclusive and
    left out; when every check is, the probe is skipped with that reason.

    Inputs that carry no gradient (integer token or category ids, strings)
    are checked by replacement instead, in three forward passes
    (`measure_batch_mixing_by_replacement`): an output must move only when
    its own sample is replaced (within float32 rounding).

    Args:
        model: a Keras model with floating-point inputs.
        x: inputs (labels are not needed).
        batch_size: samples in the batch. Defaults to `8`.
        n_checks: samples i whose loss is backpropagated; this is the probe's
            budget (one backward pass each). Defaults to `4`.
        tolerance: the probe fires when gradient reaching other samples
            exceeds this fraction of the gradient reaching sample i.
            Defaults to `1e-6`.
        seed: seed of the batch draw and projections. Defaults to `0`.

    Returns:
        A `BatchMixingResult` (finding code `probe.batch_mixing`).

    Example:

    >>> result = batch_mixing(model, x_train)  # doctest: +SKIP
    >>> result.leak_ratio                      # doctest: +SKIP
    0.0
    """
    import keras

    check_model(model, built=False)  # built from `x` as fit would
    x, _ = _common.check_xy(x, None, model, need_y=False)
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    n_checks = check_int(n_checks, "n_checks", minimum=1)
    tolerance = check_float(tolerance, "tolerance", minimum=0.0)
    _common.check_common(seed, None)
    start = time.perf_counter()
    n_x = _common.count(x)
    if n_x < 2:
        return BatchMixingResult(skipped="needs at least 2 samples in `x`")
    leaves = keras.tree.flatten(x)
    declared = [t.dtype for t in (_common._graph_tensors(model, "inputs") or [])]
    if len(declared) != len(leaves):
        declared = [None] * len(leaves)
    dtypes = []
    for leaf, dtype in zip(leaves, declared):
        if dtype is None:
            dtype = keras.config.floatx() if np.asarray(leaf).dtype.kind in "fc" \
                else np.asarray(leaf).dtype
        dtypes.append(keras.backend.standardize_dtype(dtype))
    floating = [np.issubdtype(np.dtype(d), np.floating) if d != "string" else False
                for d in dtypes]
    if all(floating):
        evidence = measure_batch_mixing(model, x, batch_size=batch_size,
                                        n_checks=n_checks, seed=seed, dtypes=dtypes,
                                        floating=floating)
    else:  # token ids and strings carry no gradient: replace samples instead
        evidence = measure_batch_mixing_by_replacement(
            model, x, batch_size=batch_size, n_checks=n_checks, seed=seed, dtypes=dtypes)
    norms, checked = evidence.gradient_norms, list(evidence.checked)

    # A non-finite gradient (an output that overflows to inf or NaN) cannot be
    # compared with anything: such a check says nothing about mixing either way.
    finite = evidence.conclusive
    if not finite.any():
        return BatchMixingResult(
            gradient_norms=norms, checked=checked,
            skipped=("non-finite gradients/loss: inconclusive (the gradient of "
                     f"every checked sample's output ({checked}) is inf or NaN; "
                     "the model's outputs overflow at these weights)"),
            seconds=time.perf_counter() - start)
    leak_ratio, leaked_to = leaks(evidence, tolerance)
    findings = judge_batch_mixing(evidence, {"tolerance": tolerance})
    return BatchMixingResult(
        gradient_norms=norms, checked=checked, leak_ratio=leak_ratio,
        leaked_to=leaked_to, findings=findings,
        seconds=time.perf_counter() - start)


def measure_batch_mixing(model, x, *, batch_size, n_checks, seed, dtypes, floating):
    """Backpropagate single samples' outputs of a copy to every input: `BatchMixingEvidence`.

    Args:
        model: the Keras model (not touched: a copy is measured).
        x: inputs, as checked by `batch_mixing`.
        batch_size: samples in the batch.
        n_checks: samples whose output is backpropagated.
        seed: seed of the batch draw and projections.
        dtypes: the dtype each input leaf is fed as.
        floating: whether each input leaf is floating (watched).

    Returns:
        A `BatchMixingEvidence`.
    """
    import tensorflow as tf
    import keras

    leaves = keras.tree.flatten(x)
    n_x = _common.count(x)
    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(n_x, size=min(batch_size, n_x), replace=False))
        clone = _common.probe_copy(model, seed=seed, compile=False,
                                   sample_x=_common.take(x, slice(0, 1)))
        batch = [tf.constant(np.asarray(leaf)[index], dtype=dtype)
                 for leaf, dtype in zip(leaves, dtypes)]
        xb = keras.tree.pack_sequence_as(x, batch)
        watched = [t for t, f in zip(batch, floating) if f]
        n = len(index)
        checked = [int(i) for i in np.sort(rng.choice(n, size=min(n_checks, n),
                                                      replace=False))]
        rows = []
        deadline = _deadline.current()  # inside `diagnose`: the probe's share
        # At least one forward and backward pass (about two forward passes).
        _common.passes_fit(deadline, 0, 2 * (_shared.cost("eager_forward") or 0.0), 1,
                           "passes")
        for k, i in enumerate(checked):
            if k and deadline is not None and deadline.spent():
                checked = checked[:k]  # judged on the samples checked so far
                break
            with tf.GradientTape() as tape:
                for t in watched:
                    tape.watch(t)
                outputs = keras.tree.flatten(clone(xb, training=False))
                total = 0.0
                for out in outputs:
                    own = tf.cast(out[i], tf.float32)
                    weights = rng.standard_normal(tuple(own.shape)).astype("float32")
                    total = total + tf.reduce_sum(own * weights)
            grads = tape.gradient(total, watched)
            row = np.zeros(n)
            for t, grad in zip(watched, grads):
                if grad is not None:
                    row = np.maximum(row, np.abs(np.asarray(grad, dtype=np.float64)).reshape(
                        n, -1).max(axis=1))
            rows.append(row)
    norms = np.stack(rows)
    return BatchMixingEvidence(gradient_norms=norms, checked=tuple(checked))


def measure_batch_mixing_by_replacement(model, x, *, batch_size, n_checks, seed, dtypes):
    """Replace samples of a batch and see which outputs move: `BatchMixingEvidence`.

    For inputs without gradient (integer ids, strings). Three forward passes
    of a copy in inference mode: the batch as drawn, the batch with every
    sample outside `checked` replaced by a sample from outside the batch,
    and with the `checked` samples replaced instead (every input of the
    model at once). Without mixing an output moves only in the pass that
    replaced its own sample. Row k of the evidence holds the change of
    sample `checked[k]`'s output in the pass that replaced sample j (its
    own entry: the pass that replaced it); its floor is 8 float32 epsilons
    of that output's magnitude.

    Args:
        model: the Keras model (not touched: a copy is measured).
        x: inputs, as checked by `batch_mixing`.
        batch_size: samples in the batch.
        n_checks: samples whose own replacement is the reference.
        seed: seed of the batch and replacement draws.
        dtypes: the dtype each input leaf is fed as.

    Returns:
        A `BatchMixingEvidence` with `method="replacement"`.
    """
    import tensorflow as tf
    import keras

    leaves = [np.asarray(leaf) for leaf in keras.tree.flatten(x)]
    n_x = _common.count(x)
    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(n_x, size=min(batch_size, n_x), replace=False))
        n = len(index)
        outside = np.setdiff1d(np.arange(n_x), index)
        # The sample that takes j's place: one from outside the batch where
        # there is one, else the batch's next sample.
        if len(outside):
            spare = rng.choice(outside, size=n, replace=len(outside) < n)
        else:
            spare = index[(np.arange(n) + 1) % n]
        checked = [int(i) for i in np.sort(rng.choice(n, size=min(n_checks, n),
                                                      replace=False))]
        clone = _common.probe_copy(model, seed=seed, compile=False,
                                   sample_x=_common.take(x, slice(0, 1)))

        def run(rows):
            batch = [tf.constant(a[rows]) if d == "string" else tf.constant(a[rows], dtype=d)
                     for a, d in zip(leaves, dtypes)]
            out = keras.tree.flatten(clone(keras.tree.pack_sequence_as(x, batch),
                                           training=False))
            return np.concatenate([np.asarray(o, dtype=np.float64).reshape(n, -1)
                                   for o in out], axis=1)

        groups = [np.setdiff1d(np.arange(n), checked), np.asarray(checked, dtype=int)]
        deadline = _deadline.current()  # inside `diagnose`: the probe's share
        # Three passes of the model, each about as long as the one the
        # initial-loss probe measured (when it did).
        _common.passes_fit(deadline, 0, _shared.cost("eager_forward") or 0.0, 3,
                           "forward passes")
        tick = time.perf_counter()
        base = run(index)
        moved = []  # per group: how far every output moves when the group is replaced
        for done, group in enumerate(groups, start=1):
            # All three passes count: one that cannot finish is skipped.
            _common.passes_fit(deadline, done, time.perf_counter() - tick,
                               len(groups) - done + 1, "forward passes")
            tick = time.perf_counter()
            rows = index.copy()
            rows[group] = spare[group]
            moved.append(np.abs(run(rows) - base).max(axis=1) if len(group)
                         else np.zeros(n))
    first = np.isin(np.arange(n), groups[0])
    norms = np.zeros((len(checked), n))
    for k, i in enumerate(checked):
        norms[k, first] = moved[0][i]  # i kept, the others replaced
        norms[k, i] = moved[1][i]  # i replaced itself
    floors = 8 * float(np.finfo(np.float32).eps) * np.abs(base[checked]).max(axis=1)
    return BatchMixingEvidence(gradient_norms=norms, checked=tuple(checked),
                               method="replacement", floors=floors)
