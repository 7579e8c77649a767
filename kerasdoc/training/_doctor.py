"""The `Doctor` callback: watches `model.fit` from inside the train step."""

import time

import keras
import numpy as np

from kerasdoc import _keras
from kerasdoc._errors import InvalidInputError, KerasDocError
from kerasdoc._validation import check_choice, check_float, check_int, check_model
from kerasdoc.findings import Report, Severity
from kerasdoc.training._clipping import check_clipping
from kerasdoc.training._detectors import run_detectors
from kerasdoc.training._curvature import add_curvature_evidence
from kerasdoc.training._history import StatsHistory
from kerasdoc.training._observer import (
    Observer, call_overridden, custom_step_reason, observer_probe, setup_observer,
    unobserved)
from kerasdoc.training._probe import Probe
from kerasdoc.training._step import PACKED_KEY, Instrument, reduce_replicas

_STOP_CHOICES = ("error", "warning", "info", None)
# Run the (host-side) detectors at most once per this many steps, except at
# epoch ends and as soon as a non-finite value is read.
_DETECT_EVERY_STEPS = 64
# ... and keep the routine runs' time under this share of the training time.
_DETECT_SHARE = 0.02

# Codes whose finding describes a state of the loss curve that a later part
# of the run can leave; re-judged on the whole run at the end of `fit`.
_TRANSIENT = frozenset({"train.loss_plateau"})
# Codes whose severity depends on how the whole run went (whether the loss
# fitted the training data); re-judged at the end of `fit`, lowered only.
_REJUDGED = frozenset({"train.dead_relu", "train.logits_blowup"})
# Codes judged info until later epochs show harm (a validation loss that
# rose while validation accuracy held, then accuracy fell too): a stronger
# finding of the same code and layer replaces the first one.
_ESCALATING = frozenset({"train.overfitting"})


def _outputs_of(model, task):
    """`(name, task kind or None)` of each output of a multi-output model, else `()`.

    The curve detectors then also read each output's own loss and metric
    curves (`kerasdoc.training._curves.by_output`).
    """
    names = list(getattr(model, "output_names", None) or [])
    if len(names) < 2:
        return ()
    kinds = {name: sub.kind for name, sub in getattr(task, "outputs", ()) or ()}
    return tuple((name, kinds.get(name)) for name in names)


class Doctor(keras.callbacks.Callback):
    """Watches training from inside the compiled train step.

    Attaching the callback installs, for the duration of `fit`, an
    instrumented train step built through Keras's own `_make_function` (so
    `tf.distribute`, XLA and `steps_per_execution` behave as Keras does). It
    does the forward pass, loss, gradients, optional clipping and optimizer
    update exactly as Keras's `train_step`, and in the same pass computes
    per-layer gradient, weight and update norms, non-finite counts, and from
    the same forward pass each layer's activation mean/std, the share of
    ReLU units that never fire, tanh/sigmoid saturation and the largest
    |logit| before a softmax/sigmoid. Statistics accumulate in device
    variables and are read back every `every` steps and at each epoch end.
    The per-layer statistics are computed only on the steps that are read
    (plus the first step and any step whose loss is not finite).

    Subclassed models have no graph to tap: their gradients, weights and
    loss are watched and `report.skipped` says activations were not.

    A model whose class overrides `train_step` (as the Keras guides show)
    keeps its own step: the Doctor never changes what it computes. It then
    observes the loss and metric curves from the step's logs and per-layer
    weight norms and update ratios read from the variables on the read
    steps, and `report.skipped` names what is not observed (gradients,
    activations) and why. Clipping needs the Doctor's step, so it is refused
    for such models.

    Under `tf.distribute` the read-back gathers the statistics of every
    replica of the cluster, so with `MultiWorkerMirroredStrategy` every
    worker's Doctor holds the same statistics and the same findings (each
    once); print the report on the chief worker only.

    Args:
        every: read statistics back every this many steps. Defaults to `16`.
        clip_global_norm: clip all gradients to this global norm (same
            arithmetic as the optimizer's `global_clipnorm`). Defaults to
            `None`.
        clip_norm: clip each gradient tensor to this norm (as `clipnorm`).
            Defaults to `None`.
        clip_value: clip gradient elements to `[-v, v]` (as `clipvalue`).
            Defaults to `None`.
        stop_on: severity (`"error"`, `"warning"`, `"info"`) of a finding
            that sets `model.stop_training`, or `None` to never stop.
            Defaults to `"error"`.
        exploding_threshold: global gradient norm counted as exploding.
            Defaults to `1e3`.
        exploding_growth: growth of the global gradient norm over the first
            check counted as exploding. Defaults to `1e3`.
        vanishing_ratio: an earlier layer's median gradient norm below this
            times the last layer's is vanishing. Defaults to `1e-4`.
        dead_relu_fraction: share of a ReLU layer's units that never fired
            on the instrumented batches of an epoch above which it is
            reported (healthy small models reach ~0.5 with few instrumented
            batches). Defaults to `0.7`.
        saturation_margin: share of a tanh/sigmoid's output range next to
            each asymptote counted as saturated. Defaults to `0.02`.
        saturation_fraction: median share of saturated outputs above which
            a hidden tanh/sigmoid layer is reported. Defaults to `0.5`.
        logits_threshold: |logit| before softmax/sigmoid above which logits
            blew up. Defaults to `50.0`.
        diverging_factor: loss (averaged over two consecutive checks) above
            this times its running minimum, or above its square times the
            first step's (one-batch, so noisier) loss, and above the first
            check's loss, is diverging. Defaults to `10.0`.
        diverging_window: that many consecutive rising checks (ending above
            the first check's loss) is diverging too. Defaults to `5`.
        oscillation_window: checks looked at for oscillation. Defaults to `8`.
        oscillation_amplitude: mean swing between checks, relative to the
            mean loss, above which trendless swings are oscillation.
            Defaults to `0.3`.
        plateau_window: checks looked at for a plateau. Defaults to `10`.
        plateau_tolerance: relative improvement over the plateau window below
            which the loss is stalled. Defaults to `0.01`.
        plateau_fraction: a stalled loss above this share of the first
            check's loss is a plateau. Defaults to `0.8`.
        unchanged_checks: consecutive checks with a layer's update exactly
            zero before its weights count as unchanged. Defaults to `3`.
        update_ratio_low: median update/weight norm ratio below this is
            reported. Defaults to `1e-6`.
        update_ratio_high: median update/weight norm ratio above this is
            reported. Defaults to `0.1`.
        overfitting_patience: epochs of rising validation loss for
            overfitting and loss/accuracy divergence. Defaults to `3`.
        overfitting_tolerance: validation loss must end this much (relative)
            above its minimum to count as overfitting. Defaults to `0.1`.
        validation_gap: validation accuracy above training accuracy by more
            than this (after the first epoch, two epochs running) is a gap.
            Defaults to `0.1`.
        tensorboard_dir: write per-layer histograms of activations and
            gradients (and loss/gradient-norm scalars) here. Defaults to
            `None` (no export).
        histogram_bins: bins of the TensorBoard histograms. Defaults to `30`.
        settings: `{check name: {setting: value}}` for the `train.*` checks
            (see `kerasdoc.checks("training")`), e.g.
            `{"train.dead_relu": {"fraction": 0.8}}`. The threshold keywords
            above are aliases of these settings and win when set to another
            value than their default. Defaults to `None`.
        task: the task (a `kerasdoc.Task` or a kind name); a detector that
            does not apply to it is skipped with that reason. Defaults to
            `None`: unknown, every detector runs.
        sharpness_every: steady interval, in steps, between estimates of the
            loss Hessian's top eigenvalue (and the gradient noise scale) on
            half the batch. They are dense early, where training is most
            often unstable: every step for the first 16 steps (after the
            optimizer's averaging horizon: 10 steps for Adam or momentum
            0.9), then every eighth of the steps run, up to this interval;
            and every 2 steps while the sharpness is above 1.5 times the
            optimizer's stability bound. Statistics are read back after
            each estimate, so `train.sharpness_unstable` is judged as soon
            as it is measured. `0` turns them off: they are
            opt-in (e.g. `256`) because tracing the Hessian-vector products
            and the estimates cost more than the default's budget (measured
            in `benchmarks/bench_doctor.py`). The `sharpness_*` keywords
            are aliases of `settings={"train.sharpness_unstable": {"every":
            ..., "iterations": ..., "sample": ..., "trace_samples": ...,
            "factor": ...}}`, which is how `diagnose` turns them on.
            Defaults to `0`.
        sharpness_iterations: power iterations per estimate (warm-started
            from the previous eigenvector). Defaults to `2`.
        sharpness_sample: at most this many examples of the batch per
            estimate. Defaults to `32`.
        sharpness_factor: sharpness above this times the stability bound at
            consecutive estimates while the loss stops falling is
            `train.sharpness_unstable`. Defaults to `2.0`.
        sharpness_trace_samples: Rademacher vectors per estimate of
            Hutchinson's estimate of the loss Hessian's trace (one more
            Hessian-vector product each), kept as `hessian_trace` in the
            history; `0` for none. Defaults to `0`.

    Example:

    >>> doctor = Doctor(every=16)
    >>> model.fit(x, y, epochs=5, callbacks=[doctor])  # doctest: +SKIP
    >>> doctor.report.codes  # doctest: +SKIP
    set()
    """

    # Keep the fused step's read-backs packed until the history is read
    # (`StatsHistory.append_packed`); False builds each row at its read.
    _rows_packed = True

    # Not `async_safe`: on TensorFlow Keras never dispatches batch-end hooks
    # asynchronously anyway, and the read-backs below must stay in step order.

    def __init__(self, every: int = 16, *, clip_global_norm: float = None,
                 clip_norm: float = None, clip_value: float = None,
                 stop_on: str = "error", exploding_threshold: float = 1e3,
                 exploding_growth: float = 1e3, vanishing_ratio: float = 1e-4,
                 dead_relu_fraction: float = 0.7, saturation_margin: float = 0.02,
                 saturation_fraction: float = 0.5, logits_threshold: float = 50.0,
                 diverging_factor: float = 10.0, diverging_window: int = 5,
                 oscillation_window: int = 8, oscillation_amplitude: float = 0.3,
                 plateau_window: int = 10, plateau_tolerance: float = 0.01,
                 plateau_fraction: float = 0.8, unchanged_checks: int = 3,
                 update_ratio_low: float = 1e-6, update_ratio_high: float = 0.1,
                 overfitting_patience: int = 3, overfitting_tolerance: float = 0.1,
                 validation_gap: float = 0.1, tensorboard_dir=None,
                 histogram_bins: int = 30, settings=None, task=None,
                 sharpness_every: int = 0, sharpness_iterations: int = 2,
                 sharpness_sample: int = 32, sharpness_factor: float = 2.0,
                 sharpness_trace_samples: int = 0):
        super().__init__()
        self.every = check_int(every, "every", minimum=1)
        self.clipping = check_clipping(clip_global_norm, clip_norm, clip_value)
        self.stop_on = check_choice(stop_on, "stop_on", _STOP_CHOICES)
        pos = dict(minimum=0.0, exclusive_minimum=True)
        frac = dict(minimum=0.0, maximum=1.0)
        self.saturation_margin = check_float(saturation_margin, "saturation_margin",
                                             minimum=0.0, maximum=0.5)
        self.thresholds = {
            "train.exploding_gradients": {
                "threshold": check_float(exploding_threshold, "exploding_threshold", **pos),
                "growth": check_float(exploding_growth, "exploding_growth", **pos)},
            "train.vanishing_gradients": {
                "ratio": check_float(vanishing_ratio, "vanishing_ratio", **pos)},
            "train.dead_relu": {
                "fraction": check_float(dead_relu_fraction, "dead_relu_fraction", **frac)},
            "train.saturated_activations": {
                "fraction": check_float(saturation_fraction, "saturation_fraction",
                                        **frac)},
            "train.logits_blowup": {
                "threshold": check_float(logits_threshold, "logits_threshold", **pos)},
            "train.loss_diverging": {
                "factor": check_float(diverging_factor, "diverging_factor", minimum=1.0),
                "window": check_int(diverging_window, "diverging_window", minimum=2)},
            "train.loss_oscillating": {
                "window": check_int(oscillation_window, "oscillation_window", minimum=3),
                "amplitude": check_float(oscillation_amplitude,
                                         "oscillation_amplitude", **pos)},
            "train.loss_plateau": {
                "window": check_int(plateau_window, "plateau_window", minimum=2),
                "tolerance": check_float(plateau_tolerance, "plateau_tolerance",
                                         minimum=0.0),
                "fraction": check_float(plateau_fraction, "plateau_fraction",
                                        minimum=0.0)},
            "train.weights_unchanged": {
                "checks": check_int(unchanged_checks, "unchanged_checks", minimum=1)},
            "train.update_ratio": {
                "low": check_float(update_ratio_low, "update_ratio_low", minimum=0.0),
                "high": check_float(update_ratio_high, "update_ratio_high", **pos)},
            "train.overfitting": {
                "patience": check_int(overfitting_patience, "overfitting_patience",
                                      minimum=1),
                "tolerance": check_float(overfitting_tolerance,
                                         "overfitting_tolerance", minimum=0.0)},
            "train.loss_accuracy_divergence": {"patience": overfitting_patience},
            "train.validation_gap": {
                "gap": check_float(validation_gap, "validation_gap", minimum=0.0)},
            "train.sharpness_unstable": {
                "factor": check_float(sharpness_factor, "sharpness_factor",
                                      minimum=1.0),
                "every": check_int(sharpness_every, "sharpness_every", minimum=0),
                "iterations": check_int(sharpness_iterations,
                                        "sharpness_iterations", minimum=1),
                "sample": check_int(sharpness_sample, "sharpness_sample",
                                    minimum=1),
                "trace_samples": check_int(sharpness_trace_samples,
                                           "sharpness_trace_samples", minimum=0)},
        }
        if update_ratio_low >= update_ratio_high:
            raise InvalidInputError(
                "`update_ratio_low` must be below `update_ratio_high`. Received: "
                f"update_ratio_low={update_ratio_low}, "
                f"update_ratio_high={update_ratio_high}")
        from kerasdoc._registry import resolve_settings

        self.settings = resolve_settings(settings, overrides=self.thresholds,
                                         part="training")
        # The `sharpness_*` keywords are aliases of the check's settings, so
        # `settings={"train.sharpness_unstable": {"every": 256}}` (what
        # `diagnose` passes on) turns the estimates on too.
        sharp = self.settings["train.sharpness_unstable"]
        self.curvature = sharp.every and {
            "every": sharp.every, "dense": 2, "iterations": sharp.iterations,
            "sample": sharp.sample, "trace_samples": sharp.trace_samples}
        self.task = task
        self._runner = None
        self.tensorboard_dir = tensorboard_dir
        self.histogram_bins = check_int(histogram_bins, "histogram_bins", minimum=2)
        self._stats = self._instrument = self._compiled = None
        self._findings = []
        self._skipped = {}
        self._armed = self._pending_setup = False
        self._observing = None
        self._next_estimate = None
        self._packed = None

    # -- public results ------------------------------------------------------
    @property
    def report(self):
        """`Report` of the `train.*` findings of the last `fit` (step and layer set)."""
        runner = self._runner
        if runner is None:
            return Report(self._findings, skipped=self._skipped,
                          title="kerasdoc Doctor report")
        # Detectors without the statistics they read (see `unobserved`) did
        # not run, whatever the runner counted.
        blind = getattr(self, "_unobserved", {})
        return Report(self._findings, ran=[n for n in runner.ran if n not in blind],
                      skipped={**runner.skipped, **self._skipped, **blind},
                      failed=runner.failed,
                      timings=runner.timings, title="kerasdoc Doctor report",
                      task=self.task if callable(getattr(self.task, "describe", None))
                      else None)

    @property
    def history(self):
        """Per-check statistics of the last `fit` as numpy arrays.

        Rows are read-backs: `step`, `epoch`, `epoch_end`, `loss` (mean over
        the window), `loss_sem` (standard error of that mean from the spread
        of the window's batch losses; NaN for a one-step window),
        `loss_nonfinite`, `samples` (instrumented steps in the window). Per layer with weights (`weight_layers` names the columns):
        `grad_norm`, `weight_norm`, `update_norm`, `update_ratio`,
        `grad_nonfinite`, `weight_nonfinite` (norms are root-mean-square
        over the instrumented steps of the window; the non-finite columns
        count tensors holding NaN/Inf). Per observed layer output
        (`activation_layers`, `activation_kinds`): `activation_mean`,
        `activation_std`, `activation_nonfinite`, `saturated_fraction`,
        `max_logit`, `dead_fraction` (share of ReLU units that never fired
        on the instrumented batches of the epoch so far; NaN where not
        applicable). `initial_loss` is the loss of the very first step and
        `first_nonfinite` is `(where, step)` of the first NaN/Inf, with
        `where` like `"activation:dense"`, or `(None, None)`. Clipping:
        `clip_norm_before`, `clip_norm_after`, `clipped_fraction`. Epoch
        logs as `epoch/<name>`, e.g. `epoch/val_loss`. Curvature (NaN in
        rows without an estimate): `sharpness` (top Hessian eigenvalue,
        preconditioned for Adam/RMSprop), `stability_bound` (2/lr,
        (2+2m)/lr, 38/lr for Adam), `sharpness_ratio`, `learning_rate`,
        `sharpness_step`; gradient noise: `noise_trace`, `noise_grad_sq`
        (sums of the unbiased estimates of tr(Sigma) and |G|^2),
        `noise_estimates` and `noise_scale` (B_simple from every estimate
        up to that row); `hessian_trace` (mean of the window's Hutchinson
        estimates of the loss Hessian's trace, with
        `sharpness_trace_samples`).
        """
        return {} if self._stats is None else self._stats.as_dict()

    # -- installing the step -----------------------------------------------
    def on_train_begin(self, logs=None):
        model = check_model(self.model, built=False)
        if not _keras.has_make_function(model):
            raise KerasDocError(
                "Doctor needs the TensorFlow backend's Trainer._make_function "
                f"(Keras 3 on TensorFlow). Received: model={type(model).__name__}")
        self._instrument = self._stats = self._compiled = None
        self._findings, self._seen, self._skipped = [], set(), {}
        self._unobserved = {}
        from kerasdoc._registry import Runner

        self._runner = Runner("training", task=self.task, settings=dict(self.settings),
                              accumulate=True)
        self._steps = self._last_read = self._last_detect = self._offset = 0
        self._detect_ended, self._detect_cost = time.process_time(), 0.0
        self._next_estimate = None
        self._epoch = 0
        self._writer = None
        if self.tensorboard_dir is not None:
            from kerasdoc.training._tensorboard import HistogramWriter

            self._writer = HistogramWriter(self.tensorboard_dir)
        current = model.train_function
        if getattr(current, "_kerasdoc_doctor", False):
            current = None  # left behind by a fit that raised
        self._observing = custom_step_reason(model)
        if self._observing is not None:
            # The model's own step runs unchanged: watch it from outside.
            self._original = setup_observer(self, model, current)
            return
        self._original = current
        if model.built:
            self._setup(model)
        # else: Keras builds the model while tracing its first step, so the
        # first step runs Keras's own function and the Doctor starts after.
        self._install(model, current or _keras.make_function(model, model.train_step))

    def _setup(self, model):
        if self._observing is not None:
            feed = getattr(self, "_tap_feed", None)
            probe = observer_probe(model) if feed is None else Probe.from_model(model)
            self._instrument = Observer(model, probe, every=self.every, feed=feed,
                                        saturation_margin=self.saturation_margin)
            self._stats = StatsHistory(
                probe, n_trainable=len(model.trainable_weights),
                loss_scaled=self._instrument.loss_scale is not None)
            self._stats.outputs = _outputs_of(model, self.task)
            self._stats.start_epoch()
            self._skipped.update(self._instrument.notes(
                self._observing, getattr(self, "_tap_reason", None)))
            self._unobserved = unobserved(probe, self._observing)
            self._offset = self._steps
            return
        if call_overridden(model):
            # The tap model would run the layer graph, not the class's `call`.
            probe = observer_probe(model, note=(
                f"{type(model).__name__} overrides `call`: the step runs it as "
                "it is, so activation statistics (which need the layer graph) "
                "are not observed"))
        else:
            probe = Probe.from_model(model)
        self._instrument = Instrument(
            model, probe, every=self.every, clipping=self.clipping,
            saturation_margin=self.saturation_margin,
            histogram_bins=self.histogram_bins if self.tensorboard_dir else None,
            curvature=self.curvature)
        self._stats = StatsHistory(probe, n_trainable=len(model.trainable_weights),
                                   loss_scaled=self._instrument.loss_scale is not None)
        self._stats.outputs = _outputs_of(model, self.task)
        self._stats.start_epoch()
        self._offset = self._steps
        curvature = self._instrument.curvature
        # Read back right after each sharpness estimate (the device schedules
        # them; every read returns the step of the next one).
        self._next_estimate = (None if curvature is None
                               else self._offset + curvature.start)
        if probe.note:
            self._skipped["activation statistics"] = probe.note
        self._unobserved = unobserved(probe, None)
        if self._offset:
            self._skipped["first steps"] = (
                f"the model was built by its first {self._offset} step(s), "
                "which ran without instrumentation")
        self._instrument.offset = self._offset
        self._stats.unpack, self._stats.offset = self._instrument.unpack, self._offset
        self._packed = None
        self._flushing = False
        self._compiled = _keras.make_function(model, self._instrument.train_step)

    def _install(self, model, keras_function):
        doctor = self

        def train_function(iterator):
            if not doctor._armed or doctor.model is not model:
                # Left over from a fit that raised before on_train_end: this
                # fit has no Doctor, so run the model's own step.
                model.train_function = None
                model.make_train_function()
                return model.train_function(iterator)
            doctor._armed = False
            if doctor._compiled is None:
                logs = keras_function(iterator)  # builds the model
                doctor._pending_setup = True
                return logs
            doctor._instrument.prepare(iterator)  # one trace, not two
            logs = doctor._compiled(iterator)
            if isinstance(logs, dict) and PACKED_KEY in logs:
                # The step's own read-back (see `Instrument.fused`): taken
                # out before Keras and the other callbacks see the logs.
                logs = dict(logs)
                doctor._packed = logs.pop(PACKED_KEY)
            return logs

        train_function._kerasdoc_doctor = True
        model.train_function = train_function

    def on_train_end(self, logs=None):
        self._armed = False
        self._read(epoch_end=False, force_detect=True)
        self._rejudge_transients()
        self.model.train_function = self._original
        self._compiled = None
        if self._writer is not None:
            self._writer.close()

    # -- per batch / epoch ------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._instrument is not None:
            self._instrument.reset_masks()
            self._stats.start_epoch()

    def on_train_batch_begin(self, batch, logs=None):
        self._armed = self._observing is None
        self._batch_begin = batch
        flush = getattr(self._instrument, "flush", None)
        if flush is not None:
            # The epoch's last step packs its window for the epoch-end read.
            last = (self.params or {}).get("steps")
            wanted = last is not None and batch == last - 1
            if wanted != self._flushing:
                flush.assign(wanted)
                self._flushing = wanted
        if self._observing is not None and self._instrument is not None:
            spe = int(getattr(self.model, "steps_per_execution", 1) or 1)
            self._instrument.batch_begin(self._steps + 1, self._steps + spe)

    def on_train_batch_end(self, batch, logs=None):
        self._steps += batch - self._batch_begin + 1
        if self._observing is not None:
            if self._instrument is None and self.model.built:
                self._setup(self.model)  # built by its first step
                if self._offset:
                    self._skipped["first steps"] = (
                        f"the model was built by its first {self._offset} "
                        "step(s), which ran without observation")
                self._last_read = self._steps
                return
            if self._instrument is not None:
                self._instrument.batch_end(batch, batch - self._batch_begin + 1,
                                           logs)
        if self._instrument is None:
            if getattr(self, "_pending_setup", False):
                self._pending_setup = False
                self._setup(self.model)
                self._last_read = self._steps
            return
        # Keras has already turned the logs into Python numbers: a NaN loss
        # is seen here at no extra transfer, and read at once.
        loss = (logs or {}).get("loss")
        bad = isinstance(loss, float) and not np.isfinite(loss)
        estimated = (self._next_estimate is not None
                     and self._steps >= self._next_estimate)
        if (bad or estimated
                or self._steps // self.every > self._last_read // self.every):
            self._read(epoch_end=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._instrument is None:
            return
        if self._steps > self._last_read:
            self._read(epoch_end=True, detect=False)
        else:
            self._stats.mark_epoch_end()
        self._stats.add_epoch_logs(logs)
        self._detect()

    # -- reading and detecting -------------------------------------------
    def _read(self, *, epoch_end, force_detect=False, detect=True):
        if self._instrument is None:
            return
        if self._steps > self._last_read:
            values = None
            if self._observing is None and self._writer is None and self._rows_packed:
                values = self._packed_values()
            if values is not None:
                # The step's own read-back: kept packed, turned into history
                # rows many at a time when the history is next read.
                self._stats.append_packed(values, epoch=self._epoch,
                                          epoch_end=epoch_end)
                nonfinite, first, ratio, upcoming = self._instrument.signals(values)
                if upcoming is not None:
                    self._next_estimate = upcoming + self._offset
            else:
                if self._observing is not None:
                    raw = self._instrument.read(offset=self._offset)
                else:
                    raw = reduce_replicas(self._local_read(), offset=self._offset)
                row = self._stats.append(raw, epoch=self._epoch, epoch_end=epoch_end)
                if "curv_next" in raw:
                    self._next_estimate = raw["curv_next"]
                if self._writer is not None:
                    self._export(raw, row)
                nonfinite, first, ratio = (row["loss_nonfinite"],
                                           raw["first_nonfinite"][0],
                                           row["sharpness_ratio"])
            self._last_read = self._steps
            # A sharpness past the stability bound is judged at once: it is
            # the early warning of a divergence.
            urgent = nonfinite > 0 or first > 0 or ratio > 1.0
            if detect and (urgent or self._detection_due()):
                self._detect()
        if force_detect:
            self._detect()

    def _rejudge_transients(self):
        """Re-judge, on the whole run, findings about a state the loss can leave.

        Detectors run live on the history so far, and a finding is kept from
        the first time it fires. A plateau is a state: a loss flat over an
        early window (raw-scale targets under Adam fall slowly for the first
        epochs, then fast) that the run later left is not a stalled
        training. When the detector no longer fires on the whole run and the
        loss ended below where the plateau sat, the finding stays, at info,
        saying where the loss went; a plateau still there at the end stays
        as it was.
        """
        history = self._stats.as_dict() if self._stats is not None else {}
        if not history or not len(history.get("loss", ())):
            return
        loss = np.asarray(history["loss"], dtype=float)
        final = loss[np.isfinite(loss)]
        if not len(final):
            return
        kept = []
        for finding in self._findings:
            if (finding.code in _REJUDGED and str(finding.severity) != "info"
                    and self._runner is not None):
                from kerasdoc._registry import get

                now = [f for f in get(finding.code).decide(
                    history, settings=self._runner.settings_for(finding.code))
                    if f.layer == finding.layer and str(f.severity) == "info"]
                if now:  # the whole run's evidence lowers it (e.g. the loss fit)
                    finding = now[0]
            if (finding.code in _TRANSIENT and str(finding.severity) != "info"
                    and self._runner is not None):
                from kerasdoc._registry import get

                still = get(finding.code).decide(
                    history, settings=self._runner.settings_for(finding.code))
                stalled_at = finding.evidence.get("loss")
                end = float(np.mean(final[-max(1, min(len(final), 5)):]))
                if not still and stalled_at is not None and end < float(stalled_at):
                    finding = finding.replace(
                        severity="info",
                        message=(finding.message + f" The run later left it: the "
                                 f"loss ended at {end:.4g} "
                                 f"({end / float(finding.evidence['first_loss']):.0%} "
                                 "of the first check), so this was a slow phase, "
                                 "not a stalled training."),
                        evidence={**finding.evidence, "final_loss": end,
                                  "left_later": True})
            kept.append(finding)
        self._findings = kept

    def _detection_due(self):
        """Whether the routine detection is due (urgent ones run at once).

        At most every `_DETECT_EVERY_STEPS` steps, and no more often than
        keeps the detectors' own time under `_DETECT_SHARE` of the time
        since the last run: their cost grows with the history, so a long
        run judged at a fixed interval would spend ever more of its time
        judging.
        """
        if self._steps - self._last_detect < _DETECT_EVERY_STEPS:
            return False
        elapsed = time.process_time() - self._detect_ended
        return elapsed * _DETECT_SHARE >= self._detect_cost

    def _packed_values(self):
        """One replica's window packed by the step (see `Instrument.fused`), or `None`."""
        packed, self._packed = getattr(self, "_packed", None), None
        if packed is None:
            return None
        values = packed.numpy()
        return values[1:] if values[0] > 0 else None

    def _local_read(self):
        """The window: from the last step's packed output when it holds it."""
        values = self._packed_values()
        if values is not None:
            return self._instrument.unpack(values)
        return self._instrument.read()

    def _detect(self):
        started = time.process_time()
        try:
            self._judge()
        finally:
            self._detect_ended = time.process_time()
            self._detect_cost = self._detect_ended - started

    def _judge(self):
        self._last_detect = self._steps
        history = self._stats.as_dict()
        new, raised = [], []
        for finding in add_curvature_evidence(
                run_detectors(history, runner=self._runner), history):
            key = (finding.code, finding.layer)
            if key not in self._seen:
                self._seen.add(key)
                new.append(finding)
            elif finding.code in _ESCALATING:
                # Kept at info while its harm was not shown; raised when it is.
                for i, old in enumerate(self._findings):
                    if (old.code, old.layer) == key and finding.severity > old.severity:
                        self._findings[i] = finding
                        raised.append(finding)
        self._findings.extend(new)
        new += raised
        if self.stop_on is not None and self.model is not None:
            level = Severity.parse(self.stop_on)
            if any(f.severity >= level for f in new):
                self.model.stop_training = True

    def _export(self, raw, row):
        step = raw["counter"]
        self._writer.write_scalars(step, {
            "kerasdoc/loss": row["loss"],
            **{f"kerasdoc/grad_norm/{name}": value for name, value in
               zip(self._stats.probe.weight_layers, np.atleast_1d(row["grad_norm"]))}})
        if raw.get("hist") is not None and raw["samples"] > 0:
            probe = self._stats.probe
            names = ([f"activations/{t.name}" for t in probe.taps]
                     + [f"gradients/{w}" for w in probe.weight_names])
            self._writer.write_histograms(step, names, raw["hist"])
