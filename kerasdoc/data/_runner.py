"""The audit runner: one chunked scan, shared embeddings, then each check, timed."""

import time

import numpy as np

from kerasdoc.data import _balance, _categorical, _labels, _leakage, _noise, _ranges, _shift
from kerasdoc.data._prepare import (_Rows, decode_labels, image_embedding, iter_chunks,
                                    pca_features, sample_indices, scan, tabular_rows)
from kerasdoc.findings import Report

_clock = time.perf_counter  # the benchmark swaps in time.process_time


class Audit:
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

    def _run_check(self, name, fn):
        if not self._wanted(name):
            return
        skip = self.o.get("skip_reasons", {}).get(name)
        if skip:
            self.skipped[name] = skip
            return
        result = self._timed(name, fn)
        findings, reason = result if isinstance(result, tuple) else (result, None)
        if reason:
            self.skipped[name] = reason
        else:
            self.ran.append(name)
        self.findings.extend(findings)

    def _skip(self, name, reason):
        if self._wanted(name):
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
        self._run_check("nonfinite", lambda: _ranges.check_nonfinite(
            {"train": st_tr, "test": st_te}, labels))
        self._run_check("not_normalized", lambda: _ranges.check_not_normalized(
            st_tr, max_magnitude=o["max_magnitude"], scale_ratio=o["scale_ratio"]))
        self._run_check("label_range", lambda: _ranges.check_label_range(
            labels, n_classes=self.n_classes))
        valid = np.flatnonzero(lab_tr.valid)
        y = lab_tr.ids[valid]
        weights = o.get("sample_weight")
        self._run_check("class_imbalance", lambda: _balance.check_class_imbalance(
            y, self.k, imbalance_ratio=o["imbalance_ratio"],
            weights=None if weights is None else np.asarray(weights).reshape(
                len(lab_tr.ids), -1).mean(axis=1)[valid],
            class_weight=o.get("class_weight")))
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
            if "categorical_scaled" not in o.get("skip_reasons", {}):
                self._skip("categorical_scaled", "applies to tabular (N, F) inputs")
        else:
            self._run_check("categorical_scaled", lambda: _categorical.check_categorical_scaled(
                self.x_train, st_tr, categorical_columns=self.columns,
                chunk_size=o["chunk_size"]))
        noise_proba = None
        min_model = max(50, 4 * self.k)
        too_few = f"needs at least {min_model} labelled samples, got {len(valid)}"
        if len(valid) < min_model:
            self._skip("label_misalignment", too_few)
            if self.noise_samples != 0:
                self._skip("label_noise", too_few)
        elif self.noise_samples == 0:
            self._skip("label_noise", "off (pass label_noise=True to run it)")
        else:
            def noise():
                nonlocal noise_proba
                idx = valid[sample_indices(len(valid), self.noise_samples, o["seed"])]
                noise_proba = (idx, self._proba(st_tr, idx, lab_tr.ids[idx]))
                return _noise.check_label_noise(
                    noise_proba[1], lab_tr.ids[idx], idx,
                    confidence=o["noise_confidence"], max_fraction=o["noise_fraction"],
                    min_samples=min_model)
            self._run_check("label_noise", noise)

        def misalignment():
            if noise_proba is not None and len(noise_proba[0]) >= min(len(valid),
                                                                      o["model_samples"]):
                idx, proba = noise_proba
            else:
                idx = valid[sample_indices(len(valid), o["model_samples"], o["seed"])]
                proba = self._proba(st_tr, idx, lab_tr.ids[idx])
            return _labels.check_misalignment(
                proba, lab_tr.ids[idx], min_information=o["min_information"],
                min_samples=min_model)
        if len(valid) >= min_model:
            self._run_check("label_misalignment", misalignment)
        return Report(self.findings, ran=self.ran, skipped=self.skipped,
                      timings=self.timings, title="kerasdoc data audit")

    def _proba(self, stats, idx, y):
        represent = self.o.get("represent")
        if represent is not None:  # token ids, text: a representation that sees content
            values = represent(idx)
        elif stats.is_image:
            values = self._pooled("train", idx)
        else:
            values = tabular_rows(self.x_train, stats, idx, chunk_size=self.o["chunk_size"])
        features = pca_features(values, seed=self.o["seed"])
        return _labels.cross_val_proba(features, y, n_classes=self.k, seed=self.o["seed"])

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
            body = self._pooled("train" if x is self.x_train else "test", idx)
        else:
            body = np.concatenate([c for _, c, _ in iter_chunks(rows, self.o["chunk_size"])])
            body = np.nan_to_num(body, nan=0.0, posinf=0.0, neginf=0.0)
        features = np.concatenate([summary, body], axis=1)
        return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)
