"""Curvature on the device: sharpness against the optimizer's stability bound, noise scale.

`Curvature` adds to the instrumented step, on a schedule of steps, an
estimate of the loss Hessian's top eigenvalue (the *sharpness*) on half of
the step's batch (at most `sample` examples), by power iteration with
Hessian-vector products (double backpropagation), warm-started from the
eigenvector of the previous estimate. It runs on the weights of the step
before the optimizer updates them, as a separate pure computation: the
forward pass runs in a Keras `StatelessScope` (BatchNormalization's moving
statistics, dropout's seed state and the metrics are updated in the scope
only, never in the model), it consumes no random numbers of the run and
does not touch the optimizer's state. Training computes exactly what it
computes without the Doctor.

The bound is where gradient descent on a quadratic with that curvature
stops converging (Cohen et al. 2021, 2022):

- SGD: `2 / lr`; heavy-ball momentum `m`: `(2 + 2 m) / lr`;
- Adam and AdamW: the sharpness of the preconditioned Hessian
  `P^-1/2 H P^-1/2` with `P = diag(sqrt(v_hat) + epsilon)` against
  `(2 + 2 beta_1) / ((1 - beta_1) lr)` in the steady state (`38 / lr` for
  `beta_1 = 0.9`), from `2 / lr` at the first step (the bias-corrected
  average's coefficient grows from 0 to `beta_1`);
- RMSprop: preconditioned likewise (`P = sqrt(v) + epsilon`) against
  `(2 + 2 momentum) / lr`;
- any other optimizer: the plain sharpness, with no bound (ratio NaN).

The gradient noise scale `B_simple = tr(Sigma) / |G|^2` (McCandlish et
al. 2018) comes from the two gradients the step then has: the sample's
gradient (`b` examples, a by-product of the Hessian-vector products) and
the step's own gradient (`B` examples, same weights). With
`E|G_b|^2 = |G|^2 + tr(Sigma) / b`, the unbiased estimates are
`|G|^2 ~ (B |G_B|^2 - b |G_b|^2) / (B - b)` and
`tr(Sigma) ~ (|G_b|^2 - |G_B|^2) / (1 / b - 1 / B)`; they are summed
over estimates and their ratio is `B_simple`.

Optionally (`trace_samples > 0`), each estimate also gives Hutchinson's
unbiased estimate of the trace of the (plain, not preconditioned) loss
Hessian on the sample, `tr(H) ~ mean_k z_k^T H z_k` over Rademacher
vectors `z_k` (Hutchinson 1989), one more Hessian-vector product per
vector. The vectors come from a stateless generator seeded by the step, so
the run's random numbers are untouched.
"""

import numpy as np
import tensorflow as tf

from kerasdoc import _keras

# Entries of the curvature window vector (reset at every read).
(K_COUNT, K_SHARP, K_RATIO, K_BOUND, K_LR, K_STEP, K_NOISE_S, K_NOISE_G2,
 K_NOISE_N, K_TRACE, K_TRACE_N) = range(11)
K_SIZE = 11

# A ratio above this makes the estimates dense (every `dense` steps).
_DENSE_ABOVE = 1.5
# Early schedule: the interval is the step count over this (1 for the first
# 16 steps, then growing by 1/8 of the steps run, up to `every`): dense
# where training is most often unstable, about 8 ln(N / 8) estimates in
# the first N steps.
_EARLY = 8
# Power iterations of the first estimate (from a random vector).
_FIRST_ITERATIONS = 20


def optimizer_kind(optimizer):
    """`(kind, momentum-like beta)`: kind is "sgd", "adam", "rmsprop" or "other"."""
    import keras

    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if isinstance(inner, keras.optimizers.SGD):
        return "sgd", float(inner.momentum or 0.0)
    if isinstance(inner, (keras.optimizers.Adam, keras.optimizers.AdamW)):
        return "adam", float(inner.beta_1)
    if isinstance(inner, keras.optimizers.RMSprop):
        return "rmsprop", float(inner.momentum or 0.0)
    return "other", 0.0


def stability_bound_factor(kind, beta):
    """The bound times the learning rate (`2`, `2 + 2 m`, `38` for Adam 0.9), or NaN."""
    if kind in ("sgd", "rmsprop"):
        return 2.0 + 2.0 * beta
    if kind == "adam":
        return (2.0 + 2.0 * beta) / (1.0 - beta)
    return float("nan")


class Curvature:
    """Sharpness and noise-scale estimates inside the instrumented step.

    Args:
        model: the compiled, built Keras model.
        every: steady interval between estimates, in steps. Before it the
            interval is an eighth of the steps run (every step for the
            first 16 steps).
        dense: interval while the last ratio is above 1.5.
        iterations: power iterations per estimate.
        sample: at most this many examples of the batch (half the batch
            at most, so the noise scale has two batch sizes).
        variable: factory of the instrument's device variables.
        trace_samples: Rademacher vectors of the Hutchinson estimate of the
            Hessian's trace per estimate (`0`: no trace).
    """

    def __init__(self, model, *, every, dense, iterations, sample, variable,
                 trace_samples=0):
        self.model = model
        self.trace_samples = int(trace_samples)
        self.every = int(every)
        self.dense = int(min(dense, every))
        self.iterations = int(iterations)
        self.sample = int(sample)
        self.weights = list(model.trainable_weights)
        self.kind, self.beta = optimizer_kind(model.optimizer)
        self.factor = stability_bound_factor(self.kind, self.beta)
        # Heavy-ball momentum is one linear recurrence from the first step,
        # and Adam's bias-corrected averages are too, with the coefficient of
        # its step (see `_bound_factor`): both are judged from step 1.
        # RMSprop's second moment is not bias-corrected, so its preconditioner
        # means something after its averaging horizon 1 / (1 - rho).
        horizon = 1.0
        if self.kind == "rmsprop":
            horizon = 1.0 / (1.0 - float(getattr(
                getattr(model.optimizer, "inner_optimizer", model.optimizer),
                "rho", 0.0)))
        self.start = int(max(1, round(horizon)))
        rng = np.random.default_rng(0)  # own generator: the run's RNG is untouched
        with model.distribute_strategy.scope():
            self.window = variable([K_SIZE])
            self.next_step = variable([], tf.int64)
            self.last_ratio = variable([])
            self.started = variable([])  # 1 after the first estimate
            self.vectors = []
            for w in self.weights:
                v = variable(w.shape)
                v.assign(rng.standard_normal(tuple(w.shape)).astype("float32"))
                self.vectors.append(v)
        self._normalise_start()

    def _normalise_start(self):
        norm = np.sqrt(sum(float(np.sum(np.square(v.numpy()))) for v in self.vectors))
        with self.model.distribute_strategy.scope():
            for v in self.vectors:
                v.assign(v.numpy() / max(norm, 1e-30))
            self.next_step.assign(self.start)

    # -- in the step ------------------------------------------------------
    def due(self, counter):
        """Whether this step estimates (a boolean tensor)."""
        return counter >= self.next_step

    def estimate(self, x, y, sample_weight, step_grads, counter):
        """One estimate on the first half of the batch; updates the window.

        `step_grads` are the step's own unscaled local gradients (full
        batch, same weights). Returns a dummy scalar (a `tf.cond` branch).
        """
        from keras import tree

        batch = tf.shape(next(t for t in tree.flatten(x) if t is not None))[0]
        n = tf.minimum(batch // 2, self.sample)
        n = tf.maximum(n, tf.minimum(batch, 1))

        def head(t):
            return None if t is None else t[:n]

        xs = tree.map_structure(head, x)
        ys = None if y is None else tree.map_structure(head, y)
        sws = None if sample_weight is None else tree.map_structure(
            head, sample_weight)
        values = [tf.identity(w.value) for w in self.weights]
        scales = self._preconditioner(step_grads)
        loss_fn = self._loss_fn(xs, ys, sws)
        with tf.GradientTape(persistent=True) as outer:
            outer.watch(values)
            with tf.GradientTape() as inner:
                inner.watch(values)
                loss = loss_fn(values)
            grads = inner.gradient(loss, values,
                                   unconnected_gradients=tf.UnconnectedGradients.ZERO)
            # Embedding (gather) gradients come as IndexedSlices, which the
            # outer tape cannot differentiate: densify them on the tape.
            grads = [tf.convert_to_tensor(g) for g in grads]
        vec = [tf.convert_to_tensor(v) for v in self.vectors]

        def power_step(vec):
            u = vec if scales is None else [a * s for a, s in zip(vec, scales)]
            hu = outer.gradient(grads, values, output_gradients=u,
                                unconnected_gradients=tf.UnconnectedGradients.ZERO)
            if scales is not None:
                hu = [a * s for a, s in zip(hu, scales)]
            sharp = tf.add_n([tf.reduce_sum(a * b) for a, b in zip(vec, hu)])
            norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(a)) for a in hu]))
            ok = tf.logical_and(tf.math.is_finite(norm), norm > 0)
            vec = [tf.where(ok, a / tf.where(ok, norm, 1.0), b)
                   for a, b in zip(hu, vec)]
            return sharp, vec

        # The first estimate starts from a random vector: more iterations.
        count = tf.where(self.window[K_COUNT] + self.started > 0,
                         self.iterations, max(self.iterations, _FIRST_ITERATIONS))
        sharp, vec = power_step(vec)
        _, sharp, vec = tf.while_loop(
            lambda i, s, v: i < count,
            lambda i, s, v: (i + 1,) + power_step(v),
            (tf.constant(1), sharp, vec))
        trace, trace_n = (self._trace(outer, grads, values, counter)
                          if self.trace_samples else (0.0, 0.0))
        del outer
        finite = tf.math.is_finite(sharp)
        for v, new in zip(self.vectors, vec):
            v.assign(new)
        lr = self._learning_rate()
        bound = self._bound_factor(step_grads is not None) / lr
        ratio = sharp / bound
        noise_s, noise_g2, noise_n = (self._noise(grads, step_grads, n, batch)
                                      if step_grads is not None else (0.0, 0.0, 0.0))
        # The window keeps its largest ratio (and that estimate's sharpness,
        # bound, rate and step); the counts and the noise sums add up.
        current = self.window
        worse = tf.logical_and(finite, tf.logical_or(
            current[K_COUNT] == 0.0,
            tf.logical_not(ratio <= current[K_RATIO])))
        estimate = tf.stack([sharp, ratio, bound, lr, tf.cast(counter, tf.float32)])
        kept = tf.where(worse, estimate, current[K_SHARP:K_STEP + 1])
        kept = tf.where(tf.logical_and(current[K_COUNT] == 0.0,
                                       tf.logical_not(finite)),
                        tf.fill([5], np.nan), kept)
        self.window.assign(tf.concat([
            [current[K_COUNT] + 1.0], kept,
            current[K_NOISE_S:] + tf.stack([noise_s, noise_g2, noise_n, trace,
                                            trace_n])], 0))
        last = tf.where(finite, ratio, self.last_ratio)
        self.last_ratio.assign(last)
        self.started.assign(1.0)
        interval = tf.minimum(counter // _EARLY, self.every)
        interval = tf.where(last > _DENSE_ABOVE,
                            tf.minimum(interval, self.dense), interval)
        self.next_step.assign(counter + tf.maximum(interval, 1))
        return tf.constant(0.0)

    def _trace(self, outer, grads, values, counter):
        """Sum and count of `z^T H z` over `trace_samples` Rademacher vectors.

        A non-finite estimate counts as none (the sum stays finite).
        """
        seed = tf.stack([tf.cast(counter, tf.int64), tf.constant(0x5EED, tf.int64)])

        def one(k, total):
            zs = []
            for j, v in enumerate(values):
                bits = tf.random.stateless_uniform(
                    tf.shape(v), seed=seed + tf.stack([0, k * 1000 + j]),
                    minval=0, maxval=2, dtype=tf.int64)
                zs.append(tf.cast(2 * bits - 1, tf.float32))
            hz = outer.gradient(grads, values, output_gradients=zs,
                                unconnected_gradients=tf.UnconnectedGradients.ZERO)
            value = tf.add_n([tf.reduce_sum(a * b) for a, b in zip(zs, hz)])
            return k + 1, total + tf.stack([value, 1.0])

        _, total = tf.while_loop(
            lambda k, t: k < self.trace_samples, one,
            (tf.constant(0, tf.int64), tf.zeros([2])))
        ok = tf.math.is_finite(total[0])
        return tf.where(ok, total[0], 0.0), tf.where(ok, total[1], 0.0)

    def _loss_fn(self, x, y, sample_weight):
        import keras

        from kerasdoc._keras import unscale_loss_for_distribution

        model = self.model
        others = ([(v, tf.identity(v.value)) for v in model.non_trainable_variables]
                  + [(v, tf.identity(v.value)) for v in model.metrics_variables])

        def loss_fn(values):
            mapping = list(zip(self.weights, values)) + others
            with keras.StatelessScope(state_mapping=mapping):
                y_pred = (model(x, training=True)
                          if _keras.call_has_training_arg(model) else model(x))
                loss = _keras.compute_loss(model, x, y, y_pred, sample_weight)
            return tf.cast(unscale_loss_for_distribution(loss),
                           tf.float32)

        return loss_fn

    def _preconditioner(self, step_grads):
        """`P^-1/2` per weight for adaptive optimizers, else `None`.

        `P` is the preconditioner the optimizer applies at this step: its
        second-moment estimate updated with this step's gradient (Adam:
        bias-corrected, `sqrt(v_hat) + epsilon`; RMSprop: `sqrt(v) +
        epsilon`).
        """
        optimizer = getattr(self.model.optimizer, "inner_optimizer",
                            self.model.optimizer)
        if self.kind not in ("adam", "rmsprop"):
            return None
        velocities = _keras.optimizer_velocities(optimizer)
        if not velocities or len(velocities) != len(self.weights):
            return None
        eps = float(optimizer.epsilon)
        if self.kind == "adam":
            beta = float(optimizer.beta_2)
            t = tf.cast(optimizer.iterations, tf.float32)
            t = tf.maximum(t + (0.0 if step_grads is None else 1.0), 1.0)
            correction = 1.0 - tf.pow(beta, t)
        else:
            beta = float(optimizer.rho)
            correction = tf.constant(1.0)
        out = []
        for i, v in enumerate(velocities):
            v_t = tf.cast(v, tf.float32)
            g = None if step_grads is None else step_grads[i]
            if g is not None:  # the update this step's gradient makes
                v_t = beta * v_t + (1.0 - beta) * tf.square(g)
            out.append(tf.math.rsqrt(tf.sqrt(v_t / correction) + eps))
        return out

    def _bound_factor(self, in_step):
        """The stability bound times the learning rate at this step.

        For Adam the bias-corrected first moment is the recurrence
        `m_t = b_t m_(t-1) + (1 - b_t) g_t` with `b_t = b (1 - b^(t-1)) /
        (1 - b^t)`: no averaging at the first step (`b_1 = 0`, bound `2 /
        lr`, what makes a too-high rate blow up in its first steps), `b` in
        the steady state (`38 / lr` for `b = 0.9`). The bound is that of
        heavy-ball momentum with the step's coefficient, `(2 + 2 b_t) / ((1
        - b_t) lr)`.
        """
        if self.kind != "adam":
            return tf.constant(self.factor, tf.float32)
        optimizer = getattr(self.model.optimizer, "inner_optimizer",
                            self.model.optimizer)
        t = tf.cast(optimizer.iterations, tf.float32) + (1.0 if in_step else 0.0)
        t = tf.maximum(t, 1.0)
        beta = tf.constant(self.beta, tf.float32)
        b_t = beta * (1.0 - tf.pow(beta, t - 1.0)) / (1.0 - tf.pow(beta, t))
        return (2.0 + 2.0 * b_t) / (1.0 - b_t)

    def _learning_rate(self):
        optimizer = getattr(self.model.optimizer, "inner_optimizer",
                            self.model.optimizer)
        lr = _keras.current_learning_rate(optimizer)
        return tf.cast(lr, tf.float32)

    def _noise(self, small, big, b, batch):
        """Unbiased `(tr(Sigma), |G|^2)` from the sample, the rest and the batch.

        The rest of the batch (`B - b` examples) has the gradient
        `(B G_B - b G_b) / (B - b)`: each of the two parts gives an estimate
        against the whole batch, and they are averaged (for halves this is
        the two-micro-batch estimator; far less noisy than one part alone).
        """
        b = tf.cast(b, tf.float32)
        big_n = tf.cast(batch, tf.float32)
        usable = b < big_n
        rest_n = tf.where(usable, big_n - b, 1.0)
        g_small = tf.constant(0.0)
        g_big = tf.constant(0.0)
        g_rest = tf.constant(0.0)
        for s_, g in zip(small, big):
            if g is None:
                g = tf.zeros_like(s_)
            g = tf.cast(g, tf.float32)
            g_small += tf.reduce_sum(tf.square(s_))
            g_big += tf.reduce_sum(tf.square(g))
            g_rest += tf.reduce_sum(tf.square((big_n * g - b * s_) / rest_n))
        usable = tf.logical_and(usable, tf.math.is_finite(g_small + g_big + g_rest))
        safe = lambda v: tf.where(usable, v, 1.0)  # noqa: E731
        trace = 0.5 * ((g_small - g_big) / safe(1.0 / b - 1.0 / big_n)
                       + (g_rest - g_big) / safe(1.0 / rest_n - 1.0 / big_n))
        g2 = 0.5 * ((big_n * g_big - b * g_small) / safe(big_n - b)
                    + (big_n * g_big - rest_n * g_rest) / safe(b))
        return (tf.where(usable, trace, 0.0), tf.where(usable, g2, 0.0),
                tf.where(usable, 1.0, 0.0))


def hessian_top_eigenvalue(model, x, y, *, iterations=50, preconditioned=False):
    """The sharpness of `model`'s loss on `(x, y)` by power iteration (eager).

    A reference for tests and notebooks: the same estimator as the Doctor's,
    run to convergence on one batch, with the model's weights untouched.

    Args:
        model: a compiled, built Keras model.
        x: the inputs.
        y: the targets.
        iterations: power iterations. Defaults to `50`.
        preconditioned: use the optimizer's preconditioner (Adam, RMSprop).
            Defaults to `False`.

    Returns:
        The top eigenvalue as a float.
    """
    curv = _reference_estimate(model, x, y, iterations=iterations,
                               preconditioned=preconditioned)
    return float(curv.window.numpy()[K_SHARP])


def hessian_trace(model, x, y, *, samples=100):
    """Hutchinson's estimate of the trace of `model`'s loss Hessian on `(x, y)`.

    A reference for tests and notebooks: the Doctor's estimator (Rademacher
    vectors from a stateless generator, Hessian-vector products by double
    backpropagation) with `samples` vectors on one batch, with the model's
    weights untouched.

    Args:
        model: a compiled, built Keras model.
        x: the inputs.
        y: the targets.
        samples: Rademacher vectors averaged. Defaults to `100`.

    Returns:
        The trace estimate as a float.
    """
    curv = _reference_estimate(model, x, y, iterations=1, trace_samples=samples)
    window = curv.window.numpy()
    return float(window[K_TRACE] / window[K_TRACE_N])


def _reference_estimate(model, x, y, *, iterations, preconditioned=False,
                        trace_samples=0):
    curv = Curvature(model, every=1, dense=1, iterations=iterations,
                     sample=len(x), variable=_plain_variable,
                     trace_samples=trace_samples)
    if not preconditioned:
        curv.kind = "other" if curv.kind in ("adam", "rmsprop") else curv.kind
    x = tf.convert_to_tensor(x)
    y = tf.convert_to_tensor(y)
    # Use the whole batch (the estimate takes the first half of twice it).
    xx = tf.concat([x, x], 0)
    yy = tf.concat([y, y], 0)
    # No step gradients: the preconditioner is the optimizer's state as is.
    tf.function(lambda: curv.estimate(xx, yy, None, None, tf.constant(1, tf.int64)),
                autograph=False)()
    return curv


def _plain_variable(shape, dtype=tf.float32):
    return tf.Variable(tf.zeros(shape, dtype), trainable=False)


def add_curvature_evidence(findings, history):
    """Put the sharpness and noise-scale numbers into the findings they explain.

    `train.loss_diverging` gets the largest sharpness ratio seen up to its
    step and the learning rate that would bring it under the bound;
    `optim.learning_rate` and `optim.batch_size` (when a Doctor emits them)
    get the same, and the gradient noise scale B_simple, the batch size
    beyond which larger batches stop speeding training up. Returns the
    findings, those concerned replaced by copies with the added evidence.
    """
    import dataclasses

    ratio = np.asarray(history.get("sharpness_ratio", ()), dtype=float)
    if not len(ratio):
        return list(findings)
    steps = np.asarray(history["step"])
    noise = np.asarray(history.get("noise_scale", np.full(len(ratio), np.nan)))
    out = []
    for finding in findings:
        if finding.code not in ("train.loss_diverging", "optim.learning_rate",
                                "optim.batch_size"):
            out.append(finding)
            continue
        extra = {}
        upto = steps <= (finding.step if finding.step is not None else steps[-1])
        seen = np.flatnonzero(upto & np.isfinite(ratio))
        if len(seen):
            top = seen[np.argmax(ratio[seen])]
            lr = float(history["learning_rate"][top])
            extra["sharpness_ratio_max"] = float(ratio[top])
            extra["sharpness_step"] = int(history["sharpness_step"][top])
            if ratio[top] > 1.0 and lr > 0:
                extra["stable_learning_rate"] = lr / float(ratio[top])
        known = np.flatnonzero(upto & np.isfinite(noise))
        if len(known):
            extra["noise_scale"] = float(noise[known[-1]])
        out.append(dataclasses.replace(
            finding, evidence={**dict(finding.evidence), **extra}) if extra else finding)
    return out
