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
        n_layers = len(probe.weight_layers)
        self._group = np.zeros((n_layers, len(probe.weight_names)))
        for w, g in enumerate(probe.weight_layer):
            self._group[g, w] = 1.0

    def start_epoch(self):
        self._epoch_samples = 0.0

    def append(self, reduced, *, epoch, epoch_end):
        """Add one row from `reduce_replicas` output; returns the row dict."""
        probe, nan = self.probe, np.nan
        cheap = reduced["cheap"]
        steps, samples = cheap[S.C_STEPS], reduced["samples"]
        self._epoch_samples += samples
        if np.isnan(self.initial_loss) and reduced["counter"] >= 1 and samples > 0:
            self.initial_loss = reduced["initial_loss"]
        good = steps - cheap[S.C_LOSS_NF]
        row = {
            "step": reduced["counter"], "epoch": epoch, "epoch_end": epoch_end,
            "loss": cheap[S.C_LOSS_SUM] / good if good > 0 else nan,
            "loss_sem": _standard_error(cheap[S.C_LOSS_SUM], cheap[S.C_LOSS_SQ], good),
            "loss_nonfinite": cheap[S.C_LOSS_NF], "samples": samples,
        }
        def per(v):  # per-layer sums; non-finite statistics are train.nonfinite's
            with np.errstate(invalid="ignore", over="ignore"):
                return self._group @ v
        w = reduced["w_stats"]
        if samples > 0 and w.shape[1]:
            grad = np.sqrt(per(w[S.W_GRAD_SQ]) / samples)
            weight = np.sqrt(per(w[S.W_SQ]) / samples)
            update = np.sqrt(per(w[S.W_UPD_SQ]) / samples)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(weight > 0, update / weight, nan)
            row.update(grad_norm=grad, weight_norm=weight, update_norm=update,
                       update_ratio=ratio, grad_nonfinite=per(w[S.W_GRAD_NF]),
                       weight_nonfinite=per(w[S.W_NF]))
        else:
            empty = np.full(len(probe.weight_layers), nan)
            for key in ("grad_norm", "weight_norm", "update_norm", "update_ratio",
                        "grad_nonfinite", "weight_nonfinite"):
                row[key] = empty
        row.update(self._activations(reduced, samples))
        clip_steps = max(steps, 1.0)
        row["clipped_fraction"] = cheap[S.C_CLIPPED] / clip_steps
        row["clip_norm_before"] = cheap[S.C_NORM_BEFORE] / clip_steps
        row["clip_norm_after"] = cheap[S.C_NORM_AFTER] / clip_steps
        row.update(self._curvature(reduced.get("curv")))
        for key in _ROW_KEYS:
            self.rows[key].append(row[key])
        self._first_nonfinite(reduced["first_nonfinite"])
        return row

    @staticmethod
    def _curvature(curv):
        from kerasdoc.training import _curvature as K

        nan = np.nan
        out = {k: nan for k in _CURVATURE_KEYS}
        out.update(noise_trace=0.0, noise_grad_sq=0.0, noise_estimates=0.0,
                   hessian_trace=nan)
        if curv is None:
            return out
        if curv[K.K_COUNT] > 0:
            out.update(sharpness=curv[K.K_SHARP], stability_bound=curv[K.K_BOUND],
                       sharpness_ratio=curv[K.K_RATIO], learning_rate=curv[K.K_LR],
                       sharpness_step=curv[K.K_STEP])
        out.update(noise_trace=curv[K.K_NOISE_S], noise_grad_sq=curv[K.K_NOISE_G2],
                   noise_estimates=curv[K.K_NOISE_N])
        if curv[K.K_TRACE_N] > 0:  # mean of the window's Hutchinson estimates
            out["hessian_trace"] = curv[K.K_TRACE] / curv[K.K_TRACE_N]
        return out

    def _activations(self, reduced, samples):
        taps, nan = self.probe.taps, np.nan
        a = reduced["a_stats"]
        n = len(taps)
        out = {k: np.full(n, nan) for k in (
            "activation_mean", "activation_std", "activation_nonfinite",
            "saturated_fraction", "max_logit", "dead_fraction")}
        if n and self._epoch_samples > 0:
            # The "ever active" masks span the epoch so far, not the window.
            relu = [i for i, t in enumerate(taps) if t.kind == "relu" and t.units]
            for i, mask in zip(relu, reduced["masks"]):
                out["dead_fraction"][i] = 1.0 - float(np.mean(mask))
        if not n or samples <= 0:
            return out
        count = np.maximum(a[S.A_COUNT], 1.0)
        # Non-finite activations make NaN moments (counted apart in
        # activation_nonfinite): no RuntimeWarning for them.
        with np.errstate(invalid="ignore", over="ignore"):
            mean = a[S.A_SUM] / count
            std = np.sqrt(np.maximum(a[S.A_SQ] / count - mean ** 2, 0.0))
        out["activation_mean"] = mean
        out["activation_std"] = std
        out["activation_nonfinite"] = a[S.A_NF]
        for i, tap in enumerate(taps):
            if tap.kind in ("tanh", "sigmoid") and not tap.is_output:
                out["saturated_fraction"][i] = a[S.A_SAT][i] / count[i]
            if tap.kind in ("softmax", "sigmoid"):
                out["max_logit"][i] = reduced["a_logit"][i]
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
