"""One wall-clock deadline for a whole `diagnose` call, shared by its parts and checks.

`diagnose(budget_s=...)` is a budget for the whole call, not per part. It is
split like this:

- **Parts.** When a part starts with `L` seconds left in the call, it gets
  `L * w / W` seconds, where `w` is its weight in `PART_WEIGHTS` and `W` the
  sum of the weights of the parts still to run (itself included). A part
  that finishes early leaves its unused seconds to the parts after it; the
  last part gets all that is left. The weights follow what each part costs
  on a typical call: the data and model audits and the preprocessing check
  do bounded work (`diagnose` audits at most `DATA_ROWS` rows per split),
  the probes and the training run train copies. With the default 60 s the
  data audit may take about 11 s, the probes and the training run about 22 s
  each, plus what the parts before them left.
- **Checks.** Inside a part, checks run in order; each starts only while its
  part has time left, else it is recorded as skipped with the reason
  "time budget spent before this check". The probes split their part's
  time again by `PROBE_WEIGHTS` (same rule), and each probe's training loop
  asks the deadline between steps (`kerasdoc.probes._common.Budget`): a
  probe stopped by it is inconclusive, reported at `info` ("budget spent
  after N steps"), never an error or warning built on a truncated run.
  The probes and the training run share model copies and their traced
  train steps (`kerasdoc.probes._shared`). Before a probe that trains
  starts, the traces it would make are planned: the first shared step's
  measured trace-and-step time, scaled to the CPU share the process gets
  at the moment (`CpuMeter`: a trace is CPU work of a fixed size, and the
  machine's load can rise while a call runs), or before any,
  `_shared.TRAIN_TRACE_FACTOR` times a trace of the forward pass (measured
  first, at a fraction of the cost). A
  probe whose planned traces (times `TRACE_MARGIN`) do not fit in the
  time left for the probes is skipped for the budget; one whose share is
  too small for them, but the probes' time is not, gets a share that
  holds them (`Deadline.within`). Without a shared copy (a model that
  cannot be copied) the first looping probe measures its copy and first
  step, and a later one whose share is smaller is skipped
  (`Deadline.can_start`). The probes that do not train (initial loss,
  batch mixing, gradient check) stop between batches, samples and weights.
- **Training.** The `Doctor`'s run starts only when its planned
  instrumented first step (`kerasdoc._diagnose.DOCTOR_TRACE_FACTOR` times
  a plain one) and the validation step's trace fit in the part's time;
  it stops at the end of the batch (or validation batch) in flight once
  that time is spent. The first validation pass (the test step's trace)
  starts only with at least half its planned trace left
  (`kerasdoc._diagnose._ValidationGate`), so a first step that overran
  its plan is not followed by another trace.
- **Reserve.** The parts plan to end `RESERVE` of the budget early: the last
  step or trace in flight when a deadline passes cannot be interrupted, and
  the report is assembled and the copies freed after the last part
  (the garbage collection at the end of the call walks only the objects
  the call made: `kerasdoc._interrupts.interrupt_guard` freezes the older
  ones).

The work in flight when a deadline passes (one training step, a model copy,
a first trace of a step) is the only overrun; it does not grow with the data.

The active deadline is ambient (a context variable), so a probe called by
`sanity_check` inside `diagnose` sees the share its part was given, while a
probe called on its own keeps its own `time_budget`.
"""

import collections
import contextlib
import contextvars
import math
import time

__all__ = ["CpuMeter", "Deadline", "PART_WEIGHTS", "PROBE_COPIES", "PROBE_WEIGHTS", "RESERVE",
           "TRACE_MARGIN",
           "active", "current"]

PART_WEIGHTS = {"data": 2.0, "model": 0.5, "preprocessing": 0.5, "probes": 4.0,
                "training": 4.0}
"""Relative share of the call's time each part of `diagnose` gets (see the module doc)."""

PROBE_COPIES = {"probe.input_independent": 2}
"""Model copies a probe trains (1 when not listed), for `Deadline.can_start`."""

PROBE_WEIGHTS = {"probe.initial_loss": 0.5, "probe.batch_mixing": 0.5,
                 "probe.gradient_check": 1.0, "probe.cannot_overfit_batch": 3.0,
                 "probe.input_independent": 4.0, "probe.learning_rate": 3.0}
"""Relative share of the probes part each probe gets (two copies train in
`probe.input_independent`; the first three do a few forward/backward passes)."""

TRACE_MARGIN = 1.25
"""Time a probe that must trace needs, in planned traces: the traces, then steps."""

RESERVE = 0.10
"""Share of `budget_s` the parts leave unplanned, for the work in flight at a deadline.

Measured under load (`benchmarks/bench_budget.py`): the training step in
flight or an epoch's start (a 100k-row table's reshuffle: 3.7 s), and the
garbage collection that frees the call's copies when it returns (3-6 s,
once 10.8 s, under load while a full collection walked every object of a
process holding TensorFlow, ~450k; since the objects older than the call
are frozen for it, 19-49k objects and 0.1-0.35 s measured).
5 % (3 s of the default 60 s) left a 100k-row table at 1.12 x its budget."""

CPU_WINDOW = 5.0
"""Seconds of the recent past over which `CpuMeter` measures the CPU share."""

CPU_MIN_SPAN = 0.5
"""Shortest span (seconds) `CpuMeter.share` measures over; shorter: unknown."""

_CURRENT = contextvars.ContextVar("kerasdoc_deadline", default=None)


class CpuMeter:
    """The share of a CPU this process got lately: its CPU seconds per wall second.

    A trace of a step is CPU work of a fixed size; on a machine shared with
    other processes its wall time is that work divided by the share of a
    CPU the process gets, which changes while a call runs. `tick()` is
    called at the call's natural breaks (each probe step, training batch
    and part); `share()` is measured from the oldest tick of the last
    `window` seconds to now, so a trace measured earlier in the call can
    be scaled to the load of now (`kerasdoc.probes._shared.Pool`).

    Args:
        window: seconds of the recent past measured over. Defaults to
            `CPU_WINDOW`.
        clock: the wall-clock timer. Defaults to `time.perf_counter`.
        cpu: the process's CPU timer. Defaults to `time.process_time`.
    """

    def __init__(self, window=CPU_WINDOW, *, clock=time.perf_counter,
                 cpu=time.process_time):
        self.window, self.clock, self.cpu = window, clock, cpu
        self.marks = collections.deque()

    def tick(self):
        """Mark now; marks older than the window (but the newest such) are dropped."""
        now = (self.clock(), self.cpu())
        self.marks.append(now)
        while len(self.marks) > 1 and self.marks[1][0] <= now[0] - self.window:
            self.marks.popleft()

    def share(self):
        """CPU seconds per wall second since the oldest kept mark, or `None`.

        `None` before any mark, or when the span is under `CPU_MIN_SPAN`.
        """
        if not self.marks:
            return None
        wall0, cpu0 = self.marks[0]
        span = self.clock() - wall0
        if span < CPU_MIN_SPAN:
            return None
        return max(0.0, self.cpu() - cpu0) / span


class Deadline:
    """A point in wall-clock time by which some work must end.

    Args:
        seconds: seconds from `start`, or `None` for no deadline.
        start: when the time started, on `clock`. Defaults to `None` (now).
        clock: the timer. Defaults to `time.perf_counter`.
    """

    def __init__(self, seconds, *, start=None, clock=time.perf_counter):
        self.clock = clock
        self.start = clock() if start is None else start
        self.seconds = seconds
        self.end = math.inf if seconds is None else self.start + float(seconds)
        self.root = self  # the call's deadline, which keeps what was measured
        self.first_step = None
        self.meter = CpuMeter(clock=clock)  # the root's is the call's (`tick`)
        # On the call's deadline: a callable giving the seconds the part after
        # the probes cannot cut (its first traces), `None` when unknown; set by
        # `diagnose` while the probes run (`kerasdoc.probes._sanity._rest_of_call`).
        self.later = None
        self.given_to_probes = None  # why the probes took the rest of the call

    def left(self):
        """Seconds left (`inf` without a deadline, negative once passed)."""
        return self.end - self.clock()

    def spent(self):
        """Whether the deadline has passed."""
        return self.left() <= 0

    def elapsed(self):
        """Seconds since the deadline was set."""
        return self.clock() - self.start

    def share(self, weight, remaining_weight):
        """A sub-deadline of `weight / remaining_weight` of the time left.

        The sub-deadline never ends after this one; with `weight ==
        remaining_weight` (the last of a sequence) it ends with it.

        Args:
            weight: the weight of the work about to start.
            remaining_weight: the sum of the weights of the work still to run
                in this deadline, `weight` included.
        """
        left = max(0.0, self.left())
        if math.isinf(left):
            return Deadline(None, clock=self.clock)
        fraction = 1.0 if remaining_weight <= weight else weight / remaining_weight
        child = Deadline(left * fraction, clock=self.clock)
        child.end = min(child.end, self.end)
        child.root = self.root
        return child

    def tick(self):
        """Mark a natural break of the call's work for its `CpuMeter`."""
        self.root.meter.tick()

    def cpu_share(self):
        """The CPU share the call's process got lately (`CpuMeter.share`), or `None`."""
        return self.root.meter.share()

    def note_first_step(self, seconds):
        """Record how long a probe took from its start to the end of its first step.

        That is a copy of the model, the trace of its train step and one
        step: the work a deadline cannot cut. The call keeps the smallest
        such time measured (`first_step`), the estimate `can_start` uses.
        """
        root = self.root
        root.first_step = seconds if root.first_step is None else min(root.first_step,
                                                                         seconds)

    def can_start(self, copies=1, *, need=None, what=None):
        """`None` when work needing `copies` model copies can start, else the reason.

        Work that starts with less time left than `copies` times the
        measured copy-and-first-step (`note_first_step`) would only overrun
        its deadline and stop after one step, inconclusive; it is skipped
        instead. Before anything was measured, only a passed deadline stops it.

        Args:
            copies: model copies the work makes and traces. Defaults to `1`.
            need: seconds the work cannot cut (its traces and first steps),
                planned by the caller; replaces the `copies` rule. Defaults
                to `None`.
            what: how `need` was planned, for the reason. Defaults to `None`.
        """
        left = self.left()
        if left <= 0:
            return "time budget spent before this check"
        if need is not None:
            if left < need:
                return (f"time budget spent: {left:.2f} s left for it, less than the "
                        f"{need:.2f} s {what or 'its first steps are planned to take'}")
            return None
        need = None if self.root.first_step is None else copies * self.root.first_step
        if need is not None and left < need:
            return (f"time budget spent: {left:.1f} s left for it, less than the "
                    f"{need:.1f} s its model cop{'ies' if copies > 1 else 'y'} and first "
                    "step take (measured on an earlier probe of this call)")
        return None

    def within(self, seconds):
        """A sub-deadline of `seconds` from now, never ending after this one."""
        child = Deadline(max(0.0, float(seconds)), clock=self.clock)
        child.end = min(child.end, self.end)
        child.root = self.root
        return child

    def __repr__(self):
        return f"Deadline(left={self.left():.3g} s)"


def current():
    """The innermost active `Deadline`, or `None` outside any."""
    return _CURRENT.get()


@contextlib.contextmanager
def active(deadline):
    """Make `deadline` the ambient one inside the block (`None`: leave it as it is).

    A deadline set inside another never ends after the outer one.
    """
    if deadline is None:
        yield None
        return
    outer = _CURRENT.get()
    if outer is not None and outer.end < deadline.end:
        inner = Deadline(deadline.seconds, start=deadline.start, clock=deadline.clock)
        inner.end, inner.root = outer.end, deadline.root
        deadline = inner
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)
