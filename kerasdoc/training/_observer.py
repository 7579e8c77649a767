"""What the Doctor watches when it must not replace the model's train step.

The instrumented step (`_step.Instrument`) reproduces Keras's own
`train_step`. A model that overrides `train_step` (or `make_train_function`,
or a functional subclass that overrides `call`) computes something that step
cannot reproduce, so the Doctor leaves the model's own step in place and
observes only what can be read without changing training:

- the loss and metric curves, from the logs the step returns (Keras already
  turns them into Python numbers at every batch end, so reading them costs
  nothing);
- per-layer weight norms and update ratios, read from the variables: on the
  steps that will be read back (every `every` steps, and the first), one
  device-side copy of the weights before the step and, after it, one compiled
  reduction of the difference, which is the only transfer.

- activation statistics, from a tap model (the layer graph, sharing every
  layer and weight) run in inference mode on the inputs of sampled steps:
  the model's own step, built as Keras builds it, hands its inputs to the
  host on those steps only (`TapFeed`); nothing the step computes changes.

Gradients are not observed; `Observer.notes` says so, for `Report.skipped`,
as it does for activations where no tap model can be run (no layer graph,
`call` or `make_train_function` overridden, XLA, a distribution strategy).
"""

import numpy as np
import tensorflow as tf

from kerasdoc import _keras
from kerasdoc.training import _step as S


def _defined_in_keras(cls, name):
    """Whether `cls.name` is Keras's own implementation (not a user override)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass.__module__.startswith("keras.")
    return True


def custom_step_reason(model):
    """Why the instrumented step cannot reproduce `model`'s step, or `None`.

    The instrumented step copies `TensorFlowTrainer.train_step` (forward,
    `compute_loss`, loss tracker, loss scaling, gradients, optimizer update,
    `compute_metrics`). It calls the model's own `compute_loss` and
    `compute_metrics`, so overriding those is reproduced exactly; a model
    whose class overrides `train_step`, `make_train_function` or
    `_compute_loss` is not. A functional subclass that overrides `call` is
    not either when the statistics forward pass would go through the layer
    graph (handled by the caller with `call_overridden`).

    Args:
        model: a Keras 3 model.

    Returns:
        A sentence naming the override, or `None`.
    """
    cls = type(model)
    for name in ("train_step", "make_train_function", "_compute_loss"):
        if not _defined_in_keras(cls, name):
            return (f"{cls.__name__} overrides `{name}`, which the Doctor's "
                    "instrumented step cannot reproduce, so the model's own "
                    "step runs unchanged")
    return None


def call_overridden(model):
    """Whether a functional or Sequential model's class overrides `call`.

    The Doctor's activation taps run the layer graph; such a class's `call`
    may compute something else, so its step must call the model itself.
    """
    import keras

    from kerasdoc._keras import functional_class

    Functional = functional_class()

    if not isinstance(model, (Functional, keras.Sequential)):
        return False  # plain subclassed models are called as they are
    return not _defined_in_keras(type(model), "call")


_GRADIENT_DETECTORS = ("train.exploding_gradients", "train.vanishing_gradients",
                       "train.sharpness_unstable")
_ACTIVATION_DETECTORS = ("train.dead_relu", "train.saturated_activations",
                         "train.logits_blowup")


def unobserved(probe, reason):
    """`{detector: why it cannot run}` for the statistics this fit lacks.

    Args:
        probe: the fit's `Probe` (no taps: no activation statistics).
        reason: `custom_step_reason` of the model (no gradient statistics
            either), or `None`.
    """
    out = {}
    if reason is not None:
        for name in _GRADIENT_DETECTORS:
            out[name] = f"no gradient statistics: {reason}"
    if not probe.taps:
        why = (f"no activation statistics: {reason}" if reason is not None
               else f"no activation statistics: {probe.note or 'no layer to observe'}")
        for name in _ACTIVATION_DETECTORS:
            out[name] = why
    return out


def tap_reason(model):
    """Why activations cannot be fed to a tap model from `model`'s own step, or `None`."""
    import keras

    cls = type(model)
    if not _defined_in_keras(cls, "make_train_function"):
        return f"{cls.__name__} overrides `make_train_function`"
    if call_overridden(model):
        return (f"{cls.__name__} overrides `call`, so the layer graph is not what "
                "its step runs")
    if getattr(model, "jit_compile", False) is True:
        return "the step is compiled with XLA (jit_compile=True), which runs no host callback"
    strategy = model.distribute_strategy
    if strategy.num_replicas_in_sync != 1 or not isinstance(
            strategy, type(tf.distribute.get_strategy())):
        return f"the model trains under {type(strategy).__name__}"
    del keras
    return None


class TapFeed:
    """Hands the inputs of sampled steps from the model's own step to the host.

    `wrap(step)` returns a step that runs `step` (the model's own
    `train_step`) unchanged and then, only while `flag` is set, sends the
    batch's inputs to the host with a `tf.py_function`. It reads the inputs
    and writes nothing the step uses, so the training computation is the
    same op for op; the `Doctor` sets `flag` for the calls that hold a
    sampled step.
    """

    def __init__(self):
        self.flag = tf.Variable(False, trainable=False, name="kerasdoc_tap_flag")
        self.batch = None
        self.structure = None

    def _keep(self, *values):
        self.batch = [np.asarray(v) for v in values]

    def wrap(self, step):
        import keras

        feed = self

        def step_with_feed(data):
            logs = step(data)
            x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            flat = keras.tree.flatten(x)
            feed.structure = x

            def send():
                tf.py_function(feed._keep, flat, Tout=[])
                return tf.constant(0)

            tf.cond(feed.flag, send, lambda: tf.constant(0))
            return logs

        return step_with_feed

    def take(self):
        """The inputs kept since the last call (model structure), or `None`."""
        import keras

        if self.batch is None:
            return None
        batch, self.batch = self.batch, None
        return keras.tree.pack_sequence_as(self.structure, batch)


def observer_probe(model, note=""):
    """A `Probe` of `model` with its weight groups and no activation taps."""
    from kerasdoc.training._probe import Probe, _weight_groups

    names, groups, layers = _weight_groups(model)
    return Probe((), None, None, 0, names, groups, layers, note=note)


def setup_observer(doctor, model, current):
    """Prepare `doctor` to watch `model`'s own step; returns the train function.

    `current` is the model's cached train function, or `None` when the one
    cached is a Doctor's step left behind by a fit that raised: it is then
    rebuilt from the model's own `train_step`.
    """
    from kerasdoc._errors import InvalidInputError

    clipping = {k: v for k, v in doctor.clipping.items() if v is not None}
    if clipping:
        name, value = next(iter(clipping.items()))
        raise InvalidInputError(
            f"The Doctor clips gradients inside its own train step, but "
            f"{custom_step_reason(model)}. Clip in that train_step or with the "
            f"optimizer's `global_clipnorm`/`clipnorm`/`clipvalue`. "
            f"Received: {name}={value!r}")
    if current is None:
        model.train_function = None
        model.make_train_function()
    original = model.train_function
    doctor._tap_feed = None
    doctor._tap_reason = tap_reason(model)
    if doctor._tap_reason is None:
        # The model's own train_step, built exactly as Keras builds it, plus
        # the host callback on sampled steps.
        feed = TapFeed()
        compiled = _keras.make_function(model, feed.wrap(model.train_step))

        def train_function(iterator):
            if doctor.model is not model or doctor._tap_feed is not feed:
                # Left over from a fit that raised before on_train_end.
                model.train_function = None
                model.make_train_function()
                return model.train_function(iterator)
            return compiled(iterator)

        train_function._kerasdoc_doctor = True
        doctor._tap_feed = feed
        model.train_function = train_function
    if model.built:
        doctor._setup(model)
    return original


class Observer:
    """Statistics read from outside the model's own (unreplaced) step.

    It offers what `Doctor` needs from `Instrument`: `read()` (already
    reduced, in the layout of `_step.reduce_replicas`), `reset_masks()` and
    `loss_scale`, plus `batch_begin`/`batch_end` hooks.

    Args:
        model: the built model.
        probe: its `Probe` (only the weight groups are used; no taps).
        every: read back every this many steps.
    """

    def __init__(self, model, probe, *, every, feed=None, saturation_margin=0.02):
        self.model = model
        self.probe = probe
        self.every = int(every)
        self.feed = feed if probe.taps else None
        self.saturation_margin = float(saturation_margin)
        n_t = len(probe.taps)
        self.relu_taps = [i for i, t in enumerate(probe.taps) if t.kind == "relu" and t.units]
        self._masks = [np.zeros(probe.taps[i].units) for i in self.relu_taps]
        self._a_stats = np.zeros((5, n_t))
        self._a_logit = np.zeros(n_t)
        self.loss_scale = S.loss_scale_of(model.optimizer)
        self.weights = list(model.trainable_weights)
        self.strategy = model.distribute_strategy
        with self.strategy.scope():
            self.shadows = [tf.Variable(tf.zeros(w.shape, w.dtype), trainable=False)
                            for w in self.weights]
        self._snapshot_fn = self._stats_fn = None
        self._sampled_steps = 0  # steps spanned by the pending snapshot
        self._w_stats = None
        self._samples = 0.0
        self._steps = 0
        self._counter = 0
        self._initial_loss = np.nan
        self._first_nonfinite = np.zeros(2)
        self._running = None  # whether the logged loss is a running mean
        self._last = self._folded = (0, 0.0)  # (steps of the epoch, logged loss)
        self._reset_window()

    def _reset_window(self):
        self._w_stats = np.zeros((5, len(self.weights)))
        self._w_stats[S.W_GRAD_SQ] = np.nan
        self._w_stats[S.W_GRAD_NF] = 0.0
        self._samples = 0.0
        self._steps = 0
        self._a_stats = np.zeros_like(self._a_stats)
        self._a_logit = np.zeros_like(self._a_logit)
        self._loss_total = self._raw_sum = 0.0
        self._loss_steps = self._raw_steps = 0

    # -- device functions ---------------------------------------------------
    def _snapshot(self):
        if self._snapshot_fn is None:
            shadows, weights = self.shadows, self.weights

            @tf.function(autograph=False)
            def snapshot():
                for shadow, weight in zip(shadows, weights):
                    shadow.assign(weight.value)
                return tf.constant(0)

            self._snapshot_fn = snapshot
        with self.strategy.scope():
            self._snapshot_fn()

    def _weight_stats(self):
        if self._stats_fn is None:
            shadows, weights = self.shadows, self.weights

            @tf.function(autograph=False)
            def stats():
                rows = []
                for shadow, weight in zip(shadows, weights):
                    before = tf.cast(shadow, tf.float32)
                    after = tf.cast(weight.value, tf.float32)
                    rows.append(tf.stack([
                        tf.reduce_sum(tf.square(before)),
                        tf.reduce_sum(tf.square(after - before)),
                        tf.cast(tf.logical_not(tf.reduce_all(
                            tf.math.is_finite(after))), tf.float32)]))
                return tf.stack(rows) if rows else tf.zeros([0, 3])

            self._stats_fn = stats
        with self.strategy.scope():
            return np.asarray(self._stats_fn())

    # -- hooks ------------------------------------------------------------
    def _sampled(self, first, last):
        """Whether steps `first..last` (1-based, inclusive) hold a read step."""
        return first == 1 or last // self.every > (first - 1) // self.every

    def batch_begin(self, first, last):
        """Before the call running steps `first..last` of the fit."""
        self._sampled_steps = 0
        if self.weights and self._sampled(first, last):
            self._snapshot()
            self._sampled_steps = last - first + 1
            if self.feed is not None:
                self.feed.flag.assign(True)

    def batch_end(self, batch, steps, logs):
        """After the call; `batch` is Keras's index in the epoch, `steps` ran."""
        self._counter += steps
        self._steps += steps
        loss = _number((logs or {}).get("loss"))
        if loss is not None:
            n = batch + 1  # steps of this epoch so far
            if self._running is None and n >= 2:
                self._running = self._is_running_mean(loss)
                n0, first = self._last
                if not self._running and n0 > self._folded[0]:
                    self._raw_sum += first * (n0 - self._folded[0])
                    self._raw_steps += n0 - self._folded[0]
                    self._folded = self._last
            if self._counter == steps and np.isnan(self._initial_loss):
                self._initial_loss = loss  # one step: mean or not, the same
            if self._running is False:
                self._raw_sum += loss * steps
                self._raw_steps += steps
            self._last = (n, loss)
        if self._sampled_steps:
            self._read_weights()
            if self.feed is not None:
                self.feed.flag.assign(False)
                x = self.feed.take()
                if x is not None:
                    self._tap(x)

    def _tap(self, x):
        """Activation statistics of the tap model on one batch, in inference mode.

        Inference mode, so that no state moves (BatchNormalization's moving
        statistics, dropout's seed generators): the user's training is left
        exactly as it was. The same sums as the instrumented step keeps
        (`_step.Instrument._heavy`) go into the window.
        """
        probe = self.probe
        outs = probe.tap_model(x, training=False)
        acts = [np.asarray(a, dtype=np.float64) for a in outs[probe.n_outputs:]]
        margin = self.saturation_margin
        with np.errstate(invalid="ignore", over="ignore"):
            for i, (tap, act) in enumerate(zip(probe.taps, acts)):
                square = float(np.sum(np.square(act)))
                self._a_stats[S.A_SUM, i] += float(np.sum(act))
                self._a_stats[S.A_SQ, i] += square
                self._a_stats[S.A_COUNT, i] += act.size
                self._a_stats[S.A_NF, i] += 0.0 if np.isfinite(square) else 1.0
                if tap.kind in S._SATURATION_RANGE and not tap.is_output:
                    low, high = S._SATURATION_RANGE[tap.kind]
                    band = margin * (high - low)
                    self._a_stats[S.A_SAT, i] += float(np.sum(
                        (act <= low + band) | (act >= high - band)))
            for mask, index in zip(self._masks, self.relu_taps):
                act = acts[index]
                peak = act.reshape(-1, act.shape[-1]).max(axis=0)
                np.maximum(mask, (peak > 0).astype(float), out=mask)

    def _is_running_mean(self, loss):
        """Whether the logged "loss" is a running mean over the epoch.

        Keras's own step and the guides' custom steps return a `Mean`
        tracker's result; some custom steps return the batch's loss. Read
        the model's "loss" tracker once per fit to tell them apart.
        """
        for metric in getattr(self.model, "metrics", []):
            if getattr(metric, "name", None) == "loss":
                try:
                    value = float(metric.result())
                except (TypeError, ValueError, tf.errors.OpError):
                    return False
                return bool(np.isclose(value, loss, rtol=1e-5, atol=1e-7)
                            or (np.isnan(value) and np.isnan(loss)))
        return False

    def _fold(self):
        """Move the epoch's logged losses since the last fold into the window."""
        n, mean = self._last
        if self._running:
            n0, mean0 = self._folded
            if n > n0:
                with np.errstate(invalid="ignore", over="ignore"):
                    self._loss_total += n * mean - n0 * mean0
                self._loss_steps += n - n0
        elif self._running is None and n:
            # Only the first step has been logged: a batch loss either way.
            self._loss_total += mean * n
            self._loss_steps += n
        self._folded = self._last

    def _read_weights(self):
        values = self._weight_stats()
        per_step = float(self._sampled_steps)
        self._w_stats[S.W_SQ] += values[:, 0]
        # Over several steps in one call: the mean step's update.
        self._w_stats[S.W_UPD_SQ] += values[:, 1] / per_step ** 2
        self._w_stats[S.W_NF] += values[:, 2]
        self._samples += 1.0
        bad = np.flatnonzero(values[:, 2] > 0)
        if len(bad) and self._first_nonfinite[0] == 0:
            n_t, n_w = len(self.probe.taps), len(self.weights)
            self._first_nonfinite = np.array(
                [n_t + n_w + bad[0] + 1.0, float(self._counter)])
        self._sampled_steps = 0

    def start_epoch(self):
        """Keras resets its metrics at each epoch start: so do the running means."""
        self._fold()
        self._last = self._folded = (0, 0.0)

    def reset_masks(self):
        """Called by the Doctor at each epoch start: a new running mean and ReLU window."""
        for mask in self._masks:
            mask[:] = 0.0
        self.start_epoch()

    def notes(self, reason, tap_reason=None):
        """`Report.skipped` entries: what is not observed, and why."""
        observed = ("the loss and metric curves from the step's logs, and weight "
                    "norms and update ratios read from the variables every "
                    f"{self.every} steps")
        if self.feed is not None:
            observed += (", and activations (dead ReLUs, saturation) from the "
                         "layer graph run in inference mode on the inputs of "
                         "those steps")
        out = {"gradient statistics": (
            f"{reason}; gradients (norms, vanishing/exploding, non-finite) are "
            f"not observed. Observed: {observed}")}
        if self.feed is None:
            why = tap_reason or self.probe.note or "no layer graph to tap"
            out["activation statistics"] = (
                f"{reason}, and {why}; activations (dead ReLUs, saturation, "
                "logits) are not observed")
        return out

    def read(self, offset=0):
        """The window's statistics, reduced (see `_step.reduce_replicas`)."""
        self._fold()
        steps = self._steps
        cheap = np.zeros(S.C_LOSS_SQ + 1)
        cheap[S.C_STEPS] = steps
        cheap[S.C_LOSS_SQ] = np.nan  # logs give no spread of the batch losses
        total, count = self._loss_total + self._raw_sum, self._loss_steps + self._raw_steps
        if count == 0:
            cheap[S.C_LOSS_SUM] = np.nan  # the step logs no "loss"
        else:
            mean = total / count
            if np.isfinite(mean):
                cheap[S.C_LOSS_SUM] = mean * steps
            else:
                cheap[S.C_LOSS_NF] = steps
        first = self._first_nonfinite.copy()
        if first[0] > 0:
            first[1] += offset
        out = {
            "counter": self._counter + offset,
            "cheap": cheap,
            "samples": self._samples,
            "w_stats": self._w_stats.copy(),
            "a_stats": self._a_stats.copy(),
            # Eager activations carry no `_keras_logits`: logits unobserved.
            "a_logit": np.zeros_like(self._a_logit),
            "masks": [m.copy() for m in self._masks],
            "initial_loss": float(self._initial_loss),
            "first_nonfinite": first,
        }
        self._reset_window()
        return out


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value
