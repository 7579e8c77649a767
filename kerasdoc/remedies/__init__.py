"""Remedies: the mechanical fix of a finding, as a pure transform of a copy.

A remedy takes a `TrainingSetup` (a private copy of the model, its compile
settings, the data and the fit settings) and the `Finding` it answers, and
changes that copy; it returns one code-level line per change, such as
``"Dense 'dense_1': kernel_initializer 'zeros' -> 'he_normal'"``. It never
touches the user's objects: `apply_remedy` copies the setup first, and data
remedies build new arrays.

A check declares its remedy in the registry (`register(..., remedy=...)`);
`remedy_for(finding)` finds it by the finding's code.
"""

import dataclasses
from typing import Callable

from kerasdoc.remedies import _structure as st
from kerasdoc.remedies import _transforms as t
from kerasdoc.remedies._setup import NotApplicable, TrainingSetup, check_arrays

__all__ = ["Remedy", "TrainingSetup", "NotApplicable", "apply_remedy", "remedy_for",
           "REMEDIES"]


@dataclasses.dataclass(frozen=True)
class Remedy:
    """A named remedy.

    Attributes:
        name: stable name, e.g. `"reinit_kernels"`.
        summary: one line saying what it changes.
        transform: `transform(setup, finding, seed=...) -> [change lines]`,
            changing `setup` (a copy) in place; raises `NotApplicable`.
        judged_by_validation: whether the validation loss can judge it (a
            remedy that removes leaked samples makes the validation score
            honest, which usually lowers it: it is not verified by it).
        carried_by_model: whether `apply_fixes` can put the change into the
            returned model (else it is a change to the data or the fit call,
            listed for the user to make).
        redraw: the transform draws random values; `verify` re-runs it with
            each seed so the remedied arm's draws vary across seeds.
        redraw_fn: `redraw_fn(setup, finding, seed=...)` makes a later
            seed's draws on an already remedied setup (default: `transform`).
        slow: its effect may need more steps than the short runs give (a new
            initialisation or activation, rescaled inputs): when the short runs
            show no effect or harm, `verify` runs both arms longer.
        horizon: `"short"` (the short runs) or `"fit"`: compared at the
            user's own number of epochs (a change of the batch size changes
            the updates per epoch, momentum the speed: short runs overstate
            both; the question is what the user's fit ends at).
        criterion: `"loss"` (the validation loss) or `"balanced"` (the loss
            with every class weighing the same: what class weights are for).
    """

    name: str
    summary: str
    transform: Callable
    judged_by_validation: bool = True
    carried_by_model: bool = True
    redraw: bool = False
    redraw_fn: Callable = None
    slow: bool = False
    horizon: str = "short"
    criterion: str = "loss"

    def __call__(self, setup, finding, *, seed=0):
        return apply_remedy(self, setup, finding, seed=seed)


def apply_remedy(remedy, setup, finding, *, seed=0, in_place=False):
    """Apply `remedy` for `finding` to a copy of `setup`.

    Args:
        remedy: a `Remedy`.
        setup: a `TrainingSetup` (not changed unless `in_place`).
        finding: the `Finding` the remedy answers.
        seed: seed of any random draw the remedy makes. Defaults to `0`.
        in_place: change `setup` itself (it must already be kerasdoc's own
            copy, as when several remedies are applied in turn). Defaults to
            `False`.

    Returns:
        `(new setup, [change lines])`.

    Raises:
        NotApplicable: the remedy does not apply to this setup.
    """
    target = setup if in_place else setup.copy()
    changes = list(remedy.transform(target, finding, seed=seed))
    if not changes:
        raise NotApplicable(f"{remedy.name} changes nothing here")
    target.changes.extend(changes)
    return target, changes


def remedy_for(finding):
    """The `Remedy` of the check that emits `finding.code`, or None."""
    from kerasdoc._registry import checks

    code = getattr(finding, "code", finding)
    for check in checks():
        if code in check.codes and check.remedy is not None:
            return REMEDIES[check.remedy]
    return None


REMEDIES = {
    "reinit_kernels": Remedy(
        "reinit_kernels", "re-initialise kernels: He for ReLU, Glorot for tanh/sigmoid",
        t.reinit_kernels, redraw=True, redraw_fn=t.redraw_kernels, slow=True),
    "pair_output_loss": Remedy(
        "pair_output_loss", "pair the output activation, the loss and from_logits",
        t.pair_output_loss),
    "rescale_inputs": Remedy(
        "rescale_inputs", "a leading Rescaling or Normalization adapted on x_train",
        t.rescale_inputs, slow=True),
    "standardise_targets": Remedy(
        "standardise_targets", "standardise regression targets (inverse recorded)",
        t.standardise_targets, carried_by_model=False),
    "shuffle": Remedy("shuffle", "shuffle the training set once and every epoch",
                      t.shuffle, carried_by_model=False),
    "set_learning_rate": Remedy(
        "set_learning_rate", "learning rate to the LR range test's suggestion "
        "(else the optimizer's default)", t.set_learning_rate),
    "sgd_momentum": Remedy("sgd_momentum", "plain SGD -> SGD with Nesterov momentum 0.9",
                           t.sgd_momentum, horizon="fit"),
    "clip_gradients": Remedy("clip_gradients", "clip the gradient norm to 1",
                             t.clip_gradients),
    "class_weights": Remedy("class_weights", "balanced class weights in fit",
                            t.class_weights, carried_by_model=False,
                            criterion="balanced"),
    "drop_leaked": Remedy(
        "drop_leaked", "drop training samples identical to validation samples",
        t.drop_leaked, judged_by_validation=False, carried_by_model=False),
    "unfreeze": Remedy("unfreeze", "make the frozen layers trainable", t.unfreeze),
    "smaller_batch": Remedy("smaller_batch", "a batch of at most a tenth of the data",
                            t.smaller_batch, carried_by_model=False, horizon="fit"),
    "log_prior_bias": Remedy("log_prior_bias", "output bias at the class log-prior",
                             t.log_prior_bias),
    "cure_cause": Remedy(
        "cure_cause", "repair the structural cause of a training symptom: exponential "
        "or stacked-sigmoid hidden activations -> ReLU (recurrent: tanh), ReLU kernels "
        "off He's scale redrawn, never-active ReLU biases zeroed; with no such cause, "
        "a lower learning rate for unstable steps", st.cure_cause, redraw=True,
        redraw_fn=st.redraw_rectified, slow=True),
}
"""Every remedy by name."""


def get(name):
    """The remedy named `name`."""
    return REMEDIES[name]
