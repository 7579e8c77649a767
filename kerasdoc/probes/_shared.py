"""One model copy, and its traced train step, shared by the probes of one call.

Each probe works on a copy of the user's model (`_common.probe_copy`). A
fresh copy costs a rebuild of the model, a symbolic forward pass to build
the compiled loss and metrics, and a trace of the train step on its first
step; on a deep recurrent network that trace alone can take minutes on a
loaded machine, and the probes of one `diagnose` call made about six of
them. Inside a `sharing(model)` block (which `sanity_check` and `diagnose`
open), `probe_copy` instead lends a copy from a small pool:

- The first request builds the copy, compiles it like the original, builds
  its optimizer, and snapshots every variable it holds: the weights (equal
  to the user's), the optimizer's (its iteration count, learning rate,
  moments: all as a fresh optimizer has them) and the seed generators'.
- Each later request puts that snapshot back, then seeds the copy's
  generators from the probe's seed, exactly as a fresh copy would be: the
  probe computes the same numbers as on its own copy, and the copy's cached
  `train_function` (its trace) is reused.
- A probe that needs two copies at once (`probe.input_independent`) gets a
  second slot; a probe whose optimizer differs from the original's in more
  than its learning rate (a schedule swept as a constant rate) gets its own
  copy, as before.

The user's model is never lent from the pool: the pool only ever holds
copies, and a model that cannot be copied falls back to `probe_copy`'s own
path (worked on in place, its state saved and restored).

The pool also keeps what the first copy cost (`Pool.costs`): the copy, and
the trace plus first step of its train function, measured under whatever
load the machine is under now, for `kerasdoc._deadline` to plan with.
"""

import contextlib
import contextvars
import time

import numpy as np

__all__ = ["Pool", "TRAIN_TRACE_FACTOR", "TRAIN_TRACE_FACTOR_MAX", "cost", "current", "note_cost", "sharing"]

TRAIN_TRACE_FACTOR = 20.0
"""Trace plus first run of a train step, in forward-pass traces (see `Pool`).

Measured under load (8-18) on this project's 2-core machine (`python
benchmarks/bench_budget.py --costs`): 8 for an MLP on a 100k-row table and
for an 8-layer LSTM, 13 for two bidirectional LSTMs, 23-33 for small CNNs
(BatchNormalization, separable convolutions, residual blocks), 26 for a
tiny MLP whose trace is mostly fixed costs (optimizer, metrics). The
factor sits inside that range, not at its top: the planner starts a first
trace only when `TRACE_MARGIN` times its prediction fits in the probes'
time left, and the training part, planned with the measured cost, gets
about as much again; so a trace 1.7x longer than predicted still ends
within the call's budget, while a prediction at the top would skip the
probes on most small models."""


TRAIN_TRACE_FACTOR_MAX = 35.0
"""The top of `TRAIN_TRACE_FACTOR`'s measured range (33), for the last part.

The training run, the last part of `diagnose`, plans with it when no probe
measured a first step: a small Xception-like CNN whose step traced for 32
forward traces took the call to 1.12 x its budget when planned at 20."""

_POOL = contextvars.ContextVar("kerasdoc_shared_copies", default=None)


def current():
    """The active `Pool`, or `None` outside a `sharing` block."""
    return _POOL.get()


@contextlib.contextmanager
def sharing(model):
    """Let the probes inside the block share copies of `model` (see the module doc).

    An enclosing block for the same model is reused (its copies stay
    valid); the pool is dropped when the outermost block exits.

    Args:
        model: the user's model.
    """
    outer = _POOL.get()
    if outer is not None and outer.model is model:
        yield outer
        return
    pool = Pool(model)
    token = _POOL.set(pool)
    try:
        yield pool
    finally:
        _POOL.reset(token)
        pool.close()


def note_cost(name, seconds):
    """Keep the first `seconds` measured for `name` in the active pool's `costs`.

    E.g. `"eager_forward"`: one forward pass of a copy, outside a trace
    (`initial_loss` measures it; `batch_mixing` plans its passes with it).
    """
    pool = _POOL.get()
    if pool is not None:
        pool.costs.setdefault(name, seconds)


def cost(name):
    """A cost the active pool measured (`note_cost`), or `None`."""
    pool = _POOL.get()
    return None if pool is None else pool.costs.get(name)


def _variables(clone):
    """Every variable of `clone` a probe may change, once each."""
    from kerasdoc._modelcopy import _all_variables

    return _all_variables(clone)


class _Slot:
    """One shared copy: the model, the snapshot of its variables, who holds it."""

    def __init__(self, clone):
        self.clone = clone
        self.snapshot = [(v, np.array(v.numpy(), copy=True)) for v in _variables(clone)]
        self.lent = False
        self.shapes = set()  # batch sizes its train step was traced for

    def reset(self):
        for variable, value in self.snapshot:
            variable.assign(value)


class _Lease:
    """A slot lent to one probe; `restore()` (on the probe's exit) gives it back."""

    def __init__(self, slot):
        self.slot = slot
        self.model = slot.clone

    def restore(self):
        self.slot.lent = False


def _optimizer_config(optimizer):
    config = dict(optimizer.get_config())
    config.pop("learning_rate", None)
    config.pop("name", None)
    return config


def _constant_rate(optimizer):
    """Whether `optimizer`'s learning rate is a variable (not a schedule)."""
    from kerasdoc import _keras

    import keras

    return isinstance(_keras.learning_rate_variable(optimizer), keras.Variable)


class Pool:
    """The shared copies of one model (see the module doc).

    Args:
        model: the user's model.

    Attributes:
        costs: seconds measured on the first copy: `"copy"` (rebuild,
            compile, optimizer build) and `"first_step"` (the trace of its
            train function and one step), when measured.
    """

    def __init__(self, model):
        self.model = model
        self.slots = []
        self.costs = {}
        self.refused = None  # why the model cannot be shared (NotCopyable)
        self.copies_made = 0

    def close(self):
        self.slots = []

    def traces_needed(self, copies, batch):
        """Train-step traces a probe training `copies` copies on batches of `batch` makes.

        A copy not yet trained traces its step, with an open batch size
        when its arrays allow (`_common.train_loss`); one traced for another
        fixed batch size traces it once more (Keras's step function then
        relaxes the batch dimension, so no further size traces again).
        """
        free = [s for s in self.slots if not s.lent]
        needed = 0
        for i in range(copies):
            shapes = free[i].shapes if i < len(free) else set()
            if not shapes or (batch not in shapes and None not in shapes
                              and len(shapes) < 2):
                needed += 1
        return needed

    def copies_to_make(self, copies):
        """Copies a probe lent `copies` at once makes (those the pool lacks)."""
        return max(0, copies - sum(1 for s in self.slots if not s.lent))

    def slot_of(self, clone):
        """The slot holding `clone`, or `None`."""
        return next((s for s in self.slots if s.clone is clone), None)

    def note_step(self, slot, batch, seconds, *, relaxed=False, cpu=None):
        """Record a step of `slot`'s copy on a batch of `batch` samples.

        The first step on a new batch size includes its trace; the first
        such time is kept as `costs["first_step"]`, and each such time, with
        the CPU seconds the process spent in it (`cpu`), in
        `costs["first_steps"]` (`predicted_first_step` scales them to the
        load of the moment). `relaxed`: the step was traced with an open
        batch size (`_common.train_loss`), so no batch size traces again.
        """
        if batch not in slot.shapes:
            slot.shapes.add(batch)
            self.costs.setdefault("first_step", seconds)
            self.costs.setdefault("first_steps", []).append((seconds, cpu))
        if relaxed:
            slot.shapes.add(None)

    def forward_trace_seconds(self, x):
        """Seconds to trace the forward pass of the first shared copy (measured once).

        The forward pass is traced in inference mode on one sample of `x`
        with the batch dimension left open (no computation runs); the trace
        of a train step (forward, gradients, update) and its first run take
        about `TRAIN_TRACE_FACTOR` times as long on the models measured in
        `benchmarks/bench_budget.py`. Returns `None` when the model cannot
        be copied.
        """
        if "forward_trace" in self.costs:
            return self.costs["forward_trace"]
        import keras
        import tensorflow as tf

        from kerasdoc._modelcopy import NotCopyable

        sample = keras.tree.map_structure(lambda a: np.asarray(a)[:1], x)
        try:
            clone = self.first_clone() or self._new_slot(sample).clone
        except NotCopyable as reason:
            self.refused = reason
            return None

        def spec(a):
            a = np.asarray(a)
            dtype = keras.backend.floatx() if a.dtype.kind == "f" else a.dtype
            if a.dtype.kind in "OUS":
                dtype = tf.string
            return tf.TensorSpec((None,) + a.shape[1:], dtype)

        start = time.perf_counter()
        forward = tf.function(lambda inputs: clone(inputs, training=False))
        try:
            forward.get_concrete_function(keras.tree.map_structure(spec, sample))
        except Exception as error:  # e.g. a layer that needs a static batch size
            # Nothing to plan with: the probes plan as without a shared copy
            # (`Deadline.can_start`'s measured first step).
            self.costs["forward_trace"] = None
            self.costs["forward_trace_error"] = f"{type(error).__name__}: {error}"
            return None
        self.costs["forward_trace"] = time.perf_counter() - start
        return self.costs["forward_trace"]

    def predicted_first_step(self, share=None):
        """Seconds a copy's train-step trace and first step are expected to take.

        Once a shared copy made its first step, the measured time; before,
        `TRAIN_TRACE_FACTOR` times the forward trace (`None` if neither is
        known). A measured trace is CPU work of a fixed size: each measured
        first step is scaled by the CPU share the process had while it ran
        (its CPU seconds per wall second) over the share it gets now
        (`share`, by default the ambient deadline's `cpu_share()`), never
        below its own wall time, and the largest is taken. So a trace
        measured before the machine got busier is planned at the load of
        now, and on a machine whose load did not rise, at what it took.
        """
        if "first_step" in self.costs:
            return max(self._scaled(share))
        if self.costs.get("forward_trace") is not None:
            return TRAIN_TRACE_FACTOR * self.costs["forward_trace"]
        return None

    def _scaled(self, share=None):
        """Each measured first step's wall time, scaled to the CPU share of now."""
        if share is None:
            from kerasdoc import _deadline

            deadline = _deadline.current()
            share = None if deadline is None else deadline.cpu_share()
        scaled = []
        for wall, cpu in self.costs.get("first_steps") or [(self.costs["first_step"], None)]:
            if cpu is None or not share or wall <= 0:
                scaled.append(wall)
            else:
                scaled.append(wall * max(1.0, (cpu / wall) / share))
        return scaled

    def load_note(self, share=None):
        """`""`, or a clause saying the measured trace was scaled to the load of now."""
        if "first_step" not in self.costs:
            return ""
        walls = [w for w, _ in self.costs.get("first_steps") or ()]
        scaled = max(self._scaled(share))
        if not walls or scaled <= max(walls) * 1.01:
            return ""
        return (f", scaled from {max(walls):.1f} s to the CPU share the process gets "
                "now")

    def lend(self, session, *, seed, optimizer=None, sample_x=None):
        """A copy for the probe whose `preserved_global_rng` session is `session`.

        Returns `None` when the pool cannot serve the request (the model
        cannot be copied, or `optimizer` differs from the copy's in more
        than its constant learning rate): the caller makes its own copy.
        """
        from kerasdoc._modelcopy import NotCopyable
        from kerasdoc.probes._common import seed_model

        if self.refused is not None:
            return None
        slot = next((s for s in self.slots if not s.lent), None)
        if slot is None:
            try:
                slot = self._new_slot(sample_x)
            except NotCopyable as reason:
                self.refused = reason
                return None
        if optimizer is not None:
            mine = slot.clone.optimizer
            if (type(optimizer) is not type(mine) or not _constant_rate(mine)
                    or _optimizer_config(optimizer) != _optimizer_config(mine)):
                return None
        slot.reset()
        if optimizer is not None:
            # The swept optimizer is the original's with another constant rate.
            slot.clone.optimizer.learning_rate = float(
                np.asarray(optimizer.get_config()["learning_rate"]))
        slot.lent = True
        session.append(_Lease(slot))
        seed_model(slot.clone, seed)
        return slot.clone

    def _new_slot(self, sample_x):
        from kerasdoc._modelcopy import copy_model
        from kerasdoc.probes._common import _rng_preserved

        start = time.perf_counter()
        # Rebuilding layers draws default seeds from Python's `random`; a
        # slot may be made outside any probe's `preserved_global_rng` block
        # (the training part's plan traces the forward pass first), and the
        # user's global random streams must come out as they went in.
        with _rng_preserved():
            clone = copy_model(self.model, compile=True, sample_x=sample_x)
        from kerasdoc import _keras

        if _keras.jit_compile_setting(clone) is not False:
            # XLA changes how the step is compiled, not what it computes, and
            # compiling a step with it takes minutes on a CPU: the copies do
            # without (`jit_compile=True` or `"auto"`, which on a GPU may
            # resolve to True).
            clone.jit_compile = False
        if getattr(clone, "optimizer", None) is not None and not clone.optimizer.built:
            # As `fit`'s first step would build it (`Trainer._symbolic_build`),
            # so the snapshot holds a fresh optimizer's variables.
            with clone.distribute_strategy.scope():
                clone.optimizer.build(clone.trainable_variables)
        slot = _Slot(clone)
        self.slots.append(slot)
        self.copies_made += 1
        if len(self.slots) == 1:
            self.costs["copy"] = time.perf_counter() - start
        return slot

    def first_clone(self):
        """The first shared copy, or `None` before one was made."""
        return self.slots[0].clone if self.slots else None
