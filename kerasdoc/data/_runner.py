"""The audit runner: one chunked scan, shared embeddings, then each check, timed."""

import time

import numpy as np

from kerasdoc.data import _labels, _leakage, _shift
from kerasdoc.data._prepare import (_Rows, decode_labels, decode_values, image_embedding,
                                    iter_chunks, pca_features, sample_indices, scan,
                                    tabular_rows)

_clock = time.perf_counter  # the benchmark swaps in time.process_time


class Audit:
    """Measures the evidence once, then runs each registered `data.*` check on it.

    Every check goes through the registry's `Runner` (kerasdoc._registry),
    which records it, keyed by its name (`"data.not_normalized"`), as ran,
    skipped with the reason, or failed with its exception, and times it.
    `opts` holds `chunk_size` and `seed`; the thresholds are the checks'
    settings (`settings`: check name -> Settings instance).
    """

    def __init__(self, x_train, y_train, x_test, y_test, n_classes, columns,
                 noise_samples, opts, *, settings=None, task=None, input_kind=None):
        from kerasdoc._registry import Runner, resolve_settings

        self.x_train, self.y_train, self.x_test, self.y_test = x_train, y_train, x_test, y_test
        self.n_classes, self.columns, self.noise_samples = n_classes, columns, noise_samples
        self.o = opts
        settings = settings if settings is not None else opts.get("settings")
        task = task if task is not None else opts.get("task")
        self.task = task
        self.input_kind = input_kind
        self.runner = Runner("data", task=task, input_kind=input_kind,
                             settings=settings or resolve_settings(part="data"),
                             clock=lambda: _clock())
        self.timings = self.runner.timings
        self._pooled_cache = {}

    def _timed(self, name, fn):
        start = _clock()
        result = fn()
        self.timings[name] = self.timings.get(name, 0.0) + _clock() - start
        return result

    def _pooled(self, split, idx=None):
        """Block-averaged images of a split (images only).

        The whole split's embedding (196 bytes per 28x28 image) is computed
        once when the cross-split near-duplicate search needs it; otherwise
        only the rows `idx` asked for are read and embedded, so memory does
        not grow with the number of images.
        """
        x = self.x_train if split == "train" else self.x_test
        if split in self._pooled_cache:
            full = self._pooled_cache[split]
            return full if idx is None else full[idx]
        if idx is not None:
            return self._timed("embedding", lambda: image_embedding(
                _Rows(x, idx), chunk_size=self.o["chunk_size"], normalise=False))
        self._pooled_cache[split] = self._timed("embedding", lambda: image_embedding(
            x, chunk_size=self.o["chunk_size"], normalise=False))
        return self._pooled_cache[split]

    def _wanted(self, name):
        only = self.o.get("only")
        return only is None or name in only

    def _run(self, name, *args, **kwargs):
        """Run check `name` unless another part of the audit owns it or skips it."""
        if not self._wanted(name):
            return []
        reason = self.o.get("skip_reasons", {}).get(name)
        if reason:
            self.runner.skip(name, reason)
            return []
        return self.runner.run(name, *args, **kwargs)

    def _skip(self, name, reason):
        if self._wanted(name) and name not in self.o.get("skip_reasons", {}):
            self.runner.skip(name, reason)
        elif self._wanted(name):
            self.runner.skip(name, self.o["skip_reasons"][name])

    def _classes(self):
        """Whether the targets are classes (True when the task is unknown)."""
        from kerasdoc._registry import SINGLE_LABEL, task_kinds

        kinds = task_kinds(self.task)
        return kinds is None or bool(set(kinds) & set(SINGLE_LABEL))

    def run(self):
        o, runner = self.o, self.runner
        run, skip = self._run, self._skip
        classes = self._classes()
        soft = classes and self._soft_binary(self.y_train) and (
            self.y_test is None or self._soft_binary(self.y_test))
        if soft:  # probabilities of class 1: binary cross-entropy's soft targets
            lab_tr = decode_labels(self._hard(self.y_train), self.n_classes)
        elif classes:
            lab_tr = decode_labels(self.y_train, self.n_classes)
        else:  # values, multi-hot rows: never one class per distinct value
            lab_tr = decode_values(self.y_train)
        k = self.n_classes if self.n_classes is not None else lab_tr.n_classes
        lab_te = None
        if self.y_test is not None and not classes:
            lab_te = decode_values(self.y_test)
        elif self.y_test is not None:
            lab_te = decode_labels(self._hard(self.y_test) if soft else self.y_test,
                                   self.n_classes)
            if self.n_classes is None and not lab_tr.one_hot and not lab_te.one_hot:
                k = max(k, lab_te.n_classes)
                lab_tr, lab_te = (
                    decode_labels(self._hard(self.y_train) if soft else self.y_train, k),
                    decode_labels(self._hard(self.y_test) if soft else self.y_test, k))
        seen = [lab.ids.max() + 1 for lab in (lab_tr, lab_te) if lab is not None and lab.ids.size]
        self.k = int(max([k, 2] + seen))
        st_tr = self._timed("scan", lambda: scan(self.x_train, chunk_size=o["chunk_size"]))
        st_te = None
        if self.x_test is not None:
            st_te = self._timed("scan", lambda: scan(self.x_test, chunk_size=o["chunk_size"]))
        if st_tr.is_image and self.x_test is not None:  # leakage, shift, label models
            self._pooled("train")
            self._pooled("test")
        labels = {"train": lab_tr, "test": lab_te}
        run("data.nonfinite", {"train": st_tr, "test": st_te}, labels)
        run("data.not_normalized", st_tr, None if classes else _value_rms(self.y_train))
        run("data.label_range", labels, self.n_classes)
        valid = np.flatnonzero(lab_tr.valid)
        y = lab_tr.ids[valid]
        weights = o.get("sample_weight")
        run("data.class_imbalance", y, self.k,
            weights=None if weights is None else np.asarray(weights).reshape(
                len(lab_tr.ids), -1).mean(axis=1)[valid],
            class_weight=o.get("class_weight"))
        run("data.unshuffled", y, 4 * self.k, shuffled=o.get("shuffle", True))
        self._targets(y, classes)
        splits = [(self.x_train, st_tr, lab_tr.ids, "train")]
        if st_te is not None:
            splits.append((self.x_test, st_te, None if lab_te is None else lab_te.ids,
                           "test"))
        run("data.duplicates", splits)
        if self.x_test is None:
            skip("data.split_leakage", "no x_test given")
            skip("data.distribution_shift", "no x_test given")
        else:
            run("data.split_leakage", gather=lambda s: self._leakage(
                st_tr, st_te, lab_tr, lab_te, s))
            run("data.distribution_shift", gather=lambda s: self._shift(
                st_tr, st_te, y, lab_te, s))
        if st_tr.is_image:
            skip("data.categorical_scaled", "applies to tabular (N, F) inputs")
        else:
            run("data.categorical_scaled", self.x_train, st_tr, self.columns, o["chunk_size"])
        noise_proba = None
        min_model = max(50, 4 * self.k)
        too_few = f"needs at least {min_model} labelled samples, got {len(valid)}"
        if len(valid) < min_model:
            skip("data.label_misalignment", too_few)
            if self.noise_samples != 0:
                skip("data.label_noise", too_few)
        elif self.noise_samples == 0:
            skip("data.label_noise", "off (pass label_noise=True to run it)")
        else:
            def noise(settings):
                nonlocal noise_proba
                idx = valid[sample_indices(len(valid), self.noise_samples, o["seed"])]
                noise_proba = (idx, self._proba(st_tr, idx, lab_tr.ids[idx]))
                return noise_proba[1], lab_tr.ids[idx], idx, min_model
            run("data.label_noise", gather=noise)

        def misalignment(settings):
            idx = valid[sample_indices(len(valid), settings.model_samples, o["seed"])]
            features = self._features(st_tr, idx)
            y_idx = lab_tr.ids[idx]
            probas = {"linear": _labels.cross_val_proba(features, y_idx, n_classes=self.k,
                                                        seed=o["seed"]),
                      "knn": _labels.knn_cross_val_proba(features, y_idx,
                                                         n_classes=self.k, seed=o["seed"])}
            return probas, y_idx, min_model
        if len(valid) >= min_model:
            run("data.label_misalignment", gather=misalignment)
        return runner.report("kerasdoc data audit",
                             task=self.task if callable(getattr(self.task, "describe",
                                                                None)) else None)

    def _soft_binary(self, y):
        """Whether `y` holds soft binary targets: probabilities of class 1 in [0, 1].

        Binary cross-entropy takes any target in [0, 1] (normalised ratings,
        scores, smoothed or averaged labels), so on a binary task such
        targets are not "labels that are not whole numbers". The label
        checks read them as class 1 where they reach 0.5.
        """
        from kerasdoc._registry import task_kinds

        if task_kinds(self.task) != ("binary",):
            return False
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or y.dtype.kind != "f" or not y.size:
            return False
        finite = y[np.isfinite(y)]
        return bool(finite.size) and bool(np.all((finite >= 0) & (finite <= 1)))

    @staticmethod
    def _hard(y):
        """Soft binary targets as class ids (1 where they reach 0.5; NaN stays NaN)."""
        y = np.asarray(y, dtype=np.float64).reshape(len(y))
        return np.where(np.isfinite(y), (y >= 0.5).astype(np.float64), y)

    def _targets(self, ids, classes):
        """The task-specific checks of the targets (`kerasdoc.data._targets`)."""
        from kerasdoc._registry import task_kinds

        run = self._run
        kinds = task_kinds(self.task)
        if kinds is None:  # unknown task: these checks need to know it
            for name in ("data.target_scale", "data.constant_target",
                         "data.multilabel_empty", "data.label_imbalance"):
                self._skip(name, "the task is unknown (pass task=)")
            return
        loss = getattr(self.task, "loss", None)
        run("data.target_scale", self.y_train, loss)
        run("data.constant_target", ids if classes else self.y_train, classes)
        run("data.multilabel_empty", self.y_train)
        run("data.label_imbalance", self.y_train)

    def _features(self, stats, idx):
        """PCA features of training rows `idx` for the label models."""
        from kerasdoc.data._represent import spectrum

        represent = self.o.get("represent")
        if represent is not None:  # token ids, text: a representation that sees content
            values = represent(idx)
        elif self.input_kind == "sequence":
            # Series whose class lives in their frequency content at random
            # phases look alike to a per-step or block-averaged view.
            rows = np.asarray(_Rows(self.x_train, idx)[:], dtype=np.float32)
            values = np.concatenate([self._pooled("train", idx) if stats.is_image else
                                     rows.reshape(len(rows), -1), spectrum(rows)], axis=1)
        elif stats.is_image:
            values = self._pooled("train", idx)
        else:
            values = tabular_rows(self.x_train, stats, idx, chunk_size=self.o["chunk_size"])
        return pca_features(values, seed=self.o["seed"])

    def _proba(self, stats, idx, y):
        features = self._features(stats, idx)
        return _labels.cross_val_proba(features, y, n_classes=self.k, seed=self.o["seed"])

    def _leakage(self, st_tr, st_te, lab_tr, lab_te, settings):
        """Evidence of `data.split_leakage`: exact and near cross-split pairs."""
        exact = _leakage.exact_cross_pairs(self.x_train, st_tr, self.x_test, st_te)
        near = []
        if st_tr.is_image:
            near = _leakage.near_cross_pairs(
                self.x_train, self.x_test, similarity=settings.near_duplicate_similarity,
                chunk_size=self.o["chunk_size"], exclude={t for t, _ in exact},
                train_emb=self._pooled("train"), test_emb=self._pooled("test"))
        if not self._classes():  # no class ids to compare across copies
            return exact, near, st_te.n, None, None
        return (exact, near, st_te.n, lab_tr.ids,
                None if lab_te is None else lab_te.ids)

    def _shift(self, st_tr, st_te, y, lab_te, settings):
        """Evidence of `data.distribution_shift`: class mix and domain features."""
        o = self.o
        class_mix = None
        if lab_te is not None and self._classes():
            class_mix = (y, lab_te.ids[lab_te.valid], self.k)
        m = settings.shift_samples
        tr = sample_indices(st_tr.n, m, o["seed"])
        te = sample_indices(st_te.n, m, o["seed"] + 1)
        feats_tr = self._shift_features(self.x_train, tr, st_tr.is_image)
        feats_te = self._shift_features(self.x_test, te, st_tr.is_image)
        # The last block of training rows, as many as the test set has (at
        # most half the training set), against the rows before it: a split
        # by time makes the test set such a block (see `_shift`).
        block = min(st_te.n, st_tr.n // 2, m)
        train_ends = None
        if block >= 20:
            before = sample_indices(st_tr.n - block, m, o["seed"] + 2)
            last = np.arange(st_tr.n - block, st_tr.n)
            train_ends = (self._shift_features(self.x_train, before, st_tr.is_image),
                          self._shift_features(self.x_train, last, st_tr.is_image))
        rng = np.random.default_rng(o["seed"])
        feats_tr, feats_te = rng.permutation(feats_tr), rng.permutation(feats_te)
        if st_tr.is_image:
            n_blocks = feats_tr.shape[1] - len(_shift.SUMMARY_NAMES)
            names = list(_shift.SUMMARY_NAMES) + [f"block_{i}" for i in range(n_blocks)]
        else:
            names = list(_shift.SUMMARY_NAMES) + [
                f"feature_{i}" for i in range(feats_tr.shape[1] - 3)]
        return class_mix, feats_tr, feats_te, names, o["seed"], train_ends

    def _shift_features(self, x, idx, is_image):
        rows = _Rows(x, idx)
        summary = np.concatenate([
            _shift.summary_features(raw, is_image)
            for _, _, raw in iter_chunks(rows, self.o["chunk_size"])])
        if is_image:
            body = self._pooled("train" if x is self.x_train else "test", idx)
        else:
            body = np.concatenate([c for _, c, _ in iter_chunks(rows, self.o["chunk_size"])])
            body = np.nan_to_num(body, nan=0.0, posinf=0.0, neginf=0.0)
        features = np.concatenate([summary, body], axis=1)
        return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)


def _value_rms(y):
    """Root mean square of value targets (one array), or None."""
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    values = values[np.isfinite(values)]
    return float(np.sqrt(np.mean(values ** 2))) if values.size else None
