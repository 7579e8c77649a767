"""Probe: autodiff gradients against central finite differences."""

import dataclasses
import time
from typing import Optional, Tuple

import numpy as np

from kerasdoc import _deadline, _keras
from kerasdoc._errors import InvalidInputError
from kerasdoc._validation import check_float, check_int, received
from kerasdoc.findings import Finding
from kerasdoc.probes import _common
from kerasdoc.probes._result import ProbeResult, setting_of

__all__ = ["GradientCheckResult", "GradientCheckEvidence", "gradient_check",
           "measure_gradient_check", "judge_gradient_check", "is_custom_layer"]

# Checks that cannot run in float64 use this relative step, and a tolerance
# this many times larger.
_FLOAT32_EPSILON = 1e-3
_FLOAT32_TOLERANCE_FACTOR = 5.0
# Each directional derivative is tried at these multiples of the step until
# one agrees: a wrong backward pass disagrees at every step, while a ReLU
# kink crossed inside the step (more likely the larger the step) or rounding
# noise (larger the smaller the step) only spoils some of them.
_STEP_LADDER = (1.0, 0.1, 0.01, 10.0)
# Rounding error of one evaluation, in units of the dtype's machine epsilon
# times the magnitude of the summed terms (sum |v * f(x)|): each output is
# exact to a few ulps of the magnitudes it sums, and a reduction over n terms
# adds about log2(n) more, so 64 covers both for any realistic n.
_ROUNDING_ULPS = 64.0


class GradientCheckResult(ProbeResult):
    """Relative errors between autodiff and finite-difference derivatives.

    Each entry of `checks` is a dict with `layer` (or `"<loss>"`), `target`
    (`"input"`, a weight name, or `"y_pred"`), `analytic`, `numeric`,
    `rel_error` and `dtype`.

    Attributes:
        checks: list of dicts, one per directional derivative compared.
        worst_error: the largest relative error.
        worst_layer: the layer (or `"<loss>"`) where it occurred.
        skipped_layers: dict of layer name -> reason it could not be checked.
    """

    name = "gradient_check"

    def __init__(self, *, checks=(), skipped_layers=None, **kwargs):
        super().__init__(**kwargs)
        self.checks = list(checks)
        self.skipped_layers = dict(skipped_layers or {})
        worst = max(self.checks, key=lambda c: c["rel_error"], default=None)
        self.worst_error = worst["rel_error"] if worst else 0.0
        self.worst_layer = worst["layer"] if worst else None

    def _summary(self):
        return f"worst_error={self.worst_error:.3g} at {self.worst_layer}"


def is_custom_layer(layer):
    """Whether `layer` (or a layer inside it) is user code rather than Keras's."""
    return any(not type(sub).__module__.startswith("keras.")
               for sub in _keras.flatten_layers(layer, include_self=True))


def _float64_twin(layer, sample):
    """A float64 re-creation of `layer` with its weights, or None."""
    import tensorflow as tf

    try:
        config = dict(layer.get_config())
        config["dtype"] = "float64"
        twin = layer.__class__.from_config(config)
        twin(tf.cast(sample, tf.float64) if sample.dtype.is_floating else sample,
             training=False)
        twin.set_weights([np.asarray(w, dtype=np.float64) for w in layer.get_weights()])
        return twin
    except Exception:  # layers without a complete get_config, or float32-only code
        return None


def _random_state_keeper(*objects):
    """A function that puts every random generator `objects` use back where it was.

    A forward pass that draws random numbers in inference mode (a VAE's
    sampling layer, noise layers written by hand) gives a different value at
    each call, so a finite difference of two calls would measure the noise,
    not the derivative. Calling the returned function before each evaluation
    resets the `SeedGenerator`s of the layers in `objects` and Keras's
    global one (used by `keras.random` ops without a seed) to their state
    now, so that every evaluation draws the same numbers.
    """
    generators = []
    for obj in objects:
        for layer in _keras.flatten_layers(obj, include_self=True):
            generators.extend(_keras.seed_generators(layer))
    try:
        from kerasdoc._keras import global_seed_generator

        generators.append(global_seed_generator())
    except Exception:  # a Keras without the private module: nothing more to keep
        pass
    saved = [(g, np.array(g.state.numpy(), copy=True))
             for g in generators if g is not None and hasattr(g, "state")]

    def reset():
        for generator, state in saved:
            generator.state.assign(state)

    return reset


def _compare(scalar, point, eps, noise, rng, good):
    """Directional derivative of `scalar` at `point` along a random direction.

    `point` is a tf.Variable (perturbed in place and restored) or a tensor.
    The central difference is taken at the steps of `_STEP_LADDER` (times
    `eps`) until one agrees with autodiff within `good` (the tolerance).
    `noise` is the rounding error of one evaluation of `scalar` (absolute):
    a central difference with step h cannot resolve derivatives below
    `noise / h`, so that much of the gap is forgiven, and a step at which
    neither derivative exceeds it says nothing (it is not counted). The
    best agreement among the steps that resolve the derivative is returned;
    when none does (the derivative is below what this dtype can measure, or
    a value is not finite), there is no evidence and the gap counts as 0.

    Returns (analytic, numeric, rel_error).
    """
    import tensorflow as tf

    is_variable = hasattr(point, "assign")
    base = tf.identity(point.value if hasattr(point, "value") else point)
    direction = tf.constant(rng.standard_normal(tuple(base.shape)), dtype=base.dtype)
    step = eps * max(1.0, float(tf.sqrt(tf.reduce_mean(tf.square(base)))))

    def at(value):
        if is_variable:
            point.assign(value)
            return scalar(None)
        return scalar(value)

    with tf.GradientTape() as tape:
        if not is_variable:
            tape.watch(base)
        value = scalar(None) if is_variable else scalar(base)
    grad = tape.gradient(value, point if is_variable else base)
    analytic = 0.0 if grad is None else float(tf.reduce_sum(
        tf.cast(grad, base.dtype) * direction))

    def difference(h):
        return (float(at(base + h * direction)) - float(at(base - h * direction))) / (2 * h)

    def gap_of(h, numeric):
        """The relative gap beyond rounding, or None where `h` resolves nothing."""
        resolution = noise / h
        size = max(abs(analytic), abs(numeric))
        if not (np.isfinite(analytic) and np.isfinite(numeric)) or size <= resolution:
            return None  # not finite, or below what this step can measure
        return max(0.0, abs(analytic - numeric) - resolution) / size

    best, first = None, None
    try:
        for factor in _STEP_LADDER:
            h = step * factor
            numeric = difference(h)
            first = numeric if first is None else first
            rel = gap_of(h, numeric)
            if rel is None:
                continue
            if rel > good:
                # A disagreement is evidence only where the difference has
                # settled: halve the step. A wrong backward pass disagrees
                # with a difference that stays put; where the function bends
                # within the step (LayerNorms over rows of small spread, a
                # softmax near saturation, a kink) or rounding is near the
                # derivative's size (float32), the difference still moves
                # by as much as its gap, and may agree at the half step.
                numeric_half = difference(h / 2)
                rel_half = gap_of(h / 2, numeric_half)
                # A gap within twice the rounding estimate is no evidence
                # either (the estimate is a typical size, not a bound).
                if rel_half is not None and rel_half <= good:
                    numeric, rel = numeric_half, rel_half
                elif abs(analytic - numeric) <= 2 * noise / h:
                    continue  # within rounding: no evidence
                elif not (np.isfinite(numeric_half) and abs(numeric - numeric_half) <= max(
                        good * max(abs(analytic), abs(numeric)),
                        abs(analytic - numeric) / 4)):
                    continue  # the difference still moves with the step: no evidence
            if best is None or rel < best[1]:
                best = (numeric, rel)
            if rel <= good:
                break
    finally:
        if is_variable:
            point.assign(base)
    if best is None:
        return analytic, first, 0.0
    return analytic, best[0], best[1]


def _limit(tolerance, dtype):
    """The relative error accepted for a check run in `dtype`."""
    return tolerance * (_FLOAT32_TOLERANCE_FACTOR if dtype != "float64" else 1.0)


def _check_callable(name, fn, inputs, weights, dtype, eps, rng, out, *,
                    tolerance, owners=(), skipped=None, layer_of=None):
    """Compare derivatives of `sum(v * fn(x))` w.r.t. the input and each weight.

    The random generators of `owners` (layers or models) are reset before
    every evaluation of `fn`, so a forward pass that samples noise draws the
    same noise each time. If `fn` still gives two different values at the
    same point (random ops outside Keras's generators), no finite difference
    can be taken: the reason goes to `skipped[name]` and nothing is compared.
    `layer_of` maps `id(weight)` to the name its entries get (default `name`);
    `inputs=None` compares the weights only.
    """
    import tensorflow as tf

    reset = _random_state_keeper(*owners)

    def run(v):
        reset()
        return fn(v)

    sample = run(inputs)
    again = run(inputs)
    first = np.asarray(tf.cast(sample, tf.float64))
    if not np.allclose(first, np.asarray(tf.cast(again, tf.float64)),
                       rtol=1e-5, atol=1e-6 * (1.0 + float(np.max(np.abs(first),
                                                                  initial=0.0)))):
        if skipped is not None:
            skipped[name] = ("its forward pass gives a different value at each call "
                             "(random ops outside Keras's seed generators), so it has "
                             "no finite difference")
        return
    probe = tf.constant(rng.standard_normal(tuple(sample.shape)), dtype=sample.dtype)
    state = {"x": inputs}
    good = _limit(tolerance, dtype)
    precision = max(float(np.finfo(sample.dtype.as_numpy_dtype).eps),
                    float(np.finfo(np.float32 if dtype != "float64" else np.float64).eps))
    magnitude = float(tf.reduce_sum(tf.abs(tf.cast(sample, probe.dtype) * probe)))
    noise = _ROUNDING_ULPS * precision * magnitude

    def scalar(x):
        return tf.reduce_sum(tf.cast(run(state["x"] if x is None else x),
                                     probe.dtype) * probe)

    if inputs is not None and inputs.dtype.is_floating:
        a, n, rel = _compare(scalar, inputs, eps, noise, rng, good)
        out.append({"layer": name, "target": "input", "analytic": a,
                    "numeric": n, "rel_error": rel, "dtype": dtype})
    deadline = _deadline.current()  # inside `diagnose`: the probe's share
    for i, weight in enumerate(weights):
        if deadline is not None and deadline.spent():
            if skipped is not None:
                skipped[name] = (f"time budget spent after {i} of {len(weights)} "
                                 "weights (compared up to there)")
            return
        a, n, rel = _compare(scalar, weight, eps, noise, rng, good)
        owner = name if layer_of is None else layer_of.get(id(weight), name)
        out.append({"layer": owner, "target": weight.name, "analytic": a,
                    "numeric": n, "rel_error": rel, "dtype": dtype})


def gradient_check(model, x, y=None, *, layers="custom", n_samples: int = 4,
                   epsilon: float = 1e-7, tolerance: float = 1e-2,
                   jitter: float = 1e-2, seed: int = 0) -> GradientCheckResult:
    """Compare autodiff gradients with central finite differences.

    Custom layers (e.g. a `tf.custom_gradient` with a wrong backward pass)
    and custom losses can return gradients that do not belong to their
    forward pass; training then goes wrong without an error. For each layer
    checked, the probe takes the layer's real inputs from a forward pass,
    re-creates the layer in float64 with the same weights, and compares the
    directional derivative of a random projection of its output along a
    random direction, w.r.t. its input and each weight: autodiff against
    (f(p + h u) - f(p - h u)) / 2h. A custom loss is checked the same way
    w.r.t. the predictions. Layers that cannot be re-created in float64 are
    checked in their own dtype (relative step 1e-3, `tolerance` 5x larger).
    Subclassed models without a layer graph are checked as a whole, w.r.t.
    each trainable weight. Each layer's input gets a little noise (`jitter`)
    so that exact zeros (padding, dead units, tied maxima) do not put a
    ReLU-like kink at the point of evaluation; a kink can still fall inside
    a step, which is why the default tolerance is 1e-2 (smooth layers agree
    to ~1e-9 in float64; a wrong gradient is off by 0.1 or more).

    Args:
        model: a Keras model.
        x: inputs.
        y: labels (for the loss check) (a dict or list for several outputs);
            `None` when `x` is a stream yielding `(x, y)`. Defaults to `None`.
        layers: `"custom"` (layers whose class is not Keras's own, and the
            loss if it is custom), `"all"`, or a list of layer names.
            Defaults to `"custom"`.
        n_samples: samples in the batch; the probe's budget (two forward
            passes per layer input and weight). Defaults to `4`.
        epsilon: relative finite-difference step in float64. Defaults to `1e-7`.
        tolerance: largest relative error accepted in float64.
            Defaults to `1e-2`.
        jitter: size of the noise added to each layer's input, relative to
            the input's standard deviation. Defaults to `1e-2`.
        seed: seed of the sample draw and the random directions.
            Defaults to `0`.

    Returns:
        A `GradientCheckResult` (finding code `probe.gradient_check`, one
        finding per layer whose error exceeds the tolerance).

    Example:

    >>> result = gradient_check(model, x_train, y_train)  # doctest: +SKIP
    >>> result.worst_error < 1e-4                          # doctest: +SKIP
    True
    """
    _common.check_model(model, built=False)  # built from `x` as fit would
    x, y = _common.check_xy(x, y, model)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    epsilon = check_float(epsilon, "epsilon", minimum=0.0, exclusive_minimum=True)
    tolerance = check_float(tolerance, "tolerance", minimum=0.0, exclusive_minimum=True)
    jitter = check_float(jitter, "jitter", minimum=0.0)
    _common.check_common(seed, None)
    if not (layers in ("custom", "all") or (
            isinstance(layers, (list, tuple)) and all(isinstance(n, str) for n in layers))):
        raise InvalidInputError(
            "`layers` must be 'custom', 'all' or a list of layer names. "
            f"{received('layers', layers)}")
    start = time.perf_counter()
    evidence = measure_gradient_check(model, x, y, n_samples=n_samples, epsilon=epsilon,
                                      tolerance=tolerance, jitter=jitter, layers=layers,
                                      seed=seed)
    if evidence.skipped:
        return GradientCheckResult(skipped=evidence.skipped)
    findings = judge_gradient_check(evidence, {"tolerance": tolerance})
    checks = [dict(entry, tolerance=_limit(tolerance, entry["dtype"]))
              for entry in evidence.checks]
    return GradientCheckResult(
        checks=checks, skipped_layers=evidence.skipped_layers, findings=findings,
        seconds=time.perf_counter() - start)


@dataclasses.dataclass(frozen=True)
class GradientCheckEvidence:
    """What the gradient check measured: plain numbers, no model.

    Attributes:
        checks: one dict per directional derivative compared: `layer`,
            `target` (input or weight), `analytic`, `numeric`, `rel_error`
            and `dtype` (the precision it ran in).
        skipped_layers: layer name -> why it could not be checked.
        skipped: why nothing was checked, or `None`.
    """

    checks: Tuple[dict, ...]
    skipped_layers: dict = dataclasses.field(default_factory=dict)
    skipped: Optional[str] = None


def measure_gradient_check(model, x, y, *, n_samples=4, epsilon=1e-7, tolerance=1e-2,
                           jitter=1e-2, layers="custom", seed=0):
    """Compare autodiff with finite differences on a copy; a `GradientCheckEvidence`.

    Inputs are taken as checked by `gradient_check`; the model is not
    touched. `tolerance` only decides when a derivative's step ladder may
    stop early (one step that agrees is enough).

    Returns:
        A `GradientCheckEvidence`.
    """
    import keras

    loss = getattr(model, "loss", None) if getattr(model, "compiled", False) else None

    with _common.preserved_global_rng():
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(_common.count(x), size=min(n_samples, _common.count(x)),
                                   replace=False))
        xb, yb = _common.take(x, index), _common.take(y, index)
        clone = _common.probe_copy(model, seed=seed, compile=False, sample_x=xb)
        graph = (bool(getattr(clone, "inputs", None))
                 and _keras.graph_operations(clone) is not None
                 or isinstance(clone, keras.Sequential))
        top = [layer for layer in clone.layers
               if not isinstance(layer, keras.layers.InputLayer)]
        if layers == "custom":
            targets = [layer for layer in top if is_custom_layer(layer)]
        elif layers == "all":
            targets = top
        else:
            known = {layer.name: layer for layer in top}
            missing = [n for n in layers if n not in known]
            if missing:
                raise InvalidInputError(
                    f"`layers` names layers the model does not have: {missing}. "
                    f"{received('layers', layers)}")
            targets = [known[n] for n in layers]
        check_loss = loss is not None and _common.per_sample_loss(loss) is not None \
            and (layers == "all" or not _common.is_builtin_loss(loss))
        whole = not graph and (layers != "custom" or is_custom_layer(clone))
        if not targets and not check_loss and not whole:
            return GradientCheckEvidence(checks=(), skipped=(
                "no custom layers or losses (Keras's own gradients are tested "
                "upstream); pass layers='all' to check them anyway"))

        checks, skipped_layers = [], {}
        if graph and targets:
            _check_layers(clone, targets, xb, epsilon, jitter, rng, checks,
                          skipped_layers, tolerance)
        elif whole:
            _check_whole(clone, loss, xb, yb, epsilon, rng, checks, skipped_layers,
                         tolerance)
        if check_loss:
            _check_loss(loss, clone(xb, training=False), yb, epsilon, rng, checks,
                        tolerance)

    return GradientCheckEvidence(checks=tuple(dict(entry) for entry in checks),
                                 skipped_layers=dict(skipped_layers))


def judge_gradient_check(evidence, settings=None, task=None):
    """The `probe.gradient_check` findings `evidence` supports; pure (no TensorFlow).

    One finding per layer (or the loss) whose worst relative error is above
    the tolerance for the precision it ran in (`tolerance`, times
    `_FLOAT32_TOLERANCE_FACTOR` for float32 checks).

    Args:
        evidence: a `GradientCheckEvidence`.
        settings: the check's settings (`tolerance`). Defaults to `None`:
            `1e-2`.
        task: unused. Defaults to `None`.

    Returns:
        list of `Finding`.
    """
    tolerance = setting_of(settings, "tolerance", 1e-2)
    findings = []
    by_layer = {}
    for entry in evidence.checks:
        limit = _limit(tolerance, entry["dtype"])
        entry = dict(entry, tolerance=limit)
        if entry["rel_error"] > limit:
            best = by_layer.get(entry["layer"])
            if best is None or entry["rel_error"] > best["rel_error"]:
                by_layer[entry["layer"]] = entry
    for name, entry in by_layer.items():
        what = "the loss" if name == "<loss>" else f"layer '{name}'"
        findings.append(Finding(
            "probe.gradient_check",
            message=(f"The autodiff gradient of {what} disagrees with finite "
                     f"differences (relative error {entry['rel_error']:.3g} "
                     f"w.r.t. {entry['target']})."),
            evidence=dict(entry),
            fix=(f"Check the backward pass of {what}: a tf.custom_gradient (or "
                 "custom train_step) must return d(output)/d(input) with the "
                 "right sign, scale and argument order; ops such as tf.round, "
                 "tf.argmax or casts to int have no gradient."),
            layer=None if name == "<loss>" else name,
        ))
    return findings


def _check_layers(clone, targets, xb, epsilon, jitter, rng, checks, skipped, tolerance):
    import keras
    import tensorflow as tf

    usable, tensors = [], []
    for layer in targets:
        try:
            tensor = layer.input
        except Exception as exc:  # shared layers have several inputs
            skipped[layer.name] = f"no single input tensor ({exc})"
            continue
        if not hasattr(tensor, "shape") or isinstance(tensor, (list, tuple, dict)):
            skipped[layer.name] = "several input tensors"
            continue
        usable.append(layer)
        tensors.append(tensor)
    if not usable:
        return
    inputs = clone.inputs[0] if len(clone.inputs) == 1 else clone.inputs
    feeder = keras.Model(inputs, tensors)
    values = feeder(xb, training=False)
    values = values if isinstance(values, (list, tuple)) else [values]
    deadline = _deadline.current()
    for layer, value in zip(usable, values):
        if deadline is not None and deadline.spent():
            skipped[layer.name] = "time budget spent before this layer"
            continue
        value = tf.convert_to_tensor(value)
        if value.dtype.is_floating and _token_ids(layer, value):
            # Whole-number ids looked up by an Embedding: the layer is piecewise
            # constant in them (no derivative w.r.t. the input), so they are fed
            # as integers, neither jittered nor perturbed; its weights are checked.
            value = tf.cast(value, tf.int32)
        if value.dtype.is_floating and jitter > 0:
            noise = rng.standard_normal(tuple(value.shape))
            size = float(tf.math.reduce_std(tf.cast(value, tf.float64))) or 1.0
            value = value + tf.constant(jitter * size * noise, dtype=value.dtype)
        twin = _float64_twin(layer, value)
        if twin is not None:
            dtype, eps, runner = "float64", epsilon, twin
            value = tf.cast(value, tf.float64) if value.dtype.is_floating else value
        else:
            dtype, eps, runner = str(layer.dtype), _FLOAT32_EPSILON, layer
        _check_callable(layer.name, lambda v, r=runner: r(v, training=False), value,
                        runner.trainable_weights, dtype, eps, rng, checks,
                        tolerance=tolerance, owners=(runner,), skipped=skipped)


def _token_ids(layer, value):
    """Whether `value` holds whole numbers that an Embedding inside `layer` looks up."""
    import keras

    if not any(isinstance(sub, keras.layers.Embedding)
               for sub in _keras.flatten_layers(layer, include_self=True)):
        return False
    array = np.asarray(value)
    return bool(array.size) and bool(np.all(np.isfinite(array))) and bool(
        np.all(array == np.round(array)))


def _check_whole(clone, loss, xb, yb, epsilon, rng, checks, skipped, tolerance):
    """Subclassed models: the training loss (or an output projection) w.r.t. each weight.

    The scalar is what `fit` minimises: the compiled loss plus the terms the
    model adds with `add_loss` (a VAE's KL term) and its weight
    regularisers, so the gradient of a custom term is checked too.
    """
    import tensorflow as tf

    owner = {}
    for layer in _keras.flatten_layers(clone, include_self=True):
        for weight in layer.trainable_weights:
            owner[id(weight)] = layer.name
    fn = None if loss is None else _common.per_sample_loss(loss)
    xt = tf.constant(xb)

    def forward(_):
        out = clone(xt, training=False)
        if fn is None:
            return out
        value = _common.mean_loss(fn, yb, out)
        extra = list(clone.losses)
        if extra:
            value = tf.cast(value, tf.float32) + tf.add_n(
                [tf.cast(tf.reduce_sum(term), tf.float32) for term in extra])
        return value

    weights = list(clone.trainable_weights)
    if weights:
        _check_callable(clone.name, forward, None, weights, str(weights[0].dtype),
                        _FLOAT32_EPSILON, rng, checks, tolerance=tolerance,
                        owners=(clone,), skipped=skipped, layer_of=owner)


def _check_loss(loss, y_pred, yb, epsilon, rng, checks, tolerance):
    import tensorflow as tf

    fn = _common.per_sample_loss(loss)
    for dtype in (tf.float64, tf.float32):
        try:
            pred = tf.cast(tf.convert_to_tensor(y_pred), dtype)
            labels = yb.astype(dtype.as_numpy_dtype) if np.issubdtype(
                yb.dtype, np.floating) else yb
            entries = []
            _check_callable("<loss>", lambda p: _common.mean_loss(fn, labels, p),
                            pred, [], dtype.name,
                            epsilon if dtype == tf.float64 else _FLOAT32_EPSILON,
                            rng, entries, tolerance=tolerance)
            for entry in entries:
                entry["target"] = "y_pred"
            checks.extend(entries)
            return
        except Exception:  # loss code that only runs in float32
            if dtype == tf.float32:
                raise
