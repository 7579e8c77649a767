"""`check_data`: every `data.*` check on a train (and optional test) split."""

import numbers
import time
from typing import Iterable, Optional, Union

import numpy as np

from kerasdoc._errors import InvalidInputError, InvalidTypeError
from kerasdoc._validation import (check_array, check_float, check_int,
                                  check_same_length, received)
from kerasdoc.data import _balance, _categorical, _labels, _leakage, _noise, _ranges, _shift
from kerasdoc.data._prepare import (decode_labels, image_embedding, iter_chunks,
                                    pca_features, sample_indices, scan, tabular_rows)
from kerasdoc.data._prepare import _Rows
from kerasdoc.findings import Report

__all__ = ["check_data"]

_clock = time.perf_counter  # the benchmark swaps in time.process_time

CHECKS = ("nonfinite", "not_normalized", "label_range", "label_misalignment",
          "class_imbalance", "duplicates", "split_leakage", "distribution_shift",
          "unshuffled", "categorical_scaled", "label_noise")


def check_data(
    x_train,
    y_train,
    *,
    x_test=None,
    y_test=None,
    n_classes: Optional[int] = None,
    categorical_columns: Optional[Iterable[int]] = None,
    max_magnitude: float = 10.0,
    scale_ratio: float = 100.0,
    min_information: float = 0.1,
    imbalance_ratio: float = 10.0,
    duplicate_fraction: float = 0.01,
    leakage_fraction: float = 0.005,
    near_duplicate_similarity: float = 0.999,
    class_shift: float = 0.1,
    shift_auc: float = 0.75,
    shift_samples: int = 2000,
    run_ratio: float = 3.0,
    batch_size: int = 32,
    label_noise: Union[bool, int] = False,
    label_noise_confidence: float = 0.02,
    label_noise_fraction: float = 0.03,
    model_samples: int = 5000,
    chunk_size: int = 8192,
    seed: int = 0,
) -> Report:
    """Audit classification data before training: every `data.*` check.

    Works on images `(N, H, W[, C])` and tabular `(N, F)` arrays, integer
    labels `(N,)` or one-hot rows `(N, K)`, and memory-mapped arrays (read in
    chunks of `chunk_size` rows, never converted whole to float64). Inputs are
    never modified. Model-based checks (label misalignment, label noise, input
    shift) fit small scikit-learn models on seeded samples.

    Args:
        x_train: training inputs, `(N, ...)`.
        y_train: training labels, `(N,)` class ids or `(N, K)` one-hot.
        x_test: test or validation inputs, same per-sample shape as `x_train`.
            Enables `data.split_leakage` and `data.distribution_shift`.
            Defaults to `None`.
        y_test: labels of `x_test`. Defaults to `None`.
        n_classes: number of classes the model predicts (its output units).
            Defaults to `None` (inferred from the labels).
        categorical_columns: tabular column indices that hold categories; they
            are flagged when they hold scaled (non-integer) values. Two-valued
            columns are checked either way. Defaults to `None`.
        max_magnitude: `data.not_normalized` fires when some feature's root mean
            square exceeds this (raw 0-255 pixels reach ~100). Defaults to `10.0`.
        scale_ratio: `data.not_normalized` fires when the widest tabular feature
            range is this many times the narrowest. Defaults to `100.0`.
        min_information: `data.label_misalignment` fires when a linear model's
            out-of-sample accuracy, rescaled so 0 is the majority-class rate and
            1 is perfect, is below this. Defaults to `0.1`.
        imbalance_ratio: `data.class_imbalance` fires above this largest/smallest
            class count ratio. Defaults to `10.0`.
        duplicate_fraction: `data.duplicates` fires when exact extra copies
            exceed this fraction of a split. Defaults to `0.01`.
        leakage_fraction: `data.split_leakage` is an error when more than this
            fraction of the test set has a (near-)copy in train, a warning below.
            Defaults to `0.005`.
        near_duplicate_similarity: two images are near-duplicates when their
            full-resolution centred cosine similarity reaches this. Defaults to
            `0.999`.
        class_shift: `data.distribution_shift` fires when the train and test
            class frequencies differ by more than this total variation.
            Defaults to `0.1`.
        shift_auc: `data.distribution_shift` fires when a domain classifier
            separates train from test inputs with a cross-validated ROC AUC
            above this. Defaults to `0.75`.
        shift_samples: samples per split given to the domain classifier.
            Defaults to `2000`.
        run_ratio: `data.unshuffled` fires when the mean run of equal
            consecutive labels is this many times longer than in a random order.
            Defaults to `3.0`.
        batch_size: batch size used to count single-class batches in the
            `data.unshuffled` evidence. Defaults to `32`.
        label_noise: run `data.label_noise`: `True` on every training sample,
            an int on a seeded sample of that many, `False` to skip. Off by
            default: on 60,000 FashionMNIST images it costs about as much as the
            rest of the audit, and the cheap model's confident mistakes on small
            clean datasets make its count less reliable there. Defaults to `False`.
        label_noise_confidence: a sample is a suspect when the out-of-sample
            probability of its given label is below this. Defaults to `0.02`.
        label_noise_fraction: `data.label_noise` fires when suspects exceed
            this fraction of the checked samples. Defaults to `0.03`.
        model_samples: seeded sample size for the label-misalignment model.
            Defaults to `5000`.
        chunk_size: rows read at a time for the statistics and hashes.
            Defaults to `8192`.
        seed: seed of every sample and model. Defaults to `0`.

    Returns:
        A `Report` of `data.*` findings with per-check `timings`, the checks
        that `ran`, and the ones `skipped` with the reason.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 256, size=(200, 8, 8)).astype("uint8")
    >>> report = check_data(x, np.repeat(np.arange(2), 100))
    >>> sorted(report.codes)
    ['data.label_misalignment', 'data.not_normalized', 'data.unshuffled']
    """
    x_train = check_array(x_train, "x_train", min_ndim=2)
    y_train = check_array(y_train, "y_train", min_ndim=1, max_ndim=2)
    check_same_length(x_train, "x_train", y_train, "y_train")
    if y_test is not None and x_test is None:
        raise InvalidInputError(f"`y_test` needs `x_test`. {received('x_test', x_test)}")
    if x_test is not None:
        x_test = check_array(x_test, "x_test", min_ndim=2)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise InvalidInputError(
                "`x_test` must have the per-sample shape of `x_train` "
                f"{x_train.shape[1:]}. Received: x_test.shape={x_test.shape}")
    if y_test is not None:
        y_test = check_array(y_test, "y_test", min_ndim=1, max_ndim=2)
        check_same_length(x_test, "x_test", y_test, "y_test")
    n_classes = check_int(n_classes, "n_classes", minimum=2, allow_none=True)
    columns = _check_columns(categorical_columns, x_train)
    opts = dict(
        max_magnitude=check_float(max_magnitude, "max_magnitude", minimum=0),
        scale_ratio=check_float(scale_ratio, "scale_ratio", minimum=1),
        min_information=check_float(min_information, "min_information", minimum=0, maximum=1),
        imbalance_ratio=check_float(imbalance_ratio, "imbalance_ratio", minimum=1),
        duplicate_fraction=check_float(duplicate_fraction, "duplicate_fraction",
                                       minimum=0, maximum=1),
        leakage_fraction=check_float(leakage_fraction, "leakage_fraction",
                                     minimum=0, maximum=1),
        similarity=check_float(near_duplicate_similarity, "near_duplicate_similarity",
                               minimum=0, maximum=1),
        class_shift=check_float(class_shift, "class_shift", minimum=0, maximum=1),
        shift_auc=check_float(shift_auc, "shift_auc", minimum=0.5, maximum=1),
        shift_samples=check_int(shift_samples, "shift_samples", minimum=20),
        run_ratio=check_float(run_ratio, "run_ratio", minimum=1),
        batch_size=check_int(batch_size, "batch_size", minimum=1),
        noise_confidence=check_float(label_noise_confidence, "label_noise_confidence",
                                     minimum=0, maximum=1),
        noise_fraction=check_float(label_noise_fraction, "label_noise_fraction",
                                   minimum=0, maximum=1),
        model_samples=check_int(model_samples, "model_samples", minimum=20),
        chunk_size=check_int(chunk_size, "chunk_size", minimum=1),
        seed=check_int(seed, "seed", minimum=0),
    )
    if isinstance(label_noise, bool):
        noise_samples = None if label_noise else 0
    elif isinstance(label_noise, numbers.Integral):
        noise_samples = check_int(label_noise, "label_noise", minimum=20)
    else:
        raise InvalidTypeError(
            f"`label_noise` must be True, False or a sample size. "
            f"{received('label_noise', label_noise)}")
    return _Audit(x_train, y_train, x_test, y_test, n_classes, columns,
                  noise_samples, opts).run()


def _check_columns(columns, x_train):
    if columns is None:
        return ()
    if x_train.ndim != 2:
        raise InvalidInputError(
            "`categorical_columns` applies to tabular (N, F) inputs only. "
            f"Received: x_train.shape={x_train.shape}")
    try:
        columns = tuple(int(c) for c in columns)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            "`categorical_columns` must be column indices. "
            f"{received('categorical_columns', columns)}") from None
    bad = [c for c in columns if not 0 <= c < x_train.shape[1]]
    if bad:
        raise InvalidInputError(
            f"`categorical_columns` must lie in [0, {x_train.shape[1]}). "
            f"Received: categorical_columns={list(columns)}")
    return columns


class _Audit:
    """Runs the checks in order, recording timings and skips."""

    def __init__(self, x_train, y_train, x_test, y_test, n_classes, columns,
                 noise_samples, opts):
        self.x_train, self.y_train, self.x_test, self.y_test = x_train, y_train, x_test, y_test
        self.n_classes, self.columns, self.noise_samples = n_classes, columns, noise_samples
        self.o = opts
        self.findings, self.ran, self.skipped, self.timings = [], [], {}, {}
        self._pooled_cache = {}

    def _timed(self, name, fn):
        start = _clock()
        result = fn()
        self.timings[name] = self.timings.get(name, 0.0) + _clock() - start
        return result

    def _pooled(self, split):
        """Block-averaged images of a split, computed once (images only)."""
        if split not in self._pooled_cache:
            x = self.x_train if split == "train" else self.x_test
            self._pooled_cache[split] = self._timed("embedding", lambda: image_embedding(
                x, chunk_size=self.o["chunk_size"], normalise=False))
        return self._pooled_cache[split]

    def _run_check(self, name, fn):
        result = self._timed(name, fn)
        findings, reason = result if isinstance(result, tuple) else (result, None)
        if reason:
            self.skipped[name] = reason
        else:
            self.ran.append(name)
        self.findings.extend(findings)

    def _skip(self, name, reason):
        self.skipped[name] = reason

    def run(self):
        o = self.o
        lab_tr = decode_labels(self.y_train, self.n_classes)
        k = self.n_classes if self.n_classes is not None else lab_tr.n_classes
        lab_te = None
        if self.y_test is not None:
            lab_te = decode_labels(self.y_test, self.n_classes)
            if self.n_classes is None and not lab_tr.one_hot and not lab_te.one_hot:
                k = max(k, lab_te.n_classes)
                lab_tr, lab_te = decode_labels(self.y_train, k), decode_labels(self.y_test, k)
        self.k = max(k, 2)
        st_tr = self._timed("scan", lambda: scan(self.x_train, chunk_size=o["chunk_size"]))
        st_te = None
        if self.x_test is not None:
            st_te = self._timed("scan", lambda: scan(self.x_test, chunk_size=o["chunk_size"]))
        if st_tr.is_image:  # shared by leakage, shift and the label models
            self._pooled("train")
            if self.x_test is not None:
                self._pooled("test")
        labels = {"train": lab_tr, "test": lab_te}
        self._run_check("nonfinite", lambda: _ranges.check_nonfinite(
            {"train": st_tr, "test": st_te}, labels))
        self._run_check("not_normalized", lambda: _ranges.check_not_normalized(
            st_tr, max_magnitude=o["max_magnitude"], scale_ratio=o["scale_ratio"]))
        self._run_check("label_range", lambda: _ranges.check_label_range(
            labels, n_classes=self.n_classes))
        valid = np.flatnonzero(lab_tr.valid)
        y = lab_tr.ids[valid]
        self._run_check("class_imbalance", lambda: _balance.check_class_imbalance(
            y, self.k, imbalance_ratio=o["imbalance_ratio"]))
        self._run_check("unshuffled", lambda: _labels.check_unshuffled(
            y, run_ratio=o["run_ratio"], batch_size=o["batch_size"],
            min_samples=4 * self.k))
        self._run_check("duplicates", lambda: self._duplicates(st_tr, st_te, lab_tr, lab_te))
        if self.x_test is None:
            self._skip("split_leakage", "no x_test given")
            self._skip("distribution_shift", "no x_test given")
        else:
            self._run_check("split_leakage", lambda: self._leakage(st_tr, st_te, lab_tr, lab_te))
            self._run_check("distribution_shift", lambda: self._shift(st_tr, st_te, y, lab_te))
        if st_tr.is_image:
            self._skip("categorical_scaled", "applies to tabular (N, F) inputs")
        else:
            self._run_check("categorical_scaled", lambda: _categorical.check_categorical_scaled(
                self.x_train, st_tr, categorical_columns=self.columns,
                chunk_size=o["chunk_size"]))
        noise_proba = None
        if self.noise_samples == 0:
            self._skip("label_noise", "off (pass label_noise=True to run it)")
        else:
            def noise():
                nonlocal noise_proba
                idx = valid[sample_indices(len(valid), self.noise_samples, o["seed"])]
                noise_proba = (idx, self._proba(st_tr, idx))
                return _noise.check_label_noise(
                    noise_proba[1], lab_tr.ids[idx], idx,
                    confidence=o["noise_confidence"], max_fraction=o["noise_fraction"],
                    min_samples=4 * self.k)
            self._run_check("label_noise", noise)

        def misalignment():
            if noise_proba is not None and len(noise_proba[0]) >= min(len(valid),
                                                                      o["model_samples"]):
                idx, proba = noise_proba
            else:
                idx = valid[sample_indices(len(valid), o["model_samples"], o["seed"])]
                proba = self._proba(st_tr, idx)
            return _labels.check_misalignment(
                proba, lab_tr.ids[idx], min_information=o["min_information"],
                min_samples=4 * self.k)
        self._run_check("label_misalignment", misalignment)
        return Report(self.findings, ran=self.ran, skipped=self.skipped,
                      timings=self.timings, title="kerasdoc data audit")

    def _proba(self, stats, idx):
        if stats.is_image:
            values = self._pooled("train")[idx]
        else:
            values = tabular_rows(self.x_train, stats, idx, chunk_size=self.o["chunk_size"])
        features = pca_features(values, seed=self.o["seed"])
        return _labels.cross_val_proba(features, self.y_ids(idx), n_classes=self.k,
                                       seed=self.o["seed"])

    def y_ids(self, idx):
        return decode_labels(np.asarray(self.y_train)[idx], self.k).ids

    def _duplicates(self, st_tr, st_te, lab_tr, lab_te):
        o = self.o
        findings = _leakage.check_duplicates(
            self.x_train, st_tr, lab_tr.ids, "train", duplicate_fraction=o["duplicate_fraction"])
        if st_te is not None:
            findings += _leakage.check_duplicates(
                self.x_test, st_te, None if lab_te is None else lab_te.ids, "test",
                duplicate_fraction=o["duplicate_fraction"])
        return findings

    def _leakage(self, st_tr, st_te, lab_tr, lab_te):
        o = self.o
        exact = _leakage.exact_cross_pairs(self.x_train, st_tr, self.x_test, st_te)
        near = []
        if st_tr.is_image:
            near = _leakage.near_cross_pairs(
                self.x_train, self.x_test, similarity=o["similarity"],
                chunk_size=o["chunk_size"], exclude={t for t, _ in exact},
                train_emb=self._pooled("train"), test_emb=self._pooled("test"))
        return _leakage.check_split_leakage(
            exact, near, st_te.n, y_train=lab_tr.ids,
            y_test=None if lab_te is None else lab_te.ids,
            leakage_fraction=o["leakage_fraction"], similarity=o["similarity"])

    def _shift(self, st_tr, st_te, y, lab_te):
        o = self.o
        findings = []
        if lab_te is not None:
            findings += _shift.check_class_mix(y, lab_te.ids[lab_te.valid], self.k,
                                               class_shift=o["class_shift"])
        m = o["shift_samples"]
        tr = sample_indices(st_tr.n, m, o["seed"])
        te = sample_indices(st_te.n, m, o["seed"] + 1)
        feats_tr = self._shift_features(self.x_train, tr, st_tr.is_image)
        feats_te = self._shift_features(self.x_test, te, st_tr.is_image)
        rng = np.random.default_rng(o["seed"])
        feats_tr, feats_te = rng.permutation(feats_tr), rng.permutation(feats_te)
        if st_tr.is_image:
            n_blocks = feats_tr.shape[1] - len(_shift.SUMMARY_NAMES)
            names = list(_shift.SUMMARY_NAMES) + [f"block_{i}" for i in range(n_blocks)]
        else:
            names = list(_shift.SUMMARY_NAMES) + [
                f"feature_{i}" for i in range(feats_tr.shape[1] - 3)]
        more, reason = _shift.check_input_shift(
            feats_tr, feats_te, shift_auc=o["shift_auc"], seed=o["seed"], names=names)
        return findings + more, reason

    def _shift_features(self, x, idx, is_image):
        rows = _Rows(x, idx)
        summary = np.concatenate([
            _shift.summary_features(raw, is_image)
            for _, _, raw in iter_chunks(rows, self.o["chunk_size"])])
        if is_image:
            body = self._pooled("train" if x is self.x_train else "test")[idx]
        else:
            body = np.concatenate([c for _, c, _ in iter_chunks(rows, self.o["chunk_size"])])
            body = np.nan_to_num(body, nan=0.0, posinf=0.0, neginf=0.0)
        features = np.concatenate([summary, body], axis=1)
        return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)
