"""Turns read-back device values into the per-check statistics history.

One row per read-back. Per-weight sums are combined into per-layer norms
(the layer groups of the `Probe`), activation sums into means, standard
deviations and fractions. `StatsHistory.as_dict()` is what `Doctor.history`
returns and what the detectors read.
"""

import numpy as np

from kerasdoc.training import _step as S

_ROW_KEYS = (
    "step", "epoch", "epoch_end", "loss", "loss_sem", "loss_nonfinite", "samples",
    "grad_norm", "weight_norm", "update_norm", "update_ratio",
    "grad_nonfinite", "weight_nonfinite",
    "activation_mean", "activation_std", "activation_nonfinite",
    "saturated_fraction", "max_logit", "dead_fraction",
    "clip_norm_before", "clip_norm_after", "clipped_fraction",
) + ("sharpness", "stability_bound", "sharpness_ratio", "learning_rate",
     "sharpness_step", "noise_trace", "noise_grad_sq", "noise_estimates",
     "hessian_trace")


_CURVATURE_KEYS = ("sharpness", "stability_bound", "sharpness_ratio",
                   "learning_rate", "sharpness_step")
_SCALAR_KEYS = ("loss", "loss_sem", "loss_nonfinite", "samples", "clip_norm_before",
                "clip_norm_after", "clipped_fraction") + _CURVATURE_KEYS + (
                    "noise_trace", "noise_grad_sq", "noise_estimates",
                    "hessian_trace")
_LAYER_KEYS = ("grad_norm", "weight_norm", "update_norm", "update_ratio",
               "grad_nonfinite", "weight_nonfinite")
_TAP_KEYS = ("activation_mean", "activation_std", "activation_nonfinite",
             "saturated_fraction", "max_logit", "dead_fraction")


def _standard_error(total, squares, count):
    """Standard error of a window's mean loss from its batch losses' spread.

    `total` and `squares` sum the finite batch losses and their squares over
    `count` steps. The spread includes any drift of the loss inside the
    window, so the noise it predicts errs on the large side. NaN with fewer
    than two steps.
    """
    if count < 2 or not np.isfinite(squares):
        return np.nan
    mean = total / count
    variance = max(squares / count - mean * mean, 0.0) * count / (count - 1)
    return float(np.sqrt(variance / count))


class StatsHistory:
    """Accumulates read-back rows and the per-epoch logs of one `fit`."""

    def __init__(self, probe, *, n_trainable, loss_scaled):
        self.probe = probe
        self.n_trainable = n_trainable
        self.loss_scaled = loss_scaled
        self.rows = {k: [] for k in _ROW_KEYS}
        self.epoch_logs = {}
        self.outputs = ()  # (name, task kind or None) of a multi-output model
        self.first_nonfinite = (None, None)
        self.initial_loss = np.nan
        # Per-layer rows already stacked (as_dict runs at every detection:
        # stacking only the new rows keeps it O(new rows), not O(run)).
        self._stacked = {}
        self._epoch_samples = 0.0
        # Packed single-replica rows not yet turned into rows (see
        # `append_packed`), the unpacking function and the step offset.
        self._pending = []
        self.unpack = None
        self.offset = 0
        n_layers = len(probe.weight_layers)
        self._group = np.zeros((n_layers, len(probe.weight_names)))
        for w, g in enumerate(probe.weight_layer):
            self._group[g, w] = 1.0

    def start_epoch(self):
        self._flush()
        self._epoch_samples = 0.0

    def append(self, reduced, *, epoch, epoch_end):
        """Add one row from `reduce_replicas` output; returns the row dict."""
        self._flush()
        block = {k: (v if k in ("masks",) else np.asarray(v)[None])
                 for k, v in reduced.items() if k != "hist"}
        block["masks"] = [np.asarray(m)[None] for m in reduced["masks"]]
        rows = self._append_block(block, [epoch], [epoch_end])
        return {k: v[0] for k, v in rows.items()}

    def append_packed(self, values, *, epoch, epoch_end):
        """Add one row from a single replica's packed window, turned into a row later.

        The fused step's read-back (`_step.Instrument.unpack`'s input) is
        kept as it is and the rows are built many at a time, with array
        operations over the rows, when the history is next read: reading
        back every step then costs the host a list append, not a row's
        worth of numpy calls. Needs `unpack` and `offset` to be set.
        """
        self._pending.append((values, epoch, epoch_end))

    def _flush(self):
        """Turn the pending packed rows into history rows (see `append_packed`)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        raw = self.unpack(np.stack([v for v, _, _ in pending]))
        raw["counter"] = raw["counter"] + self.offset
        first = raw["first_nonfinite"]
        first[:, 1] = np.where(first[:, 0] > 0, first[:, 1] + self.offset, 0.0)
        self._append_block(raw, [e for _, e, _ in pending],
                           [end for _, _, end in pending])

    def _append_block(self, reduced, epochs, epoch_ends):
        """Add rows from per-row values (a leading row axis on every entry).

        One replica's values, or values already combined across replicas
        (`reduce_replicas`). Returns the new rows' columns.
        """
        nan = np.nan
        cheap = np.asarray(reduced["cheap"], dtype=np.float64)
        n_rows = len(cheap)
        steps, samples = cheap[:, S.C_STEPS], np.asarray(
            reduced["samples"], dtype=np.float64).reshape(n_rows)
        counter = np.asarray(reduced["counter"]).reshape(n_rows)
        # The epoch's instrumented steps so far, at each row (the dead-unit
        # masks span the epoch).
        epoch_samples = self._epoch_samples + np.cumsum(samples)
        self._epoch_samples = float(epoch_samples[-1])
        if np.isnan(self.initial_loss):
            hit = np.flatnonzero((counter >= 1) & (samples > 0))
            if len(hit):
                self.initial_loss = float(
                    np.asarray(reduced["initial_loss"]).reshape(n_rows)[hit[0]])
        good = steps - cheap[:, S.C_LOSS_NF]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            loss = np.where(good > 0, cheap[:, S.C_LOSS_SUM] / good, nan)
            mean = cheap[:, S.C_LOSS_SUM] / good
            variance = np.maximum(cheap[:, S.C_LOSS_SQ] / good - mean * mean, 0.0)
            sem = np.sqrt(variance / (good - 1))
        sem = np.where((good >= 2) & np.isfinite(cheap[:, S.C_LOSS_SQ]), sem, nan)
        out = {"step": counter.astype(np.int64), "epoch": np.asarray(epochs),
               "epoch_end": np.asarray(epoch_ends, dtype=bool), "loss": loss,
               "loss_sem": sem, "loss_nonfinite": cheap[:, S.C_LOSS_NF],
               "samples": samples}
        w = np.asarray(reduced["w_stats"], dtype=np.float64)
        n_layers = len(self.probe.weight_layers)
        if w.shape[-1]:
            # Per-layer sums; non-finite statistics are train.nonfinite's.
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                layer = np.einsum("rkw,lw->rkl", w, self._group)
                per_step = layer / np.where(samples > 0, samples, nan)[:, None, None]
                grad, weight, update = (np.sqrt(per_step[:, S.W_GRAD_SQ]),
                                        np.sqrt(per_step[:, S.W_SQ]),
                                        np.sqrt(per_step[:, S.W_UPD_SQ]))
                ratio = np.where(weight > 0, update / weight, nan)
            none = (samples <= 0)[:, None]
            out.update(grad_norm=grad, weight_norm=weight, update_norm=update,
                       update_ratio=ratio,
                       grad_nonfinite=np.where(none, nan, layer[:, S.W_GRAD_NF]),
                       weight_nonfinite=np.where(none, nan, layer[:, S.W_NF]))
        else:
            empty = np.full((n_rows, n_layers), nan)
            for key in _LAYER_KEYS:
                out[key] = empty
        out.update(self._activations(reduced, samples, epoch_samples))
        clip_steps = np.maximum(steps, 1.0)
        out["clipped_fraction"] = cheap[:, S.C_CLIPPED] / clip_steps
        out["clip_norm_before"] = cheap[:, S.C_NORM_BEFORE] / clip_steps
        out["clip_norm_after"] = cheap[:, S.C_NORM_AFTER] / clip_steps
        out.update(self._curvature(reduced.get("curv"), n_rows))
        for key in _ROW_KEYS:
            values = out[key]
            self.rows[key].extend(list(values) if np.ndim(values) > 1
                                  else np.asarray(values).tolist())
        first = np.asarray(reduced["first_nonfinite"]).reshape(n_rows, 2)
        hits = np.flatnonzero(first[:, 0] > 0)
        if len(hits):
            self._first_nonfinite(first[hits[0]])
        return out

    @staticmethod
    def _curvature(curv, n_rows):
        from kerasdoc.training import _curvature as K

        nan = np.nan
        out = {k: np.full(n_rows, nan) for k in _CURVATURE_KEYS}
        out.update(noise_trace=np.zeros(n_rows), noise_grad_sq=np.zeros(n_rows),
                   noise_estimates=np.zeros(n_rows),
                   hessian_trace=np.full(n_rows, nan))
        if curv is None:
            return out
        curv = np.asarray(curv, dtype=np.float64).reshape(n_rows, -1)
        some = curv[:, K.K_COUNT] > 0
        for key, index in (("sharpness", K.K_SHARP), ("stability_bound", K.K_BOUND),
                           ("sharpness_ratio", K.K_RATIO), ("learning_rate", K.K_LR),
                           ("sharpness_step", K.K_STEP)):
            out[key] = np.where(some, curv[:, index], nan)
        out.update(noise_trace=curv[:, K.K_NOISE_S], noise_grad_sq=curv[:, K.K_NOISE_G2],
                   noise_estimates=curv[:, K.K_NOISE_N])
        with np.errstate(divide="ignore", invalid="ignore"):
            # Mean of the window's Hutchinson estimates.
            out["hessian_trace"] = np.where(curv[:, K.K_TRACE_N] > 0,
                                            curv[:, K.K_TRACE] / curv[:, K.K_TRACE_N],
                                            nan)
        return out

    def _activations(self, reduced, samples, epoch_samples):
        taps, nan = self.probe.taps, np.nan
        n_rows, n = len(samples), len(taps)
        out = {k: np.full((n_rows, n), nan) for k in _TAP_KEYS}
        if not n:
            return out
        # The "ever active" masks span the epoch so far, not the window.
        relu = [i for i, t in enumerate(taps) if t.kind == "relu" and t.units]
        seen = epoch_samples > 0
        for i, mask in zip(relu, reduced["masks"]):
            mask = np.asarray(mask, dtype=np.float64).reshape(n_rows, -1)
            out["dead_fraction"][:, i] = np.where(seen, 1.0 - mask.mean(axis=1), nan)
        a = np.asarray(reduced["a_stats"], dtype=np.float64)
        some = (samples > 0)[:, None]
        count = np.maximum(a[:, S.A_COUNT], 1.0)
        # Non-finite activations make NaN moments (counted apart in
        # activation_nonfinite): no RuntimeWarning for them.
        with np.errstate(invalid="ignore", over="ignore"):
            mean = a[:, S.A_SUM] / count
            std = np.sqrt(np.maximum(a[:, S.A_SQ] / count - mean ** 2, 0.0))
            saturated = a[:, S.A_SAT] / count
        out["activation_mean"] = np.where(some, mean, nan)
        out["activation_std"] = np.where(some, std, nan)
        out["activation_nonfinite"] = np.where(some, a[:, S.A_NF], nan)
        logit = np.asarray(reduced["a_logit"], dtype=np.float64).reshape(n_rows, n)
        for i, tap in enumerate(taps):
            if tap.kind in ("tanh", "sigmoid") and not tap.is_output:
                out["saturated_fraction"][:, i] = np.where(
                    some[:, 0], saturated[:, i], nan)
            if tap.kind in ("softmax", "sigmoid"):
                out["max_logit"][:, i] = np.where(some[:, 0], logit[:, i], nan)
        return out

    def _first_nonfinite(self, first):
        if self.first_nonfinite[0] is not None or first[0] <= 0:
            return
        index, step = int(first[0]) - 1, int(first[1])
        taps, probe = self.probe.taps, self.probe
        n_t, n_w = len(taps), len(probe.weight_names)
        if index < n_t:
            where = f"activation:{taps[index].name}"
        elif index < n_t + n_w:
            where = f"gradient:{probe.weight_layers[probe.weight_layer[index - n_t]]}"
        elif index < n_t + 2 * n_w:
            where = f"weights:{probe.weight_layers[probe.weight_layer[index - n_t - n_w]]}"
        else:
            where = "loss:"
        self.first_nonfinite = (where, step)

    def mark_epoch_end(self):
        self._flush()
        if self.rows["epoch_end"]:
            self.rows["epoch_end"][-1] = True

    def add_epoch_logs(self, logs):
        for name, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            self.epoch_logs.setdefault(name, []).append(value)

    def as_dict(self):
        """The history as numpy arrays (see `Doctor.history`)."""
        self._flush()
        out = {
            "step": np.asarray(self.rows["step"], dtype=np.int64),
            "epoch": np.asarray(self.rows["epoch"], dtype=np.int64),
            "epoch_end": np.asarray(self.rows["epoch_end"], dtype=bool),
        }
        for key in _SCALAR_KEYS:
            out[key] = np.asarray(self.rows[key], dtype=np.float64)
        # B_simple from the estimates so far: sum of tr(Sigma) estimates over
        # sum of |G|^2 estimates (each estimate alone is very noisy).
        trace = np.cumsum(out["noise_trace"])
        grad_sq = np.cumsum(out["noise_grad_sq"])
        with np.errstate(divide="ignore", invalid="ignore"):
            out["noise_scale"] = np.where(
                (np.cumsum(out["noise_estimates"]) > 0) & (grad_sq > 0),
                trace / grad_sq, np.nan)
        widths = {k: len(self.probe.weight_layers) for k in _LAYER_KEYS}
        widths.update({k: len(self.probe.taps) for k in _TAP_KEYS})
        for key, width in widths.items():
            values = self.rows[key]
            done = self._stacked.get(key, np.zeros((0, width)))
            if len(values) > len(done):
                done = np.concatenate(
                    [done, np.vstack(values[len(done):]).astype(np.float64)])
                self._stacked[key] = done
            out[key] = done.copy()  # callers may modify their copy
        out["weight_layers"] = list(self.probe.weight_layers)
        out["activation_layers"] = [t.name for t in self.probe.taps]
        out["activation_kinds"] = [t.kind for t in self.probe.taps]
        out["first_nonfinite"] = self.first_nonfinite
        out["initial_loss"] = self.initial_loss
        out["n_trainable"] = self.n_trainable
        out["loss_scaled"] = self.loss_scaled
        out["outputs"] = tuple(self.outputs)
        for name, values in self.epoch_logs.items():
            out[f"epoch/{name}"] = np.asarray(values, dtype=np.float64)
        return out
